// The training scan: every training record read, parsed and Janitor-normalized by the shared
// pipeline's workers, probed in batches by the backend's ContamProbe, its candidates confirmed on
// the words and its near-duplicate windows matched; the documents' findings are gathered in
// input order into a Findings.
//
// Resume (dedup/resume.hpp's work directory): with ScanOptions::work, each training input's part
// is saved once the input is read whole -- the findings of its documents as Findings::add takes
// them, its InputSummary, skipped counts, document and byte counts (and, when Locators are kept,
// how many: they are written to the work directory's file "locators" before the part) --
// and a resumed run adds the parts an earlier run saved, in input order, before it reads on
// from the next input: Findings::add of the same documents in the same order, so the same
// results. A part depends on what scan_identity() names, nothing else: coverage thresholds,
// --max-matches, --boilerplate-docs and the cuts are applied later and may differ on resume.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "contam/findings.hpp"
#include "dedup/locator_spill.hpp"
#include "dedup/resume.hpp"
#include "dupscan/contam_probe.hpp"
#include "io/pipeline.hpp"
#include "io/read_spec.hpp"

namespace dupscan::contam {

struct ScanOptions {
  ReadSpec read;                    ///< how training records are read (training_read_spec)
  std::vector<std::string> inputs;  ///< the training inputs to read (a rank's share)
  std::vector<std::shared_ptr<const TableInput>> tables;  ///< read after `inputs`
  std::uint32_t first_doc = 0;                            ///< number of the first document read
  unsigned threads = 1;
  std::string tmp_dir;  ///< where stdin is spooled
  /// Every document's Locator, to write the corpus again (--write-decontaminated): stdin is then
  /// spooled, and a table in memory refused.
  bool keep_locators = false;
  /// With keep_locators under --memory: the Locators past `spill_window` bytes are written to
  /// the work directory's file, or without one to a file in `spill_dir` (LocatorSpill); empty
  /// and without a work directory: all are held in memory.
  std::string spill_dir;
  std::size_t spill_window = 0;
  /// Where each finished input's part is saved, and those of an earlier run loaded; or null.
  const WorkDir* work = nullptr;
};

struct ScanResult {
  std::unique_ptr<SkipPolicy> skips;         ///< the pipeline's (declared first: outlives it)
  std::unique_ptr<RecordPipeline> pipeline;  ///< reads the inputs again (sources())
  std::unique_ptr<LocatorSpill> locators;    ///< when kept (in memory or spilled)
  std::vector<InputSummary> inputs;
  std::uint64_t documents = 0, text_bytes = 0, rejected = 0, skipped = 0;
  std::uint64_t skipped_by_reason[kSkipReasonCount] = {};
};

/**
 * @brief The identity of a run's training scan (WorkDir): dupscan's version, the options its
 * findings depend on (format, fields, n-gram settings, near threshold, skip rules, whether
 * Locators are kept), each benchmark (name, fields, and its bytes' size and XXH3-64: a
 * benchmark given as data is a new temporary file each time) and each training input's path,
 * size and mtime. @throw Error when a file cannot be read.
 */
WorkDir::Identity scan_identity(const ContamConfig& cfg);

/// How `contam` reads its training records: its format, fields, skip rules and batch size.
ReadSpec training_read_spec(const ContamConfig& cfg);

/// @throw Error for bad training input (as dedup), I/O failures and interruption.
ScanResult scan_training(const ScanOptions& options, const Benchmarks& benchmarks,
                         const NgramIndex& index, const NearIndex* near, ContamProbe& probe,
                         Findings& findings, const RunObserver& observer);

}  // namespace dupscan::contam
