// Parquet files through Apache Arrow C++ (parquet::arrow): the DocumentInput of documents.hpp
// and the row copier of parquet_copy.hpp. Compiled as C++20 (Arrow's headers need it) into
// dupscan_parquet, apart from the core, which knows Parquet only through the two hooks that
// register_parquet() sets. Record batches leave Arrow through the C data interface
// (arrow/c/bridge.h) and become the same column chunks as tables in memory.
#include "io/parquet_input.hpp"

#include <arrow/api.h>
#include <arrow/c/bridge.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/properties.h>

#include <arrow/util/float16.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "dupscan/errors.hpp"
#include "io/documents.hpp"
#include "io/json_writer.hpp"
#include "io/parquet_copy.hpp"
#include "io/record.hpp"

namespace dupscan {
namespace {

void check(const arrow::Status& st, const std::string& what) {
  if (!st.ok()) throw Error(what + ": " + st.ToString());
}

template <class T>
T check(arrow::Result<T> r, const std::string& what) {
  check(r.status(), what);
  return std::move(r).ValueOrDie();
}

std::unique_ptr<parquet::arrow::FileReader> open_reader(const std::string& path) {
  auto file = check(arrow::io::ReadableFile::Open(path), "cannot open input '" + path + "'");
  parquet::ArrowReaderProperties props;
  props.set_use_threads(false);  // the run's workers are the parallelism
  parquet::arrow::FileReaderBuilder builder;
  check(builder.Open(file), "cannot read Parquet file '" + path + "'");
  builder.properties(props);
  std::unique_ptr<parquet::arrow::FileReader> reader;
  check(builder.Build(&reader), "cannot read Parquet file '" + path + "'");
  return reader;
}

void leaves_of(const parquet::arrow::SchemaField& f, std::vector<int>& out) {
  if (f.column_index >= 0) out.push_back(f.column_index);
  for (const auto& c : f.children)
    leaves_of(c, out);
}

class ParquetInput : public DocumentInput {
 public:
  // Long: opening checks every named column against the file's schema and metadata before any
  // work (id, text, their types, the rows per batch), one step after the other on one reader.
  ParquetInput(const std::string& path, const OpenOptions& o)
      : path_(path), text_field_(o.text_field), id_field_(o.id_field), id_required_(o.id_required) {
    display_ = path;
    stamp_.path = path;
    stamp_.display = path;
    stamp_.plain = true;
    stamp_source(stamp_);
    auto reader = open_reader(path);
    std::shared_ptr<arrow::Schema> schema;
    check(reader->GetSchema(&schema), "cannot read the schema of '" + path + "'");
    // The top-level columns the fields name (a nested path reads its whole top column).
    std::vector<std::string> wanted;
    const FieldSpec text = FieldSpec::parse(
        text_field_, "--text-field must be KEY[.KEY...][+KEY...], got '" + text_field_ + "'");
    for (const auto& p : text.paths) {
      wanted.push_back(schema->GetFieldIndex(p.whole) >= 0 ? p.whole : p.keys.front());
    }
    if (!id_field_.empty()) {
      const FieldSpec id = FieldSpec::parse(
          id_field_, "--id-field must be KEY[.KEY...][+KEY...], got '" + id_field_ + "'");
      const auto& p = id.paths.front();
      wanted.push_back(schema->GetFieldIndex(p.whole) >= 0 ? p.whole : p.keys.front());
      if (id_required_ && schema->GetFieldIndex(wanted.back()) < 0) {
        std::string names;
        for (const auto& f : schema->fields())
          names += (names.empty() ? "" : ", ") + f->name();
        throw Error("'" + path + "': no id column '" + p.whole + "' (columns: " + names +
                    "); name one of them, or leave the id field out for row numbers");
      }
    }
    const auto& manifest = reader->manifest();
    for (int i = 0; i < schema->num_fields(); ++i) {
      if (std::find(wanted.begin(), wanted.end(), schema->field(i)->name()) != wanted.end()) {
        leaves_of(manifest.schema_fields[static_cast<std::size_t>(i)], columns_);
      }
    }
    std::sort(columns_.begin(), columns_.end());
    columns_.erase(std::unique(columns_.begin(), columns_.end()), columns_.end());
    const auto md = reader->parquet_reader()->metadata();
    std::uint64_t row = 0;
    for (int g = 0; g < md->num_row_groups(); ++g) {
      group_start_.push_back(row);
      row += static_cast<std::uint64_t>(md->RowGroup(g)->num_rows());
    }
    group_start_.push_back(row);
    file_bytes_ = static_cast<std::uint64_t>(std::max<std::int64_t>(stamp_.size, 0));
    // A missing text column fails now, before any work, naming the columns there are.
    for (const auto& p : text.paths) {
      const std::string top = schema->GetFieldIndex(p.whole) >= 0 ? p.whole : p.keys.front();
      if (schema->GetFieldIndex(top) < 0) {
        std::string names;
        std::vector<FieldCandidate> candidates;
        for (int i = 0; i < schema->num_fields(); ++i) {
          const auto& f = schema->field(i);
          names += (names.empty() ? "" : ", ") + f->name();
          if (f->type()->id() != arrow::Type::STRING &&
              f->type()->id() != arrow::Type::LARGE_STRING) {
            continue;
          }
          // Its size in the metadata, per row: a label column (dictionary-encoded, short) is
          // small, a text column large.
          std::vector<int> leaves;
          leaves_of(manifest.schema_fields[static_cast<std::size_t>(i)], leaves);
          double size = 0;
          for (int g = 0; g < md->num_row_groups(); ++g) {
            for (int c : leaves)
              size +=
                  static_cast<double>(md->RowGroup(g)->ColumnChunk(c)->total_uncompressed_size());
          }
          candidates.push_back({f->name(), row > 0 ? size / static_cast<double>(row) : 0.0});
        }
        const std::string hint = suggest_text_field(candidates, {p.whole, id_field_});
        throw Error("'" + path + "': no column '" + p.whole + "' (columns: " + names + ")" +
                    (hint.empty() ? "" : "; use --text-field " + hint));
      }
    }
    // Rows per record batch: about 1 MB of text, from the text column's size in the metadata.
    std::int64_t text_size = 0;
    for (int g = 0; g < md->num_row_groups(); ++g) {
      for (int c : columns_)
        text_size += md->RowGroup(g)->ColumnChunk(c)->total_uncompressed_size();
    }
    const double per_row = row > 0 ? static_cast<double>(text_size) / static_cast<double>(row) : 1;
    batch_rows_ = static_cast<std::int64_t>(std::clamp(
        static_cast<double>(std::size_t{1} << 20) / std::max(per_row, 1.0), 64.0, 65536.0));
  }

