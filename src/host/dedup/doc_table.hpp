// The table every dedup runner keeps per document between its passes: where the record is, its id,
// exact hash, band keys -- a few hundred bytes, never the text.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/record.hpp"
#include "io/refetch.hpp"

namespace dupscan {

// Everything kept per document between the passes: a few hundred bytes, never text.
struct DocTable {
  // loc, id_end, ids, exact and text_len hold the documents from cold_first on: those before it
  // are on disk (doc_spill.hpp, --memory); 0 otherwise. id_end stays numbered over all the id text,
  // of which ids holds the bytes from ids_first on.
  std::vector<Locator> loc;
  std::vector<std::uint64_t> id_end;  // id of doc i: ids[id_end[i-1], id_end[i]); empty: default
  std::string ids;
  std::vector<XXH128_hash_t> exact;
  std::vector<std::uint64_t> text_len;
  std::vector<std::uint8_t> empty;
  std::vector<std::uint8_t> sketched;  // 0: an exact copy of an earlier-sketched text
  std::vector<std::uint64_t> keys;     // bands per doc, of the docs from keys_first on
  // Documents before it have their keys on disk (key_spill.hpp, --memory); 0 otherwise.
  std::size_t keys_first = 0;
  std::size_t cold_first = 0;
  std::uint64_t ids_first = 0;
  // K per doc, only without verification: sigs for the 32-bit sketches (legacy, affine32, fast),
  // sigs64 for affine64; the other one stays empty.
  std::vector<std::uint32_t> sigs;
  std::vector<std::uint64_t> sigs64;

  std::size_t size() const { return cold_first + loc.size(); }
  /// Bytes of id text of every document, on disk and held.
  std::uint64_t id_bytes() const { return ids_first + ids.size(); }

  /// Document d's id as JSON: its id field, or "NAME:line" when it had none, NAME being
  /// input_name() (called only then). d >= cold_first.
  template <class InputName>
  void append_id(std::string& out, std::uint32_t d, InputName&& input_name) const {
    const std::size_t i = d - cold_first;
    const std::uint64_t begin = i == 0 ? ids_first : id_end[i - 1];
    if (id_end[i] > begin) {
      out.append(ids, begin - ids_first, id_end[i] - begin);
    } else {
      append_json_string(out, input_name() + ":" + std::to_string(loc[i].line));
    }
  }
};

}  // namespace dupscan
