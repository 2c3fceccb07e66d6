// Steps 1 and 2 of the fast sketch on AVX-512 (fast_values_simd.hpp). A word's unit hash is a
// loop over its 8-byte chunks; eight words run side by side, each chunk step masked to the lanes
// whose word has that chunk, and the bytes past a word's end are masked off as the scalar code
// does. Shingle values are a dot product of n unit hashes with powers of the base, eight shingles
// at a time from overlapping loads of the unit hashes, then fmix64.
#include "sketch/fast_values_simd.hpp"

#include <immintrin.h>

#include "common/avx512.hpp"
#include "dupscan/fast_sketch.hpp"

namespace dupscan::detail {
namespace {

DUPSCAN_AVX512 inline __m512i set1(std::uint64_t x) {
  return _mm512_set1_epi64(static_cast<long long>(x));
}

DUPSCAN_AVX512 inline __m512i fmix8(__m512i x) {
  x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 33));
  x = _mm512_mullo_epi64(x, set1(0xff51afd7ed558ccdULL));
  x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 33));
  x = _mm512_mullo_epi64(x, set1(0xc4ceb9fe1a85ec53ULL));
  return _mm512_xor_si512(x, _mm512_srli_epi64(x, 33));
}

// The first min(left, 8) bytes of each chunk, the rest cleared (a shift by 64 or more, which
// sllv turns into 0, clears none; left <= 0 lanes are masked off by the caller).
DUPSCAN_AVX512 inline __m512i keep_bytes(__m512i chunk, __m512i left) {
  return _mm512_andnot_si512(_mm512_sllv_epi64(set1(~std::uint64_t{0}), _mm512_slli_epi64(left, 3)),
                             chunk);
}

}  // namespace

DUPSCAN_AVX512 void word_units_avx512(const unsigned char* text, std::size_t len,
                                      const std::size_t* ws, std::size_t words,
                                      std::uint64_t* out) {
  static_assert(sizeof(std::size_t) == 8, "word starts are loaded as 64-bit lanes");
  const __m512i p2 = set1(spec::detail::prime64_2);
  std::size_t i = 0;
  // Eight words per step; a lane loops over its 8-byte chunks while its word has bytes left.
  for (; i + 8 <= words; i += 8) {
    const __m512i start = _mm512_loadu_si512(ws + i);
    const __m512i wlen =
        _mm512_sub_epi64(_mm512_sub_epi64(_mm512_loadu_si512(ws + i + 1), start), set1(1));
    const __m512i chunks = _mm512_srli_epi64(_mm512_add_epi64(wlen, set1(7)), 3);
    // The last chunk's 8-byte load ends at start + 8 * chunks (a first chunk is always loaded):
    // past the text, scalar code.
    const __m512i load_end =
        _mm512_add_epi64(start, _mm512_slli_epi64(_mm512_max_epu64(chunks, set1(1)), 3));
    if (_mm512_cmpgt_epu64_mask(load_end, set1(len))) break;
    // Every word has a first chunk, and h = 0 before it: h = chunk * P2.
    __m512i h = _mm512_mullo_epi64(keep_bytes(_mm512_i64gather_epi64(start, text, 1), wlen), p2);
    __m512i at = _mm512_add_epi64(start, set1(8));
    __m512i left = _mm512_sub_epi64(wlen, set1(8));
    for (__mmask8 m = _mm512_cmpgt_epi64_mask(left, _mm512_setzero_si512()); m;
         m = _mm512_cmpgt_epi64_mask(left, _mm512_setzero_si512())) {
      const __m512i chunk =
          keep_bytes(_mm512_mask_i64gather_epi64(_mm512_setzero_si512(), m, at, text, 1), left);
      const __m512i next = _mm512_mullo_epi64(_mm512_xor_si512(_mm512_rol_epi64(h, 27), chunk), p2);
      h = _mm512_mask_mov_epi64(h, m, next);
      at = _mm512_add_epi64(at, set1(8));
      left = _mm512_sub_epi64(left, set1(8));
    }
    _mm512_storeu_si512(out + i, h);
  }
  for (; i < words; ++i)
    out[i] = fast::word_hash(text + ws[i], ws[i + 1] - 1 - ws[i]);
}

DUPSCAN_AVX512 void shingle_values_avx512(const std::uint64_t* u, std::size_t n, std::size_t count,
                                          std::uint64_t* out) {
  // pow[k] = kBase^(n - 1 - k).
  std::uint64_t pow[64];
  const std::size_t terms = n < 64 ? n : 64;
  std::size_t j = 0;
  if (n <= 64) {
    for (std::size_t k = 0; k < terms; ++k)
      pow[k] = fast::base_pow(static_cast<std::uint32_t>(n - 1 - k));
    for (; j + 8 <= count; j += 8) {
      __m512i s = _mm512_loadu_si512(u + j + n - 1);  // times kBase^0
      for (std::size_t k = 0; k + 1 < n; ++k) {
        s = _mm512_add_epi64(s, _mm512_mullo_epi64(_mm512_loadu_si512(u + j + k), set1(pow[k])));
      }
      _mm512_storeu_si512(out + j, fmix8(s));
    }
  }
  for (; j < count; ++j) {
    std::uint64_t s = 0;
    for (std::size_t k = 0; k < n; ++k)
      s = s * fast::kBase + u[j + k];
    out[j] = fast::fmix64(s);
  }
}

}  // namespace dupscan::detail
