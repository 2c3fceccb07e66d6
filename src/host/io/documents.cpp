#include "io/documents.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "dupscan/errors.hpp"
#include "io/parquet_copy.hpp"

namespace dupscan {
namespace {

// ---- line files: JSONL or plain text, plain/gzip/zstd, stdin ------------------------------------

class LineInput : public DocumentInput {
 public:
  LineInput(const std::string& path, const OpenOptions& o)
      : path_(path),
        // A named pipe, a device or <(...) cannot be read again either: spooled like stdin.
        spool_stdin_(io::reads_once(path) && o.spool_stdin),
        tmp_dir_(o.tmp_dir) {
    display_ = path == "-" ? "<stdin>" : path;
    rs_.path = path;
    rs_.display = display_;
    rs_.max_line = o.max_record_size;
  }
  /// For reading again only (an index's files): as pass 1 found them.
  explicit LineInput(const RereadSource& rs) : rs_(rs) { display_ = rs.display; }
  ~LineInput() override {
    if (spool_ != nullptr) std::fclose(spool_);
    if (!spool_path_.empty()) ::unlink(spool_path_.c_str());
  }

  bool columnar() const override { return false; }
  const RereadSource* reread_source() const override { return &rs_; }

  bool next(DocBatch& batch, std::size_t target_bytes) override {
    batch.clear_columns();
    if (done_) return false;
    if (!reader_) open();
    if (reader_->next(batch, target_bytes)) return true;
    finish();
    return false;
  }

  void summarize(InputSummary& s) const override {
    s.compression = compression_;
    s.bytes = raw_bytes_;
    s.text_bytes = text_bytes_;
    s.lines = lines_;
    s.xxh3_64 = checksum_;
  }

  void fetch(const std::vector<Locator>& loc, const std::uint32_t* docs, std::size_t n,
             std::size_t batch_bytes, const std::function<void(DocBatch&)>& consume) override {
    DocBatch b;
    refetch_source(rs_, loc, docs, n, batch_bytes, [&](FetchedBatch& f) {
      b.data.swap(f.data);
      b.size = b.data.size() - io::kPadding;
      b.lines.clear();
      b.docs.clear();
      for (const FetchedBatch::Item& it : f.items) {
        const Locator& l = loc[it.doc];
        b.lines.push_back({it.begin, it.length, l.line, l.offset});
        b.docs.push_back(it.doc);
      }
      b.input = loc[docs[0]].input;
      consume(b);
      f.data.swap(b.data);
    });
  }

 private:
  void open() {
    rs_.plain = io::is_plain_file(path_);
    stamp_source(rs_);
    src_ = io::open_source(path_);
    if (spool_stdin_) {
      // stdin cannot be read twice: keep a copy of its decompressed bytes for the later passes.
      static std::atomic<unsigned> serial{0};
      spool_path_ = io::temp_path(tmp_dir_ + "/.dupscan-stdin-spool", std::to_string(serial++));
      spool_ = std::fopen(spool_path_.c_str(), "wb");
      if (!spool_) io::throw_errno("create spool file", spool_path_);
      rs_.path = spool_path_;
      rs_.plain = true;
    }
    reader_ = std::make_unique<io::LineReader>(*src_, spool_, spool_path_, rs_.max_line);
  }

  void finish() {
    done_ = true;
    if (spool_ != nullptr) {
      const bool bad = std::fflush(spool_) != 0;
      std::fclose(spool_);
      spool_ = nullptr;
      if (bad) io::throw_errno("write spool file", spool_path_);
      stamp_source(rs_);
    }
    compression_ = src_->compression();
    raw_bytes_ = src_->raw_bytes();
    text_bytes_ = reader_->bytes();
    lines_ = reader_->lines();
    checksum_ = src_->raw_checksum();
    reader_.reset();
    src_.reset();
  }

