/**
 * @file table_input.hpp
 * @brief Inputs already in memory: a table or a column of texts handed over through the Arrow C
 * data interface (what pyarrow, Hugging Face datasets, polars and DuckDB export). The arrays are
 * moved in and read in place: their texts are never copied.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct ArrowSchema;
struct ArrowArray;
struct ArrowArrayStream;

namespace dupscan {

namespace io {
class OwnedArray;
}

/**
 * A table (record batches: struct arrays) or a column (string arrays) in memory. A run reads
 * its text field and id field from it as from JSONL records: "a" a column, "a.b" a field of a
 * struct column, "a+b" columns joined by '\n'. Without the id column, a document's id is its row
 * number (0-based).
 */
class TableInput {
 public:
  /**
   * @brief Takes every array of `stream` (then releases the stream). @throw Error with the
   * stream's message when it fails, and when its arrays are neither struct nor string arrays.
   */
  static std::shared_ptr<const TableInput> from_stream(ArrowArrayStream* stream, std::string name);
  /// Takes one array and its schema (both are marked released). @throw as from_stream.
  static std::shared_ptr<const TableInput> from_array(ArrowSchema* schema, ArrowArray* array,
                                                      std::string name);

  const std::string& name() const { return name_; }
  std::uint64_t rows() const { return rows_; }
  const std::vector<std::shared_ptr<io::OwnedArray>>& chunks() const { return chunks_; }

 private:
  std::string name_;
  std::uint64_t rows_ = 0;
  std::vector<std::shared_ptr<io::OwnedArray>> chunks_;
};

}  // namespace dupscan
