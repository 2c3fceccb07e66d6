#include "dupscan/normalize.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "utf8.hpp"

namespace dupscan {
namespace {

#include "unicode_table.inc"

inline int table_entry(char32_t cp) noexcept {
  return kStage2[kStage1[cp >> kBlockShift]][cp & ((1u << kBlockShift) - 1)];
}

// What each ASCII byte becomes under each of the four option sets: its (lowercased) self, or ' '
// for a separator. Read once from the generated table so that the fast path cannot drift from it.
struct AsciiMaps {
  std::array<std::array<char, 128>, 4> map{};  // [lowercase * 2 + strip_punctuation]
  AsciiMaps() {
    for (int opt = 0; opt < 4; ++opt) {
      const bool lower = opt & 2, strip = opt & 1;
      for (unsigned c = 0; c < 128; ++c) {
        const int e = table_entry(c);
        auto cls = static_cast<CharClass>(e & 7);  // ASCII has no drop or mark code points
        if (cls == CharClass::punct) cls = strip ? CharClass::space : CharClass::word;
        map[opt][c] = cls != CharClass::word ? ' '
                      : lower                ? static_cast<char>(static_cast<int>(c) + (e >> 3))
                                             : static_cast<char>(c);
      }
    }
  }
};
const AsciiMaps kAscii;

// Input is consumed in chunks; before each, the output gets room for the chunk's worst case: three
// bytes per input byte (an ill-formed byte becomes U+FFFD), a code point that straddles the chunk
// end, and one space.
constexpr std::size_t kChunk = 4096;

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
  const char* map = kAscii.map[(lower ? 2 : 0) + (options.strip_punctuation ? 1 : 0)].data();

  // The output is words separated by single spaces, with at most one trailing space that is cut
  // at the end. `last_sep`: nothing or a separator was written last, so no word is open.
  // Written into a per-thread buffer that only grows, then copied: resizing `out` up front would
  // zero-fill three times the input on every call.
  thread_local std::vector<char> buf;
  std::size_t w = 0;
  std::size_t words = 0;
  bool last_sep = true;
  while (p < end) {
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(end - p), kChunk);
    if (buf.size() < w + 3 * n + 8) buf.resize(std::max(buf.size() * 2, w + 3 * n + 8));
    char* const o = buf.data();
    const auto* const chunk_end = p + n;
    while (p < chunk_end) {
      // ASCII, without branches on the data: a separator after a separator writes nothing.
      while (p < chunk_end && *p < 0x80) {
        const char m = map[*p++];
        const bool sep = m == ' ';
        o[w] = m;
        w += !(sep & last_sep);
        words += !sep & last_sep;
        last_sep = sep;
      }
      if (p >= chunk_end) break;
      // One non-ASCII code point (it may end past chunk_end: the room above allows for it).
      const utf8::Decoded d = utf8::decode(p, end);
      p += d.length;
      const int e = table_entry(d.cp);
      CharClass cls = static_cast<CharClass>(e & 7);
      if (cls == CharClass::drop) continue;
      if (cls == CharClass::mark) {
        if (last_sep) continue;  // extends a separator (or nothing): deleted with it
        cls = CharClass::word;
      }
      if (cls == CharClass::punct) cls = punct_as;
      if (cls != CharClass::word) {
        if (!last_sep) o[w++] = ' ';
        last_sep = true;
        continue;
      }
      words += last_sep;
      last_sep = false;
      const char32_t cp = lower ? static_cast<char32_t>(static_cast<int>(d.cp) + (e >> 3)) : d.cp;
      w = static_cast<std::size_t>(utf8::encode(cp, o + w) - o);
    }
  }
  if (w > 0 && buf[w - 1] == ' ') --w;
  out.assign(buf.data(), w);
  if (buf.size() > (std::size_t{64} << 20)) std::vector<char>().swap(buf);  // after a huge doc
  return words;
}

std::string normalize(std::string_view text, const NormalizeOptions& options) {
  std::string out;
  normalize(text, options, out);
  return out;
}

}  // namespace dupscan
