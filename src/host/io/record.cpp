#include "io/record.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "dupscan/errors.hpp"

namespace dupscan {

namespace {
// Parser memory above this is released after use (see trim()).
constexpr std::size_t kKeepParserCapacity = std::size_t{64} << 20;
}  // namespace

std::vector<std::string> FieldSpec::split(std::string_view spec, const std::string& usage) {
  std::vector<std::string> parts;
  std::size_t p = 0;
  while (p <= spec.size()) {
    const auto plus = std::min(spec.find('+', p), spec.size());
    if (plus == p) throw UsageError(usage + " (an empty FIELD)");
    parts.emplace_back(spec.substr(p, plus - p));
    p = plus + 1;
  }
  return parts;
}

FieldSpec FieldSpec::parse(std::string_view spec, const std::string& usage) {
  FieldSpec f;
  for (std::string& part : split(spec, usage)) {
    Path path;
    std::size_t p = 0;
    while (p <= part.size()) {
      const auto dot = std::min(part.find('.', p), part.size());
      path.keys.push_back(part.substr(p, dot - p));
      p = dot + 1;
    }
    for (const std::string& k : path.keys) {
      // "a..b", ".a", "a.": an empty key, unless the whole part is one (matched whole first).
      if (k.empty() && path.keys.size() > 1) path.keys = {part};
    }
    path.whole = std::move(part);
    f.paths.push_back(std::move(path));
  }
  return f;
}

bool find_field(simdjson::dom::object obj, const FieldSpec::Path& path,
                simdjson::dom::element& out) {
  if (!obj.at_key(path.whole).get(out)) return true;
  if (path.keys.size() == 1) return false;
  simdjson::dom::object cur = obj;
  for (std::size_t i = 0; i < path.keys.size(); ++i) {
    if (cur.at_key(path.keys[i]).get(out)) return false;
    if (i + 1 < path.keys.size() && out.get_object().get(cur)) return false;
  }
  return true;
}

namespace {

FieldSpec field_spec(const std::string& field, const char* option) {
  if (field.empty()) return {};
  return FieldSpec::parse(
      field, std::string(option) + " must be KEY[.KEY...][+KEY...], got '" + field + "'");
}

// The paths below `obj` (down to `depth` objects deep) holding a string, with its length.
void string_fields(simdjson::dom::object obj, const std::string& prefix, int depth,
                   std::vector<FieldCandidate>& out) {
  for (auto field : obj) {
    const std::string path = prefix + std::string(field.key);
    std::string_view v;
    simdjson::dom::object inner;
    if (!field.value.get_string().get(v)) {
      out.push_back({path, static_cast<double>(v.size())});
    } else if (depth > 0 && !field.value.get_object().get(inner)) {
      string_fields(inner, path + ".", depth - 1, out);
    }
  }
}

// An id, a key, an address or a checksum: unique per record, never the text.
bool id_like(const std::string& path) {
  const std::string name =
      path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  std::string lower;
  for (char c : name)
    lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  static const char* const kNames[] = {"id",   "uuid", "guid", "key",    "url",   "uri",
                                       "hash", "md5",  "sha1", "sha256", "digest"};
  for (const char* n : kNames) {
    if (lower == n) return true;
  }
  auto ends = [&](const char* suffix) {
    const std::string s = suffix;
    return lower.size() > s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  };
  return ends("_id") || ends("-id") || ends("_url") || ends("_hash") ||
         (name.size() > 2 && name.compare(name.size() - 2, 2, "Id") == 0);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view t) {
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size() || !is_digit(t[i])) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (i < t.size() && is_digit(t[i]))
      ++i;
  }
  if (i < t.size() && t[i] == '.') {
    if (++i >= t.size() || !is_digit(t[i])) return false;
    while (i < t.size() && is_digit(t[i]))
      ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (i >= t.size() || !is_digit(t[i])) return false;
    while (i < t.size() && is_digit(t[i]))
      ++i;
  }
  return i == t.size();
}

// `line` with every JSON number outside strings replaced by its index in `numbers`, which
// receives the numbers' text: a record whose numbers simdjson cannot hold (a 30-digit integer,
// 1e400) then parses, and a numeric id is found as it was written.
// True when simdjson cannot hold the number: an integer outside int64/uint64, or a number that
// overflows a double (1e400).
bool unholdable(const std::string& t) {
  errno = 0;
  if (t.find_first_of(".eE") == std::string::npos) {
    if (t[0] == '-') {
      (void)std::strtoll(t.c_str(), nullptr, 10);
    } else {
      (void)std::strtoull(t.c_str(), nullptr, 10);
    }
    return errno == ERANGE;
  }
  return std::isinf(std::strtod(t.c_str(), nullptr));
}

// The placeholder of number k in NumberText's string mode: a string no real text holds.
constexpr char kNumberMark[] =
    "\x01"
    "dupscan-number:";

