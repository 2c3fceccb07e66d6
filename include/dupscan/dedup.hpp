/**
 * @file dedup.hpp
 * @brief `dupscan dedup` as a library call: configuration, run, results.
 *
 * ## What a run does
 *  1. Pass 1 streams every input once (JSONL, gzip, zstd or stdin): parse, normalize, exact hash,
 *     sketch. Per document only its location, id, exact hash and band keys stay in memory (plus the
 *     signature with verify = false), never the text.
 *  2. Exact duplicates: documents with equal exact hashes form a group; its earliest member stands
 *     for the group in LSH.
 *  3. LSH: per band, (key, document) pairs are sorted; each member of a bucket is paired with the
 *     bucket's first (earliest) member. Pairs are deduplicated across bands.
 *  4. Verification: the candidate documents are read again (pread for plain files, a forward scan
 *     for compressed ones, a spool file for stdin) and each pair's exact Jaccard of shingle-hash
 *     sets is compared with the threshold.
 *  5. Clusters: union-find over exact groups and verified pairs; the kept document of a cluster is
 *     chosen by the keep policy; every other member is a duplicate.
 *  6. Outputs are written to temporary files and renamed into place only when everything succeeded.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/run.hpp"
#include "dupscan/shingle.hpp"
#include "dupscan/table_input.hpp"

namespace dupscan {

enum class KeepPolicy : std::uint8_t {
  first,    ///< the earliest member in input order
  longest,  ///< the member with the longest text (bytes of the text field); ties: the earliest
};

/// The usage error of `--shingle-hash` given with `--sketch fast` (check_sketch_options,
/// validate()).
constexpr const char* kShingleHashFastMessage =
    "--shingle-hash applies to --sketch compat only: the fast sketch hashes its shingles its own "
    "way (fast_sketch.hpp) and no datasketch MinHash matches it (leave --shingle-hash out, or "
    "use --sketch compat)";

/// The usage error of `--scheme` given with `--sketch fast` (check_sketch_options).
constexpr const char* kSchemeFastMessage =
    "--scheme applies to --sketch compat only: the fast sketch has no permutations (leave "
    "--scheme out, or use --sketch compat)";

/**
 * @brief The sketch options a caller set on purpose, checked together as the CLI and the Python
 * package take them: `--scheme` or `--shingle-hash` with `--sketch fast` is an error (validate()
 * sees only the values, and cannot tell a default from a choice).
 * @throw UsageError (kSchemeFastMessage, kShingleHashFastMessage).
 */
void check_sketch_options(SketchKind sketch, bool scheme_given, bool shingle_hash_given);

/**
 * @brief Explicit bands x rows from `--bands` and `--rows` as given (nullopt: not given), checked
 * before they are narrowed to 32 bits (a band count of 2^32 + 1 would otherwise become 1): each
 * at least 1, both or neither, their product at most `num_perm`. The CLI, the Python package and
 * validate() check with it.
 * @return nullopt when neither is given. @throw UsageError naming the option.
 */
std::optional<LshParams> lsh_option(std::optional<long long> bands, std::optional<long long> rows,
                                    std::uint32_t num_perm);

/// Everything `dupscan dedup` can be told. Plain data; validate() checks it once.
struct DedupConfig {
  /// JSONL or text paths (.gz / .zst detected by content), "-" = stdin, or Parquet files
  /// (detected by content; with a build that has Apache Arrow).
  std::vector<std::string> inputs;
  /// Tables in memory (the Python package), read after `inputs`: their texts are not copied.
  std::vector<std::shared_ptr<const TableInput>> tables;
  std::string output_dir;
  InputFormat format = InputFormat::jsonl;
  /// The field holding the text: a key, a nested path ("meta.body": key body of object meta) or
  /// several of them joined by '+' ("title+body": their strings joined by '\n'). A key that
  /// itself holds a '.' is matched whole first. Ignored with InputFormat::text.
  std::string text_field = "text";
  std::string id_field = "id";  ///< a key or nested path; ignored with InputFormat::text
  /// id_field was named on purpose (--id-field given, Python's id=): an input that has no such
  /// field is an error naming the fields it has (a table or Parquet file: when opened; JSON
  /// Lines: when no record of an input had it). Otherwise the default "id" is used where a
  /// record has one, and ids are "<path>:<line>" (row numbers for tables) where not.
  bool id_field_required = false;

