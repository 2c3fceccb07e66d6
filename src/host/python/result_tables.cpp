#include "result_tables.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "arrow_out.hpp"
#include "dupscan/errors.hpp"

namespace dupscan::python {
namespace {

using Type = ArrowColumn::Type;

// ---- the tables' columns ------------------------------------------------------------------------

/// A column: its type, or (group >= 0) the id group whose type it takes; a list's element
/// (one field, "item") or a struct's fields.
struct Spec {
  std::string name;
  Type type = Type::null;
  int group = -1;
  std::vector<Spec> fields;
};

Spec id(std::string name, int group) {
  return Spec{std::move(name), Type::null, group, {}};
}
Spec of(std::string name, Type type) {
  return Spec{std::move(name), type, -1, {}};
}
Spec list(std::string name, Spec item) {
  item.name = "item";  // pyarrow.list_()'s element name
  return Spec{std::move(name), Type::list, -1, {std::move(item)}};
}
Spec struct_of(std::string name, std::vector<Spec> fields) {
  return Spec{std::move(name), Type::struct_, -1, std::move(fields)};
}

// The id groups: 0, a table's document ids; 1, contam's training ids.
Spec table_spec(ResultTable t) {
  switch (t) {
    case ResultTable::duplicates:
      return struct_of("", {id("id", 0), id("duplicate_of", 0), of("cluster", Type::int64),
                            of("kind", Type::utf8), of("jaccard", Type::float64)});
    case ResultTable::clusters:
      return struct_of("", {of("cluster", Type::int64), id("kept", 0), list("members", id("", 0))});
    case ResultTable::contamination:
      return struct_of(
          "",
          {of("benchmark", Type::utf8), id("id", 0), of("words", Type::int64),
           of("judged", Type::boolean), of("dirty", Type::boolean), of("coverage", Type::float64),
           of("longest_match", Type::int64), of("train_docs", Type::int64),
           list("matches", struct_of("", {id("train_id", 1), of("train_offset", Type::int64),
                                          of("eval_start", Type::int64),
                                          of("eval_end", Type::int64), of("ngrams", Type::int64)})),
           of("more_matches", Type::int64),
           list("near_duplicates",
                struct_of("", {id("train_id", 1), of("jaccard", Type::float64)}))});
  }
  return {};
}

// ---- JSON text ----------------------------------------------------------------------------------

[[noreturn]] void bad(std::string_view what, std::string_view text) {
  throw Error("dupscan: a result line the package cannot read (" + std::string(what) +
              "): " + std::string(text.substr(0, 200)));
}

/// A reader of one line's JSON: values as spans of the line's text.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool at_end() {
    ws();
    return i_ == s_.size();
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) bad(std::string("expected '") + c + "'", s_);
  }
  /// One value (any JSON type), skipped; its text.
  std::string_view value() {
    ws();
    const std::size_t start = i_;
    if (i_ == s_.size()) bad("expected a value", s_);
    const char c = s_[i_];
    if (c == '"') {
      string_end();
    } else if (c == '{' || c == '[') {
      int depth = 0;
      while (i_ < s_.size()) {
        const char d = s_[i_];
        if (d == '"') {
          string_end();
          continue;
        }
        ++i_;
        if (d == '{' || d == '[') ++depth;
        if ((d == '}' || d == ']') && --depth == 0) break;
      }
      if (depth != 0) bad("unbalanced brackets", s_);
    } else {
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
             s_[i_] != '\t' && s_[i_] != '\r') {
        ++i_;
      }
    }
    return s_.substr(start, i_ - start);
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  void string_end() {  // at the opening quote: past the closing one
    for (++i_; i_ < s_.size(); ++i_) {
      if (s_[i_] == '\\') {
        ++i_;
      } else if (s_[i_] == '"') {
        ++i_;
        return;
      }
    }
    bad("unterminated string", s_);
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

/// Calls f(key, value) for each member of the object `text`.
template <class F>
void for_each_member(std::string_view text, F&& f) {
  Cursor c(text);
  c.expect('{');
  if (c.eat('}')) return;
  do {
    const std::string_view key = c.value();
    if (key.size() < 2 || key.front() != '"') bad("expected a key", text);
    c.expect(':');
    f(key.substr(1, key.size() - 2), c.value());
  } while (c.eat(','));
  c.expect('}');
  if (!c.at_end()) bad("more than one value", text);
}

/// Calls f(element) for each element of the array `text`.
template <class F>
void for_each_element(std::string_view text, F&& f) {
  Cursor c(text);
  c.expect('[');
  if (c.eat(']')) return;
  do {
    f(c.value());
  } while (c.eat(','));
  c.expect(']');
}

void append_utf8_of(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::uint32_t hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) bad("short \\u escape", s);
  std::uint32_t v = 0;
  const auto r = std::from_chars(s.data() + at, s.data() + at + 4, v, 16);
  if (r.ptr != s.data() + at + 4) bad("bad \\u escape", s);
  return v;
}

