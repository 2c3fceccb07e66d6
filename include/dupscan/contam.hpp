/**
 * @file contam.hpp
 * @brief `dupscan contam`: how much of each evaluation benchmark occurs in the training data,
 * reported the way GPT-3 (Brown et al. 2020, appendix C), lm-eval's decontamination and Llama 2
 * (Touvron et al. 2023, appendix A.6) report it.
 *
 * ## Specification
 *
 * Normalization (lm-eval's Janitor, `normalize_string` + `split`): ASCII letters are lowercased;
 * the 32 ASCII punctuation characters of Python's `string.punctuation` are deleted; words are the
 * maximal runs of characters that are not whitespace as Python's `str.isspace` defines it (\t \n
 * \v \f \r, U+001C-U+001F, space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000); a run emptied by the deletion ("--") is no word. Every other character is kept
 * as it is (no Unicode lowercasing: exactly what lm-eval compares), ill-formed UTF-8 bytes too
 * (JSON input cannot hold them).
 *
 * N-grams: L consecutive normalized words. Their hash reuses fast_sketch.hpp steps 1-2: each word's
 * unit hash u = fast::word_hash(bytes), the n-gram's hash fmix64(sum_k u_k * B^(L-1-k)). Hashes
 * only find candidates: every hit is confirmed by comparing the words themselves.
 *
 * Verdicts, per evaluation example of W words, with N = `ngram`, m = `min_ngram`:
 *  - W >= N: dirty when any of its N-grams occurs in a training document (GPT-3, lm-eval).
 *  - m <= W < N: dirty when its whole word sequence occurs contiguously in a training document.
 *  - W < m: not judged ("too short"), never dirty.
 *  - Coverage (Llama 2): the fraction of its W words inside at least one matched N-gram (or the
 *    whole-example match); subsets: clean (coverage < clean_below), not clean (>= clean_below),
 *    not dirty (< dirty_at), dirty (>= dirty_at), with the benchmark's own thresholds where it has
 *    them (Llama 3: a threshold per benchmark).
 *  - Spans (contamination.jsonl's "matches"): the matched words of an example as spans, each a
 *    stretch of words [eval_start, eval_end) found word for word in one training document,
 *    starting at byte train_offset of its text. Matched n-grams of one document on one alignment
 *    whose first words are consecutive form a run; runs are taken in input order (documents, then
 *    the training word a run starts at), and each contributes the words no earlier run covered,
 *    one span per uncovered stretch. So spans never overlap and together cover exactly the words
 *    inside matched n-grams; a span's `ngrams` counts its run's matched n-grams that lie inside it.
 *  - longest_match (ConTAM, Singh et al. 2024): the longest stretch of consecutive matched words
 *    (words inside a matched n-gram of any document); it may join adjacent spans.
 *  - Near duplicates (reported beside, never folded into "dirty"): training windows of about the
 *    example's length whose MinHash LSH bands meet the example's, confirmed by the exact Jaccard of
 *    word 5-gram sets >= `near_threshold` (see the README).
 */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/dedup.hpp"
#include "dupscan/janitor.hpp"

namespace dupscan {

/// `--eval NAME=PATH[:FIELD[+FIELD...]]`: a benchmark, its JSONL file, the field(s) to check.
struct EvalSpec {
  std::string name;
  std::string path;
  /// The benchmark's JSON Lines bytes, when given in memory (the Python package writes a
  /// benchmark given as data this way): read in place of `path`, which is then empty and no
  /// input file of the run.
  std::shared_ptr<const std::string> data;
  /// How messages and report.json name the benchmark; empty: `path`. (The Python package names
  /// a benchmark given as data "<NAME>".)
  std::string display;
  const std::string& shown() const { return display.empty() ? path : display; }
  /// Several fields are joined by '\n' into one text; each may be a nested path ("doc.question"),
  /// as DedupConfig::text_field.
  std::vector<std::string> fields{"text"};

  /// Parses NAME=PATH[:FIELD[+FIELD...]]. The field part is what follows the last ':' when that
  /// part holds no '/'. @throw UsageError on a malformed argument.
  static EvalSpec parse(std::string_view arg);
  std::string field_label() const;  ///< "question+answer"