  bool columnar() const override { return true; }
  bool parquet() const override { return true; }

  bool next(DocBatch& b, std::size_t) override {
    b.clear_columns();
    b.lines.clear();
    if (done_) return false;
    if (!batches_) {
      reader_ = open_reader(path_);
      reader_->set_batch_size(batch_rows_);
      std::vector<int> groups(group_start_.size() - 1);
      for (std::size_t g = 0; g < groups.size(); ++g)
        groups[g] = static_cast<int>(g);
      batches_ = check(reader_->GetRecordBatchReader(groups, columns_),
                       "cannot read Parquet file '" + path_ + "'");
    }
    for (;;) {
      std::shared_ptr<arrow::RecordBatch> rb;
      check(batches_->ReadNext(&rb), "cannot read Parquet file '" + path_ + "'");
      if (!rb) {
        done_ = true;
        batches_.reset();
        reader_.reset();
        checksum_ = io::file_xxh3_64(path_);
        return false;
      }
      if (rb->num_rows() == 0) continue;
      b.chunk = chunk_of(*rb);
      b.row_begin = 0;
      b.row_end = rb->num_rows();
      b.first_row = rows_;
      std::uint64_t bytes = 0;
      for (const io::ColumnView& v : b.chunk->text)
        bytes += v.text_bytes(0, rb->num_rows());
      b.size = bytes;
      text_bytes_ += bytes;
      rows_ += static_cast<std::uint64_t>(rb->num_rows());
      return true;
    }
  }

  void summarize(InputSummary& s) const override {
    s.compression = "parquet";
    s.bytes = file_bytes_;
    s.text_bytes = text_bytes_;
    s.lines = rows_;
    s.xxh3_64 = checksum_;
  }

  void fetch(const std::vector<Locator>& loc, const std::uint32_t* docs, std::size_t n,
             std::size_t batch_bytes, const std::function<void(DocBatch&)>& consume) override {
    RereadSource now = stamp_;
    stamp_source(now);
    if (now.size != stamp_.size || now.mtime_ns != stamp_.mtime_ns) {
      throw Error("input '" + path_ +
                  "' changed while dupscan was running; run again on a stable copy");
    }
    auto reader = open_reader(path_);
    DocBatch b;
    std::size_t i = 0;
    while (i < n) {
      check_interrupt();
      const std::uint64_t row = loc[docs[i]].offset;
      const auto g =
          static_cast<std::size_t>(std::upper_bound(group_start_.begin(), group_start_.end(), row) -
                                   group_start_.begin() - 1);
      const std::shared_ptr<arrow::Table> table =
          check(reader->ReadRowGroup(static_cast<int>(g), columns_),
                "cannot read Parquet file '" + path_ + "'");
      auto rb = check(table->CombineChunksToBatch(), "cannot read Parquet file '" + path_ + "'");
      b.chunk = chunk_of(*rb);
      b.first_row = group_start_[g];
      b.input = loc[docs[i]].input;
      b.rows.clear();
      b.docs.clear();
      std::uint64_t bytes = 0;
      for (; i < n && loc[docs[i]].offset < group_start_[g + 1]; ++i) {
        b.rows.push_back(static_cast<std::int64_t>(loc[docs[i]].offset - group_start_[g]));
        b.docs.push_back(docs[i]);
        bytes += loc[docs[i]].length;
        if (bytes >= batch_bytes) {
          consume(b);
          b.rows.clear();
          b.docs.clear();
          bytes = 0;
        }
      }
      if (!b.rows.empty()) consume(b);
    }
  }