void number_placeholders(std::string_view line, std::string& out, std::vector<std::string>& numbers,
                         bool only_unholdable) {
  out.clear();
  numbers.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < line.size() && line[j] != '"')
        j += line[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, line.size());
      out.append(line.substr(i, j - i));
      i = j;
    } else if (c == '-' || is_digit(c)) {
      std::size_t j = i + 1;
      while (j < line.size() && (is_digit(line[j]) || line[j] == '.' || line[j] == 'e' ||
                                 line[j] == 'E' || line[j] == '+' || line[j] == '-')) {
        ++j;
      }
      const std::string_view t = line.substr(i, j - i);
      if (!is_json_number(t)) {
        out.append(t);  // not a number: stays malformed
      } else if (!only_unholdable) {
        out += std::to_string(numbers.size());
        numbers.emplace_back(t);
      } else if (unholdable(std::string(t))) {
        out += "\"\\u0001dupscan-number:" + std::to_string(numbers.size()) + "\"";
        numbers.emplace_back(t);
      } else {
        out.append(t);
      }
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
}

// True when `e` is or holds a number that simdjson keeps as a double: its minified form would
// not be its text (1E2 -> 100.0, 1.50 -> 1.5, -0 -> -0.0).
bool holds_double(simdjson::dom::element e, int depth = 0) {
  if (e.is_double()) return true;
  if (depth > 64) return true;
  simdjson::dom::array a;
  if (!e.get_array().get(a)) {
    for (auto x : a) {
      if (holds_double(x, depth + 1)) return true;
    }
    return false;
  }
  simdjson::dom::object o;
  if (!e.get_object().get(o)) {
    for (auto f : o) {
      if (holds_double(f.value, depth + 1)) return true;
    }
  }
  return false;
}

}  // namespace

std::string suggest_text_field(const std::vector<FieldCandidate>& candidates,
                               const std::vector<std::string>& exclude) {
  const FieldCandidate* best = nullptr;
  for (const FieldCandidate& c : candidates) {
    if (std::find(exclude.begin(), exclude.end(), c.name) != exclude.end() || id_like(c.name)) {
      continue;
    }
    if (c.name == "text") return c.name;  // the default, wherever it is and however short
    if (c.bytes < kMinSuggestedTextBytes) continue;
    if (best == nullptr || c.bytes > best->bytes) best = &c;
  }
  return best ? best->name : std::string();
}

bool is_number_error(simdjson::error_code err) {
  return err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE;
}

simdjson::error_code NumberText::parse(simdjson::dom::parser& parser, std::string_view line,
                                       simdjson::dom::element& root, bool only_unholdable) {
  marked_ = only_unholdable;
  number_placeholders(line, line_, numbers_, only_unholdable);
  return parser.parse(line_).get(root);
}

void NumberText::append(std::string& out, simdjson::dom::element e) const {
  std::uint64_t k = 0;
  std::string_view s;
  simdjson::dom::array a;
  simdjson::dom::object o;
  const std::size_t mark = sizeof kNumberMark - 1;
  if (!marked_ && !e.get_uint64().get(k) && k < numbers_.size()) {
    out += numbers_[k];
  } else if (marked_ && !e.get_string().get(s) && s.size() > mark &&
             s.compare(0, mark, kNumberMark) == 0 &&
             (k = std::strtoull(std::string(s.substr(mark)).c_str(), nullptr, 10)) <
                 numbers_.size()) {
    out += numbers_[k];
  } else if (!e.get_array().get(a)) {
    out += '[';
    bool first = true;
    for (auto x : a) {
      if (!first) out += ',';
      first = false;
      append(out, x);
    }
    out += ']';
  } else if (!e.get_object().get(o)) {
    out += '{';
    bool first = true;
    for (auto f : o) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, f.key);
      out += ':';
      append(out, f.value);
    }
    out += '}';
  } else {
    out += simdjson::minify(e);
  }
}

RecordParser::RecordParser(std::string text_field, std::string id_field, InputFormat format)
    : text_field_(std::move(text_field)), id_field_(std::move(id_field)), format_(format) {
  text_ = field_spec(text_field_, "--text-field");
  id_ = field_spec(id_field_, "--id-field");
}

void RecordParser::set_fields(const std::string& text_field, const std::string& id_field,
                              InputFormat format) {
  format_ = format;
  if (text_field != text_field_) {
    text_field_ = text_field;
    text_ = field_spec(text_field_, "--text-field");
  }
  if (id_field != id_field_) {
    id_field_ = id_field;
    id_ = field_spec(id_field_, "--id-field");
  }
}

