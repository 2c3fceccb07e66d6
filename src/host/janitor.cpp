// lm-eval's Janitor normalization (contam.hpp), with the input position of every word.
#include <array>

#include "dupscan/contam.hpp"
#include "utf8.hpp"

namespace dupscan {
namespace {

// What an ASCII byte is: 0 kept, 1 whitespace (ends a word), 2 punctuation (deleted).
struct AsciiKinds {
  std::array<std::uint8_t, 128> kind{};
  AsciiKinds() {
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

}  // namespace

void janitor_words(std::string_view raw, JanitorWords& out) {
  out.text.clear();
  out.start.clear();
  out.raw_begin.clear();
  out.raw_end.clear();
  out.text.reserve(raw.size());
  const auto* base = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* p = base;
  const auto* const end = base + raw.size();
  bool in_token = false;  // inside a run of non-whitespace
  bool has_word = false;  // that run kept at least one character
  std::uint32_t token_begin = 0;
  auto close_token = [&](const unsigned char* at) {
    if (in_token && has_word) out.raw_end.push_back(static_cast<std::uint32_t>(at - base));
    in_token = has_word = false;
  };
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      const std::uint8_t k = kKinds.kind[c];
      if (k == 1) {
        close_token(p);
        ++p;
        continue;
      }
      if (!in_token) {
        in_token = true;
        token_begin = static_cast<std::uint32_t>(p - base);
      }
      if (k == 0) {
        if (!has_word) {
          has_word = true;
          if (!out.start.empty()) out.text.push_back(' ');
          out.start.push_back(static_cast<std::uint32_t>(out.text.size()));
          out.raw_begin.push_back(token_begin);
        }
        out.text.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : static_cast<char>(c));
      }
      ++p;
      continue;
    }
    const utf8::Decoded d = utf8::decode(p, end);
    if (unicode_space(d.cp)) {
      close_token(p);
      p += d.length;
      continue;
    }
    if (!in_token) {
      in_token = true;
      token_begin = static_cast<std::uint32_t>(p - base);
    }
    if (!has_word) {
      has_word = true;
      if (!out.start.empty()) out.text.push_back(' ');
      out.start.push_back(static_cast<std::uint32_t>(out.text.size()));
      out.raw_begin.push_back(token_begin);
    }
    out.text.append(reinterpret_cast<const char*>(p), d.length);
    p += d.length;
  }
  close_token(end);
}

}  // namespace dupscan
