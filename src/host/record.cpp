#include "record.hpp"

namespace dupscan {

namespace {
// Parser memory above this is released after use (see trim()).
constexpr std::size_t kKeepParserCapacity = std::size_t{64} << 20;
}  // namespace

RecordParser::RecordParser(std::string text_field, std::string id_field)
    : text_field_(std::move(text_field)), id_field_(std::move(id_field)) {}

bool RecordParser::parse(const char* p, std::size_t len, std::string_view& text,
                         std::string& id_json, SkipReason& reason, std::string& detail) {
  // UTF-8 first, separately: simdjson's error for a line that is both ill-formed UTF-8 and bad
  // JSON may differ between its CPU kernels, and the reason must not depend on the machine.
  if (!simdjson::validate_utf8(p, len)) {
    reason = SkipReason::invalid_utf8;
    detail = "invalid UTF-8";
    return false;
  }
  simdjson::dom::element root;
  const auto err = parser_.parse(reinterpret_cast<const std::uint8_t*>(p), len, false).get(root);
  if (err) {
    reason = err == simdjson::CAPACITY ? SkipReason::record_too_large : SkipReason::malformed_json;
    detail = std::string(reason == SkipReason::record_too_large ? "record too large"
                                                                : "malformed JSON") +
             " (" + simdjson::error_message(err) + ")";
    return false;
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    reason = SkipReason::not_an_object;
    detail = "the line is JSON but not an object";
    return false;
  }
  simdjson::dom::element field;
  if (obj.at_key(text_field_).get(field)) {
    reason = SkipReason::missing_text_field;
    detail = "no \"" + text_field_ + "\" field";
    return false;
  }
  if (field.get_string().get(text)) {
    reason = SkipReason::text_not_string;
    detail = "field \"" + text_field_ + "\" is not a string";
    return false;
  }
  id_json.clear();
  simdjson::dom::element id;
  if (!id_field_.empty() && !obj.at_key(id_field_).get(id) && !id.is_null()) {
    id_json = simdjson::minify(id);
  }
  return true;
}

void RecordParser::trim() {
  if (parser_.capacity() > kKeepParserCapacity) parser_ = simdjson::dom::parser();
}

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace dupscan
