// lm-eval's Janitor normalization (dupscan/janitor.hpp), with the input position of every word.
#include <array>

#include "text/janitor.hpp"

#include "dupscan/janitor.hpp"
#include "text/utf8.hpp"

namespace dupscan {
namespace {

// What an ASCII byte is: 0 kept, 1 whitespace (ends a word), 2 punctuation (deleted).
struct AsciiKinds {
  std::array<std::uint8_t, 128> kind{};
  std::array<char, 128> lower{};
  AsciiKinds() {
    for (unsigned c = 0; c < 128; ++c)
      lower[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    for (unsigned c : {9u, 10u, 11u, 12u, 13u, 0x1cu, 0x1du, 0x1eu, 0x1fu, 32u})
      kind[c] = 1;
    for (char c : std::string_view("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")) {
      kind[static_cast<unsigned char>(c)] = 2;
    }
  }
};
const AsciiKinds kKinds;

// Python's str.isspace beyond ASCII (Unicode 14).
bool unicode_space(char32_t c) {
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// janitor_append()'s words written at text + w, which has room for raw.size() more bytes (the
// text is never longer than the input: a separator replaces at least one whitespace byte).
// Returns the end of what was written.
std::size_t janitor_write(std::string_view raw, char* text, std::size_t w,
                          std::vector<std::uint32_t>& start, std::vector<std::uint32_t>& raw_begin,
                          std::vector<std::uint32_t>& raw_end) {
  const std::size_t len = raw.size();
  const std::size_t first = start.size();
  const auto* base = reinterpret_cast<const unsigned char*>(raw.data());
  std::size_t i = 0;
  // One token (a run of non-whitespace) per outer iteration; the inner loop runs over its bytes,
  // where the branches are predictable (letters), instead of deciding each byte's role anew.
  while (i < len) {
    const unsigned char c = base[i];
    if (c < 0x80) {
      if (kKinds.kind[c] == 1) {
        ++i;
        continue;
      }
    } else {
      const utf8::Decoded d = utf8::decode(base + i, base + len);
      if (unicode_space(d.cp)) {
        i += d.length;
        continue;
      }
    }
    const auto token = static_cast<std::uint32_t>(i);
    bool has_word = false;
    while (i < len) {
      const unsigned char b = base[i];
      std::size_t n = 1;
      if (b < 0x80) {
        const std::uint8_t k = kKinds.kind[b];
        if (k == 1) break;
        if (k == 2) {
          ++i;
          continue;
        }
      } else {
        const utf8::Decoded d = utf8::decode(base + i, base + len);
        if (unicode_space(d.cp)) break;
        n = d.length;
      }
      if (!has_word) {
        has_word = true;
        if (start.size() > first) text[w++] = ' ';
        start.push_back(static_cast<std::uint32_t>(w));
        raw_begin.push_back(token);
      }
      if (b < 0x80) {
        text[w++] = kKinds.lower[b];
      } else {  // a code point, or one ill-formed byte: kept as it is
        for (std::size_t k = 0; k < n; ++k)
          text[w++] = static_cast<char>(base[i + k]);
      }
      i += n;
    }
    if (has_word) raw_end.push_back(static_cast<std::uint32_t>(i));
  }
  return w;
}

}  // namespace

void janitor_append(std::string_view raw, std::string& text, std::vector<std::uint32_t>& start,
                    std::vector<std::uint32_t>& raw_begin, std::vector<std::uint32_t>& raw_end) {
  const std::size_t w = text.size();
  text.resize(w + raw.size());
  text.resize(janitor_write(raw, text.data(), w, start, raw_begin, raw_end));
}

void janitor_append(std::string_view raw, BatchText& text, std::vector<std::uint32_t>& start,
                    std::vector<std::uint32_t>& raw_begin, std::vector<std::uint32_t>& raw_end) {
  const std::size_t w = text.size();
  char* room = text.room(raw.size()) - w;
  text.commit(janitor_write(raw, room, w, start, raw_begin, raw_end) - w);
}

void janitor_words(std::string_view raw, JanitorWords& out) {
  out.text.clear();
  out.start.clear();
  out.raw_begin.clear();
  out.raw_end.clear();
  janitor_append(raw, out.text, out.start, out.raw_begin, out.raw_end);
}

}  // namespace dupscan