  std::string path_;
  bool spool_stdin_ = false;
  std::string tmp_dir_;
  RereadSource rs_;
  std::unique_ptr<io::ByteSource> src_;
  std::unique_ptr<io::LineReader> reader_;
  std::FILE* spool_ = nullptr;
  std::string spool_path_;
  bool done_ = false;
  std::string compression_ = "none", checksum_;
  std::uint64_t raw_bytes_ = 0, text_bytes_ = 0, lines_ = 0;
};

// ---- tables in memory -------------------------------------------------------------------------

// Rows per pass-1 batch at most, whatever their bytes (a table of empty strings).
constexpr std::int64_t kMaxBatchRows = std::int64_t{1} << 16;

class MemoryInput : public DocumentInput {
 public:
  MemoryInput(std::shared_ptr<const TableInput> table, const OpenOptions& o)
      : table_(std::move(table)) {
    display_ = table_->name();
    std::uint64_t row = 0;
    for (const auto& owned : table_->chunks()) {
      auto c = std::make_shared<io::ColumnChunk>(
          io::make_column_chunk(owned, o.text_field, o.id_field, display_, o.id_required));
      c->row_ids = true;
      starts_.push_back(row);
      row += static_cast<std::uint64_t>(c->rows);
      chunks_.push_back(std::move(c));
    }
    starts_.push_back(row);
  }

  bool columnar() const override { return true; }

  bool next(DocBatch& b, std::size_t target_bytes) override {
    b.clear_columns();
    b.lines.clear();
    while (chunk_ < chunks_.size() && row_ >= chunks_[chunk_]->rows) {
      ++chunk_;
      row_ = 0;
    }
    if (chunk_ >= chunks_.size()) return false;
    const io::ColumnChunk& c = *chunks_[chunk_];
    std::int64_t end = row_;
    std::uint64_t bytes = 0;
    while (end < c.rows && bytes < target_bytes && end - row_ < kMaxBatchRows) {
      const std::int64_t step = std::min<std::int64_t>({256, c.rows - end, kMaxBatchRows});
      for (const io::ColumnView& v : c.text)
        bytes += v.text_bytes(end, end + step);
      end += step;
    }
    b.chunk = chunks_[chunk_];
    b.row_begin = row_;
    b.row_end = end;
    b.first_row = starts_[chunk_];
    b.size = bytes;
    text_bytes_ += bytes;
    row_ = end;
    return true;
  }

  void summarize(InputSummary& s) const override {
    s.compression = "arrow";
    s.bytes = text_bytes_;
    s.text_bytes = text_bytes_;
    s.lines = starts_.back();
    s.xxh3_64.clear();
  }

  void fetch(const std::vector<Locator>& loc, const std::uint32_t* docs, std::size_t n,
             std::size_t batch_bytes, const std::function<void(DocBatch&)>& consume) override {
    DocBatch b;
    std::size_t chunk = SIZE_MAX;
    std::uint64_t bytes = 0;
    auto flush = [&] {
      if (b.rows.empty()) return;
      consume(b);
      b.rows.clear();
      b.docs.clear();
      bytes = 0;
    };
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t row = loc[docs[i]].offset;
      const std::size_t c =
          static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), row) -
                                   starts_.begin()) -
          1;
      if (c != chunk || bytes >= batch_bytes) {
        flush();
        chunk = c;
        b.chunk = chunks_[c];
        b.first_row = starts_[c];
        b.input = loc[docs[i]].input;
      }
      const auto r = static_cast<std::int64_t>(row - starts_[c]);
      b.rows.push_back(r);
      b.docs.push_back(docs[i]);
      bytes += loc[docs[i]].length;
    }
    flush();
  }

 private:
  std::shared_ptr<const TableInput> table_;
  std::vector<std::shared_ptr<const io::ColumnChunk>> chunks_;
  std::vector<std::uint64_t> starts_;  // first row of each chunk, then the row count
  std::size_t chunk_ = 0;
  std::int64_t row_ = 0;
  std::uint64_t text_bytes_ = 0;
};

