// The page of a contam run (internal to src/host/report/), in three parts over one model:
//   read    (contam_page_read.cpp): report.json's benchmarks, contamination.jsonl (per benchmark
//           the verdict counts, a coverage histogram, the dirty examples of highest coverage and
//           the near duplicates, kept while the lines stream past) and the texts shown;
//   compute (contam_page_model.cpp): the examples shown in their order and the training
//           documents wanted, and per example what to highlight: its matched words beside the
//           training text around each match, and a near duplicate's best window;
//   render  (contam_page_render.cpp): the page's data, one JSON object, and contam_page(), which
//           runs the three in that order.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "report/report_internal.hpp"

namespace dupscan::report::detail::contam {

constexpr std::size_t kCoverageBins = 20;
/// Bytes of training text shown on each side of a match.
constexpr std::uint32_t kContext = 200;
/// Excerpts shown per training document (matches further apart than 2 x kContext are two).
constexpr std::size_t kExcerpts = 3;
/// Near duplicates: word 5-grams of the Janitor words (contam/near_index.hpp's kNearShingle).
constexpr std::size_t kNearN = 5;
/// Training texts longer than this get only the listed matches highlighted (no search for more).
constexpr std::size_t kMaxSearchBytes = std::size_t{8} << 20;

/**
 * A matched part of an example: its words [eval_start, eval_end) occur in the training document
 * train_id, from byte train_offset of its text on.
 */
struct MatchSpan {
  std::string train_id;  ///< as JSON
  std::uint64_t train_offset = 0;
  std::uint32_t eval_start = 0, eval_end = 0;
  std::uint32_t ngrams = 1;
  /// Set when the line gives the matched words instead of their place in the example (see
  /// locate_span): lines written before spans existed.
  std::string words;
};

struct NearRow {
  std::string train_id;
  double jaccard = 0;
};

struct ExampleRow {
  std::string id;  // as JSON
  std::uint64_t words = 0, more = 0, order = 0;
  std::uint64_t longest = 0;     // longest_match (0 in lines written before it existed)
  std::uint64_t train_docs = 0;  // training documents matched (0: not given)
  bool dirty = false;
  double coverage = 0;
  std::vector<MatchSpan> spans;
  std::vector<NearRow> near;
  double best_near() const {
    double b = 0;
    for (const NearRow& n : near)
      b = std::max(b, n.jaccard);
    return b;
  }
};

struct Bench {
  std::string name, path, fields;
  std::uint64_t rows = 0, judged = 0, dirty = 0, near_examples = 0, zero = 0;
  std::vector<std::uint64_t> bins = std::vector<std::uint64_t>(kCoverageBins, 0);
  std::vector<ExampleRow> dirty_top;  // heap, then sorted
  std::vector<ExampleRow> near_top;
  std::vector<ExampleRow> listed;  // the first dirty ones (ids only)
  std::vector<RecordedInput> file;
};

/// Heap top: the least coverage.
bool by_coverage(const ExampleRow& a, const ExampleRow& b);
/// Near duplicates the verdict missed (not dirty) first, then by their best Jaccard.
bool by_near(const ExampleRow& a, const ExampleRow& b);

/// What the page shows of a contam run, read and selected before any of it is written.
struct ContamPageModel {
  std::string cont_path;  ///< contamination.jsonl
  double clean_below = 0, dirty_at = 0;
  std::uint64_t ngram = 0;
  std::vector<Bench> benches;
  std::unordered_map<std::string, std::size_t> bench_of;  ///< name -> index in benches
  std::unordered_set<std::string> train_wanted;           ///< the training documents shown

  // texts
  std::string note;
  bool verified = false;
  std::vector<DocTable> eval_docs;  // per benchmark
  std::unordered_map<std::string, FoundRecord> train;
};

// ---- read (contam_page_read.cpp) ----------------------------------------------------------------
/// report.json's parameters and benchmarks.
void read_run(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m);
/// contamination.jsonl: per benchmark its counts and the examples kept for the page. @throw Error
/// when it and report.json are not of one run.
void read_examples(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m);
/// The texts of the examples shown and of m.train_wanted, from the benchmarks and the training
/// inputs (unless opt.texts is false). @throw Error when one is in none of them.
void read_texts(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m);

// ---- compute (contam_page_model.cpp) ------------------------------------------------------------
/// Sorts the examples kept, and the training documents they show (m.train_wanted).
void select_shown(const ReportOptions& opt, ContamPageModel& m);

/// One training document shown beside a dirty example.
struct TrainShown {
  std::string id;                      ///< as JSON
  const FoundRecord* rec = nullptr;    ///< its text; null when not at hand
  std::vector<std::uint64_t> offsets;  ///< where each of its matches is in its text
  bool misplaced = false;              ///< a match's offset does not hold the matched words
  std::vector<Range> ranges;           ///< bytes of its text to highlight, merged (with rec)
};

/// A dirty example as the page shows it.
struct DirtyShown {
  std::vector<Range> hl;  ///< bytes of the example to highlight (with its text)
  /// The first opt.matches training documents, in the order of their first match.
  std::vector<TrainShown> trains;
  std::uint64_t train_docs = 0;  ///< training documents it matched
};

/**
 * @brief Highlights of dirty example `r` of benchmark `x` (`rec`: its text, or null) and of the
 * training documents beside it. `ew` and `tw` are scratch. @throw Error when the benchmark changed
 * since the run.
 */
DirtyShown compute_dirty(const ReportOptions& opt, const ContamPageModel& m, const Bench& x,
                         const ExampleRow& r, const FoundRecord* rec, JanitorWords& ew,
                         JanitorWords& tw);

/// Word 5-grams of Janitor words [first, last) as strings (the whole text when shorter).
std::vector<std::string_view> five_grams(const JanitorWords& jw);

/// A near duplicate's training window most like the example.
struct NearWindow {
  double best = -1;       ///< its Jaccard; -1: none (no 5-gram)
  std::vector<Range> eh;  ///< bytes of the example in a 5-gram of the window
  std::vector<Range> th;  ///< bytes of the window in a 5-gram of the example, merged
  Range window;           ///< bytes of the training text the window covers
};

/**
 * @brief The training window of the example's length class (`words`) in `train_text` with the
 * highest Jaccard with the example's 5-grams `eset` (`eg`: in order, `ew`: its words). `tw` is
 * scratch.
 */
NearWindow best_window(const JanitorWords& ew, const std::vector<std::string_view>& eg,
                       const std::unordered_set<std::string_view>& eset, std::uint64_t words,
                       std::string_view train_text, JanitorWords& tw);

}  // namespace dupscan::report::detail::contam