  NormalizeOptions normalize;
  ShingleSpec shingle;
  SketchKind sketch = SketchKind::compat;  ///< --sketch compat (datasketch) | fast (OPH)
  /// The compat sketch's permutation scheme (minhash.hpp, spec.hpp step 5): affine32 is
  /// datasketch 2.0's default, legacy what datasketch computed before 2.0 (and computes with
  /// scheme="legacy"), affine64 its 64-bit variant fed with the full XXH64. The fast sketch has
  /// no permutations and ignores it.
  Scheme scheme = Scheme::affine32;
  /// The compat sketch's shingle hash (spec.hpp step 4, `--shingle-hash`): xxh64, or sha1, which
  /// is what datasketch's MinHash() hashes with when given no hashfunc. The fast sketch has
  /// shingle values of its own: sha1 with it is a usage error.
  ShingleHash shingle_hash = ShingleHash::xxh64;
  std::uint32_t num_perm = 128;
  std::uint32_t seed = 1;
  double threshold = 0.8;
  std::optional<LshParams> lsh;  ///< explicit bands x rows; otherwise optimal_lsh_params(threshold)
  /// Weights of the false-positive and false-negative areas in the bands x rows optimum
  /// (datasketch's MinHashLSH `weights`; they sum to 1). 0.5/0.5 is datasketch's default and gives
  /// 9 x 13 at T = 0.8, K = 128; a larger fn weight buys recall near T with more candidates.
  double lsh_fp_weight = 0.5;
  double lsh_fn_weight = 0.5;
  bool verify = true;
  KeepPolicy keep = KeepPolicy::first;

  /// An index (index.hpp) of documents seen before, or empty. New documents that duplicate an
  /// indexed one are removed, the indexed ones are kept: they are never listed as removed nor
  /// written, and the counts are of the new documents. Its parameters must equal this run's.
  std::string against;
  /// With `against`: check every indexed file's checksum (XXH3-64 of its bytes, kept in the
  /// index) before use, not only its size and mtime. Catches a file edited in place whose size
  /// stayed and whose mtime was restored; costs a read of every indexed file.
  bool verify_sources = false;

