/**
 * @file index.hpp
 * @brief The persistent index: documents seen before, kept so that new shards are deduplicated
 * against them without sketching them again (`dupscan index build|add`, `dupscan dedup
 * --against`).
 *
 * ## On disk (format version 1)
 * A directory holding
 *  - `index.json`, the manifest:
 *    {"format": "dupscan-index", "version": 1,
 *     "parameters": {"sketch", "scheme", "shingle_hash", "num_perm", "seed", "bands", "rows",
 *                    "shingle", "lowercase", "strip_punctuation", "unicode", "text_field",
 *                    "id_field", "format"},
 *     ("scheme": the compat sketch's permutation scheme, "affine32", "affine64" or "legacy";
 *     absent for the fast sketch, which has none. A compat manifest without it was written
 *     before the schemes existed, when every index was legacy, and is read as legacy.
 *     "shingle_hash": the compat sketch's shingle hash, "xxh64" or "sha1" (spec.hpp step 4);
 *     absent for the fast sketch, and in a compat manifest written before --shingle-hash,
 *     which is read as xxh64.)
 *     "threshold": the --threshold it was built with (information only),
 *     "inputs": [{"path": absolute path, "size": bytes, "mtime_ns", "compression", "xxh3_64"}],
 *     "segments": [{"file": "segment-NNNNNN.bin", "documents", "bytes", "xxh3_64"}],
 *     "documents": the sum over segments,
 *     "checksum": hex XXH3-64 of the manifest's bytes without this field}
 *    The checksum is always the last field, written as `,\n  "checksum": "<16 hex>"\n}\n`; the
 *    bytes it covers are the same text with that line removed ("documents" then last, the file
 *    ending "\n}\n"). Checked on every open: a mismatch is an Error naming index.json. A
 *    manifest without it was written before manifests had one and is read unchecked; the format
 *    version stays 1, since a reader that does not know the field still reads the rest right.
 *    The directory also holds `.dupscan.lock` while a run writes the index (run_index).
 *  - one `segment-NNNNNN.bin` per build or add (several under `--memory`, each of at most the
 *    documents the budget lets one run hold while it makes a segment), never rewritten.
 *    Little-endian:
 *      header   8 bytes "DSIDXSG1", u32 format version, u32 bands, u64 documents, u64 offset of
 *               the tables, u64 keyed documents (the non-empty ones)
 *      records  documents x (56 + 8 x bands) bytes: u64 offset of the record in its input's
 *               decompressed stream, u64 1-based line, u32 input (index into the manifest's
 *               inputs), u32 record length, u64 text length (bytes), u64 low and u64 high half
 *               of the exact hash (XXH3-128 of the normalized text; 0 for an empty document),
 *               u64 flags (1: the document is empty), the band keys (0 for an empty document)
 *      ids      u64 x documents: the end of each id in the id bytes; then the id bytes, each id
 *               as JSON text (a string, or whatever JSON value the id field held)
 *      tables   at the tables offset, for the keyed documents only: the exact table, keyed x 20
 *               bytes (u64 high, u64 low, u32 document) sorted by (high, low, document); then
 *               per band, keyed x 12 bytes (u64 key, u32 document) sorted by (key, document)
 *    Its XXH3-64 and size are in the manifest and checked when it is opened.
 *
 * `dedup --against` never loads an index whole: after reading the new documents it merges their
 * sorted exact hashes and band keys with each segment's tables (read in chunks), finds for each
 * the earliest indexed document that has it, and loads only those documents' records. The
 * earliest is what a run over the indexed inputs followed by the new ones would pair a new
 * document with, so the outcome for the new documents is that run's.
 *
 * Texts are not copied: verification reads indexed documents again from their input files, which
 * must stay where they were and unchanged (their size and mtime are checked; a file whose mtime
 * changed but not its size is read once for its checksum, so a `touch` is no change; a real
 * change is an error naming the file). An append writes the new segment under its final name first,
 * then the new manifest to a temporary file that is renamed over the old one (fsync before each
 * rename): a crash at any point leaves the previous manifest, which names only complete segments; a
 * segment file no manifest names is ignored and overwritten by the next append. Under `--memory` an
 * add writes its segments one after the other as pass 1 fills them, and the manifest naming them
 * all once at the end: the commit point is still that one rename. `index build
 * --force` builds the new index beside the old one the same way (its segment under a number no
 * file there has, then its manifest renamed over the old one) and removes the old segments only
 * then: at every moment the directory holds the old index or the new one, whole.
 */
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dupscan::index {

constexpr std::uint32_t kFormatVersion = 1;

/// What must be equal between the index and a run that uses it.
struct Params {
  std::string sketch;  ///< "compat" or "fast"
  /// The compat sketch's scheme (minhash.hpp's scheme_name); empty for the fast sketch.
  std::string scheme;
  /// The compat sketch's shingle hash (minhash.hpp's shingle_hash_name: "xxh64" or "sha1"); empty
  /// for the fast sketch.
  std::string shingle_hash;
  std::uint32_t num_perm = 0, seed = 0, bands = 0, rows = 0;
  std::string shingle;  ///< e.g. "word:5"
  bool lowercase = true, strip_punctuation = true;
  std::string unicode;  ///< Unicode version of the normalizer's tables
  std::string text_field, id_field;
  std::string format = "jsonl";  ///< "jsonl" or "text" (InputFormat)
};

/// Empty when equal; otherwise "num_perm: index 128, this run 64; ..." for every difference.
std::string mismatch(const Params& index, const Params& run);

struct Input {
  std::string path;  ///< absolute
  std::int64_t size = 0, mtime_ns = 0;
  std::string compression, xxh3_64;
};

struct Segment {
  std::string file;
  std::uint64_t documents = 0, bytes = 0;
  std::string xxh3_64;
};

struct Manifest {
  Params params;
  double threshold = 0;
  double lsh_fp_weight = 0.5, lsh_fn_weight = 0.5;
  std::string lsh_choice;  ///< "explicit" (--bands, --rows), "optimal", or "" (not recorded)
  std::vector<Input> inputs;
  std::vector<Segment> segments;
  std::uint64_t documents = 0;
};

struct Doc {
  std::uint64_t offset = 0, line = 0;
  std::uint32_t input = 0, length = 0;
  std::uint64_t text_len = 0;
  std::uint64_t exact_low = 0, exact_high = 0;
  bool empty = false;
};

/// The documents of an index, in segment order (= input order).
struct Docs {
  std::vector<Doc> docs;
  std::vector<std::uint64_t> keys;    ///< bands per document
  std::vector<std::uint64_t> id_end;  ///< id of doc i: ids[id_end[i-1], id_end[i])
  std::string ids;
};

/// True when `dir` holds an index.json.
bool exists(const std::string& dir);

/// @throw Error naming the file when the manifest is missing, unreadable, fails its checksum, not
/// an index of this format version, or names a scheme this dupscan does not know.
Manifest read_manifest(const std::string& dir);

constexpr std::uint64_t kNone = ~std::uint64_t{0};

/// One segment, opened for lookups: the file is read once to check its checksum, then only the
/// parts asked for are read.
class SegmentFile {
 public:
  /// @throw Error naming the file when it is missing, truncated, corrupt or disagrees with `m`.
  SegmentFile(const std::string& dir, const Manifest& m, std::size_t segment);
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;
  SegmentFile(SegmentFile&& other) noexcept;

  std::uint64_t documents() const { return documents_; }
  /// Document `local` (< documents()); its band keys go to keys[0..bands).
  Doc doc(std::uint64_t local, std::uint64_t* keys) const;
  /// Its id as JSON text.
  std::string id(std::uint64_t local) const;
  /// For each of the ascending distinct `keys` of band `band`: the first (smallest) document of
  /// this segment with that band key, written to first[i] if first[i] is kNone.
  void probe_band(std::uint32_t band, const std::vector<std::uint64_t>& keys,
                  std::vector<std::uint64_t>& first) const;
  /// The same for exact hashes, (high, low) pairs in ascending order.
  void probe_exact(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& hashes,
                   std::vector<std::uint64_t>& first) const;

 private:
  void read_at(std::uint64_t offset, void* out, std::size_t n) const;
  template <class Key, class KeyOf>
  void merge_probe(std::uint64_t offset, std::size_t size, std::size_t doc_at,
                   const std::vector<Key>& queries, KeyOf key_of,
                   std::vector<std::uint64_t>& first) const;
  std::string path_;
  int fd_ = -1;
  std::uint32_t bands_ = 0;
  std::uint64_t documents_ = 0, keyed_ = 0, size_ = 0, tables_ = 0, inputs_ = 0;
};

/**
 * @throw Error naming the file when an indexed input is missing, differs in size from when it was
 * indexed, or differs in mtime and then in checksum. An input whose mtime alone changed (touch)
 * gets its new mtime in `m` (in memory: the manifest on disk is not rewritten). With `checksums`
 * every input's checksum is checked, whatever its size and mtime say (`dedup --against
 * --verify-sources`): a file edited in place with its size kept and its mtime restored is caught.
 */
void check_inputs_unchanged(Manifest& m, bool checksums = false);

/// Removes the index at `dir`: its manifest first (the directory then holds no index), then its
/// segment files. Other files are left.
void remove(const std::string& dir);

/// Removes the segment files in `dir` that `m` does not name (an index replaced by
/// `index build --force`, or a killed append's orphan).
void remove_unnamed_segments(const std::string& dir, const Manifest& m);

/**
 * @brief Writes one segment holding `docs` (whose input numbers already count `m`'s earlier
 * inputs) under its final name and adds it to `m` (segments, documents) in memory: the manifest
 * on disk is not touched, so no reader sees the segment until commit_manifest() writes a manifest
 * naming it. Creates `dir` if needed. The segment's number is one no segment of `m` has (those
 * this run wrote before included); with `beside_existing` also one no segment file in `dir` has.
 * Its sorted tables are made on up to `threads` threads.
 * @throw Interrupted when interrupted (the segment file is not left under its final name).
 */
void write_segment(const std::string& dir, Manifest& m, const Docs& docs, unsigned threads = 1,
                   bool beside_existing = false);

/**
 * @brief Writes the manifest `m` to a temporary file and renames it over `dir`'s index.json: the
 * commit point of a build or add, however many segments it wrote before.
 * @throw Interrupted when interrupted before the rename (the old manifest stays).
 */
void commit_manifest(const std::string& dir, const Manifest& m);

/**
 * @brief write_segment() then commit_manifest(): appends one segment holding `docs` (whose input
 * numbers already count `m`'s earlier inputs) and writes the manifest `m` (inputs, parameters;
 * segments and documents are updated here). Creates `dir` if needed. The segment is written as it
 * is made, never held whole; its sorted tables are made on up to `threads` threads. The segment's
 * number is one no segment of `m` has; with `beside_existing` (a new index replacing the one in
 * `dir`: `m` has no segments yet) also one no segment file in `dir` has, so the old index stays
 * whole until the new manifest replaces its own.
 * @throw Interrupted when interrupted before the new manifest is in place (the old one stays).
 */
void append(const std::string& dir, Manifest& m, const Docs& docs, unsigned threads = 1,
            bool beside_existing = false);

}  // namespace dupscan::index
