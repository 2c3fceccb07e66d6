/**
 * @file run.hpp
 * @brief What a run of any command shares, below the commands themselves: how inputs are read
 * (formats, the record size limit), what was read (InputSummary, skipped records and why),
 * progress, and the observer a caller gets them through. The readers of src/host/io use these;
 * `dedup`, `contam` and `index` runs report through them (dedup.hpp, contam.hpp).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace dupscan {

/// How input lines become documents (`--format`).
enum class InputFormat : std::uint8_t {
  jsonl,  ///< one JSON object per line; the text is a field of it (text_field)
  text,   ///< one document per line, the line itself; ids are "<path>:<line>"
};
/// "jsonl" or "text".
const char* input_format_name(InputFormat format);
/// @throw UsageError unless `name` is "jsonl" or "text".
InputFormat parse_input_format(const std::string& name);

/// Records (lines) longer than this are skipped as record_too_large unless told otherwise
/// (--max-record-size): a line that never ends (/dev/zero) must not fill the memory.
constexpr std::uint64_t kDefaultMaxRecordSize = std::uint64_t{1} << 30;

/// Why a record was skipped (counted per reason in report.json).
enum class SkipReason : std::uint8_t {
  malformed_json,
  not_an_object,
  missing_text_field,
  text_not_string,
  invalid_utf8,
  record_too_large,
};
constexpr int kSkipReasonCount = 6;
/// Stable snake_case name of a reason, as used in report.json.
const char* skip_reason_name(SkipReason reason);

struct InputSummary {
  std::string path;
  std::string compression;        ///< "none", "gzip" or "zstd"
  std::uint64_t bytes = 0;        ///< bytes read from the file (compressed size)
  std::uint64_t text_bytes = 0;   ///< decompressed bytes
  std::uint64_t lines = 0;        ///< lines, blank ones included
  std::uint64_t records = 0;      ///< documents taken from this input
  std::uint64_t blank_lines = 0;  ///< lines holding only whitespace (not records, not warned about)
  std::uint64_t skipped = 0;      ///< bad records skipped
  std::string xxh3_64;            ///< hex XXH3-64 of the file's bytes as read (compressed)
  std::uint64_t with_id = 0;      ///< documents that had an id (not in report.json)
};

/// Live progress of a run, for a progress bar.
struct Progress {
  /// dedup and index: "read", "exact", "lsh", "verify", "cluster", "write"; contam: "scan"
  const char* stage = "";
  std::uint64_t documents = 0;  ///< documents sketched so far
  std::uint64_t bytes = 0;      ///< bytes of JSONL (decompressed) processed so far
  std::uint64_t done = 0;       ///< stage progress: units done ...
  std::uint64_t total = 0;      ///< ... of total (0 = unknown)
  std::uint64_t spilled = 0;    ///< bytes written to disk under --memory so far
};

/// Skipped records of one input passed to RunObserver::warning one by one; the rest of that
/// input's are told in one line when the input is read ("<path>: ... and N more records skipped").
constexpr std::uint64_t kMaxSkipWarnings = 3;
/// The reason in a skipped-record warning is cut to this many characters (one line).
constexpr std::size_t kMaxWarningReason = 120;

/// Callbacks of a run (run_dedup, run_contam, run_index); any may be empty. Called from the
/// thread that called the run.
struct RunObserver {
  std::function<void(const Progress&)> progress;
  /// One warning per skipped record ("path:line: reason"), in input order, for the first
  /// kMaxSkipWarnings of each input, then one line counting that input's others; report.json
  /// counts all of them by reason.
  std::function<void(const std::string&)> warning;
  /// One line saying which backend runs (and why, with --backend auto), once per run.
  std::function<void(const std::string&)> info;
};

}  // namespace dupscan