  std::string write_deduped;  ///< path of the deduplicated copy of the input, or empty
  /// Path of a JSONL file with every document's signature and band keys, or empty:
  /// {"id", "shingles", "signature": [K values], "band_keys": [bands values]} in input order.
  /// Every value is a decimal JSON integer: signature values are below 2^32, or below 2^64 with
  /// the affine64 scheme; band keys are 64-bit. (Exact for Python's json and for parsers with
  /// 64-bit integers; a JavaScript reader's JSON.parse rounds integers above 2^53.)
  std::string write_signatures;
  std::string tmp_dir;   ///< spool files (stdin); default: output_dir
  unsigned threads = 0;  ///< worker threads; 0 = all hardware threads
  bool strict = false;   ///< the first bad record is an error instead of a skipped record
  /// The share of an input's records (non-blank lines) that may be skipped: more is an error,
  /// and so is an input of which no record could be used (whatever this share), so that a wrong
  /// --text-field or --format never passes for a clean run. 1 allows any share.
  double max_skipped = 0.1;
  /// A record (line) longer than this many bytes is a skipped bad record (record_too_large),
  /// read past without being held in memory. At most 4 GiB - 1.
  std::uint64_t max_record_size = kDefaultMaxRecordSize;
  /// An output (--write-deduped, ...) may replace one of the inputs; otherwise that is a usage
  /// error ("input file is output file"). The input is replaced only when the run succeeded.
  bool in_place = false;
  /// --force: write into an output directory that holds files no dupscan run wrote (they are
  /// left alone); otherwise that is a usage error before any work.
  bool force = false;
  /// The CLI writes DIR/report.html after the run (--html): report.json lists it.
  bool html = false;
  /// Set by adopt_index_parameters: the options taken from the --against index, as they would be
  /// written ("--text-field question"); report.json and the summary list them.
  std::vector<std::string> from_index;
  /// "auto" (the GPU when this build has the CUDA backend and one is usable, else the CPU),
  /// "cpu", "cuda", or "cuda-host" (the CUDA backend's source on the CPU: slow, for testing).
  std::string backend = "auto";
  std::size_t gpu_memory = 0;  ///< bytes of device memory the CUDA backend may use; 0: all free
  std::size_t batch_bytes = std::size_t{1} << 20;  ///< JSONL bytes per pass-1 work unit
  /// Distributed runs (distributed.hpp): candidate pairs each rank verifies per round; bounds the
  /// partners' shingle sets held at once (a 4 KB document's set is ~6 KB: 2^18 pairs ~ 1.5 GB at
  /// most, far less when partners repeat or are local).
  std::size_t verify_round_pairs = std::size_t{1} << 18;
  /// Where pass 1's results are kept per completed input, so that the same run started again
  /// after a crash or kill reads only the inputs it had not finished (dedup/resume.hpp); empty:
  /// "<output_dir>/.dupscan-work". Removed when the run succeeds. Runs that read stdin or a
  /// pipe, tables in memory or --write-signatures do not resume (ResumeSummary::why_not).
  std::string work_dir;
  /// Discard what an earlier, interrupted run left in the work directory and start over.
  bool restart = false;
  /// --memory: bytes the run should stay under (0: no limit). Pass 1's band keys over a share of
  /// it are spilled to disk as sorted runs, merged by the LSH stage (dedup/key_spill.hpp), and
  /// the texts remembered to sketch each only once are bounded. The per-document table (~70 B
  /// and the id) stays in memory. At least kMinMemory. index build/add: the new documents go
  /// into segments of as many documents as the budget holds while one is made, every document
  /// sketched (exact copies too), and no whole table is held (run_index).
  std::size_t memory = 0;
  /// Keep no work directory (--no-resume): saves its disk space (~140 bytes per document, ids
  /// included) and writes, at the price of starting over after a crash.
  bool resume = true;

  /// @throw UsageError naming the option when a value is out of range.
  void validate() const;
  /// bands x rows: the explicit ones, or datasketch's optimum for threshold, num_perm, weights.
  LshParams resolved_lsh() const;
  /// What the backend sketches with: the sketch kind, shingles, make_permutations(num_perm,
  /// seed, scheme) and `lsh`, which must be resolved_lsh() (passed in: it is not cheap, and a
  /// run resolves it once).
  SketchParams sketch_params(LshParams lsh) const;
};

/**
 * @brief `dedup --against`: every parameter of the index at config.against (text field, format,
 * sketch, scheme, shingle hash, K, seed, shingle, normalization, threshold, bands x rows) that
 * the caller did not set on purpose is taken from the index; those it did set must match the
 * index. An index whose manifest names no scheme was built before the schemes: legacy; one that
 * names no shingle hash was built before --shingle-hash: xxh64.
 * @param given the options set on purpose, by name: "--text-field", "--id-field", "--format",
 * "--sketch", "--scheme", "--shingle-hash", "--num-perm", "--seed", "--shingle", "--keep-case",
 * "--keep-punct",
 * "--threshold", "--lsh-weights", "--bands", "--rows".
 * Fills config.from_index with the options taken. @throw UsageError listing every given option
 * that disagrees with the index, each with the index's value; Error when the index is unreadable.
 */
