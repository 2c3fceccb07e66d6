// The one input abstraction of every command: a DocumentInput hands pass 1 its documents in
// batches, and hands later stages (verification, the deduplicated copy) chosen documents again
// by number. Three kinds implement it:
//   - line files (JSONL or plain text, plain/gzip/zstd/stdin): batches of whole lines, parsed
//     by the workers (RecordParser); read again by pread or a forward scan (refetch.hpp);
//   - Parquet files (parquet_input.cpp, when built with Apache Arrow): record batches of the text
//     and id columns, a few thousand rows at a time (bounded memory); read again by row group;
//   - tables in memory (table_input.hpp): row ranges of the caller's Arrow arrays, no copy.
// Whatever the kind, a worker turns a batch into (locator, text, id) with for_each_document; the
// stages never see which kind it was.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/run.hpp"
#include "dupscan/table_input.hpp"
#include "io/columns.hpp"
#include "io/io.hpp"
#include "io/record.hpp"
#include "io/refetch.hpp"

namespace dupscan {

/// A unit of work: whole lines of a line file (the io::RawBatch part) or rows of a chunk of
/// columns. Read again, it also says which document each of its records is.
struct DocBatch : io::RawBatch {
  std::shared_ptr<const io::ColumnChunk> chunk;  ///< columnar: the chunk holding the rows
  std::int64_t row_begin = 0, row_end = 0;       ///< pass 1: rows [row_begin, row_end) of chunk
  std::vector<std::int64_t> rows;                ///< read again: the chunk's rows, in order
  std::uint64_t first_row = 0;                   ///< the input's row number of chunk row 0
  std::vector<std::uint32_t> docs;               ///< read again: document of each record

  bool columnar() const { return chunk != nullptr; }
  /// Records in the batch (lines, blank ones included, or rows).
  std::size_t records() const {
    if (!columnar()) return lines.size();
    return rows.empty() ? static_cast<std::size_t>(row_end - row_begin) : rows.size();
  }
  void clear_columns() {
    chunk.reset();
    row_begin = row_end = 0;
    rows.clear();
    docs.clear();
    first_row = 0;
  }
};

/// One input of a run, of whichever kind (see the top of this file).
class DocumentInput {
 public:
  virtual ~DocumentInput() = default;
  /// What messages call it: the path as given, "<stdin>", or a table's name.
  const std::string& display() const { return display_; }
  /// True for Parquet files and tables: records are rows, ids default to row numbers.
  virtual bool columnar() const = 0;
  /// A Parquet file (--write-deduped then writes Parquet).
  virtual bool parquet() const { return false; }
  /**
   * @brief Pass 1, on the reader thread: fills `batch` (cleared first) with about target_bytes
   * of records. @return false when none are left.
   */
  virtual bool next(DocBatch& batch, std::size_t target_bytes) = 0;
  /// After next() returned false: compression, bytes, text_bytes, lines (rows), xxh3_64.
  virtual void summarize(InputSummary& summary) const = 0;
  /// How to read it again (line files only; contam's rewriting reads records as bytes).
  virtual const RereadSource* reread_source() const { return nullptr; }
  /**
   * @brief Reading again: the records of documents docs[0, n) (ascending, all of this input)
   * located by loc[doc], handed to `consume` in batches of about batch_bytes, in order
   * (DocBatch::docs says which document each record is).
   * @throw Error when the input changed since pass 1 or cannot be read.
   */
  virtual void fetch(const std::vector<Locator>& loc, const std::uint32_t* docs, std::size_t n,
                     std::size_t batch_bytes, const std::function<void(DocBatch&)>& consume) = 0;