 private:
  std::shared_ptr<const io::ColumnChunk> chunk_of(const arrow::RecordBatch& rb) const {
    ArrowArray array{};
    ArrowSchema schema{};
    check(arrow::ExportRecordBatch(rb, &array, &schema), "cannot export '" + path_ + "'");
    auto owned =
        std::make_shared<io::OwnedArray>(std::make_shared<io::OwnedSchema>(&schema), &array);
    return std::make_shared<io::ColumnChunk>(io::make_column_chunk(
        std::move(owned), text_field_, id_field_, "'" + path_ + "'", id_required_));
  }

  std::string path_, text_field_, id_field_;
  bool id_required_ = false;
  RereadSource stamp_;
  std::vector<int> columns_;                // leaf columns read
  std::vector<std::uint64_t> group_start_;  // first row of each row group, then the row count
  std::int64_t batch_rows_ = 1024;
  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::shared_ptr<arrow::RecordBatchReader> batches_;
  bool done_ = false;
  std::uint64_t rows_ = 0, text_bytes_ = 0, file_bytes_ = 0;
  std::string checksum_;
};

class RowWriter : public ParquetRowWriter {
 public:
  explicit RowWriter(const std::string& path) : path_(path) {
    out_ = check(arrow::io::FileOutputStream::Open(path), "cannot create '" + path + "'");
  }

  void add(const std::string& input, const std::vector<std::int64_t>& rows) override {
    auto reader = open_reader(input);
    std::shared_ptr<arrow::Schema> schema;
    check(reader->GetSchema(&schema), "cannot read the schema of '" + input + "'");
    if (!writer_) {
      first_ = input;
      parquet::WriterProperties::Builder props;
      props.compression(parquet::Compression::ZSTD);
      writer_ = check(parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), out_,
                                                       props.build()),
                      "cannot write '" + path_ + "'");
      schema_ = schema;
    } else if (!schema->Equals(*schema_, false)) {
      throw Error("--write-deduped writes one Parquet file, and '" + input +
                  "' has other columns than '" + first_ + "'");
    }
    const auto md = reader->parquet_reader()->metadata();
    std::int64_t start = 0;
    std::size_t i = 0;
    for (int g = 0; g < md->num_row_groups() && i < rows.size(); ++g) {
      const std::int64_t end = start + md->RowGroup(g)->num_rows();
      if (rows[i] >= end) {
        start = end;
        continue;
      }
      const std::shared_ptr<arrow::Table> table =
          check(reader->ReadRowGroup(g), "cannot read Parquet file '" + input + "'");
      std::vector<std::shared_ptr<arrow::Table>> runs;
      while (i < rows.size() && rows[i] < end) {
        std::size_t j = i + 1;
        while (j < rows.size() && rows[j] == rows[j - 1] + 1 && rows[j] < end)
          ++j;
        runs.push_back(table->Slice(rows[i] - start, static_cast<std::int64_t>(j - i)));
        i = j;
      }
      auto kept = check(arrow::ConcatenateTables(runs), "cannot copy rows of '" + input + "'");
      check(writer_->WriteTable(*kept, std::max<std::int64_t>(kept->num_rows(), 1)),
            "cannot write '" + path_ + "'");
      start = end;
    }
  }

  void close() override {
    if (!writer_) {
      throw Error("cannot write '" + path_ + "': no input");
    }
    check(writer_->Close(), "cannot write '" + path_ + "'");
    check(out_->Close(), "cannot write '" + path_ + "'");
  }

 private:
  std::string path_, first_;
  std::shared_ptr<arrow::io::FileOutputStream> out_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  std::shared_ptr<arrow::Schema> schema_;
};

// ---- Parquet rows as JSON objects
// ----------------------------------------------------------------
//
// One object per row, its columns as fields in the schema's order. Types: null -> null; bool ->
// true/false; integers -> numbers (exact); floats -> the shortest number that reads back as the
// value, NaN and infinities (no JSON form) -> null; decimals -> numbers, exact digits; strings ->
// strings; binary -> strings of their base64 (RFC 4648, padded); date32/date64 -> "YYYY-MM-DD";
// timestamps -> "YYYY-MM-DDTHH:MM:SS[.fraction]" in the unit's digits, with "Z" when the column
// has a time zone (the value is UTC); lists -> arrays; structs -> objects; maps with string keys ->
// objects; dictionary-encoded columns -> their values; the arrow.json extension -> its JSON text
// as is. Every other type (time of day, durations, intervals, unions, maps with other keys, ...)
// is a usage error before any work (json_problem), naming the column.

