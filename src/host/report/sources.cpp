#include "report/sources.hpp"

#include <simdjson.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/documents.hpp"
#include "io/io.hpp"
#include "io/record.hpp"

namespace dupscan::report {

std::string resolve_input(const std::string& path, const std::string& base) {
  if (base.empty() || path.empty() || path[0] == '/') return path;
  return base + "/" + path;
}

namespace {

/**
 * The text and id of a record, read as the run read it: by RecordParser (the run's own parser,
 * so that skipped records are skipped here too), one per field of a joined "a+b" text field,
 * their strings joined by '\n' as contam joins a benchmark's fields; with the "text" format the
 * line itself (without a final '\r'). The one place that knows how; when RecordParser reads
 * joined fields and formats itself, this is one RecordParser(label, id_field, format).
 */
class RecordReader {
 public:
  explicit RecordReader(const RecordFormat& f) : lines_(f.format == "text") {
    for (const std::string& field : f.text_fields)
      parsers_.emplace_back(field, parsers_.empty() ? f.id_field : std::string());
  }
  /// False (with `why`) when the run would have skipped the record.
  bool read(const char* p, std::size_t len, std::string& text, std::string& id_json,
            std::string& why) {
    if (lines_) {
      if (!simdjson::validate_utf8(p, len)) {
        why = "invalid UTF-8";
        return false;
      }
      text.assign(p, len > 0 && p[len - 1] == '\r' ? len - 1 : len);
      id_json.clear();
      return true;
    }
    text.clear();
    std::string id;
    SkipReason reason{};
    for (std::size_t i = 0; i < parsers_.size(); ++i) {
      std::string_view part;
      if (!parsers_[i].parse(p, len, part, i ? id : id_json, reason, why)) return false;
      if (i) text += '\n';
      text += part;
    }
    if (!id_json.empty() && id_json[0] != '"') {
      // A numeric id as the pages read it from duplicates.jsonl (simdjson::minify: 1E2 is
      // 100.0), unless simdjson cannot hold it (1e400: json_text keeps it as written).
      simdjson::dom::element e;
      if (!id_parser_.parse(id_json).get(e)) id_json = simdjson::minify(e);
    }
    return true;
  }

