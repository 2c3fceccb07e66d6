/**
 * @file report.hpp
 * @brief `dupscan report`: one self-contained HTML page of what a `dedup` or `contam` run found.
 *
 * The page is built from the run's output directory (report.json, duplicates.jsonl and
 * clusters.jsonl, or contamination.jsonl) and the texts of the documents it shows, read again
 * from the inputs report.json names, each checked against the XXH3-64 the run recorded. It holds
 * its CSS, JavaScript and SVG charts inline and its data as JSON in a
 * <script type="application/json"> element; a Content-Security-Policy forbids it any network
 * request. Its size is bounded by the options, not by the run: each section shows a bounded
 * number of items, chosen by the rules below, and says how many there were.
 *
 * Rules (dedup):
 *  - clusters: the `clusters` largest (most members; ties: lower cluster number), each with the
 *    kept document and the `members` removed members of lowest Jaccard (ties: input order);
 *  - near pairs: a sample of `pairs` removed near duplicates with their kept documents, the ones
 *    whose XXH64(id as JSON, seed) is smallest: reproducible, and independent of line order;
 *  - exact copies: the `exact` kept documents with most exact copies (ties: cluster number);
 *  - id list: the first `list` lines of duplicates.jsonl.
 * Rules (contam), per benchmark:
 *  - dirty examples: the `examples` of highest coverage (ties: input order), each with up to
 *    `matches` training documents (in the order of contamination.jsonl);
 *  - near duplicates: `near` examples with near duplicates, those the n-gram verdict did not make
 *    dirty first, then by their highest near-duplicate Jaccard (ties: input order);
 *  - id list: the first `list` dirty examples.
 * Texts are shown as they are in the input, cut after `chars` characters; highlights are
 * computed on the normalized text and mapped back to the original characters. dedup highlights
 * the shingles a pair shares; contam the example's n-grams found in the training documents
 * shown (those contamination.jsonl lists, and their other occurrences there, found again).
 */
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dupscan/dedup.hpp"
#include "dupscan/table_input.hpp"

namespace dupscan::report {

struct ReportOptions {
  std::string dir;     ///< output directory of a dedup or contam run
  std::string output;  ///< the HTML file; empty: dir + "/report.html"
  std::string base;    ///< directory relative input paths are read from; empty: the current one
  bool texts = true;   ///< read the inputs for the texts (false: ids and numbers only)
  /// The run's inputs that were tables in memory (a Python result's data), in the run's order:
  /// their texts are read from these (report.json names them "<table>", "<list>", ...).
  std::vector<std::shared_ptr<const TableInput>> tables;
  /// What the page calls the run (title, header); empty: dir.
  std::string name;
  /// What wrote the page (its footer); empty: "dupscan report " + the name.
  std::string by;
  std::uint32_t clusters = 25;  ///< dedup: largest clusters shown
  std::uint32_t members = 4;    ///< dedup: removed members with texts per cluster
  std::uint32_t pairs = 40;     ///< dedup: sampled near pairs
  std::uint32_t exact = 20;     ///< dedup: groups of exact copies
  std::uint32_t examples = 40;  ///< contam: dirty examples per benchmark
  std::uint32_t near = 20;      ///< contam: near-duplicate examples per benchmark
  std::uint32_t matches = 3;    ///< contam: training documents shown per example
  std::uint32_t list = 5000;    ///< ids in the searchable list
  std::uint32_t chars = 2000;   ///< characters of a text shown
  std::uint64_t seed = 1;       ///< of the near-pair sample
  /// The terminal summary of a dedup run (the CLI's); empty: the page has none.
  std::function<std::string(const DedupConfig&, const DedupResult&)> dedup_summary;

  /// @throw UsageError naming the option when a value is out of range.
  void validate() const;
};

struct ReportResult {
  std::string command;  ///< "dedup" or "contam"
  std::string path;     ///< the page written
  std::uint64_t bytes = 0;
  std::uint64_t texts = 0;  ///< documents whose text the page shows
  double seconds = 0;
};

/**
 * @brief Writes the page of the run in options.dir (to a temporary file renamed into place).
 * @throw UsageError for bad options; Error when the outputs cannot be read or are inconsistent,
 * or an input cannot be read or changed since the run (naming it).
 */
ReportResult write_report(const ReportOptions& options);

/**
 * @brief The configuration and result a dedup run's report.json records: what its terminal
 * summary was printed from. @throw Error if the text is not a dedup report.json.
 */
void read_dedup_run(const std::string& report_json, DedupConfig& config, DedupResult& result);

}  // namespace dupscan::report