 protected:
  std::string display_;
};

using DocumentInputs = std::vector<std::shared_ptr<DocumentInput>>;

/// How to open files: fields, format, the stdin spool.
struct OpenOptions {
  std::string text_field = "text";
  std::string id_field = "id";
  /// id_field was named on purpose: a table or Parquet file without that column is an error
  /// (the default "id" is used where there is one).
  bool id_required = false;
  InputFormat format = InputFormat::jsonl;
  bool spool_stdin = false;  ///< keep a copy of stdin (or a pipe, a device) to read it again
  std::string tmp_dir;       ///< where that copy goes
  /// Lines longer than this are skipped as record_too_large without being held in memory.
  std::uint64_t max_record_size = kDefaultMaxRecordSize;
};

/// True when the file at `path` is Parquet (it begins with "PAR1"); false for "-".
bool is_parquet_file(const std::string& path);

/**
 * @brief Opens a file ("-" = stdin): Parquet when it is one (is_parquet_file), else a line file.
 * @throw Error when it cannot be opened, or is Parquet and this build has no Parquet support
 * (or the file lacks the text column).
 */
std::shared_ptr<DocumentInput> open_file_input(const std::string& path, const OpenOptions& o);

/// A line file for reading again only (an --against index's files), as pass 1 found it.
std::shared_ptr<DocumentInput> open_reread_input(const RereadSource& source);

/// A table in memory (table_input.hpp) as an input. @throw Error as make_column_chunk.
std::shared_ptr<DocumentInput> open_table_input(std::shared_ptr<const TableInput> table,
                                                const OpenOptions& o);

/// The files of `paths` and then the tables, in that order.
DocumentInputs open_inputs(const std::vector<std::string>& paths,
                           const std::vector<std::shared_ptr<const TableInput>>& tables,
                           const OpenOptions& o);

/// Opening Parquet files: set by register_parquet() (parquet_input.hpp, dupscan_parquet) in the
/// programs that link Apache Arrow; null otherwise.
using ParquetOpener = std::shared_ptr<DocumentInput> (*)(const std::string& path,
                                                         const OpenOptions& o);
void set_parquet_opener(ParquetOpener opener);
bool have_parquet();

/**
 * @brief Reads documents `docs` (ascending numbers) again from `inputs` (indexed by
 * Locator::input), in batches of about batch_bytes, in order.
 */
void fetch_documents(const DocumentInputs& inputs, const std::vector<Locator>& loc,
                     const std::vector<std::uint32_t>& docs, std::size_t batch_bytes,
                     const std::function<void(DocBatch&)>& consume);

/// Per-worker state of for_each_document: the JSONL parser and a buffer for joined columns.
struct DocReader {
  DocReader(const std::string& text_field, const std::string& id_field, InputFormat format)
      : parser(text_field, id_field, format) {}
  RecordParser parser;
  std::string joined, id;
};

/**
 * Calls good(locator, text, id_json) for each usable record among records [begin, end) of a
 * batch and bad(BadRecord) for each unusable one; counts blank lines into `blank`. `text` is
 * valid until the next record; id_json may be moved from. For line files the locator is the
 * line's (offset, line number, length); for columnar inputs offset and line are the row number.
 * `input` is the run's number of the batch's input.
 */
template <class Good, class Bad>
void for_each_document(const DocBatch& batch, std::size_t begin, std::size_t end,
                       std::uint32_t input, DocReader& r, std::uint64_t& blank, Good&& good,
                       Bad&& bad) {
  if (!batch.columnar()) {
    std::string_view text;
    std::string detail;
    SkipReason reason{};
    for (std::size_t k = begin; k < end; ++k) {
      const io::LineRef& l = batch.lines[k];
      const std::string_view line = batch.line(l);
      if (l.oversize == 0 && is_blank(line)) {
        ++blank;
        continue;
      }
      BadRecord b;
      b.line = l.line_no;
      if (l.oversize != 0) {
        b.reason = SkipReason::record_too_large;
        b.detail =
            "record too large (" + std::to_string(l.oversize) + " bytes, over --max-record-size)";
        bad(std::move(b));
        continue;
      }
      if (l.length > UINT32_MAX) {
        b.reason = SkipReason::record_too_large;
        b.detail = "record larger than 4 GiB";
        bad(std::move(b));
        continue;
      }
      if (!r.parser.parse(line.data(), line.size(), text, r.id, reason, detail)) {
        b.reason = reason;
        b.detail = detail;
        r.parser.explain(line, b);
        bad(std::move(b));
        continue;
      }
      good(Locator{l.stream_offset, l.line_no, input, static_cast<std::uint32_t>(l.length)}, text,
           r.id);
      if (line.size() > (std::size_t{64} << 20)) r.parser.trim();
    }
    return;
  }
  const io::ColumnChunk& c = *batch.chunk;
  for (std::size_t k = begin; k < end; ++k) {
    const std::int64_t row =
        batch.rows.empty() ? batch.row_begin + static_cast<std::int64_t>(k) : batch.rows[k];
    const std::uint64_t global = batch.first_row + static_cast<std::uint64_t>(row);
    std::string_view text;
    bool ok = true;
    for (std::size_t p = 0; p < c.text.size() && ok; ++p) {
      if (!c.text[p].valid(row)) {
        BadRecord b;
        b.line = global;
        b.row = true;
        b.reason = SkipReason::text_not_string;
        b.detail = "text column is null";
        bad(std::move(b));
        ok = false;
        break;
      }
      const std::string_view part = c.text[p].text(row);
      if (c.text.size() == 1) {
        text = part;
      } else {
        if (p == 0) r.joined.clear();
        if (p > 0) r.joined += '\n';
        r.joined += part;
      }
    }
    if (!ok) continue;
    if (c.text.size() > 1) text = r.joined;
    if (!simdjson::validate_utf8(text.data(), text.size())) {
      BadRecord b;
      b.line = global;
      b.row = true;
      b.reason = SkipReason::invalid_utf8;
      b.detail = "invalid UTF-8";
      bad(std::move(b));
      continue;
    }
    r.id.clear();
    if (c.id && c.id->valid(row)) {
      c.id->append_json(r.id, row);
    } else if (c.row_ids) {
      r.id = std::to_string(global);
    }
    good(Locator{global, global, input,
                 static_cast<std::uint32_t>(std::min<std::size_t>(text.size(), UINT32_MAX))},
         text, r.id);
  }
}

}  // namespace dupscan
