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

#include <algorithm>

#include "dupscan/errors.hpp"
#include "io/documents.hpp"
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

}  // namespace

void register_parquet() {
  set_parquet_opener(&open_parquet);
  set_parquet_row_writer(&make_row_writer);
}

}  // namespace dupscan
