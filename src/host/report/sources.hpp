// The texts a report shows, found again in a run's inputs: one pass over each input, keeping only
// the records asked for, and the input's checksum compared with the one report.json recorded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dupscan/table_input.hpp"

namespace dupscan::report {

/// An input as report.json describes it.
struct RecordedInput {
  std::string path;  ///< as the run named it ("<stdin>" for stdin)
  std::uint64_t bytes = 0;
  std::string xxh3_64;      ///< empty: not recorded (nothing to verify)
  std::uint64_t lines = 0;  ///< lines of a file, rows of a table
  /// A table in memory (compression "arrow": Python's data), not a file: its texts are in the
  /// caller's table, or nowhere.
  bool in_memory = false;
};

/// A record found again.
struct FoundRecord {
  std::string text;
  std::string file;          ///< the input's path as the run named it
  std::uint64_t line = 0;    ///< 1-based line of the record in that input
  std::uint32_t copies = 1;  ///< records of the inputs carrying the same id
};

/// How to read records: the text field(s) (several are joined by '\n', as contam does for
/// benchmarks), the id field, the run's input format ("jsonl", or "text": one document per line),
/// and whether a bad record is an error (benchmarks) or skipped as the run skipped it.
struct RecordFormat {
  std::vector<std::string> text_fields{"text"};
  std::string id_field = "id";
  std::string format = "jsonl";
  bool bad_record_is_error = false;
};

/**
 * @brief Reads `inputs` once each and returns the records whose id (as JSON: the id field
 * minified, else the string "<path>:<line>" for files and the row number for tables) is in
 * `wanted`. The first record of an id is kept; `copies` counts them all.
 * An input named "<stdin>" or "-" cannot be read again and is passed over. An input that was a
 * table in memory is read from `tables`: the first one not used yet of its name (the run's
 * tables, in the run's order: a Python result's data).
 * @param base directory that relative input paths are resolved against ("" = the current one)
 * @throw Error naming the input when it cannot be read or changed since the run (its size or
 * XXH3-64 differs from report.json's), and, in one line saying what to do, for a table in memory
 * that `tables` does not hold (or holds with another number of rows).
 */
std::unordered_map<std::string, FoundRecord> find_records(
    const std::vector<RecordedInput>& inputs, const RecordFormat& format,
    const std::unordered_set<std::string>& wanted, const std::string& base,
    const std::vector<std::shared_ptr<const TableInput>>& tables = {});

/// The path to open for an input named `path` by a run, given `base`.
std::string resolve_input(const std::string& path, const std::string& base);

}  // namespace dupscan::report