 private:
  simdjson::dom::parser id_parser_;
  bool lines_;
  std::vector<RecordParser> parsers_;
};

/// find_records over the rows of a columnar input (a Parquet file, a table in memory) through
/// its DocumentInput, the run's own reader: ids from the id column, else the row number (tables)
/// or "<path>:<row>" (Parquet), as pass 1 makes them.
void find_rows(const RecordedInput& in, DocumentInput& input, const OpenOptions& o,
               const RecordFormat& format, const std::unordered_set<std::string>& wanted,
               std::unordered_map<std::string, FoundRecord>& found) {
  DocReader reader(o.text_field, o.id_field, InputFormat::jsonl);
  DocBatch batch;
  std::uint64_t blank = 0;
  std::string id;
  while (input.next(batch, std::size_t{4} << 20)) {
    check_interrupt();
    for_each_document(
        batch, 0, batch.records(), 0, reader, blank,
        [&](const Locator& loc, std::string_view text, std::string& id_json) {
          id.clear();
          if (id_json.empty()) {
            append_json_string(id, in.path + ":" + std::to_string(loc.line));
          } else {
            id = id_json;
          }
          if (!wanted.count(id)) return;
          auto [it, fresh] = found.try_emplace(id);
          if (!fresh) {
            ++it->second.copies;
            return;
          }
          it->second.text = std::string(text);
          it->second.file = in.path;
          it->second.line = loc.line;
        },
        [&](BadRecord&& b) {
          if (format.bad_record_is_error) {
            throw Error(in.path + ": row " + std::to_string(b.line) + ": " + b.detail);
          }
        });
  }
}

OpenOptions rows_options(const RecordFormat& format) {
  OpenOptions o;
  o.text_field.clear();
  for (const std::string& f : format.text_fields)
    o.text_field += (o.text_field.empty() ? "" : "+") + f;
  o.id_field = format.id_field;
  return o;
}

/// find_records for a Parquet input.
void find_parquet_records(const RecordedInput& in, const std::string& path,
                          const RecordFormat& format, const std::unordered_set<std::string>& wanted,
                          std::unordered_map<std::string, FoundRecord>& found) {
  if (!in.xxh3_64.empty() && io::file_xxh3_64(path) != in.xxh3_64) {
    throw Error("input '" + path + "' changed since the run wrote its outputs: its XXH3-64 " +
                "differs from report.json's; the report would show other texts than the run saw");
  }
  const OpenOptions o = rows_options(format);
  auto input = open_file_input(path, o);
  find_rows(in, *input, o, format, wanted, found);
}

/// find_records for a table in memory: the first of `tables` not used yet that has its name.
void find_table_records(const RecordedInput& in,
                        const std::vector<std::shared_ptr<const TableInput>>& tables,
                        std::vector<bool>& used, const RecordFormat& format,
                        const std::unordered_set<std::string>& wanted,
                        std::unordered_map<std::string, FoundRecord>& found) {
  std::size_t t = 0;
  while (t < tables.size() && (used[t] || tables[t]->name() != in.path))
    ++t;
  if (t == tables.size()) {
    throw Error("input '" + in.path +
                "' was data in memory (a table, DataFrame or list given to dupscan in Python), "
                "not a file, so its texts cannot be read again: make the page with the Python "
                "result's .report(\"page.html\"), or pass --no-texts for a page without texts");
  }
  used[t] = true;
  if (tables[t]->rows() != in.lines) {
    throw Error("the table given for input '" + in.path + "' has " +
                std::to_string(tables[t]->rows()) + " rows, report.json says the run read " +
                std::to_string(in.lines) + ": not the run's data");
  }
  const OpenOptions o = rows_options(format);
  auto input = open_table_input(tables[t], o);
  find_rows(in, *input, o, format, wanted, found);
}

}  // namespace

std::unordered_map<std::string, FoundRecord> find_records(
    const std::vector<RecordedInput>& inputs, const RecordFormat& format,
    const std::unordered_set<std::string>& wanted, const std::string& base,
    const std::vector<std::shared_ptr<const TableInput>>& tables) {
  std::unordered_map<std::string, FoundRecord> found;
  if (wanted.empty()) return found;
  RecordReader reader(format);
  std::string text, id, why, path_id;
  std::vector<bool> used(tables.size(), false);
  for (const RecordedInput& in : inputs) {
    if (in.in_memory) {
      find_table_records(in, tables, used, format, wanted, found);
      continue;
    }
    if (in.path == "<stdin>" || in.path == "-") continue;  // cannot be read again; see caller
    const std::string path = resolve_input(in.path, base);
    if (io::reads_once(path)) continue;  // a pipe or device: read once, like stdin
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      throw Error("cannot read input '" + path + "' named in report.json: " + std::strerror(errno) +
                  " (relative paths are read from the current directory, or from --base DIR; "
                  "--no-texts makes the report without texts)");
    }
    const std::string changed = "input '" + path + "' changed since the run wrote its outputs";
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) != in.bytes &&
        !in.xxh3_64.empty()) {
      throw Error(changed + ": it holds " + std::to_string(st.st_size) +
                  " bytes, report.json says " + std::to_string(in.bytes) +
                  "; the report would show other texts than the run saw");
    }
    if (is_parquet_file(path)) {
      find_parquet_records(in, path, format, wanted, found);
      continue;
    }
    auto src = io::open_source(path);
    io::LineReader lines(*src);
    io::RawBatch batch;
    while (lines.next(batch, std::size_t{4} << 20)) {
      check_interrupt();
      for (const io::LineRef& l : batch.lines) {
        const std::string_view line = batch.line(l);
        if (is_blank(line)) continue;
        if (!reader.read(line.data(), line.size(), text, id, why)) {
          if (format.bad_record_is_error) {
            throw Error(in.path + ":" + std::to_string(l.line_no) + ": " + why);
          }
          continue;  // the run skipped it too
        }
        if (id.empty()) {
          path_id.clear();
          append_json_string(path_id, in.path + ":" + std::to_string(l.line_no));
          id.swap(path_id);
        }
        if (!wanted.count(id)) continue;
        auto [it, fresh] = found.try_emplace(id);
        if (!fresh) {
          ++it->second.copies;
          continue;
        }
        it->second.text = text;
        it->second.file = in.path;
        it->second.line = l.line_no;
      }
    }
    if (!in.xxh3_64.empty() &&
        (src->raw_checksum() != in.xxh3_64 || src->raw_bytes() != in.bytes)) {
      throw Error(changed + ": its XXH3-64 is now " + src->raw_checksum() + " (" +
                  std::to_string(src->raw_bytes()) + " bytes), report.json says " + in.xxh3_64 +
                  " (" + std::to_string(in.bytes) +
                  " bytes); the report would show other texts than the run saw");
    }
  }
  return found;
}

}  // namespace dupscan::report
