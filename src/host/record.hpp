// One JSONL record -> its text and id (simdjson DOM: the whole line is validated).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "dupscan/dedup.hpp"

namespace dupscan {

class RecordParser {
 public:
  RecordParser(std::string text_field, std::string id_field);

  /**
   * @brief Parses one line (len bytes at p, followed by io::kPadding readable bytes).
   * On success sets `text` (valid until the next call) and `id_json` (the id as minified JSON, or
   * empty when the record has no id / a null one) and returns true. On failure sets `reason` and a
   * human-readable `detail` and returns false.
   */
  bool parse(const char* p, std::size_t len, std::string_view& text, std::string& id_json,
             SkipReason& reason, std::string& detail);

  /// Changes the fields looked up (cheap when they are the same).
  void set_fields(const std::string& text_field, const std::string& id_field) {
    if (text_field != text_field_) text_field_ = text_field;
    if (id_field != id_field_) id_field_ = id_field;
  }

  /// Drops the parser's memory after a huge record so one 200 MB line does not pin it per thread.
  void trim();

 private:
  simdjson::dom::parser parser_;
  std::string text_field_;
  std::string id_field_;
};

/// True when the line holds only JSON whitespace (space, \t, \r, \n).
bool is_blank(std::string_view line);

/// Appends s as a JSON string literal (quotes, escapes) to out.
void append_json_string(std::string& out, std::string_view s);

}  // namespace dupscan