  /// This benchmark's coverage thresholds (--coverage-clean / --coverage-dirty NAME=F), when
  /// they differ from the run's (Llama 3 chose one per benchmark).
  std::optional<double> clean_below, dirty_at;
};

struct ContamConfig {
  std::vector<std::string> train;  ///< JSONL inputs as in dedup ("-" = stdin), or Parquet files
  /// Training tables in memory (the Python package), read after `train`.
  std::vector<std::shared_ptr<const TableInput>> train_tables;
  std::vector<EvalSpec> evals;
  std::string output_dir;
  InputFormat format = InputFormat::jsonl;  ///< of the training inputs (benchmarks are JSONL)
  std::string text_field = "text";          ///< of the training records (paths and '+' as in dedup)
  std::string id_field = "id";              ///< of the training records
  bool id_field_required = false;  ///< as DedupConfig::id_field_required, for the training inputs
  std::string eval_id_field = "id";

  std::uint32_t ngram = 13;        ///< N
  std::uint32_t min_ngram = 8;     ///< m
  double clean_below = 0.2;        ///< Llama 2's "clean": coverage below this
  double dirty_at = 0.8;           ///< Llama 2's "dirty": coverage at or above this
  std::uint32_t max_matches = 20;  ///< matches listed per example (the rest counted)
  /// N-grams matched in more training documents than this are boilerplate: they count for dirty
  /// and coverage but are not cut (lm-eval's rule). 0: none is (--boilerplate-docs 0).
  std::uint32_t max_train_docs = 10;

  bool near = true;             ///< also look for near duplicates (MinHash LSH)
  double near_threshold = 0.5;  ///< exact Jaccard of word 5-gram sets to report one

  std::string write_decontaminated;  ///< path of the decontaminated training corpus, or empty
  std::uint32_t window = 200;        ///< characters cut on each side of a match
  std::uint32_t min_piece = 200;     ///< pieces this short or shorter are dropped
  std::uint32_t max_cuts = 10;       ///< documents with more matches are dropped whole

  std::string tmp_dir;
  unsigned threads = 0;
  bool strict = false;
  double max_skipped = 0.1;  ///< of a training input's records, as DedupConfig::max_skipped
  std::uint64_t max_record_size = kDefaultMaxRecordSize;  ///< as DedupConfig::max_record_size
  bool in_place = false;         ///< --write-decontaminated may replace a training input
  bool force = false;            ///< as DedupConfig::force
  bool html = false;             ///< as DedupConfig::html
  std::string backend = "auto";  ///< as DedupConfig::backend
  std::size_t gpu_memory = 0;    ///< as DedupConfig::gpu_memory
  std::size_t batch_bytes = std::size_t{1} << 20;
  /// --memory: bytes the run should stay under (0: no limit). With --write-decontaminated, the
  /// training documents' Locators (24 B each, kept to read the corpus again) past a share of it
  /// are written to a file -- the work directory's, else one under tmp_dir (else the output
  /// directory) -- and read back in pieces (contam/locator_spill.hpp). At least kMinMemory, and at
  /// least what the benchmarks' indexes and the pipeline's batches take (checked once the
  /// benchmarks are read: a UsageError naming the minimum). The findings of matched training
  /// documents stay in memory.
  std::size_t memory = 0;
  /// Where the training scan's findings are kept per finished training input, so that the same
  /// run started again after a crash or kill reads only the inputs it had not finished
  /// (contam/scan.hpp); empty: "<output_dir>/.dupscan-work". Removed when the run succeeds. Runs
  /// that read stdin or a pipe, or tables in memory, do not resume (ResumeSummary::why_not).
  std::string work_dir;
  bool restart = false;  ///< as DedupConfig::restart
  bool resume = true;    ///< as DedupConfig::resume (--no-resume)

  /// True when an n-gram matched in `docs` training documents is boilerplate (max_train_docs).
  bool boilerplate(std::uint64_t docs) const {
    return max_train_docs != 0 && docs > max_train_docs;
  }