/// The string a JSON string literal (with its quotes) stands for, in UTF-8. A lone surrogate
/// escape (which UTF-8 cannot hold) becomes U+FFFD.
void unescape(std::string_view lit, std::string& out) {
  out.clear();
  if (lit.size() < 2 || lit.front() != '"') bad("expected a string", lit);
  const std::string_view s = lit.substr(1, lit.size() - 2);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) bad("bad escape", lit);
    switch (s[i]) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        std::uint32_t cp = hex4(s, i + 1);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < s.size() && s[i + 1] == '\\' &&
            s[i + 2] == 'u') {
          const std::uint32_t low = hex4(s, i + 3);
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        append_utf8_of(out, cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp);
        break;
      }
      default:
        out += s[i];
        break;  // \" \\ \/
    }
  }
}

struct Integer {
  bool ok = false;  // an integer of at most 64 bits' magnitude
  bool negative = false;
  std::uint64_t magnitude = 0;
};

Integer integer_of(std::string_view v) {
  Integer n;
  std::size_t i = 0;
  if (!v.empty() && v[0] == '-') {
    n.negative = true;
    i = 1;
  }
  if (i == v.size()) return n;
  const auto r = std::from_chars(v.data() + i, v.data() + v.size(), n.magnitude);
  n.ok = r.ec == std::errc() && r.ptr == v.data() + v.size();
  return n;
}

bool fits_int64(const Integer& n) {
  return n.ok &&
         n.magnitude <= (n.negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1);
}
bool fits_uint64(const Integer& n) {
  return n.ok && (!n.negative || n.magnitude == 0);
}

std::int64_t int64_of(std::string_view v) {
  const Integer n = integer_of(v);
  if (!fits_int64(n)) bad("expected a 64-bit integer", v);
  return n.negative ? static_cast<std::int64_t>(0 - n.magnitude)
                    : static_cast<std::int64_t>(n.magnitude);
}

double float64_of(std::string_view v) {
  double d = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), d);
  if (r.ptr != v.data() + v.size()) bad("expected a number", v);
  if (r.ec == std::errc::result_out_of_range) {  // as Python's float(): inf or 0, signed
    d = std::strtod(std::string(v).c_str(), nullptr);
  }
  return d;
}

bool is_number(std::string_view v) {
  return !v.empty() && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'));
}

bool is_integer(std::string_view v) {
  return v.find_first_of(".eE") == std::string_view::npos;
}

// ---- id groups
// ------------------------------------------------------------------------------------

/// The JSON types a group's ids have, and so the group's column type.
struct IdGroup {
  bool string = false, boolean = false, integer = false, real = false, composite = false;
  bool all_int64 = true, all_uint64 = true;

  void see(std::string_view v) {
    switch (v.empty() ? ' ' : v[0]) {
      case '"':
        string = true;
        break;
      case 't':
      case 'f':
        boolean = true;
        break;
      case 'n':
        break;  // null: no id
      case '{':
      case '[':
        composite = true;
        break;
      default:
        if (!is_number(v)) bad("expected an id", v);
        if (is_integer(v)) {
          integer = true;
          const Integer n = integer_of(v);
          all_int64 = all_int64 && fits_int64(n);
          all_uint64 = all_uint64 && fits_uint64(n);
        } else {
          real = true;
        }
    }
  }
  bool json() const {
    const int kinds = string + boolean + integer + real + composite;
    return kinds > 1 || composite || (integer && !all_int64 && !all_uint64);
  }
  Type type() const {
    if (json()) return Type::utf8;
    if (string) return Type::utf8;
    if (boolean) return Type::boolean;
    if (integer) return all_int64 ? Type::int64 : Type::uint64;
    if (real) return Type::float64;
    return Type::null;
  }
};

using Groups = std::vector<IdGroup>;

// The most fields a table or struct of result_tables.hpp has (contamination.jsonl's 11).
constexpr std::size_t kMaxFields = 16;
using Fields = std::array<std::string_view, kMaxFields>;

