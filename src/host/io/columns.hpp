// Columns of texts and ids held as Arrow arrays: the Arrow C data interface's structs, views of
// the arrays' buffers (offsets + bytes, the layout every stage reads), and chunks that own the
// arrays they view. Parquet files (parquet_input.cpp) and in-memory tables (the Python package)
// both arrive here, so that everything after them reads texts in place, without a copy.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The Arrow C data and stream interfaces, as the Arrow specification defines them (and with its
// include guards, so that Arrow's own arrow/c/abi.h may be included beside this header).
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
extern "C" {
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
}
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
extern "C" {
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};
}
#endif

#include "dupscan/run.hpp"

namespace dupscan::io {

/// The Arrow types a text or id column may have.
enum class ColumnType : std::uint8_t {
  utf8,        // "u": int32 offsets + bytes
  large_utf8,  // "U": int64 offsets + bytes
  utf8_view,   // "vu": 16-byte views, short strings inline, long ones in variadic buffers
  int8,
  int16,
  int32,
  int64,
  uint8,
  uint16,
  uint32,
  uint64,
};

/// One column of one chunk: pointers into the Arrow array's buffers (no copy).
struct ColumnView {
  ColumnType type = ColumnType::utf8;
  std::int64_t length = 0;
  std::int64_t offset = 0;                 ///< the array's offset (its parents' included)
  const std::uint8_t* validity = nullptr;  ///< null: no nulls
  const void* values = nullptr;            ///< offsets, views or integers
  const char* data = nullptr;              ///< utf8, large_utf8: the bytes
  const char* const* view_data = nullptr;  ///< utf8_view: the variadic buffers

  bool is_string() const { return type <= ColumnType::utf8_view; }
  bool valid(std::int64_t row) const {
    const std::int64_t i = offset + row;
    return validity == nullptr || ((validity[i >> 3] >> (i & 7)) & 1) != 0;
  }
  /// The string at `row` (a string column; the row must be valid).
  std::string_view text(std::int64_t row) const {
    const std::int64_t i = offset + row;
    switch (type) {
      case ColumnType::utf8: {
        const auto* o = static_cast<const std::int32_t*>(values);
        return {data + o[i], static_cast<std::size_t>(o[i + 1] - o[i])};
      }
      case ColumnType::large_utf8: {
        const auto* o = static_cast<const std::int64_t*>(values);
        return {data + o[i], static_cast<std::size_t>(o[i + 1] - o[i])};
      }
      default: {
        const auto* v = static_cast<const std::uint8_t*>(values) + 16 * i;
        std::int32_t len, buf, off;
        std::memcpy(&len, v, 4);
        if (len <= 12) return {reinterpret_cast<const char*>(v + 4), static_cast<std::size_t>(len)};
        std::memcpy(&buf, v + 8, 4);
        std::memcpy(&off, v + 12, 4);
        return {view_data[buf] + off, static_cast<std::size_t>(len)};
      }
    }
  }
  /// Bytes of the strings of rows [begin, end) (a string column).
  std::uint64_t text_bytes(std::int64_t begin, std::int64_t end) const;
  /// Appends the value at `row` as JSON (a number or a string; null for a null).
  void append_json(std::string& out, std::int64_t row) const;
};

/// "string" for "u", "int64" for "l", ...: for messages about a column's type.
std::string arrow_type_name(const char* format);

/// An Arrow schema moved out of the exporter's struct; released with the last array using it.
class OwnedSchema {
 public:
  explicit OwnedSchema(ArrowSchema* schema);  ///< takes it (marks it released)
  ~OwnedSchema();
  OwnedSchema(const OwnedSchema&) = delete;
  OwnedSchema& operator=(const OwnedSchema&) = delete;
  const ArrowSchema& get() const { return schema_; }

 private:
  ArrowSchema schema_{};
};

/// An Arrow array moved out of the exporter's struct, with its schema: released when the last
/// chunk that views it is gone.
class OwnedArray {
 public:
  OwnedArray(std::shared_ptr<const OwnedSchema> schema, ArrowArray* array);  ///< takes array
  ~OwnedArray();
  OwnedArray(const OwnedArray&) = delete;
  OwnedArray& operator=(const OwnedArray&) = delete;
  const ArrowSchema& schema() const { return schema_->get(); }
  const ArrowArray& array() const { return array_; }

 private:
  std::shared_ptr<const OwnedSchema> schema_;
  ArrowArray array_{};
};

/// Rows of a table with the columns a run reads: its text column(s) and, when present, its id.
struct ColumnChunk {
  std::vector<ColumnView> text;  ///< one per '+'-joined part of the text field
  std::optional<ColumnView> id;  ///< the id column, when the table has one
  /// Without an id (no column, or a null): the row number as the id (tables in memory), or
  /// none, so that the run's default "<input>:<row>" applies (Parquet files).
  bool row_ids = false;
  std::int64_t rows = 0;
  std::vector<std::shared_ptr<const void>> owners;  ///< what keeps the buffers alive
};

/**
 * @brief The columns of `text_field` and `id_field` of one chunk: a struct array (a record
 * batch; field paths as in RecordParser: "a.b" nested, "a+b" joined) or, for a plain string
 * array, the array itself as the text. `what` names the input in messages.
 * @throw Error naming the input and column when a text column is missing or not a string column,
 * or the id column's type is not a string or integer type. A missing id column is no error (ids
 * are then the rows' numbers) unless `id_required` (an id field named on purpose): then it is an
 * Error naming the columns there are.
 */
ColumnChunk make_column_chunk(std::shared_ptr<OwnedArray> owned, const std::string& text_field,
                              const std::string& id_field, const std::string& what,
                              bool id_required = false);

/// Top-level column names of a struct schema, ", "-separated (for messages).
std::string column_names(const ArrowSchema& schema);

}  // namespace dupscan::io
