#include "io/columns.hpp"

#include <cinttypes>
#include <cstdio>

#include "dupscan/errors.hpp"
#include "io/record.hpp"

namespace dupscan::io {
namespace {

bool format_is(const char* f, const char* want) {
  return f != nullptr && std::strcmp(f, want) == 0;
}

template <class T>
const T& at(const void* values, std::int64_t i) {
  return static_cast<const T*>(values)[i];
}

// The ColumnView of an array of a supported type, with the offsets of its parents added.
bool view_of(const ArrowSchema& s, const ArrowArray& a, std::int64_t parent_offset, ColumnView& v) {
  static const struct {
    const char* format;
    ColumnType type;
  } kTypes[] = {
      {"u", ColumnType::utf8},   {"U", ColumnType::large_utf8}, {"vu", ColumnType::utf8_view},
      {"c", ColumnType::int8},   {"s", ColumnType::int16},      {"i", ColumnType::int32},
      {"l", ColumnType::int64},  {"C", ColumnType::uint8},      {"S", ColumnType::uint16},
      {"I", ColumnType::uint32}, {"L", ColumnType::uint64}};
  bool found = false;
  for (const auto& t : kTypes) {
    if (format_is(s.format, t.format)) {
      v.type = t.type;
      found = true;
    }
  }
  if (!found || s.dictionary != nullptr) return false;
  v.length = a.length;
  v.offset = a.offset + parent_offset;
  v.validity = a.null_count != 0 ? static_cast<const std::uint8_t*>(a.buffers[0]) : nullptr;
  v.values = a.buffers[1];
  if (v.type == ColumnType::utf8 || v.type == ColumnType::large_utf8) {
    v.data = static_cast<const char*>(a.buffers[2]);
    // An array of empty strings may have no data buffer.
    if (v.data == nullptr) v.data = "";
  } else if (v.type == ColumnType::utf8_view) {
    v.view_data = reinterpret_cast<const char* const*>(a.buffers + 2);
  }
  return true;
}

// The child of a struct array at `path` ("a.b": a's field b; the whole name first), with the
// offset its parents add. False when there is none.
bool find_child(const ArrowSchema& s, const ArrowArray& a, const FieldSpec::Path& path,
                const ArrowSchema*& cs, const ArrowArray*& ca, std::int64_t& offset,
                std::string& problem) {
  for (std::int64_t i = 0; i < s.n_children; ++i) {
    if (format_is(s.children[i]->name, path.whole.c_str())) {
      cs = s.children[i];
      ca = a.children[i];
      offset = a.offset;
      return true;
    }
  }
  const ArrowSchema* ps = &s;
  const ArrowArray* pa = &a;
  std::int64_t off = 0;
  for (const std::string& key : path.keys) {
    if (!format_is(ps->format, "+s")) return false;
    if (pa->null_count != 0 && pa != &a) {
      problem = "struct column with nulls above field '" + path.whole + "'";
      return false;
    }
    bool hit = false;
    for (std::int64_t i = 0; i < ps->n_children; ++i) {
      if (format_is(ps->children[i]->name, key.c_str())) {
        off += pa->offset;
        ps = ps->children[i];
        pa = pa->children[i];
        hit = true;
        break;
      }
    }
    if (!hit) return false;
  }
  cs = ps;
  ca = pa;
  offset = off;
  return true;
}

}  // namespace

std::string arrow_type_name(const char* f) {
  static const struct {
    const char* format;
    const char* name;
  } kNames[] = {
      {"n", "null"},    {"b", "bool"},         {"c", "int8"},         {"C", "uint8"},
      {"s", "int16"},   {"S", "uint16"},       {"i", "int32"},        {"I", "uint32"},
      {"l", "int64"},   {"L", "uint64"},       {"e", "float16"},      {"f", "float32"},
      {"g", "float64"}, {"z", "binary"},       {"Z", "large_binary"}, {"vz", "binary_view"},
      {"u", "string"},  {"U", "large_string"}, {"vu", "string_view"}, {"+s", "struct"},
      {"+l", "list"},   {"+L", "large_list"},  {"+m", "map"}};
  if (f == nullptr) return "unknown";
  for (const auto& n : kNames) {
    if (std::strcmp(f, n.format) == 0) return n.name;
  }
  return std::string("Arrow format '") + f + "'";
}

std::uint64_t ColumnView::text_bytes(std::int64_t begin, std::int64_t end) const {
  if (begin >= end) return 0;
  switch (type) {
    case ColumnType::utf8:
      return static_cast<std::uint64_t>(at<std::int32_t>(values, offset + end) -
                                        at<std::int32_t>(values, offset + begin));
    case ColumnType::large_utf8:
      return static_cast<std::uint64_t>(at<std::int64_t>(values, offset + end) -
                                        at<std::int64_t>(values, offset + begin));
    default: {
      std::uint64_t n = 0;
      for (std::int64_t r = begin; r < end; ++r) {
        std::int32_t len;
        std::memcpy(&len, static_cast<const std::uint8_t*>(values) + 16 * (offset + r), 4);
        n += static_cast<std::uint64_t>(len);
      }
      return n;
    }
  }
}

void ColumnView::append_json(std::string& out, std::int64_t row) const {
  if (!valid(row)) {
    out += "null";
    return;
  }
  const std::int64_t i = offset + row;
  switch (type) {
    case ColumnType::utf8:
    case ColumnType::large_utf8:
    case ColumnType::utf8_view:
      append_json_string(out, text(row));
      return;
    case ColumnType::int8:
      out += std::to_string(at<std::int8_t>(values, i));
      return;
    case ColumnType::int16:
      out += std::to_string(at<std::int16_t>(values, i));
      return;
    case ColumnType::int32:
      out += std::to_string(at<std::int32_t>(values, i));
      return;
    case ColumnType::int64:
      out += std::to_string(at<std::int64_t>(values, i));
      return;
    case ColumnType::uint8:
      out += std::to_string(at<std::uint8_t>(values, i));
      return;
    case ColumnType::uint16:
      out += std::to_string(at<std::uint16_t>(values, i));
      return;
    case ColumnType::uint32:
      out += std::to_string(at<std::uint32_t>(values, i));
      return;
    case ColumnType::uint64:
      out += std::to_string(at<std::uint64_t>(values, i));
      return;
  }
}

OwnedSchema::OwnedSchema(ArrowSchema* schema) : schema_(*schema) {
  schema->release = nullptr;
}

OwnedSchema::~OwnedSchema() {
  if (schema_.release != nullptr) schema_.release(&schema_);
}

OwnedArray::OwnedArray(std::shared_ptr<const OwnedSchema> schema, ArrowArray* array)
    : schema_(std::move(schema)), array_(*array) {
  array->release = nullptr;
}

OwnedArray::~OwnedArray() {
  if (array_.release != nullptr) array_.release(&array_);
}

std::string column_names(const ArrowSchema& schema) {
  std::string names;
  for (std::int64_t i = 0; i < schema.n_children; ++i) {
    if (i) names += ", ";
    names += schema.children[i]->name ? schema.children[i]->name : "";
  }
  return names;
}

ColumnChunk make_column_chunk(std::shared_ptr<OwnedArray> owned, const std::string& text_field,
                              const std::string& id_field, const std::string& what,
                              bool id_required) {
  const ArrowSchema& s = owned->schema();
  const ArrowArray& a = owned->array();
  ColumnChunk c;
  c.rows = a.length;
  if (!format_is(s.format, "+s")) {
    // A column rather than a table: the texts themselves.
    ColumnView v;
    if (!view_of(s, a, 0, v) || !v.is_string()) {
      throw Error(what + ": the texts are " + arrow_type_name(s.format) +
                  ", not strings (string, large_string or string_view)");
    }
    c.text.push_back(v);
    c.owners.push_back(std::move(owned));
    return c;
  }
  if (a.null_count != 0) throw Error(what + ": the table has null rows");
  const FieldSpec text = FieldSpec::parse(
      text_field, "--text-field must be KEY[.KEY...][+KEY...], got '" + text_field + "'");
  for (const FieldSpec::Path& path : text.paths) {
    const ArrowSchema* cs = nullptr;
    const ArrowArray* ca = nullptr;
    std::int64_t off = 0;
    std::string problem;
    if (!find_child(s, a, path, cs, ca, off, problem)) {
      if (!problem.empty()) throw Error(what + ": " + problem);
      std::vector<FieldCandidate> candidates;
      for (std::int64_t i = 0; i < s.n_children; ++i) {
        ColumnView v;
        if (!view_of(*s.children[i], *a.children[i], 0, v) || !v.is_string()) continue;
        const double bytes = a.length > 0 ? static_cast<double>(v.text_bytes(0, a.length)) /
                                                static_cast<double>(a.length)
                                          : 0.0;
        candidates.push_back({s.children[i]->name ? s.children[i]->name : "", bytes});
      }
      const std::string hint = suggest_text_field(candidates, {path.whole, id_field});
      throw Error(what + ": no column '" + path.whole + "' (columns: " + column_names(s) + ")" +
                  (hint.empty() ? "" : "; use --text-field " + hint));
    }
    ColumnView v;
    if (!view_of(*cs, *ca, off, v) || !v.is_string()) {
      throw Error(what + ": column '" + path.whole + "' is " + arrow_type_name(cs->format) +
                  ", not a string column");
    }
    c.text.push_back(v);
  }
  if (!id_field.empty()) {
    const FieldSpec id = FieldSpec::parse(
        id_field, "--id-field must be KEY[.KEY...][+KEY...], got '" + id_field + "'");
    const ArrowSchema* cs = nullptr;
    const ArrowArray* ca = nullptr;
    std::int64_t off = 0;
    std::string problem;
    if (find_child(s, a, id.paths[0], cs, ca, off, problem)) {
      ColumnView v;
      if (!view_of(*cs, *ca, off, v)) {
        throw Error(what + ": id column '" + id.paths[0].whole + "' is " +
                    arrow_type_name(cs->format) + ", not a string or integer column");
      }
      c.id = v;
    } else if (id_required) {
      throw Error(what + ": " +
                  (!problem.empty()
                       ? problem
                       : "no id column '" + id.paths[0].whole + "' (columns: " + column_names(s) +
                             "); name one of them, or leave the id field out for "
                             "row numbers"));
    }
  }
  c.owners.push_back(std::move(owned));
  return c;
}

}  // namespace dupscan::io