/// The members of the object `text` in the order of `s.fields` (empty: missing). The engines
/// write them in that order: each key is looked for where the last one was found, then
/// everywhere.
Fields fields_of(std::string_view text, const Spec& s) {
  if (s.fields.size() > kMaxFields) bad("a table of too many fields", text);
  Fields values{};
  std::size_t next = 0;
  for_each_member(text, [&](std::string_view key, std::string_view v) {
    const std::size_t n = s.fields.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t f = (next + k) % n;
      if (s.fields[f].name == key) {
        values[f] = v;
        next = f + 1;
        return;
      }
    }
    bad("a field '" + std::string(key) + "' the table does not have", text);
  });
  return values;
}

void see_ids(std::string_view v, const Spec& s, Groups& groups) {
  if (s.group >= 0) {
    groups[static_cast<std::size_t>(s.group)].see(v);
  } else if (s.type == Type::list && v != "null") {
    for_each_element(v, [&](std::string_view e) { see_ids(e, s.fields[0], groups); });
  } else if (s.type == Type::struct_ && v != "null") {
    const Fields values = fields_of(v, s);
    for (std::size_t f = 0; f < s.fields.size(); ++f) {
      if (!values[f].empty()) see_ids(values[f], s.fields[f], groups);
    }
  }
}

ArrowColumn column_of(const Spec& s, const Groups& groups) {
  if (s.group >= 0) {
    const IdGroup& g = groups[static_cast<std::size_t>(s.group)];
    ArrowColumn c(s.name, g.type());
    c.json = g.json();
    return c;
  }
  ArrowColumn c(s.name, s.type);
  for (const Spec& f : s.fields)
    c.children.push_back(column_of(f, groups));
  return c;
}

void append(std::string_view v, const Spec& s, ArrowColumn& c, std::string& text) {
  if (v.empty() || v == "null") {
    c.append_null();
    return;
  }
  if (c.json) {
    c.append_utf8(v);  // the id's JSON text, as the output writes it
    return;
  }
  switch (c.type) {
    case Type::null:
      c.append_null();
      break;
    case Type::boolean:
      if (v != "true" && v != "false") bad("expected true or false", v);
      c.append_bool(v == "true");
      break;
    case Type::int64:
      c.append_int64(int64_of(v));
      break;
    case Type::uint64: {
      const Integer n = integer_of(v);
      if (!fits_uint64(n)) bad("expected an unsigned 64-bit integer", v);
      c.append_uint64(n.magnitude);
      break;
    }
    case Type::float64:
      c.append_float64(float64_of(v));
      break;
    case Type::utf8:
      if (v.size() >= 2 && v.front() == '"' && v.find('\\') == std::string_view::npos) {
        c.append_utf8(v.substr(1, v.size() - 2));  // nothing escaped: the text as it is
      } else {
        unescape(v, text);
        c.append_utf8(text);
      }
      break;
    case Type::list:
      for_each_element(v, [&](std::string_view e) { append(e, s.fields[0], c.children[0], text); });
      c.end_nested();
      break;
    case Type::struct_: {
      const Fields values = fields_of(v, s);
      for (std::size_t f = 0; f < s.fields.size(); ++f) {
        append(values[f], s.fields[f], c.children[f], text);
      }
      c.end_nested();
      break;
    }
  }
}

/// Calls f(line) for each line of `jsonl` that is not blank.
template <class F>
void for_each_line(std::string_view jsonl, F&& f) {
  std::size_t at = 0;
  while (at < jsonl.size()) {
    std::size_t end = jsonl.find('\n', at);
    if (end == std::string_view::npos) end = jsonl.size();
    const std::string_view line = jsonl.substr(at, end - at);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) f(line);
    at = end + 1;
  }
}

// A batch's lines in bytes, at most: every value of a batch is a part of its lines (unescaping
// only shortens), so no string column or list of the batch passes 2^31 - 1 (32-bit offsets).
constexpr std::size_t kBatchBytes = std::size_t{1} << 30;

}  // namespace

void result_table(ResultTable table, std::string_view jsonl, ArrowArrayStream* out) {
  const Spec spec = table_spec(table);
  Groups groups(2);
  for_each_line(jsonl, [&](std::string_view line) { see_ids(line, spec, groups); });
  std::vector<ArrowColumn> batches;
  std::size_t bytes = 0;
  std::string text;
  for_each_line(jsonl, [&](std::string_view line) {
    if (batches.empty() || (bytes > 0 && bytes + line.size() > kBatchBytes)) {
      batches.push_back(column_of(spec, groups));
      bytes = 0;
    }
    bytes += line.size() + 1;
    append(line, spec, batches.back(), text);
  });
  export_stream(column_of(spec, groups), std::move(batches), out);
}

}  // namespace dupscan::python