ParquetOpener parquet_opener = nullptr;

}  // namespace

// ---- TableInput ---------------------------------------------------------------------------------

std::shared_ptr<const TableInput> TableInput::from_stream(ArrowArrayStream* stream,
                                                          std::string name) {
  struct Release {
    ArrowArrayStream* s;
    ~Release() {
      if (s->release != nullptr) s->release(s);
    }
  } release{stream};
  auto fail = [&](const char* what, int code) {
    const char* msg = stream->get_last_error ? stream->get_last_error(stream) : nullptr;
    throw Error(name + ": cannot " + what + " the Arrow stream (" +
                (msg ? std::string(msg) : "error " + std::to_string(code)) + ")");
  };
  auto t = std::make_shared<TableInput>();
  t->name_ = std::move(name);
  ArrowSchema schema{};
  if (int rc = stream->get_schema(stream, &schema)) fail("read the schema of", rc);
  auto owned_schema = std::make_shared<io::OwnedSchema>(&schema);
  for (;;) {
    ArrowArray array{};
    if (int rc = stream->get_next(stream, &array)) fail("read", rc);
    if (array.release == nullptr) break;  // the end
    auto owned = std::make_shared<io::OwnedArray>(owned_schema, &array);
    if (owned->array().length == 0) continue;
    t->rows_ += static_cast<std::uint64_t>(owned->array().length);
    t->chunks_.push_back(std::move(owned));
  }
  return t;
}

std::shared_ptr<const TableInput> TableInput::from_array(ArrowSchema* schema, ArrowArray* array,
                                                         std::string name) {
  auto t = std::make_shared<TableInput>();
  t->name_ = std::move(name);
  auto owned = std::make_shared<io::OwnedArray>(std::make_shared<io::OwnedSchema>(schema), array);
  t->rows_ = static_cast<std::uint64_t>(owned->array().length);
  if (t->rows_ > 0) t->chunks_.push_back(std::move(owned));
  return t;
}

// ---- opening ------------------------------------------------------------------------------------

bool is_parquet_file(const std::string& path) {
  // Only a regular file is looked into: opening a named pipe here would wait for its writer, and
  // the bytes a device gives cannot be given again.
  if (io::reads_once(path)) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char m[4] = {};
  const bool yes =
      ::pread(fd, m, 4, 0) == 4 && m[0] == 'P' && m[1] == 'A' && m[2] == 'R' && m[3] == '1';
  ::close(fd);
  return yes;
}

void set_parquet_opener(ParquetOpener opener) {
  parquet_opener = opener;
}

bool have_parquet() {
  return parquet_opener != nullptr;
}

std::shared_ptr<DocumentInput> open_file_input(const std::string& path, const OpenOptions& o) {
  if (is_parquet_file(path)) {
    if (parquet_opener == nullptr) {
      throw Error("input '" + path +
                  "' is a Parquet file, and this dupscan was built without Parquet support "
                  "(Apache Arrow C++ was not found: pip install . has it; see the README)");
    }
    return parquet_opener(path, o);
  }
  return std::make_shared<LineInput>(path, o);
}

std::shared_ptr<DocumentInput> open_reread_input(const RereadSource& source) {
  return std::make_shared<LineInput>(source);
}

std::shared_ptr<DocumentInput> open_table_input(std::shared_ptr<const TableInput> table,
                                                const OpenOptions& o) {
  return std::make_shared<MemoryInput>(std::move(table), o);
}

DocumentInputs open_inputs(const std::vector<std::string>& paths,
                           const std::vector<std::shared_ptr<const TableInput>>& tables,
                           const OpenOptions& o) {
  DocumentInputs inputs;
  for (const std::string& path : paths)
    inputs.push_back(open_file_input(path, o));
  for (const auto& t : tables)
    inputs.push_back(open_table_input(t, o));
  return inputs;
}