  /// The coverage thresholds of benchmark b: its own, else the run's.
  double clean_below_of(std::size_t b) const { return evals[b].clean_below.value_or(clean_below); }
  double dirty_at_of(std::size_t b) const { return evals[b].dirty_at.value_or(dirty_at); }

  /**
   * @brief Applies one --coverage-clean or --coverage-dirty value (`option` names which): "F" sets
   * the run's threshold, "NAME=F" that of the benchmark NAME (an --eval given before).
   * @throw UsageError for a malformed value or an unknown NAME.
   */
  void set_coverage_threshold(const std::string& option, std::string_view value);

  /// @throw UsageError naming the option when a value is out of range.
  void validate() const;
};

struct BenchmarkSummary {
  std::string name, path, fields;
  std::uint64_t examples = 0, judged = 0, too_short = 0, dirty = 0, clean = 0;
  std::uint64_t llama_clean = 0, llama_not_clean = 0, llama_not_dirty = 0, llama_dirty = 0;
  std::uint64_t near_duplicate_examples = 0;  ///< examples with >= 1 near duplicate
  /// Dirty examples with an n-gram matched in more than max_train_docs training documents: those
  /// matches are boilerplate, not cut from the decontaminated corpus.
  std::uint64_t boilerplate_dirty = 0;
};

struct ContamResult {
  std::vector<BenchmarkSummary> benchmarks;
  std::vector<InputSummary> train_inputs;
  std::string backend;        ///< the backend that ran ("cpu", "cuda", "cuda-host")
  std::string backend_asked;  ///< ContamConfig::backend
  CanaryReport canary;        ///< the device's canary checks: sketch, then probe (backend.hpp)
  unsigned threads = 0;       ///< per process
  unsigned ranks = 1;         ///< processes of a distributed run (distributed.hpp)
  std::uint64_t train_documents = 0, train_text_bytes = 0, train_skipped = 0;
  std::uint64_t skipped_by_reason[kSkipReasonCount] = {};
  std::uint64_t eval_ngrams = 0;         ///< distinct n-grams indexed
  std::uint64_t train_docs_matched = 0;  ///< training documents with >= 1 match
  std::uint64_t matches = 0;             ///< confirmed (n-gram, document position) matches
  std::uint64_t hash_hits_rejected = 0;  ///< index hits whose words differed (hash collisions)
  std::uint64_t boilerplate_ngrams = 0;  ///< matched n-grams in > max_train_docs documents
  std::uint64_t decontaminated_cut = 0, decontaminated_dropped = 0;
  /// --write-decontaminated: skipped training records copied through as they were.
  std::uint64_t skipped_passed_through = 0;
  double seconds_index = 0, seconds_scan = 0, seconds_write = 0, seconds_total = 0;
  std::vector<std::string> outputs;
  std::vector<std::string> output_dir_files;  ///< as DedupResult::output_dir_files
  ResumeSummary resume;                       ///< inputs: the training inputs
  /// What the run held and spilled (report.json's "memory", as dedup's): under --memory,
  /// spilled_bytes and spill_runs count the Locators written to a file and the times they were
  /// (past the window, and in a run that can resume at each training input's end too).
  MemorySummary memory;
};

/**
 * @brief Runs a contamination scan and writes its outputs to config.output_dir (temporary files,
 * renamed when everything succeeded). @throw UsageError for a bad configuration; Error for bad
 * input (an eval record that cannot be used is always an error, naming file:line), I/O failures
 * and interruption.
 */
ContamResult run_contam(const ContamConfig& config, const RunObserver& observer = {});

/// The outputs of a run kept in memory (the Python package): the bytes the files would hold.
struct ContamOutputs {
  std::string contamination;       ///< contamination.jsonl
  std::vector<std::string> clean;  ///< clean/NAME.jsonl, one per benchmark in config.evals' order
  std::string report;              ///< report.json
};

/**
 * @brief run_contam with its outputs in `outputs` instead of files: config.output_dir is not
 * needed, write_decontaminated must be empty (so there is no removed.jsonl), and the run does
 * not resume (no work directory). @throw as run_contam.
 */
ContamResult run_contam(const ContamConfig& config, const RunObserver& observer,
                        ContamOutputs& outputs);

}  // namespace dupscan