bool json_type_ok(const arrow::DataType& t) {
  using arrow::Type;
  switch (t.id()) {
    case Type::NA:
    case Type::BOOL:
    case Type::INT8:
    case Type::INT16:
    case Type::INT32:
    case Type::INT64:
    case Type::UINT8:
    case Type::UINT16:
    case Type::UINT32:
    case Type::UINT64:
    case Type::HALF_FLOAT:
    case Type::FLOAT:
    case Type::DOUBLE:
    case Type::DECIMAL32:
    case Type::DECIMAL64:
    case Type::DECIMAL128:
    case Type::DECIMAL256:
    case Type::STRING:
    case Type::LARGE_STRING:
    case Type::STRING_VIEW:
    case Type::BINARY:
    case Type::LARGE_BINARY:
    case Type::BINARY_VIEW:
    case Type::FIXED_SIZE_BINARY:
    case Type::DATE32:
    case Type::DATE64:
    case Type::TIMESTAMP:
      return true;
    case Type::LIST:
    case Type::LARGE_LIST:
    case Type::FIXED_SIZE_LIST:
      return json_type_ok(*t.field(0)->type());
    case Type::STRUCT:
      for (const auto& f : t.fields())
        if (!json_type_ok(*f->type())) return false;
      return true;
    case Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(t);
      const auto k = m.key_type()->id();
      return (k == Type::STRING || k == Type::LARGE_STRING || k == Type::STRING_VIEW) &&
             json_type_ok(*m.item_type());
    }
    case Type::DICTIONARY:
      return json_type_ok(*static_cast<const arrow::DictionaryType&>(t).value_type());
    case Type::EXTENSION: {
      const auto& e = static_cast<const arrow::ExtensionType&>(t);
      return e.extension_name() == "arrow.json" || json_type_ok(*e.storage_type());
    }
    default:
      return false;
  }
}

std::string parquet_json_problem(const std::string& input) {
  try {
    auto reader = open_reader(input);
    std::shared_ptr<arrow::Schema> schema;
    check(reader->GetSchema(&schema), "cannot read the schema of '" + input + "'");
    for (const auto& f : schema->fields()) {
      if (!json_type_ok(*f->type())) {
        return "column '" + f->name() + "' (" + f->type()->ToString() + ")";
      }
    }
    return "";
  } catch (const parquet::ParquetException& e) {
    throw Error("cannot read Parquet file '" + input + "': " + e.what());
  }
}

