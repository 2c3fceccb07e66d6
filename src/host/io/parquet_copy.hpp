// The copies of a run's input records (--write-deduped, --write-decontaminated): written in the
// format the copy's name says -- Parquet when it ends in ".parquet", JSON Lines otherwise (plain,
// or compressed by a ".gz" or ".zst" ending, as io::OutputFile) -- whatever the inputs' kind,
// converting where the kinds differ (RecordCopy). The copy appears under its name only when
// complete (it is handed to an io::Commit). The Arrow side of it (Parquet rows read and written,
// Parquet rows as JSON objects, JSON objects as Parquet rows) is parquet_input.cpp's, registered
// by the programs built with Apache Arrow.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/run.hpp"
#include "io/io.hpp"

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

/// What parquet_input.cpp implements: JSON Lines records as the rows of one Parquet file.
class JsonParquetWriter {
 public:
  virtual ~JsonParquetWriter() = default;
  /// One record (a line, without its '\n'). A line that is not a JSON object is left out.
  virtual void add_line(std::string_view line) = 0;
  /// Writes the Parquet file. @return the lines left out (not JSON objects).
  virtual std::uint64_t close() = 0;
};

/// The conversions between Parquet rows and JSON objects (parquet_input.cpp).
struct ParquetJsonHooks {
  /// Rows `rows` (ascending) of the Parquet file `input`, one JSON object per row and a '\n'
  /// after each, to `out`.
  void (*rows_as_json)(const std::string& input, const std::vector<std::int64_t>& rows,
                       const std::function<void(std::string_view)>& out) = nullptr;
  /// Empty when every column of the Parquet file `input` can be written as JSON, else the first
  /// that cannot, as "column 'NAME' (TYPE)".
  std::string (*json_problem)(const std::string& input) = nullptr;
  /// A Parquet file at `path` of JSON records. `text_field`: the field read as the text (a
  /// string column even when no record has it).
  std::unique_ptr<JsonParquetWriter> (*json_writer)(const std::string& path,
                                                    const std::string& text_field) = nullptr;
};
void set_parquet_json_hooks(const ParquetJsonHooks& hooks);

/// ParquetJsonHooks::rows_as_json: rows `rows` (ascending) of the Parquet file `input` as JSON
/// objects, each with its '\n', to `out`. @throw Error when this build has no Parquet support.
void rows_as_json_lines(const std::string& input, const std::vector<std::int64_t>& rows,
                        const std::function<void(std::string_view)>& out);

/**
 * @brief Checks, before any work, that every column of the Parquet files among `inputs` has a
 * JSON form (ParquetJsonHooks::json_problem), for an output that reads their rows as JSON
 * objects whatever its own format. `what` begins the message ("--write-decontaminated 'x'
 * rewrites ...").
 * @throw UsageError naming the file and the column, or when this build cannot write Parquet
 * rows as JSON.
 */
void check_rows_as_json(const std::vector<std::string>& inputs, const std::string& what);

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

/// True when a copy named `path` is written as Parquet: its name ends in ".parquet".
bool names_parquet(const std::string& path);

/// Whether the copy at `out` is Parquet: with `in_place` and `out` one of `inputs`, when that
/// input is (--in-place keeps the input's own format); otherwise when its name says so.
bool copy_is_parquet(const std::string& out, const std::vector<std::string>& inputs, bool in_place);

/**
 * @brief Checks, before any work, that a copy of `inputs`' records can be written at `out` in the
 * format its name says (with `in_place` and `out` one of the inputs: that input's format).
 * `option` names it in messages ("--write-deduped").
 * @throw UsageError when the inputs are of both kinds (Parquet and line files), when a Parquet
 * input has a column JSON cannot hold and the copy is JSON Lines, or when the copy is Parquet
 * and the inputs are plain text lines (no fields) or this build has no Parquet support.
 */
void check_record_copy(const std::string& out, const std::string& option,
                       const std::vector<std::string>& inputs, InputFormat format, bool in_place);

/// A copy of records: lines (JSON Lines or text, as read) or Parquet rows in, the format of its
/// name (check_record_copy) out.
class RecordCopy {
 public:
  /// `parquet_inputs`: the records come as Parquet rows (add_rows), else as lines (write).
  /// `text_field`: the text field of JSON records (the one column a Parquet copy always has).
  /// `parquet_out`: the copy is Parquet (copy_is_parquet), else JSON Lines.
  /// @throw Error when this build has no Parquet support and the copy needs it.
  RecordCopy(std::string path, bool parquet_inputs, const std::string& text_field,
             bool parquet_out);
  ~RecordCopy();
  RecordCopy(const RecordCopy&) = delete;
  RecordCopy& operator=(const RecordCopy&) = delete;

  /// Bytes of whole lines, each ending in '\n' (the bytes may end inside a line).
  void write(std::string_view bytes);
  /// Rows `rows` (ascending) of the Parquet input `input`.
  void add_rows(const std::string& input, const std::vector<std::int64_t>& rows);
  /// Complete under its temporary name. @return the records left out (not JSON objects, for a
  /// Parquet copy of lines).
  std::uint64_t finish();
  /// finish(), then hand the temporary file over (to an io::Commit). @return its path.
  std::string release();
  const std::string& path() const { return path_; }
  bool parquet() const { return parquet_out_; }

 private:
  std::string path_, tmp_;
  bool parquet_out_ = false;
  std::unique_ptr<io::OutputFile> lines_;         // JSON Lines out
  std::unique_ptr<ParquetCopy> rows_;             // Parquet in, Parquet out
  std::unique_ptr<JsonParquetWriter> json_rows_;  // lines in, Parquet out
  std::string partial_;                           // a line not yet complete (json_rows_)
  std::uint64_t left_out_ = 0;
  bool finished_ = false, released_ = false;
};

}  // namespace dupscan
