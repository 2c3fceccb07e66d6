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
  // K per doc, only without verification: sigs for the 32-bit sketches (legacy, affine32, fast),
  // sigs64 for affine64; the other one stays empty.
  std::vector<std::uint32_t> sigs;
  std::vector<std::uint64_t> sigs64;

  std::size_t size() const { return loc.size(); }

  /// Document d's id as JSON: its id field, or "NAME:line" when it had none, NAME being
  /// input_name() (called only then).
  template <class InputName>
  void append_id(std::string& out, std::uint32_t d, InputName&& input_name) const {
    const std::uint64_t begin = d == 0 ? 0 : id_end[d - 1];
    if (id_end[d] > begin) {
      out.append(ids, begin, id_end[d] - begin);
    } else {
      append_json_string(out, input_name() + ":" + std::to_string(loc[d].line));
    }
  }
};

}  // namespace dupscan
