// report.json of a dedup run (the one-process and the distributed engine write the same one).
#pragma once

#include <cstdint>
#include <string>

#include "dupscan/dedup.hpp"

namespace dupscan {

/// What report.json says of an --against index, when there is one.
struct AgainstSummary {
  std::string index;
  std::uint64_t documents = 0, referenced = 0, segments = 0, inputs = 0;
};

/// report.json of a finished run.
std::string report_json(const DedupConfig& cfg, const DedupResult& r,
                        const AgainstSummary* against);

}  // namespace dupscan
