// The lines of dedup's outputs, written by the one-process and the distributed engine alike
// (their outputs are equal byte for byte): duplicates.jsonl and clusters.jsonl; and the lines of
// --write-signatures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/json_writer.hpp"

namespace dupscan {

/// {"id":ID,"duplicate_of":KEPT,"cluster":C,"kind":"exact"|"near","jaccard":J}\n; ids as JSON.
inline void append_duplicate_line(std::string& line, std::string_view id_json,
                                  std::string_view kept_json, std::uint32_t cluster, bool exact,
                                  double jaccard) {
  line += "{\"id\":";
  line += id_json;
  line += ",\"duplicate_of\":";
  line += kept_json;
  line += ",\"cluster\":" + std::to_string(cluster);
  line += exact ? ",\"kind\":\"exact\"" : ",\"kind\":\"near\"";
  line += ",\"jaccard\":";
  append_double(line, jaccard);
  line += "}\n";
}

/// {"cluster":C,"kept":KEPT,"members":[ID,...]}\n: `members` is called with the line and
/// appends the member ids as JSON, separated by commas, in input order.
template <class Members>
void append_cluster_line(std::string& line, std::uint32_t cluster, std::string_view kept_json,
                         Members&& members) {
  line += "{\"cluster\":" + std::to_string(cluster) + ",\"kept\":";
  line += kept_json;
  line += ",\"members\":[";
  members(line);
  line += "]}\n";
}

/// One --write-signatures line: {"id", "shingles", "signature": [K], "band_keys": [bands]},
/// every value a decimal JSON integer (DedupConfig::write_signatures); Value is std::uint32_t,
/// or std::uint64_t for affine64.
template <class Value>
void append_signature_line(std::string& line, std::string_view id_json, std::uint32_t shingles,
                           const Value* signature, std::uint32_t k, const std::uint64_t* band_keys,
                           std::uint32_t bands) {
  line += "{\"id\":";
  line += id_json;
  line += ",\"shingles\":" + std::to_string(shingles) + ",\"signature\":[";
  for (std::uint32_t i = 0; i < k; ++i) {
    if (i) line += ',';
    line += std::to_string(signature[i]);
  }
  line += "],\"band_keys\":[";
  for (std::uint32_t j = 0; j < bands; ++j) {
    if (j) line += ',';
    line += std::to_string(band_keys[j]);
  }
  line += "]}\n";
}

}  // namespace dupscan
