// The page of a dedup run (internal to src/host/report/), in three parts over one model:
//   read    (dedup_page_read.cpp): report.json's run, clusters.jsonl, duplicates.jsonl and the
//           texts of the documents shown, into a DedupPageModel;
//   compute (dedup_page_model.cpp): the bounded selections made from what was read, and a kept
//           document compared with a removed one (shared shingles, the Jaccard recomputed);
//   render  (dedup_page_render.cpp): the page's data, one JSON object, and dedup_page(), which
//           runs the three in that order.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dupscan/dedup.hpp"
#include "report/report_internal.hpp"

namespace dupscan::report::detail::dedup {

constexpr std::size_t kJaccardBins = 50;
/// Member ids listed per shown cluster (the rest counted).
constexpr std::size_t kMemberIds = 50;
/// Ids listed per shown group of exact copies.
constexpr std::size_t kCopyIds = 50;
/// Texts longer than this are shown without highlights or a recomputed Jaccard: a pathological
/// 200 MB record must not make the report slow (the run itself compared it).
constexpr std::size_t kMaxCompareBytes = std::size_t{8} << 20;

// Cluster-size buckets: 2, 3, 4, 5, 6-10, 11-100, 101-1k, 1k-10k, >10k.
inline constexpr std::uint64_t kSizeUpper[] = {2, 3, 4, 5, 10, 100, 1000, 10000, UINT64_MAX};
inline const char* const kSizeLabel[] = {"2",      "3",      "4",      "5",   "6–10",
                                         "11–100", "101–1k", "1k–10k", ">10k"};
constexpr std::size_t kSizeBuckets = sizeof kSizeUpper / sizeof kSizeUpper[0];

struct Row {               // one line of duplicates.jsonl
  std::string id, dup_of;  // as JSON
  std::uint64_t cluster = 0;
  bool exact = false;
  double jaccard = 0;
  std::uint64_t order = 0;  // line number
};

struct ShownCluster {
  std::uint64_t cluster = 0, size = 0;
  std::string kept;                  // id JSON
  std::vector<std::string> members;  // first kMemberIds ids, input order
  std::uint64_t exact = 0, near = 0;
  double min_jaccard = 1;
  std::vector<Row> rows;    // of its listed members
  std::vector<Row> lowest;  // the `members` removed members of lowest Jaccard
};

/// (hash, row): a near pair of the sample, which keeps the rows of the smallest hashes.
using Sampled = std::pair<std::uint64_t, Row>;

/// What the page shows of a dedup run, read and computed before any of it is written.
struct DedupPageModel {
  explicit DedupPageModel(std::uint32_t chars) : docs(chars) {}

  DedupConfig cfg;
  DedupResult res;
  std::string dups_path, clusters_path;

  // clusters.jsonl: sizes, the largest clusters
  std::uint64_t size_counts[kSizeBuckets] = {};
  std::uint64_t cluster_lines = 0, largest = 0;
  std::vector<ShownCluster> top;  // the largest, largest first

  // duplicates.jsonl: histograms, the sample, rows of the shown clusters
  std::vector<std::uint64_t> hist_exact = std::vector<std::uint64_t>(kJaccardBins, 0);
  std::vector<std::uint64_t> hist_near = std::vector<std::uint64_t>(kJaccardBins, 0);
  std::vector<std::uint32_t> exact_in;  // per cluster: its exact duplicates
  double min_jaccard = 1;
  std::uint64_t rows = 0, near_rows = 0, exact_rows = 0;
  std::vector<Row> listed;
  std::vector<Sampled> sample;  // by hash

  // the largest groups of exact copies
  std::vector<std::uint64_t> exact_clusters;  // the shown ones, largest first
  std::uint64_t exact_groups = 0;             // all of them
  std::size_t n_exact = 0;
  std::vector<std::string> exact_kept;
  std::vector<std::vector<std::string>> exact_ids;

  // texts
  DocTable docs;
  std::string note;
  bool verified = false;
};

// ---- read (dedup_page_read.cpp) -----------------------------------------------------------------
/// The run report.json describes, and the outputs' paths.
void read_run(const ReportOptions& opt, const std::string& report_text, DedupPageModel& m);
/// clusters.jsonl: size counts and the opt.clusters largest. @throw Error when it and report.json
/// are not of one run.
void read_clusters(const ReportOptions& opt, DedupPageModel& m);
/// duplicates.jsonl: histograms, the first opt.list rows, the sample of near pairs, the rows of
/// the shown clusters. @throw Error when it and report.json are not of one run.
void read_duplicates(const ReportOptions& opt, DedupPageModel& m);
/// duplicates.jsonl again: the ids of the shown groups of exact copies (select_exact_groups).
void read_exact_copies(DedupPageModel& m);
/// The texts of the documents in m.docs, from the run's inputs (unless opt.texts is false).
/// @throw Error when a document is in none of them.
void read_texts(const ReportOptions& opt, simdjson::dom::element rep, DedupPageModel& m);

// ---- compute (dedup_page_model.cpp) -------------------------------------------------------------
/// The opt.exact largest groups of exact copies (by copies, then cluster).
void select_exact_groups(const ReportOptions& opt, DedupPageModel& m);
/// Adds to m.docs every document the page shows, in the order the page numbers them.
void gather_docs(DedupPageModel& m);

// Mapped text of a document, made once.
class Mapped {
 public:
  Mapped(const DocTable& docs, const NormalizeOptions& n) : docs_(docs), norm_(n) {}
  const MappedText* get(std::uint32_t doc);

 private:
  const DocTable& docs_;
  NormalizeOptions norm_;
  std::unordered_map<std::uint32_t, MappedText> cache_;
};

/// A kept document next to a removed one.
struct Comparison {
  bool compared = false;  ///< false: a text is missing or too long (the page shows no check)
  double check = 0;       ///< the Jaccard recomputed
  bool mapped = false;    ///< both texts map back to their characters: `shared` is set
  SharedShingles shared;
};

/// Compares kept documents with removed ones: each text mapped once, the sets' memory reused.
class Comparer {
 public:
  Comparer(const DocTable& docs, const DedupConfig& cfg)
      : mapped_(docs, cfg.normalize), cfg_(cfg) {}
  /// A kept document next to a removed one: shared shingles on both, the Jaccard recomputed.
  Comparison compare(std::uint32_t kept, std::uint32_t removed);

 private:
  Mapped mapped_;
  const DedupConfig& cfg_;
  std::vector<std::uint64_t> set_a_, set_b_;
};

}  // namespace dupscan::report::detail::dedup