void adopt_index_parameters(DedupConfig& config, const std::vector<std::string>& given);

struct DedupCounts {
  std::uint64_t documents = 0;  ///< records taken (skipped ones excluded)
  std::uint64_t empty = 0;      ///< documents whose normalized text is empty (never clustered)
  std::uint64_t skipped = 0;
  std::uint64_t skipped_by_reason[kSkipReasonCount] = {};
  std::uint64_t exact_duplicates =
      0;  ///< removed documents whose normalized text equals the kept one
  std::uint64_t near_duplicates = 0;  ///< other removed documents
  std::uint64_t clusters = 0;         ///< clusters with >= 2 members
  std::uint64_t kept = 0;             ///< documents - removed
  std::uint64_t lsh_documents = 0;    ///< documents in LSH (one per exact group, non-empty)
  std::uint64_t sketch_skipped = 0;   ///< not sketched: the same normalized text was sketched
  std::uint64_t keys_from_copy = 0;   ///< exact groups whose LSH keys came from a later member
  std::uint64_t candidate_pairs = 0;  ///< distinct LSH candidate pairs
  std::uint64_t verified_pairs = 0;  ///< candidate pairs with Jaccard >= threshold (all, no-verify)
  std::uint64_t rejected_pairs = 0;  ///< candidate pairs below the threshold
  std::uint64_t jaccard_extra_pairs = 0;  ///< pairs read again to report Jaccard with the kept doc
  std::uint64_t text_bytes = 0;           ///< bytes of text fields of all documents
  /// Documents whose id (its JSON text) is that of an earlier document of the run
  std::uint64_t duplicate_ids = 0;
};

struct DedupTimings {
  double read_sketch = 0, index = 0, exact = 0, lsh = 0, verify = 0, cluster = 0, write = 0,
         total = 0;
};

/// Whether a run could resume, and whether it did (report.json's "resume").
struct ResumeSummary {
  std::string work_dir;             ///< where its progress was kept; empty when it was not
  std::string why_not;              ///< why not, when it was not ("reads stdin")
  std::uint32_t inputs = 0;         ///< inputs of the run
  std::uint32_t inputs_loaded = 0;  ///< inputs an earlier, interrupted run had read
};

/// The smallest --memory: below it the process's own code and buffers would not fit.
constexpr std::size_t kMinMemory = std::size_t{64} << 20;

/**
 * @brief The check of a --memory value (dedup's, contam's): 0 (no limit) or at least `minimum`.
 * @throw UsageError naming the minimum (in MiB, rounded up) and `why` it is needed.
 */
void check_memory_budget(std::size_t memory, std::size_t minimum = kMinMemory,
                         const std::string& why = "the process itself needs that much");

/// What the run held and spilled (report.json's "memory").
struct MemorySummary {
  std::uint64_t budget = 0;         ///< --memory; 0: none
  std::uint64_t peak_resident = 0;  ///< the process's peak resident set, bytes
  std::uint64_t spilled_bytes = 0;  ///< band keys (and documents' rows) written to disk
  std::uint64_t spill_runs = 0;     ///< sorted runs of them (one per band each)
  /// Documents whose Locator, id and text length went to disk with their keys (doc_spill.hpp)
  std::uint64_t documents_on_disk = 0;
  std::string note;  ///< what the budget did not bound, when anything
};

