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
 *     "parameters": {"sketch", "num_perm", "seed", "bands", "rows", "shingle", "lowercase",
 *                    "strip_punctuation", "unicode", "text_field", "id_field"},
 *     "threshold": the --threshold it was built with (information only),
 *     "inputs": [{"path": absolute path, "size": bytes, "mtime_ns", "compression", "xxh3_64"}],
 *     "segments": [{"file": "segment-NNNNNN.bin", "documents", "bytes", "xxh3_64"}],
 *     "documents": the sum over segments}
 *  - one `segment-NNNNNN.bin` per build or add, never rewritten. Little-endian:
 *      header   8 bytes "DSIDXSG1", u32 format version, u32 bands, u64 documents
 *      records  documents x (56 + 8 x bands) bytes: u64 offset of the record in its input's
 *               decompressed stream, u64 1-based line, u32 input (index into the manifest's
 *               inputs), u32 record length, u64 text length (bytes), u64 low and u64 high half
 *               of the exact hash (XXH3-128 of the normalized text; 0 for an empty document),
 *               u64 flags (1: the document is empty), the band keys (0 for an empty document)
 *      ids      u64 x documents: the end of each id in the id bytes; then the id bytes, each id
 *               as JSON text (a string, or whatever JSON value the id field held)
 *    Its XXH3-64 and size are in the manifest and checked when it is opened.
 *
 * Texts are not copied: verification reads indexed documents again from their input files, which
 * must stay where they were and unchanged (their size and mtime are checked; a change is an
 * error naming the file). An append writes the new segment under its final name first, then the
 * new manifest to a temporary file that is renamed over the old one (fsync before each rename):
 * a crash at any point leaves the previous manifest, which names only complete segments; a
 * segment file no manifest names is ignored and overwritten by the next append.
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dupscan::index {

constexpr std::uint32_t kFormatVersion = 1;

/// What must be equal between the index and a run that uses it.
struct Params {
  std::string sketch;  ///< "compat" or "fast"
  std::uint32_t num_perm = 0, seed = 0, bands = 0, rows = 0;
  std::string shingle;  ///< e.g. "word:5"
  bool lowercase = true, strip_punctuation = true;
  std::string unicode;  ///< Unicode version of the normalizer's tables
  std::string text_field, id_field;
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

/// @throw Error naming the file when the manifest is missing, unreadable or not an index of this
/// format version.
Manifest read_manifest(const std::string& dir);

/// Reads every segment of `m` (checking sizes and checksums) into `out`.
/// @throw Error naming the segment when one is missing, truncated or corrupt.
void read_docs(const std::string& dir, const Manifest& m, Docs& out);

/// @throw Error naming the file when an indexed input is missing or differs in size or mtime
/// from when it was indexed.
void check_inputs_unchanged(const Manifest& m);

/**
 * @brief Appends one segment holding `docs` (whose input numbers already count `m`'s earlier
 * inputs) and writes the manifest `m` (inputs, parameters; segments and documents are updated
 * here). Creates `dir` if needed.
 */
void append(const std::string& dir, Manifest& m, const Docs& docs);

}  // namespace dupscan::index