void append_base64(std::string& out, std::string_view b) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const auto v = (std::uint32_t{static_cast<unsigned char>(b[i])} << 16) |
                   (std::uint32_t{static_cast<unsigned char>(b[i + 1])} << 8) |
                   std::uint32_t{static_cast<unsigned char>(b[i + 2])};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < b.size()) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(b[i])} << 16;
    if (i + 1 < b.size()) v |= std::uint32_t{static_cast<unsigned char>(b[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < b.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

// Days since 1970-01-01 as "YYYY-MM-DD" (H. Hinnant's civil_from_days).
void append_date(std::string& out, std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  out += buf;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

void append_timestamp(std::string& out, std::int64_t v, arrow::TimeUnit::type unit, bool utc) {
  std::int64_t per_second = 1;
  int digits = 0;
  switch (unit) {
    case arrow::TimeUnit::SECOND:
      break;
    case arrow::TimeUnit::MILLI:
      per_second = 1000;
      digits = 3;
      break;
    case arrow::TimeUnit::MICRO:
      per_second = 1000000;
      digits = 6;
      break;
    case arrow::TimeUnit::NANO:
      per_second = 1000000000;
      digits = 9;
      break;
  }
  const std::int64_t secs = floor_div(v, per_second), frac = v - secs * per_second;
  const std::int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
  out += '"';
  append_date(out, days);
  char buf[48];
  std::snprintf(buf, sizeof buf, "T%02lld:%02lld:%02lld", static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  out += buf;
  if (digits > 0) {
    std::snprintf(buf, sizeof buf, ".%0*lld", digits, static_cast<long long>(frac));
    out += buf;
  }
  if (utc) out += 'Z';
  out += '"';
}

template <class F>
void append_float(std::string& out, F v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

template <class A>
const A& as(const arrow::Array& a) {
  return static_cast<const A&>(a);
}

void append_json_value(std::string& out, const arrow::Array& a, std::int64_t i);

template <class L>
void append_list(std::string& out, const L& l, std::int64_t i) {
  out += '[';
  const auto begin = static_cast<std::int64_t>(l.value_offset(i));
  const auto n = static_cast<std::int64_t>(l.value_length(i));
  for (std::int64_t k = 0; k < n; ++k) {
    if (k) out += ',';
    append_json_value(out, *l.values(), begin + k);
  }
  out += ']';
}

std::string_view string_at(const arrow::Array& a, std::int64_t i) {
  switch (a.type_id()) {
    case arrow::Type::STRING:
      return as<arrow::StringArray>(a).GetView(i);
    case arrow::Type::LARGE_STRING:
      return as<arrow::LargeStringArray>(a).GetView(i);
    case arrow::Type::STRING_VIEW:
      return as<arrow::StringViewArray>(a).GetView(i);
    default:
      throw Error("not a string column: " + a.type()->ToString());
  }
}

// Long: one switch over Arrow's type ids, a case per type, each a few lines.
void append_json_value(std::string& out, const arrow::Array& a, const std::int64_t i) {
  using arrow::Type;
  if (a.IsNull(i)) {
    out += "null";
    return;
  }
  switch (a.type_id()) {
    case Type::NA:
      out += "null";
      return;
    case Type::BOOL:
      out += as<arrow::BooleanArray>(a).Value(i) ? "true" : "false";
      return;
    case Type::INT8:
      out += std::to_string(as<arrow::Int8Array>(a).Value(i));
      return;
    case Type::INT16:
      out += std::to_string(as<arrow::Int16Array>(a).Value(i));
      return;
    case Type::INT32:
      out += std::to_string(as<arrow::Int32Array>(a).Value(i));
      return;
    case Type::INT64:
      out += std::to_string(as<arrow::Int64Array>(a).Value(i));
      return;
    case Type::UINT8:
      out += std::to_string(as<arrow::UInt8Array>(a).Value(i));
      return;
    case Type::UINT16:
      out += std::to_string(as<arrow::UInt16Array>(a).Value(i));
      return;
    case Type::UINT32:
      out += std::to_string(as<arrow::UInt32Array>(a).Value(i));
      return;
    case Type::UINT64:
      out += std::to_string(as<arrow::UInt64Array>(a).Value(i));
      return;
    case Type::HALF_FLOAT:
      append_float(
          out,
          static_cast<float>(
              arrow::util::Float16::FromBits(as<arrow::HalfFloatArray>(a).Value(i)).ToFloat()));
      return;
    case Type::FLOAT:
      append_float(out, as<arrow::FloatArray>(a).Value(i));
      return;
    case Type::DOUBLE:
      append_float(out, as<arrow::DoubleArray>(a).Value(i));
      return;
    case Type::DECIMAL32:
      out += as<arrow::Decimal32Array>(a).FormatValue(i);
      return;
    case Type::DECIMAL64:
      out += as<arrow::Decimal64Array>(a).FormatValue(i);
      return;
    case Type::DECIMAL128:
      out += as<arrow::Decimal128Array>(a).FormatValue(i);
      return;
    case Type::DECIMAL256:
      out += as<arrow::Decimal256Array>(a).FormatValue(i);
      return;
    case Type::STRING:
    case Type::LARGE_STRING:
    case Type::STRING_VIEW:
      append_json_string(out, string_at(a, i));
      return;
    case Type::BINARY:
      append_base64(out, as<arrow::BinaryArray>(a).GetView(i));
      return;
    case Type::LARGE_BINARY:
      append_base64(out, as<arrow::LargeBinaryArray>(a).GetView(i));
      return;
    case Type::BINARY_VIEW:
      append_base64(out, as<arrow::BinaryViewArray>(a).GetView(i));
      return;
    case Type::FIXED_SIZE_BINARY:
      append_base64(out, as<arrow::FixedSizeBinaryArray>(a).GetView(i));
      return;
    case Type::DATE32:
      out += '"';
      append_date(out, as<arrow::Date32Array>(a).Value(i));
      out += '"';
      return;
    case Type::DATE64:
      out += '"';
      append_date(out, floor_div(as<arrow::Date64Array>(a).Value(i), 86400000));
      out += '"';
      return;
    case Type::TIMESTAMP: {
      const auto& t = static_cast<const arrow::TimestampType&>(*a.type());
      append_timestamp(out, as<arrow::TimestampArray>(a).Value(i), t.unit(), !t.timezone().empty());
      return;
    }
    case Type::LIST:
      append_list(out, as<arrow::ListArray>(a), i);
      return;
    case Type::LARGE_LIST:
      append_list(out, as<arrow::LargeListArray>(a), i);
      return;
    case Type::FIXED_SIZE_LIST:
      append_list(out, as<arrow::FixedSizeListArray>(a), i);
      return;
    case Type::STRUCT: {
      const auto& st = as<arrow::StructArray>(a);
      out += '{';
      for (int k = 0; k < st.num_fields(); ++k) {
        if (k) out += ',';
        append_json_string(out, st.struct_type()->field(k)->name());
        out += ':';
        append_json_value(out, *st.field(k), i);
      }
      out += '}';
      return;
    }
    case Type::MAP: {
      const auto& m = as<arrow::MapArray>(a);
      out += '{';
      const auto begin = static_cast<std::int64_t>(m.value_offset(i));
      const auto n = static_cast<std::int64_t>(m.value_length(i));
      for (std::int64_t k = 0; k < n; ++k) {
        if (k) out += ',';
        append_json_string(out, string_at(*m.keys(), begin + k));
        out += ':';
        append_json_value(out, *m.items(), begin + k);
      }
      out += '}';
      return;
    }
    case Type::DICTIONARY: {
      const auto& d = as<arrow::DictionaryArray>(a);
      append_json_value(out, *d.dictionary(), d.GetValueIndex(i));
      return;
    }
    case Type::EXTENSION: {
      const auto& e = as<arrow::ExtensionArray>(a);
      const auto& t = static_cast<const arrow::ExtensionType&>(*a.type());
      if (t.extension_name() == "arrow.json") {
        out += string_at(*e.storage(), i);
      } else {
        append_json_value(out, *e.storage(), i);
      }
      return;
    }
    default:
      throw Error("a column of type " + a.type()->ToString() + " has no JSON form");
  }
}

void parquet_rows_as_json(const std::string& input, const std::vector<std::int64_t>& rows,
                          const std::function<void(std::string_view)>& emit) {
  try {
    auto reader = open_reader(input);
    const auto md = reader->parquet_reader()->metadata();
    std::int64_t start = 0;
    std::size_t i = 0;
    std::string out;
    for (int g = 0; g < md->num_row_groups() && i < rows.size(); ++g) {
      const std::int64_t end = start + md->RowGroup(g)->num_rows();
      if (rows[i] >= end) {
        start = end;
        continue;
      }
      const std::shared_ptr<arrow::Table> table =
          check(reader->ReadRowGroup(g), "cannot read Parquet file '" + input + "'");
      auto rb = check(table->CombineChunksToBatch(), "cannot read Parquet file '" + input + "'");
      const auto& names = rb->schema()->fields();
      for (; i < rows.size() && rows[i] < end; ++i) {
        const std::int64_t r = rows[i] - start;
        out.clear();
        out += '{';
        for (int c = 0; c < rb->num_columns(); ++c) {
          if (c) out += ',';
          append_json_string(out, names[static_cast<std::size_t>(c)]->name());
          out += ':';
          append_json_value(out, *rb->column(c), r);
        }
        out += "}\n";
        emit(out);
      }
      start = end;
    }
  } catch (const parquet::ParquetException& e) {
    throw Error("cannot read Parquet file '" + input + "': " + e.what());
  }
}

// ---- JSON objects as Parquet rows
// ----------------------------------------------------------------
//
// The columns are the records' top-level fields, in the order they first appear (the text field
// first when no record has it: a Parquet copy always has its text column). A column's type is
// inferred from every record written, so that records need not agree:
//   - the values' one JSON type, nulls aside: bool -> bool, integers in int64 -> int64, strings
//     -> string (utf8);
//   - integers and other numbers mixed -> float64 (double);
//   - anything else -- objects, arrays, integers beyond int64, or values of different JSON types
//     (a string here, a number there) -> the column holds each value's JSON text, as written, as
//     a string with the canonical arrow.json extension type (pyarrow reads it as pa.json_());
//   - a column with nulls only -> null.
// A field a record lacks is null in its row. The records are spooled to a temporary file beside
// the copy while the types are inferred, then read again into row groups of kRowsPerGroup rows.

constexpr std::int64_t kRowsPerGroup = 65536;  // Arrow's default row group is 1Mi rows; smaller
                                               // keeps the builders' memory low for long texts

enum class JsonKind : std::uint8_t { none, boolean, int64, float64, string, json };

JsonKind merge_kind(JsonKind a, JsonKind b) {
  if (a == JsonKind::none) return b;
  if (b == JsonKind::none || a == b) return a;
  if ((a == JsonKind::int64 && b == JsonKind::float64) ||
      (a == JsonKind::float64 && b == JsonKind::int64)) {
    return JsonKind::float64;
  }
  return JsonKind::json;
}

// The JSON text of a value as written (scalars: the token, trailing spaces cut).
std::string_view raw_text(simdjson::ondemand::value& v) {
  simdjson::ondemand::json_type t;
  if (v.type().get(t)) return {};
  std::string_view s;
  if (t == simdjson::ondemand::json_type::object) {
    simdjson::ondemand::object o;
    if (v.get_object().get(o) || o.raw_json().get(s)) return {};
    return s;
  }
  if (t == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array a;
    if (v.get_array().get(a) || a.raw_json().get(s)) return {};
    return s;
  }
  s = v.raw_json_token();
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

class JsonRowsWriter : public JsonParquetWriter {
 public:
  JsonRowsWriter(const std::string& path, const std::string& text_field)
      : path_(path), text_field_(text_field) {
    spool_path_ = io::temp_path(path, "spool");
    spool_ = std::fopen(spool_path_.c_str(), "wbx");
    if (!spool_) io::throw_errno("create", spool_path_);
  }
  ~JsonRowsWriter() override {
    if (spool_) std::fclose(spool_);
    ::unlink(spool_path_.c_str());
  }

  void add_line(std::string_view line) override {
    // Blank lines are no records.
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    if (!visit(line, [this](std::size_t col, JsonKind k, simdjson::ondemand::value&) {
          columns_[col].kind = merge_kind(columns_[col].kind, k);
          return true;
        })) {
      ++left_out_;
      return;
    }
    if (std::fwrite(line.data(), 1, line.size(), spool_) != line.size() ||
        std::fputc('\n', spool_) == EOF) {
      io::throw_errno("write", spool_path_);
    }
  }

  // Long: the spool closed, the schema made from every row seen (the text field's column added
  // when no record had it), then the Parquet file written from the spool in record batches, as
  // one step after the other over the same columns.
  std::uint64_t close() override {
    if (std::fclose(spool_) != 0) {
      spool_ = nullptr;
      io::throw_errno("write", spool_path_);
    }
    spool_ = nullptr;
    // The text field's column, when no record had it: a top-level name only (a nested path's
    // first key, if some record had it, is its column already).
    const std::string text = FieldSpec::split(text_field_, "--text-field").front();
    const std::string top = text.substr(0, text.find('.'));
    if (!text.empty() && index_.find(text) == index_.end() && index_.find(top) == index_.end()) {
      index_.emplace(text, columns_.size());
      columns_.push_back({text, JsonKind::string});
    }
    arrow::FieldVector fields;
    for (const Column& c : columns_) {
      std::shared_ptr<arrow::DataType> type;
      std::shared_ptr<const arrow::KeyValueMetadata> meta;
      switch (c.kind) {
        case JsonKind::none:
          type = arrow::null();
          break;
        case JsonKind::boolean:
          type = arrow::boolean();
          break;
        case JsonKind::int64:
          type = arrow::int64();
          break;
        case JsonKind::float64:
          type = arrow::float64();
          break;
        case JsonKind::string:
          type = arrow::utf8();
          break;
        case JsonKind::json:
          type = arrow::utf8();
          meta = arrow::key_value_metadata({"ARROW:extension:name", "ARROW:extension:metadata"},
                                           {"arrow.json", ""});
          break;
      }
      fields.push_back(arrow::field(c.name, type, true, meta));
    }
    schema_ = arrow::schema(fields);
    auto out = check(arrow::io::FileOutputStream::Open(path_), "cannot create '" + path_ + "'");
    parquet::WriterProperties::Builder props;
    props.compression(parquet::Compression::ZSTD);
    auto writer = check(parquet::arrow::FileWriter::Open(*schema_, arrow::default_memory_pool(),
                                                         out, props.build()),
                        "cannot write '" + path_ + "'");
    std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
    for (const auto& f : fields)
      builders.push_back(check(arrow::MakeBuilder(f->type()), "cannot write '" + path_ + "'"));
    std::FILE* in = std::fopen(spool_path_.c_str(), "rb");
    if (!in) io::throw_errno("open", spool_path_);
    std::int64_t rows = 0;
    auto flush = [&] {
      std::vector<std::shared_ptr<arrow::Array>> arrays;
      for (auto& b : builders)
        arrays.push_back(check(b->Finish(), "cannot write '" + path_ + "'"));
      auto batch = arrow::RecordBatch::Make(schema_, rows, arrays);
      check(writer->WriteRecordBatch(*batch), "cannot write '" + path_ + "'");
      rows = 0;
    };
    std::vector<char> seen(columns_.size());
    char* buf = nullptr;
    std::size_t cap = 0;
    ssize_t n;
    bool wrote = false;
    while ((n = ::getline(&buf, &cap, in)) > 0) {
      std::string_view line(buf, static_cast<std::size_t>(n));
      if (line.back() == '\n') line.remove_suffix(1);
      std::fill(seen.begin(), seen.end(), 0);
      visit(line, [&](std::size_t col, JsonKind k, simdjson::ondemand::value& v) {
        seen[col] = 1;
        append(*builders[col], columns_[col].kind, k, v);
        return true;
      });
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (!seen[c]) check(builders[c]->AppendNull(), "cannot write '" + path_ + "'");
      }
      if (++rows == kRowsPerGroup) {
        flush();
        wrote = true;
      }
    }
    std::free(buf);
    std::fclose(in);
    if (rows > 0 || !wrote) flush();
    check(writer->Close(), "cannot write '" + path_ + "'");
    check(out->Close(), "cannot write '" + path_ + "'");
    return left_out_;
  }

 private:
  struct Column {
    std::string name;
    JsonKind kind = JsonKind::none;
  };

  // Calls f(column, kind, value) for each top-level field of the object `line` (the first of
  // a key given twice). @return false when `line` is not a JSON object. (Text after the object
  // goes unnoticed: simdjson 3.0 has no document::at_end; pass 1 has read every line already.)
  template <class F>
  bool visit(std::string_view line, F&& f) {
    padded_.assign(line.data(), line.size());
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (parser_.iterate(padded_.data(), line.size(), padded_.size()).get(doc)) return false;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return false;
    row_seen_.clear();
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      simdjson::ondemand::value v;
      if (field.value().get(v)) return false;
      auto it = index_.find(std::string(key));
      if (it == index_.end()) {
        it = index_.emplace(std::string(key), columns_.size()).first;
        columns_.push_back({std::string(key), JsonKind::none});
      }
      const std::size_t col = it->second;
      if (row_seen_.size() <= col) row_seen_.resize(columns_.size(), 0);
      if (row_seen_[col]) {
        raw_text(v);  // skip its value
        continue;
      }
      row_seen_[col] = 1;
      if (!f(col, kind_of(v), v)) return false;
    }
    return true;
  }

  static JsonKind kind_of(simdjson::ondemand::value& v) {
    using simdjson::ondemand::json_type;
    json_type t;
    if (v.type().get(t)) return JsonKind::json;
    switch (t) {
      case json_type::null:
        return JsonKind::none;
      case json_type::boolean:
        return JsonKind::boolean;
      case json_type::string:
        return JsonKind::string;
      case json_type::number: {
        simdjson::ondemand::number_type nt;
        if (v.get_number_type().get(nt)) return JsonKind::json;  // beyond 64 bits
        if (nt == simdjson::ondemand::number_type::signed_integer) return JsonKind::int64;
        if (nt == simdjson::ondemand::number_type::floating_point_number) return JsonKind::float64;
        return JsonKind::json;  // an unsigned integer beyond int64
      }
      default:
        return JsonKind::json;
    }
  }

  void append(arrow::ArrayBuilder& b, JsonKind column, JsonKind value,
              simdjson::ondemand::value& v) {
    const std::string what = "cannot write '" + path_ + "'";
    if (value == JsonKind::none && column != JsonKind::json) {
      check(b.AppendNull(), what);
      return;
    }
    switch (column) {
      case JsonKind::none:
        check(b.AppendNull(), what);
        return;
      case JsonKind::boolean: {
        bool x = false;
        const auto err = v.get_bool().get(x);
        (void)err;
        check(static_cast<arrow::BooleanBuilder&>(b).Append(x), what);
        return;
      }
      case JsonKind::int64: {
        std::int64_t x = 0;
        const auto err = v.get_int64().get(x);
        (void)err;
        check(static_cast<arrow::Int64Builder&>(b).Append(x), what);
        return;
      }
      case JsonKind::float64: {
        double x = 0;
        const auto err = v.get_double().get(x);
        (void)err;
        check(static_cast<arrow::DoubleBuilder&>(b).Append(x), what);
        return;
      }
      case JsonKind::string: {
        std::string_view x;
        const auto err = v.get_string().get(x);
        (void)err;
        check(static_cast<arrow::StringBuilder&>(b).Append(x), what);
        return;
      }
      case JsonKind::json:
        if (value == JsonKind::none) {
          check(b.AppendNull(), what);  // null stays null, not the text "null"
        } else {
          check(static_cast<arrow::StringBuilder&>(b).Append(raw_text(v)), what);
        }
        return;
    }
  }

  std::string path_, text_field_, spool_path_;
  std::FILE* spool_ = nullptr;
  simdjson::ondemand::parser parser_;
  std::string padded_;
  std::vector<Column> columns_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<char> row_seen_;
  std::shared_ptr<arrow::Schema> schema_;
  std::uint64_t left_out_ = 0;
};

std::shared_ptr<DocumentInput> open_parquet(const std::string& path, const OpenOptions& o) {
  try {
    return std::make_shared<ParquetInput>(path, o);
  } catch (const parquet::ParquetException& e) {
    throw Error("cannot read Parquet file '" + path + "': " + e.what());
  }
}

std::unique_ptr<ParquetRowWriter> make_row_writer(const std::string& path) {
  return std::make_unique<RowWriter>(path);
}

std::unique_ptr<JsonParquetWriter> make_json_writer(const std::string& path,
                                                    const std::string& text_field) {
  return std::make_unique<JsonRowsWriter>(path, text_field);
}

}  // namespace

void register_parquet() {
  set_parquet_opener(&open_parquet);
  set_parquet_row_writer(&make_row_writer);
  ParquetJsonHooks hooks;
  hooks.rows_as_json = &parquet_rows_as_json;
  hooks.json_problem = &parquet_json_problem;
  hooks.json_writer = &make_json_writer;
  set_parquet_json_hooks(hooks);
}

}  // namespace dupscan
