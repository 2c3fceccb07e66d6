// Parquet files for the tests, made and read through dupscan's own conversions (parquet_copy.hpp):
// JSON objects as the rows of a Parquet file, and those rows as JSON objects again. Only in a
// build with Parquet (DUPSCAN_HAVE_PARQUET); the test process registers it on first use.
#pragma once

#ifdef DUPSCAN_HAVE_PARQUET

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "io/parquet_copy.hpp"
#include "io/parquet_input.hpp"
#include "test_util.hpp"

namespace dupscan::test {

/// `lines` (JSON objects, without '\n') as the rows of a new Parquet file at `path`: the columns
/// their top-level fields (JsonParquetWriter's types), `text_field` always one.
inline void write_parquet(const std::string& path, const std::vector<std::string>& lines,
                          const std::string& text_field = "text") {
  register_parquet();
  RecordCopy copy(path, false, text_field, true);
  for (const std::string& line : lines)
    copy.write(std::string(line) + "\n");
  ASSERT_EQ(copy.finish(), 0u) << path;
  ASSERT_EQ(std::rename(copy.release().c_str(), path.c_str()), 0) << path;
}

/// The rows of the Parquet file `path` as JSON objects, one a line; at most `most` of them (rows
/// asked for past the file's end are none, so a count above the file's shows all its rows).
inline std::vector<std::string> parquet_rows(const std::string& path, std::size_t most) {
  register_parquet();
  std::vector<std::int64_t> rows(most);
  std::iota(rows.begin(), rows.end(), std::int64_t{0});
  std::string all;
  rows_as_json_lines(path, rows, [&](std::string_view s) { all += s; });
  return lines_of(all);
}

}  // namespace dupscan::test

#endif
