// How a stage reads its records (a read spec), and the reading side of a stage set up from it:
// the inputs opened, a DocReader per worker, the skip policy, and the pipeline's options. Pass 1
// of dedup and index (dedup/pass1.hpp) and contam's training scan (contam/scan.hpp) read through
// it; a command turns its configuration into a ReadSpec (dedup_read_spec, training_read_spec),
// so a stage sees the read's options and nothing else of the command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dupscan/run.hpp"
#include "dupscan/table_input.hpp"
#include "io/documents.hpp"
#include "io/pipeline.hpp"

namespace dupscan {

/// What records are and when a run that reads them fails.
struct ReadSpec {
  InputFormat format = InputFormat::jsonl;
  /// A key, a nested path or several joined by '+' (DedupConfig::text_field).
  std::string text_field = "text";
  std::string id_field = "id";
  /// id_field was named on purpose: an input without it is an error (DedupConfig).
  bool id_field_required = false;
  bool strict = false;       ///< the first bad record is an error
  double max_skipped = 0.1;  ///< share of an input's records that may be skipped
  std::uint64_t max_record_size = kDefaultMaxRecordSize;
  std::size_t batch_bytes = std::size_t{1} << 20;  ///< bytes per work unit (at least)
};

/// The ReadSpec of a command's configuration (DedupConfig, ContamConfig: the same field names).
template <class Config>
ReadSpec read_spec_of(const Config& cfg) {
  ReadSpec r;
  r.format = cfg.format;
  r.text_field = cfg.text_field;
  r.id_field = cfg.id_field;
  r.id_field_required = cfg.id_field_required;
  r.strict = cfg.strict;
  r.max_skipped = cfg.max_skipped;
  r.max_record_size = cfg.max_record_size;
  r.batch_bytes = cfg.batch_bytes;
  return r;
}

/// Where a stage's reading differs from one stage to another.
struct ReadSetup {
  unsigned threads = 1;
  /// The stage's own batch when it wants larger ones than the spec's (a GPU backend or probe).
  std::size_t stage_batch_bytes = 0;
  bool spool_stdin = false;  ///< keep a copy of stdin to read it again later
  std::string tmp_dir;       ///< where that copy goes
  /// The text field cannot be chosen (index add: the index's); the read-nothing hint names it.
  std::string fixed_text_field;
};

/// A stage's reading, set up; the caller adds first_input and on_input_done to `options` and
/// makes the RecordPipeline.
struct StageReading {
  /// Declared first, so that it outlives a pipeline made from `options` (which points at it).
  std::unique_ptr<SkipPolicy> skips;
  std::vector<DocReader> readers;  ///< one per worker
  RecordPipeline::Options options;
};

/**
 * @brief Opens `paths` then `tables` under `spec` and sets up their reading on setup.threads
 * workers; skipped records are told to `warn`, which must outlive the result.
 * @throw Error as open_inputs.
 */
StageReading set_up_reading(const ReadSpec& spec, const std::vector<std::string>& paths,
                            const std::vector<std::shared_ptr<const TableInput>>& tables,
                            const ReadSetup& setup,
                            const std::function<void(const std::string&)>& warn);

}  // namespace dupscan
