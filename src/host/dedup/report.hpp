// report.json of a dedup run (the one-process and the distributed engine write the same one).
#pragma once

#include <cstdint>
#include <string>

#include "dupscan/dedup.hpp"
#include "io/json_writer.hpp"

namespace dupscan {

/// What report.json says of an --against index, when there is one.
struct AgainstSummary {
  std::string index;
  std::uint64_t documents = 0, referenced = 0, segments = 0, inputs = 0;
};

/// report.json's "memory" object (dedup's and contam's): the budget, the peak resident set and
/// what was spilled; nothing when the peak is unknown.
void write_memory_json(JsonWriter& w, const MemorySummary& m);

/// report.json of a finished run.
std::string report_json(const DedupConfig& cfg, const DedupResult& r,
                        const AgainstSummary* against);

}  // namespace dupscan
