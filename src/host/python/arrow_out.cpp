#include "arrow_out.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

namespace dupscan::python {
namespace {

using Type = ArrowColumn::Type;

// What a buffer pointer of an empty buffer points at: the C data interface lets consumers read
// a buffer's pointer even for zero bytes, and some refuse a null one where the type has a buffer.
alignas(64) const std::uint8_t kEmpty[64] = {};

void set_bit(std::vector<std::uint8_t>& bits, std::int64_t i, bool v) {
  const auto byte = static_cast<std::size_t>(i / 8);
  if (bits.size() <= byte) bits.resize(byte + 1, 0);
  const auto mask = static_cast<std::uint8_t>(1u << (i % 8));
  bits[byte] = v ? static_cast<std::uint8_t>(bits[byte] | mask)
                 : static_cast<std::uint8_t>(bits[byte] & ~mask);
}

template <class T>
void put(std::vector<std::uint8_t>& bytes, T v) {
  const std::size_t at = bytes.size();
  bytes.resize(at + sizeof(T));
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

const char* format_of(Type t) {
  switch (t) {
    case Type::null:
      return "n";
    case Type::boolean:
      return "b";
    case Type::int64:
      return "l";
    case Type::uint64:
      return "L";
    case Type::float64:
      return "g";
    case Type::utf8:
      return "u";
    case Type::list:
      return "+l";
    case Type::struct_:
      return "+s";
  }
  return "n";
}

// Field metadata as the C data interface encodes it: int32 count, then int32 length + bytes of
// each key and each value (native byte order).
std::string metadata(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  auto int32 = [&](std::size_t n) {
    const auto v = static_cast<std::int32_t>(n);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  };
  int32(pairs.size());
  for (const auto& [k, v] : pairs) {
    int32(k.size());
    out += k;
    int32(v.size());
    out += v;
  }
  return out;
}

struct SchemaOwner {
  std::string format, name, metadata;
  std::vector<ArrowSchema*> children;
};

void release_schema(ArrowSchema* s) {
  auto* o = static_cast<SchemaOwner*>(s->private_data);
  for (ArrowSchema* k : o->children) {
    if (k->release) k->release(k);
    delete k;
  }
  delete o;
  s->release = nullptr;
}

void export_schema(const ArrowColumn& c, ArrowSchema* out) {
  auto o = std::make_unique<SchemaOwner>();
  o->format = format_of(c.type);
  o->name = c.name;
  if (c.json)
    o->metadata =
        metadata({{"ARROW:extension:name", "arrow.json"}, {"ARROW:extension:metadata", ""}});
  for (const ArrowColumn& k : c.children) {
    auto child = std::make_unique<ArrowSchema>();
    child->release = nullptr;
    o->children.push_back(child.get());
    export_schema(k, child.release());  // owned by o from here (release_schema deletes it)
  }
  out->format = o->format.c_str();
  out->name = o->name.c_str();
  out->metadata = o->metadata.empty() ? nullptr : o->metadata.data();
  out->flags = ARROW_FLAG_NULLABLE;
  out->n_children = static_cast<std::int64_t>(o->children.size());
  out->children = o->children.data();
  out->dictionary = nullptr;
  out->release = release_schema;
  out->private_data = o.release();
}

struct ArrayOwner {
  ArrowColumn column;  // the buffers; its children moved into `children`
  std::vector<const void*> buffers;
  std::vector<ArrowArray*> children;
};

void release_array(ArrowArray* a) {
  auto* o = static_cast<ArrayOwner*>(a->private_data);
  for (ArrowArray* k : o->children) {
    if (k->release) k->release(k);
    delete k;
  }
  delete o;
  a->release = nullptr;
}

const void* data_of(const void* p, std::size_t bytes) {
  return bytes ? p : kEmpty;
}

void export_array(ArrowColumn&& c, ArrowArray* out) {
  auto o = std::make_unique<ArrayOwner>();
  std::vector<ArrowColumn> kids = std::move(c.children);
  o->column = std::move(c);
  const ArrowColumn& col = o->column;
  const void* validity = col.null_count ? col.validity.data() : nullptr;
  switch (col.type) {
    case Type::null:
      break;
    case Type::struct_:
      o->buffers = {validity};
      break;
    case Type::list:
      o->buffers = {validity, col.offsets.data()};
      break;
    case Type::utf8:
      o->buffers = {validity, col.offsets.data(), data_of(col.chars.data(), col.chars.size())};
      break;
    default:
      o->buffers = {validity, data_of(col.values.data(), col.values.size())};
      break;
  }
  for (ArrowColumn& k : kids) {
    auto child = std::make_unique<ArrowArray>();
    child->release = nullptr;
    o->children.push_back(child.get());
    export_array(std::move(k), child.release());  // owned by o from here
  }
  out->length = col.length;
  out->null_count = col.null_count;
  out->offset = 0;
  out->n_buffers = static_cast<std::int64_t>(o->buffers.size());
  out->n_children = static_cast<std::int64_t>(o->children.size());
  out->buffers = o->buffers.empty() ? nullptr : o->buffers.data();
  out->children = o->children.data();
  out->dictionary = nullptr;
  out->release = release_array;
  out->private_data = o.release();
}

struct StreamOwner {
  ArrowColumn schema;
  std::vector<ArrowColumn> batches;
  std::size_t next = 0;
  std::string error;
};

int stream_schema(ArrowArrayStream* s, ArrowSchema* out) {
  auto* o = static_cast<StreamOwner*>(s->private_data);
  try {
    export_schema(o->schema, out);
    return 0;
  } catch (const std::exception& e) {
    o->error = e.what();
    return ENOMEM;
  }
}

int stream_next(ArrowArrayStream* s, ArrowArray* out) {
  auto* o = static_cast<StreamOwner*>(s->private_data);
  if (o->next == o->batches.size()) {
    out->release = nullptr;  // the end of the stream
    return 0;
  }
  try {
    export_array(std::move(o->batches[o->next++]), out);
    return 0;
  } catch (const std::exception& e) {
    o->error = e.what();
    return ENOMEM;
  }
}

const char* stream_error(ArrowArrayStream* s) {
  auto* o = static_cast<StreamOwner*>(s->private_data);
  return o->error.empty() ? nullptr : o->error.c_str();
}

void stream_release(ArrowArrayStream* s) {
  delete static_cast<StreamOwner*>(s->private_data);
  s->release = nullptr;
}

}  // namespace

ArrowColumn::ArrowColumn(std::string n, Type t) : name(std::move(n)), type(t) {
  if (t == Type::utf8 || t == Type::list) offsets.push_back(0);
}

void ArrowColumn::valid() {
  if (!validity.empty()) set_bit(validity, length, true);
}

void ArrowColumn::append_null() {
  if (type != Type::null) {
    if (validity.empty()) {  // every earlier row is valid
      validity.assign(static_cast<std::size_t>(length / 8 + 1), 0xff);
    }
    set_bit(validity, length, false);
    switch (type) {
      case Type::boolean:
        set_bit(values, length, false);
        break;
      case Type::int64:
        put<std::int64_t>(values, 0);
        break;
      case Type::uint64:
        put<std::uint64_t>(values, 0);
        break;
      case Type::float64:
        put<double>(values, 0);
        break;
      case Type::utf8:
      case Type::list:
        offsets.push_back(offsets.back());
        break;
      case Type::struct_:
        for (ArrowColumn& k : children)
          k.append_null();
        break;
      case Type::null:
        break;
    }
  }
  ++length;
  ++null_count;
}

void ArrowColumn::append_bool(bool v) {
  valid();
  set_bit(values, length, v);
  ++length;
}

void ArrowColumn::append_int64(std::int64_t v) {
  valid();
  put(values, v);
  ++length;
}

void ArrowColumn::append_uint64(std::uint64_t v) {
  valid();
  put(values, v);
  ++length;
}

void ArrowColumn::append_float64(double v) {
  valid();
  put(values, v);
  ++length;
}

void ArrowColumn::append_utf8(std::string_view v) {
  valid();
  chars.append(v);
  offsets.push_back(static_cast<std::int32_t>(chars.size()));
  ++length;
}

void ArrowColumn::end_nested() {
  valid();
  if (type == Type::list) offsets.push_back(static_cast<std::int32_t>(children.at(0).length));
  ++length;
}

void export_column(ArrowColumn&& c, ArrowSchema* schema, ArrowArray* array) {
  export_schema(c, schema);
  try {
    export_array(std::move(c), array);
  } catch (...) {
    schema->release(schema);
    throw;
  }
}

void export_stream(ArrowColumn&& schema, std::vector<ArrowColumn>&& batches,
                   ArrowArrayStream* out) {
  auto o = std::make_unique<StreamOwner>();
  o->schema = std::move(schema);
  o->batches = std::move(batches);
  out->get_schema = stream_schema;
  out->get_next = stream_next;
  out->get_last_error = stream_error;
  out->release = stream_release;
  out->private_data = o.release();
}

}  // namespace dupscan::python