void fetch_documents(const DocumentInputs& inputs, const std::vector<Locator>& loc,
                     const std::vector<std::uint32_t>& docs, std::size_t batch_bytes,
                     const std::function<void(DocBatch&)>& consume) {
  std::size_t i = 0;
  while (i < docs.size()) {
    const std::uint32_t input = loc[docs[i]].input;
    std::size_t j = i;
    while (j < docs.size() && loc[docs[j]].input == input)
      ++j;
    inputs.at(input)->fetch(loc, docs.data() + i, j - i, batch_bytes, consume);
    i = j;
  }
}

}  // namespace dupscan

// ---- --write-deduped for Parquet ---------------------------------------------------------------

namespace dupscan {
namespace {
ParquetRowWriterFactory row_writer_factory = nullptr;
ParquetJsonHooks json_hooks;
}  // namespace

void set_parquet_json_hooks(const ParquetJsonHooks& hooks) {
  json_hooks = hooks;
}

void rows_as_json_lines(const std::string& input, const std::vector<std::int64_t>& rows,
                        const std::function<void(std::string_view)>& out) {
  if (json_hooks.rows_as_json == nullptr) {
    throw Error("cannot read '" + input +
                "' again: this dupscan was built without Parquet support");
  }
  json_hooks.rows_as_json(input, rows, out);
}

void check_rows_as_json(const std::vector<std::string>& inputs, const std::string& what) {
  for (const std::string& path : inputs) {
    if (!is_parquet_file(path)) continue;
    expects_usage(
        json_hooks.json_problem != nullptr,
        what + ", and this dupscan cannot write the Parquet rows of '" + path + "' as JSON");
    const std::string problem = json_hooks.json_problem(path);
    expects_usage(problem.empty(), what + ", and " + problem + " of '" + path +
                                       "' has no JSON form: drop that column from the input");
  }
}

void set_parquet_row_writer(ParquetRowWriterFactory factory) {
  row_writer_factory = factory;
}

ParquetCopy::ParquetCopy(std::string path) : path_(std::move(path)) {
  if (row_writer_factory == nullptr) {
    throw Error("cannot write '" + path_ + "': this dupscan was built without Parquet support");
  }
  tmp_ = io::temp_path(path_, "0");
  writer_ = row_writer_factory(tmp_);
}

ParquetCopy::~ParquetCopy() {
  if (!committed_) ::unlink(tmp_.c_str());
}

void ParquetCopy::add(const std::string& input, const std::vector<std::int64_t>& rows) {
  writer_->add(input, rows);
}

void ParquetCopy::finish() {
  if (finished_) return;
  writer_->close();
  finished_ = true;
}

void ParquetCopy::commit() {
  finish();
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) io::throw_errno("rename onto", path_);
  committed_ = true;
}

std::string ParquetCopy::release() {
  finish();
  committed_ = true;
  return tmp_;
}

// ---- copies in the format of their name -------------------------------------------------------

bool names_parquet(const std::string& path) {
  static constexpr std::string_view kExt = ".parquet";
  return path.size() > kExt.size() &&
         path.compare(path.size() - kExt.size(), kExt.size(), kExt.data()) == 0;
}

bool copy_is_parquet(const std::string& out, const std::vector<std::string>& inputs,
                     const bool in_place) {
  io::FileId out_id;
  if (in_place && io::file_id(out, out_id)) {
    for (const std::string& path : inputs) {
      io::FileId id;
      if (io::file_id(path, id) && id == out_id) return is_parquet_file(path);
    }
  }
  return names_parquet(out);
}

