// The decontaminated training corpus (--write-decontaminated) and removed.jsonl: lm-eval's Janitor
// cut applied to every matched training document, the others (and the records the scan skipped)
// copied as read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "contam/benchmarks.hpp"
#include "contam/findings.hpp"
#include "contam/ngram_index.hpp"
#include "dedup/locator_spill.hpp"
#include "io/io.hpp"
#include "io/pipeline.hpp"
#include "io/refetch.hpp"
#include "io/sink.hpp"

namespace dupscan::contam {

struct DecontaminationInput {
  std::vector<RereadSource> sources;  ///< the scanned line files (empty for Parquet inputs)
  /// Per input: the path of a Parquet file, whose rows are read again as JSON objects
  /// (rows_as_json_lines) and cut as JSON records are; empty for a line file.
  std::vector<std::string> parquet;
  /// Per input: the rows pass 1 read (InputSummary::lines), for Parquet inputs.
  std::vector<std::uint64_t> rows;
  /// Every scanned document's, in order (read back a piece at a time where they were spilled).
  const LocatorSpill* locators = nullptr;
  std::uint32_t first_doc = 0;  ///< number of the first Locator's document
  /// Input index -> display name, for messages.
  std::function<std::string(std::uint32_t)> display;
};

/// The inputs of a scan (its pipeline, with pass 1's summaries) and its documents' locators.
DecontaminationInput decontamination_input(RecordPipeline& pipeline, const LocatorSpill& locators);

/**
 * @brief lm-eval's Janitor cut, in characters (code points) of the training text: each matched
 * n-gram widened by --window on both sides is removed; pieces of --min-piece characters or fewer
 * are dropped; a document with more than --max-cuts matched n-grams is dropped whole. N-grams
 * matched in more than --max-train-docs documents (group_docs) are boilerplate and not cut. Every
 * document of `in` goes to `out` (whole, cut into pieces, or not at all); each cut or dropped one
 * gets a line in `removed`. A record the scan skipped (bad JSON, no text field, invalid UTF-8)
 * goes to `out` as it is, counted in passed_through; blank lines are left out. Counts documents
 * cut and dropped. A Parquet input's rows go as JSON objects (rows_as_json_lines), each cut or
 * copied as the same record of a JSON Lines file would be (a row whose text is null or not
 * UTF-8, which the scan skipped, is copied through).
 * @throw Error when an input changed since the scan.
 */
void write_decontaminated(const ContamConfig& cfg, const DecontaminationInput& in,
                          const Benchmarks& benchmarks, const NgramIndex& index,
                          const Findings& findings, const std::vector<std::uint32_t>& group_docs,
                          const io::Sink& out, const io::Sink& removed, std::uint64_t& cut,
                          std::uint64_t& dropped, std::uint64_t& passed_through);

}  // namespace dupscan::contam
