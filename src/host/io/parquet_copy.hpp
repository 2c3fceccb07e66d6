// --write-deduped for Parquet inputs: the kept rows of each input, with all their columns, into
// one Parquet file that appears under its name only when complete (as io::AtomicFile does). The
// writing itself is Apache Arrow's (parquet_input.cpp), in the programs built with it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dupscan {

/// What parquet_input.cpp implements: rows of Parquet files appended to one Parquet file.
class ParquetRowWriter {
 public:
  virtual ~ParquetRowWriter() = default;
  /// Appends rows `rows` (ascending, 0-based) of the Parquet file at `input`.
  virtual void add(const std::string& input, const std::vector<std::int64_t>& rows) = 0;
  /// Writes the footer and closes the file.
  virtual void close() = 0;
};
using ParquetRowWriterFactory = std::unique_ptr<ParquetRowWriter> (*)(const std::string& path);
void set_parquet_row_writer(ParquetRowWriterFactory factory);

class ParquetCopy {
 public:
  /// @throw Error when this build has no Parquet support.
  explicit ParquetCopy(std::string path);
  ~ParquetCopy();  ///< uncommitted: the temporary file is removed
  ParquetCopy(const ParquetCopy&) = delete;
  ParquetCopy& operator=(const ParquetCopy&) = delete;

  void add(const std::string& input, const std::vector<std::int64_t>& rows);
  void finish();  ///< the file is complete under its temporary name
  void commit();  ///< renamed to its name
  /// finish(), then hand the temporary file over (to an io::Commit). @return its path.
  std::string release();

 private:
  std::string path_, tmp_;
  std::unique_ptr<ParquetRowWriter> writer_;
  bool finished_ = false, committed_ = false;
};

}  // namespace dupscan