void check_record_copy(const std::string& out, const std::string& option,
                       const std::vector<std::string>& inputs, const InputFormat format,
                       const bool in_place) {
  if (out.empty()) return;
  std::size_t parquet = 0;
  for (const std::string& path : inputs)
    parquet += is_parquet_file(path) ? 1 : 0;
  expects_usage(parquet == 0 || parquet == inputs.size(),
                option + " copies the inputs' records into one file, and they are Parquet and " +
                    "line files: run them apart, or convert them to one kind");
  const bool parquet_out = copy_is_parquet(out, inputs, in_place);
  if (parquet > 0 && !parquet_out) {
    expects_usage(json_hooks.json_problem != nullptr,
                  option + " '" + out + "': this dupscan cannot write Parquet rows as JSON");
    for (const std::string& path : inputs) {
      const std::string problem = json_hooks.json_problem(path);
      expects_usage(
          problem.empty(),
          option + " '" + out +
              "' is JSON Lines (its name does not end in .parquet), "
              "and " +
              problem + " of '" + path + "' has no JSON form: name the copy " +
              "NAME.parquet to keep the rows as Parquet, or drop that column from the input");
    }
  }
  if (parquet == 0 && parquet_out) {
    expects_usage(format != InputFormat::text,
                  option + " '" + out + "' names a Parquet file, and the inputs are read as " +
                      "plain text lines, which have no fields to make columns of: name the " +
                      "copy .txt (or .jsonl), or read JSON Lines");
    expects_usage(json_hooks.json_writer != nullptr,
                  option + " '" + out + "' names a Parquet file, and this dupscan was built " +
                      "without Parquet support: name the copy .jsonl (or install dupscan with " +
                      "Parquet, see the README)");
  }
}

RecordCopy::RecordCopy(std::string path, const bool parquet_inputs, const std::string& text_field,
                       const bool parquet_out)
    : path_(std::move(path)), parquet_out_(parquet_out) {
  if (parquet_inputs && parquet_out_) {
    rows_ = std::make_unique<ParquetCopy>(path_);
  } else if (parquet_out_) {
    if (json_hooks.json_writer == nullptr) {
      throw Error("cannot write '" + path_ + "': this dupscan was built without Parquet support");
    }
    tmp_ = io::temp_path(path_, "0");
    json_rows_ = json_hooks.json_writer(tmp_, text_field);
  } else {
    if (parquet_inputs && json_hooks.rows_as_json == nullptr) {
      throw Error("cannot write '" + path_ + "': this dupscan was built without Parquet support");
    }
    lines_ = std::make_unique<io::OutputFile>(path_);
  }
}

RecordCopy::~RecordCopy() {
  json_rows_.reset();  // closes its files before the temporary is removed
  if (!tmp_.empty() && !released_) ::unlink(tmp_.c_str());
}

void RecordCopy::write(std::string_view bytes) {
  if (lines_) {
    lines_->write(bytes);
    return;
  }
  if (!json_rows_) throw Error("cannot write lines of text into '" + path_ + "'");
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return;
    }
    if (partial_.empty()) {
      json_rows_->add_line(bytes.substr(0, nl));
    } else {
      partial_.append(bytes.substr(0, nl));
      json_rows_->add_line(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void RecordCopy::add_rows(const std::string& input, const std::vector<std::int64_t>& rows) {
  if (rows_) {
    rows_->add(input, rows);
  } else if (lines_) {
    json_hooks.rows_as_json(input, rows, [this](std::string_view s) { lines_->write(s); });
  } else {
    throw Error("cannot write Parquet rows into '" + path_ + "'");
  }
}

std::uint64_t RecordCopy::finish() {
  if (finished_) return left_out_;
  if (lines_) lines_->finish();
  if (rows_) rows_->finish();
  if (json_rows_) {
    if (!partial_.empty()) {
      json_rows_->add_line(partial_);
      partial_.clear();
    }
    left_out_ = json_rows_->close();
  }
  finished_ = true;
  return left_out_;
}

std::string RecordCopy::release() {
  finish();
  released_ = true;
  if (lines_) return lines_->release();
  if (rows_) return rows_->release();
  return tmp_;
}

}  // namespace dupscan
