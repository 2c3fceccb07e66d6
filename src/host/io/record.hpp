// One input line -> its text and id: a JSONL record (simdjson DOM: the whole line is validated)
// or, with --format text, the line itself. Field arguments ("meta.body", "title+body") are parsed
// here, once, for every command.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "dupscan/run.hpp"

namespace dupscan {

/// The field paths of a field argument: parts joined by '+', each part keys separated by '.'.
struct FieldSpec {
  struct Path {
    std::string whole;              ///< the part as given ("meta.body")
    std::vector<std::string> keys;  ///< {"meta", "body"}
  };
  std::vector<Path> paths;

  /// @throw UsageError(`usage` + " (an empty FIELD)") when a part or a key is empty.
  static FieldSpec parse(std::string_view spec, const std::string& usage);
  /// The '+'-separated parts of `spec`. @throw UsageError as parse.
  static std::vector<std::string> split(std::string_view spec, const std::string& usage);
};

/**
 * @brief The element at `path` in `obj`: the key path.whole if the object has it (a key holding a
 * '.'), else the nested keys. @return false when there is none.
 */
bool find_field(simdjson::dom::object obj, const FieldSpec::Path& path,
                simdjson::dom::element& out);

/// A field a record (or a column a table) has, for the --text-field hint: its path and the
/// bytes of its string (a column's: the mean per row).
struct FieldCandidate {
  std::string name;
  double bytes = 0;
};

/// Strings shorter than this (a column's mean) are labels, not text: never suggested.
constexpr double kMinSuggestedTextBytes = 16;

/**
 * @brief The text field to suggest when the one asked for is missing: "text" (the default) when
 * it is a candidate, else the candidate with the longest strings -- never one of `exclude` (the
 * field asked for, the id field), an id-like name (id, *_id, uuid, url, hash, ...) or a field of
 * strings shorter than kMinSuggestedTextBytes. @return empty when none fits.
 */
std::string suggest_text_field(const std::vector<FieldCandidate>& candidates,
                               const std::vector<std::string>& exclude);

/// A record that could not be used, by line, with what it holds instead (for the hint).
struct BadRecord {
  std::uint64_t line = 0;
  SkipReason reason{};
  std::string detail;
  /// The text field is missing or not a string: the record's top-level keys ("a, b") and a path
  /// holding a string to try instead (empty when none does).
  std::string fields, suggestion;
  std::string field;        ///< the text field (one of several joined) that was missing or not text
  bool plain_text = false;  ///< malformed JSON that does not begin like JSON: plain text?
  bool row = false;         ///< `line` is the 0-based row of a Parquet file or table
};

/**
 * A JSON line parsed with its numbers kept as written: simdjson cannot hold a 30-digit integer or
 * 1e400 (its parse fails) and writes 1E2 as 100.0. parse() replaces every number by a placeholder
 * (its index) first; append() writes an element of that parse back with the numbers' text.
 */
class NumberText {
 public:
  /**
   * @return simdjson's error for the line with its numbers replaced: every number by its index
   * (an integer), or with `only_unholdable` only those simdjson cannot hold, by a marked string
   * (the other numbers, of an output file's counts and scores, keep their values).
   */
  simdjson::error_code parse(simdjson::dom::parser& parser, std::string_view line,
                             simdjson::dom::element& root, bool only_unholdable = false);
  /// Appends `e`, an element of the last parse, minified with its numbers as written.
  void append(std::string& out, simdjson::dom::element e) const;

 private:
  std::string line_;                  // the line with placeholders
  std::vector<std::string> numbers_;  // the numbers' text
  bool marked_ = false;               // only_unholdable: placeholders are marked strings
};

/// True for simdjson's errors about a number it cannot hold (NumberText parses such a line).
bool is_number_error(simdjson::error_code err);

class RecordParser {
 public:
  RecordParser(std::string text_field, std::string id_field,
               InputFormat format = InputFormat::jsonl);

  /**
   * @brief Parses one line (len bytes at p, followed by io::kPadding readable bytes).
   * On success sets `text` (valid until the next call) and `id_json` (the id as minified JSON, or
   * empty when the record has no id / a null one) and returns true. On failure sets `reason` and a
   * human-readable `detail` and returns false.
   */
  bool parse(const char* p, std::size_t len, std::string_view& text, std::string& id_json,
             SkipReason& reason, std::string& detail);

  /// After parse() failed on `line`: fills b.fields, b.suggestion and b.plain_text.
  void explain(std::string_view line, BadRecord& b);

  /// The top-level keys ("a, b") of the last line parsed, when it was a JSON object; else empty.
  std::string keys() const;

  /// Changes the fields and format (cheap when they are the same).
  void set_fields(const std::string& text_field, const std::string& id_field,
                  InputFormat format = InputFormat::jsonl);

  /// Drops the parser's memory after a huge record so one 200 MB line does not pin it per thread.
  void trim();

 private:
  simdjson::dom::parser parser_;
  std::string text_field_, id_field_;
  InputFormat format_;
  FieldSpec text_, id_;
  std::string joined_;      // the text of several fields
  std::size_t failed_ = 0;  // the text path that was missing or not a string
  NumberText numbers_;      // the last line's numbers, when parsed through it
  simdjson::dom::element root_;
  bool have_root_ = false;  // root_ is the last line's, which parsed as JSON
};

/// True when the line holds only JSON whitespace (space, \t, \r, \n).
bool is_blank(std::string_view line);

/// Appends s as a JSON string literal (quotes, escapes) to out.
void append_json_string(std::string& out, std::string_view s);

}  // namespace dupscan