// Long: the checks of one record in the order their reasons take precedence (UTF-8, JSON, an
// object, the text field, its type, the id), each a return of its SkipReason.
bool RecordParser::parse(const char* p, std::size_t len, std::string_view& text,
                         std::string& id_json, SkipReason& reason, std::string& detail) {
  have_root_ = false;
  // Ill-formed UTF-8 is the first reason, whatever else is wrong with the line: checked apart from
  // the JSON (simdjson's error for a line that is both ill-formed UTF-8 and bad JSON may differ
  // between its CPU kernels, and the reason must not depend on the machine). For JSON only when
  // the parse failed: simdjson validates every byte of a document it parses, so a line it parsed
  // is well-formed UTF-8 (checking it again was ~4 % of the host feed on short documents).
  auto ill_formed = [&] {
    if (simdjson::validate_utf8(p, len)) return false;
    reason = SkipReason::invalid_utf8;
    detail = "invalid UTF-8";
    return true;
  };
  if (format_ == InputFormat::text) {
    if (ill_formed()) return false;
    text = std::string_view(p, len > 0 && p[len - 1] == '\r' ? len - 1 : len);
    id_json.clear();
    return true;
  }
  simdjson::dom::element root;
  auto err = parser_.parse(reinterpret_cast<const std::uint8_t*>(p), len, false).get(root);
  bool placeheld = false;  // parsed with number_placeholders: numbers_ holds the numbers' text
  auto reparse = [&] {
    placeheld = true;
    err = numbers_.parse(parser_, std::string_view(p, len), root);
  };
  // A number simdjson cannot hold as a 64-bit integer or a double is still JSON.
  if (is_number_error(err)) reparse();
  if (!err && !id_.paths.empty()) {
    // An id that holds a non-integer number is kept as written: read again with placeholders.
    simdjson::dom::object o;
    simdjson::dom::element e;
    if (!placeheld && !root.get_object().get(o) && find_field(o, id_.paths[0], e) &&
        holds_double(e)) {
      reparse();
    }
  }
  if (err) {
    if (ill_formed()) return false;
    reason = err == simdjson::CAPACITY ? SkipReason::record_too_large : SkipReason::malformed_json;
    detail = std::string(reason == SkipReason::record_too_large ? "record too large"
                                                                : "malformed JSON") +
             " (" + simdjson::error_message(err) + ")";
    return false;
  }
  root_ = root;
  have_root_ = true;
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    reason = SkipReason::not_an_object;
    detail = "the line is JSON but not an object";
    return false;
  }
  if (text_.paths.empty()) {
    reason = SkipReason::missing_text_field;
    detail = "no text field given";
    return false;
  }
  simdjson::dom::element field;
  for (std::size_t i = 0; i < text_.paths.size(); ++i) {
    const FieldSpec::Path& path = text_.paths[i];
    failed_ = i;
    if (!find_field(obj, path, field)) {
      reason = SkipReason::missing_text_field;
      detail = "no \"" + path.whole + "\" field";
      return false;
    }
    std::string_view part;
    if (field.get_string().get(part)) {
      reason = SkipReason::text_not_string;
      detail = "field \"" + path.whole + "\" is not a string";
      return false;
    }
    if (text_.paths.size() == 1) {
      text = part;
    } else {
      if (i == 0) joined_.clear();
      if (i > 0) joined_ += '\n';
      joined_ += part;
    }
  }
  if (text_.paths.size() > 1) text = joined_;
  id_json.clear();
  simdjson::dom::element id;
  if (!id_.paths.empty() && find_field(obj, id_.paths[0], id) && !id.is_null()) {
    if (placeheld) {
      numbers_.append(id_json, id);
    } else {
      id_json = simdjson::minify(id);
    }
  }
  return true;
}

void RecordParser::explain(std::string_view line, BadRecord& b) {
  if (b.reason == SkipReason::malformed_json) {
    const auto first = line.find_first_not_of(" \t\r\n");
    b.plain_text = first != std::string_view::npos && line[first] != '{' && line[first] != '[';
    return;
  }
  if (!have_root_ ||
      (b.reason != SkipReason::missing_text_field && b.reason != SkipReason::text_not_string)) {
    return;
  }
  simdjson::dom::object obj;
  if (root_.get_object().get(obj)) return;
  b.field = failed_ < text_.paths.size() ? text_.paths[failed_].whole : text_field_;
  b.fields.clear();
  for (auto field : obj) {
    if (!b.fields.empty()) b.fields += ", ";
    b.fields += field.key;
  }
  std::vector<FieldCandidate> candidates;
  string_fields(obj, "", 2, candidates);
  std::vector<std::string> exclude{b.field};
  if (!id_.paths.empty()) exclude.push_back(id_.paths[0].whole);
  b.suggestion = suggest_text_field(candidates, exclude);
}

std::string RecordParser::keys() const {
  simdjson::dom::object obj;
  std::string out;
  if (!have_root_ || root_.get_object().get(obj)) return out;
  for (auto field : obj) {
    if (!out.empty()) out += ", ";
    out += field.key;
  }
  return out;
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
