// The training scan: every training record read, parsed and Janitor-normalized by the shared
// pipeline's workers, probed in batches by the backend's ContamProbe, its candidates confirmed on
// the words and its near-duplicate windows matched; the documents' findings are gathered in
// input order into a Findings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "contam/findings.hpp"
#include "dupscan/contam_probe.hpp"
#include "io/pipeline.hpp"

namespace dupscan::contam {

struct ScanOptions {
  std::vector<std::string> inputs;  ///< the training inputs to read (a rank's share)
  std::uint32_t first_doc = 0;      ///< number of the first document read
  unsigned threads = 1;
  std::string tmp_dir;         ///< where stdin is spooled
  bool keep_locators = false;  ///< every document's Locator (to write the corpus again)
};

struct ScanResult {
  std::unique_ptr<SkipPolicy> skips;         ///< the pipeline's (declared first: outlives it)
  std::unique_ptr<RecordPipeline> pipeline;  ///< reads the inputs again (sources())
  std::vector<Locator> locators;             ///< when kept
  std::vector<InputSummary> inputs;
  std::uint64_t documents = 0, text_bytes = 0, rejected = 0, skipped = 0;
  std::uint64_t skipped_by_reason[kSkipReasonCount] = {};
};

/// @throw Error for bad training input (as dedup), I/O failures and interruption.
ScanResult scan_training(const ContamConfig& cfg, const ScanOptions& options,
                         const Benchmarks& benchmarks, const NgramIndex& index,
                         const NearIndex* near, ContamProbe& probe, Findings& findings,
                         const DedupObserver& observer);

}  // namespace dupscan::contam
