#include "dupscan/normalize.hpp"

#include <array>

#include "utf8.hpp"

namespace dupscan {
namespace {

#include "unicode_table.inc"

inline int table_entry(char32_t cp) noexcept {
  return kStage2[kStage1[cp >> kBlockShift]][cp & ((1u << kBlockShift) - 1)];
}

// Class and lowercase of the 128 ASCII code points, read once from the generated table so that the
// fast path cannot drift from it.
struct AsciiTable {
  std::array<CharClass, 128> cls{};
  std::array<char, 128> lower{};
  AsciiTable() {
    for (unsigned c = 0; c < 128; ++c) {
      cls[c] = static_cast<CharClass>(table_entry(c) & 7);
      lower[c] = static_cast<char>(static_cast<int>(c) + (table_entry(c) >> 3));
    }
  }
};
const AsciiTable kAscii;

// Output cursor over a std::string that grows on demand: each code point needs at most 4 bytes plus
// the one separating space.
class Writer {
 public:
  explicit Writer(std::string& s, std::size_t hint) : s_(s) {
    s_.resize(hint + 8);
    p_ = s_.data();
    end_ = p_ + s_.size();
  }
  void reserve5() {
    if (end_ - p_ < 5) {
      std::size_t used = static_cast<std::size_t>(p_ - s_.data());
      s_.resize(s_.size() * 2 + 8);
      p_ = s_.data() + used;
      end_ = s_.data() + s_.size();
    }
  }
  void put(char c) { *p_++ = c; }
  void put_cp(char32_t cp) { p_ = utf8::encode(cp, p_); }
  void finish() { s_.resize(static_cast<std::size_t>(p_ - s_.data())); }
  bool empty() const { return p_ == s_.data(); }

 private:
  std::string& s_;
  char* p_;
  char* end_;
};

}  // namespace

std::string NormalizeOptions::describe() const {
  std::string d = lowercase ? "lowercase" : "keep-case";
  d += strip_punctuation ? ",strip-punct" : ",keep-punct";
  return d;
}

CharClass char_class(char32_t cp) noexcept {
  return static_cast<CharClass>(table_entry(cp) & 7);
}

char32_t simple_lowercase(char32_t cp) noexcept {
  return static_cast<char32_t>(static_cast<int>(cp) + (table_entry(cp) >> 3));
}

const char* unicode_version() noexcept {
  return kUnicodeVersion;
}

std::size_t normalize(std::string_view text, const NormalizeOptions& options, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  const CharClass punct_as = options.strip_punctuation ? CharClass::space : CharClass::word;
  const bool lower = options.lowercase;

  Writer w(out, text.size());
  std::size_t words = 0;
  bool in_word = false;
  while (p < end) {
    w.reserve5();
    const unsigned char c = *p;
    if (c < 0x80) {
      CharClass cls = kAscii.cls[c];
      if (cls == CharClass::punct) cls = punct_as;
      ++p;
      if (cls == CharClass::word) {
        if (!in_word) {
          if (words != 0) w.put(' ');
          in_word = true;
          ++words;
        }
        w.put(lower ? kAscii.lower[c] : static_cast<char>(c));
      } else {
        in_word = false;  // ASCII has no `drop` or `mark` code points
      }
      continue;
    }
    const utf8::Decoded d = utf8::decode(p, end);
    p += d.length;
    const int e = table_entry(d.cp);
    CharClass cls = static_cast<CharClass>(e & 7);
    if (cls == CharClass::drop) continue;
    if (cls == CharClass::mark) {
      if (!in_word) continue;  // extends a separator (or nothing): deleted with it
      cls = CharClass::word;
    }
    if (cls == CharClass::punct) cls = punct_as;
    if (cls != CharClass::word) {
      in_word = false;
      continue;
    }
    if (!in_word) {
      if (words != 0) w.put(' ');
      in_word = true;
      ++words;
    }
    w.put_cp(lower ? static_cast<char32_t>(static_cast<int>(d.cp) + (e >> 3)) : d.cp);
  }
  w.finish();
  return words;
}

std::string normalize(std::string_view text, const NormalizeOptions& options) {
  std::string out;
  normalize(text, options, out);
  return out;
}

}  // namespace dupscan
