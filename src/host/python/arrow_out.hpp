// Arrow arrays built here and handed to Python through the Arrow C data interface: columns of the
// few types the package's results have (null, bool, int64, uint64, float64, utf8, list, struct),
// filled value by value, then moved into ArrowSchema / ArrowArray / ArrowArrayStream structs whose
// release callbacks free what they own. No Arrow library is linked: pyarrow imports the structs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/columns.hpp"  // the C data interface's structs, as the Arrow specification gives them

namespace dupscan::python {

/// One column being built. Lists and structs hold their children; every other type its values.
struct ArrowColumn {
  enum class Type : std::uint8_t { null, boolean, int64, uint64, float64, utf8, list, struct_ };

  ArrowColumn() = default;
  ArrowColumn(std::string name, Type type);

  std::string name;
  Type type = Type::null;
  /// utf8 marked as the canonical JSON extension type ("arrow.json", pyarrow.json_()).
  bool json = false;
  std::int64_t length = 0;
  std::int64_t null_count = 0;
  std::vector<std::uint8_t> validity;  ///< bitmap, allocated at the first null (none: all valid)
  std::vector<std::uint8_t> values;    ///< fixed-width values, or bits for boolean
  std::vector<std::int32_t> offsets;   ///< utf8 and list: length + 1 of them
  std::string chars;                   ///< utf8's bytes
  std::vector<ArrowColumn> children;   ///< list: its values; struct: its fields

  void append_null();  ///< a null (a struct's children get one each, a list no element)
  void append_bool(bool v);
  void append_int64(std::int64_t v);
  void append_uint64(std::uint64_t v);
  void append_float64(double v);
  void append_utf8(std::string_view v);
  /// list: ends a value whose elements were appended to children[0]; struct: ends a row whose
  /// fields were appended to each child.
  void end_nested();

 private:
  void valid();
};

/// Moves `c` into `schema` and `array` (both released by their release callbacks, as the C data
/// interface specifies).
void export_column(ArrowColumn&& c, ArrowSchema* schema, ArrowArray* array);

/**
 * @brief Moves record batches (struct columns, all of `schema`'s type) into `out`: a stream that
 * yields them in order, then the end.
 * @param schema an empty struct column whose fields give the batches' columns and types.
 */
void export_stream(ArrowColumn&& schema, std::vector<ArrowColumn>&& batches, ArrowArrayStream* out);

}  // namespace dupscan::python