struct DedupResult {
  LshParams lsh;
  std::string backend;        ///< "cpu", "cuda" or "cuda-host"
  std::string backend_note;   ///< which backend runs and why (make_backend's note)
  std::string backend_asked;  ///< the backend asked for (DedupConfig::backend)
  CanaryReport canary;        ///< the device's canary check (backend.hpp)
  unsigned threads = 0;       ///< worker threads (per process in a distributed run)
  unsigned ranks = 1;         ///< processes of a distributed run (distributed.hpp); 1 otherwise
  std::vector<InputSummary> inputs;
  DedupCounts counts;
  DedupTimings timings;
  std::vector<std::string> outputs;  ///< files written
  /// Everything the run leaves in its output directory, relative to it, directories ending in
  /// '/' (report.json's output_dir_files): what the next run there removes if it does not
  /// write it again.
  std::vector<std::string> output_dir_files;
  std::uint64_t indexed_documents = 0;  ///< documents of the --against index
  /// --write-deduped: skipped records (bad lines, Parquet rows without text) copied into the
  /// deduplicated copy as they were, since nothing says they are duplicates.
  std::uint64_t skipped_passed_through = 0;
  ResumeSummary resume;
  MemorySummary memory;
};

/// The name RunObserver (run.hpp) had before every command took it; kept for library users.
using DedupObserver = RunObserver;

/**
 * @brief Runs a deduplication and writes its outputs to config.output_dir.
 * @throw UsageError for an invalid configuration; Error for bad input (with path and line), I/O
 * failures and interruption. Nothing is written to output_dir unless the run succeeds.
 */
DedupResult run_dedup(const DedupConfig& config, const RunObserver& observer = {});

/// The outputs of a run kept in memory (the Python package): the bytes the files would hold.
struct DedupOutputs {
  std::string duplicates;  ///< duplicates.jsonl
  std::string clusters;    ///< clusters.jsonl
  std::string report;      ///< report.json
  /// One flag per record of the inputs (documents and skipped records, not blank lines), in
  /// input order: 0 when removed as a duplicate, else 1 (a record skipped as bad too: it is a
  /// duplicate of nothing known, and --write-deduped copies it through).
  std::vector<std::uint8_t> keep;
};

/**
 * @brief run_dedup with its outputs in `outputs` instead of files: config.output_dir is not
 * needed, and write_deduped and write_signatures must be empty. @throw as run_dedup.
 */
DedupResult run_dedup(const DedupConfig& config, const RunObserver& observer,
                      DedupOutputs& outputs);

enum class IndexAction : std::uint8_t {
  build,    ///< a new index of config.inputs (the directory must not hold one)
  add,      ///< one more segment of config.inputs appended to an existing index
  rebuild,  ///< build, replacing the index the directory may hold (`index build --force`)
};

struct IndexResult {
  std::uint64_t added = 0;              ///< documents written by this run
  std::uint64_t documents = 0;          ///< documents in the index now
  std::size_t segments = 0;             ///< segments in the index now
  std::size_t segments_written = 0;     ///< segments this run wrote (several under --memory)
  std::uint64_t segment_documents = 0;  ///< --memory: most documents per segment; 0: no limit
  LshParams lsh;
  std::vector<InputSummary> inputs;
  DedupCounts counts;  ///< documents, empty, skipped (by reason), text_bytes
  double seconds = 0;
};

/**
 * @brief `dupscan index build|add`: reads and sketches config.inputs as dedup's pass 1 does and
 * stores every document (location, id, exact hash, band keys) in the index at `dir`. For add,
 * the sketch parameters (scheme included), fields and normalization are the index's (config's
 * are ignored).
 * One run writes an index at a time: the run holds a lock on `dir` (a flock on
 * `dir/.dupscan.lock`, which says who holds it) from before it reads the manifest until the new
 * manifest is in place. With `wait` false a second run fails at once; with `wait` true it waits
 * (observer.info says for whom) and then appends to the index the first one left.
 * @throw UsageError for an invalid configuration, stdin as an input, an input already indexed,
 * build over an existing index; Error as run_dedup, and when another run holds the index's lock
 * and `wait` is false (naming its pid, host and start time).
 */
IndexResult run_index(const DedupConfig& config, IndexAction action, const std::string& dir,
                      const RunObserver& observer = {}, bool wait = false);

/// The dupscan version string, e.g. "0.1.0".
const char* version() noexcept;

}  // namespace dupscan
