// UTF-8 decoding with U+FFFD substitution of maximal subparts (see normalize.hpp), and encoding.
#pragma once

#include <cstdint>

namespace dupscan::utf8 {

constexpr char32_t replacement = 0xFFFD;

struct Decoded {
  char32_t cp;      ///< the code point, or U+FFFD for an ill-formed subpart
  unsigned length;  ///< bytes consumed, >= 1
};

/**
 * Decodes the code point at p (p < end). Follows Table 3-7 of the Unicode standard (well-formed
 * byte sequences): on an ill-formed sequence it consumes the maximal subpart -- the longest prefix
 * that could start a well-formed sequence, at least one byte -- and returns U+FFFD.
 */
inline Decoded decode(const unsigned char* p, const unsigned char* end) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return {b0, 1};
  unsigned need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  char32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {replacement, 1};  // 80..C1, F5..FF never start a sequence
  }
  const unsigned char* q = p + 1;
  for (unsigned i = 0; i < need; ++i, ++q) {
    if (q >= end) return {replacement, static_cast<unsigned>(q - p)};
    const unsigned char b = *q;
    const unsigned char l = i == 0 ? lo : 0x80;
    const unsigned char h = i == 0 ? hi : 0xBF;
    if (b < l || b > h) return {replacement, static_cast<unsigned>(q - p)};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, need + 1};
}

/// Writes cp (a Unicode scalar value) as UTF-8 at out and returns the end of what it wrote.
inline char* encode(char32_t cp, char* out) {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xC0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

/// True for the first byte of a code point in well-formed UTF-8 (anything but a continuation byte).
inline bool is_lead(unsigned char b) {
  return (b & 0xC0) != 0x80;
}

}  // namespace dupscan::utf8
