// Space positions of normalized text (whose words are separated by single ' ' bytes), found 64
// bytes at a time: a 64-bit mask of the space bytes (SSE2 compares, which every x86-64 CPU has;
// a portable SWAR fallback elsewhere), then its set bits written out in fixed unrolled steps
// whose count rarely depends on the data (the per-byte loop they replace branched or wrote at
// every byte). Shared by the word-shingle paths of both sketches (cpu_backend.cpp,
// fast_sketch.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/avx512.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dupscan::spaces {

/// Bit i set when p[i] == ' ', for the 64 bytes at p.
inline std::uint64_t mask64(const unsigned char* p) {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(' ');
  std::uint64_t m = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    m |= static_cast<std::uint64_t>(
             static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp))))
         << (16 * i);
  }
  return m;
#else
  constexpr std::uint64_t kSpaces = 0x2020202020202020ULL, kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  std::uint64_t m = 0;
  for (int i = 0; i < 8; ++i) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    const std::uint64_t t = w ^ kSpaces;
    const std::uint64_t zero = ~(((t & kLow7) + kLow7) | t | kLow7);  // 0x80 in each space byte
    m |= (((zero >> 7) * 0x0102040810204080ULL) >> 56) << (8 * i);
  }
  return m;
#endif
}

/// The same mask for the n < 64 bytes at p (reads only those).
inline std::uint64_t mask_tail(const unsigned char* p, std::size_t n) {
  std::uint64_t m = 0;
  for (std::size_t i = 0; i < n; ++i)
    m |= static_cast<std::uint64_t>(p[i] == ' ') << i;
  return m;
}

/// Set bits of x, inline (baseline x86-64 has no popcnt instruction, and __builtin_popcountll
/// there is a call into libgcc).
inline std::size_t popcount(std::uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<std::size_t>((x * 0x0101010101010101ULL) >> 56);
}

/**
 * @brief Writes base + i for every set bit i of mask, in increasing order, to out[0, count) and
 * returns count (the number of set bits). May write garbage to out[count, 16): out must have room
 * for max(count, 16) values.
 */
template <class T>
inline std::size_t flatten(std::uint64_t mask, T base, T* out) {
  const std::size_t count = popcount(mask);
  // ctz of (mask | top bit) is the next set bit while one is left, 63 after (the entry is unused).
  constexpr std::uint64_t top = std::uint64_t{1} << 63;
  for (int i = 0; i < 8; ++i) {
    out[i] = base + static_cast<T>(__builtin_ctzll(mask | top));
    mask &= mask - 1;
  }
  if (count > 8) {
    for (int i = 8; i < 16; ++i) {
      out[i] = base + static_cast<T>(__builtin_ctzll(mask | top));
      mask &= mask - 1;
    }
    for (std::size_t i = 16; i < count; ++i) {
      out[i] = base + static_cast<T>(__builtin_ctzll(mask));
      mask &= mask - 1;
    }
  }
  return count;
}

/// word_starts' loop on AVX-512 (BW and VBMI2: compare 64 bytes, compress the space positions);
/// same result. In spaces_avx512.cpp; call only where avx512vbmi2_default() (avx512.hpp) holds.
std::size_t word_starts_avx512(const unsigned char* text, std::size_t len, std::size_t* ws);

/**
 * @brief The word starts of normalized text[0, len) (len > 0) in ws[0, words) and ws[words] = len +
 * 1 (as if a space followed the text: word j is [ws[j], ws[j + 1] - 1)). Returns words; ws is grown
 * as needed and points into `buf`.
 */
inline std::size_t word_starts(const unsigned char* text, std::size_t len,
                               std::vector<std::size_t>& buf) {
  if (buf.size() < len + 2 + 16) buf.resize(len + 2 + 16);  // flatten's slack
  std::size_t* ws = buf.data();
  if (detail::avx512vbmi2_default()) return word_starts_avx512(text, len, ws);
  std::size_t words = 1;
  ws[0] = 0;
  for (std::size_t base = 0; base < len; base += 64) {
    const std::uint64_t mask =
        base + 64 <= len ? mask64(text + base) : mask_tail(text + base, len - base);
    words += flatten(mask, base + 1, ws + words);
  }
  ws[words] = len + 1;
  return words;
}

}  // namespace dupscan::spaces
