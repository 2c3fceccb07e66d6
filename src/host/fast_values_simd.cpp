// Steps 1 and 2 of the fast sketch on AVX-512 (fast_values_simd.hpp). A word's unit hash is a
// loop over its 8-byte chunks; eight words run side by side, each chunk step masked to the lanes
// whose word has that chunk, and the bytes past a word's end are masked off as the scalar code
// does. Shingle values are a dot product of n unit hashes with powers of the base, eight shingles
// at a time from overlapping loads of the unit hashes, then fmix64.
#include "fast_values_simd.hpp"

#include <immintrin.h>

#include "avx512.hpp"
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

}  // namespace

DUPSCAN_AVX512 void word_units_avx512(const unsigned char* text, std::size_t len,
                                      const std::size_t* ws, std::size_t words,
                                      std::uint64_t* out) {
  static_assert(sizeof(std::size_t) == 8, "word starts are loaded as 64-bit lanes");
  const __m512i ones = set1(~std::uint64_t{0});
  std::size_t i = 0;
  for (; i + 8 <= words; i += 8) {
    const __m512i start = _mm512_loadu_si512(ws + i);
    const __m512i wlen =
        _mm512_sub_epi64(_mm512_sub_epi64(_mm512_loadu_si512(ws + i + 1), start), set1(1));
    const __m512i chunks = _mm512_srli_epi64(_mm512_add_epi64(wlen, set1(7)), 3);
    // The last chunk's 8-byte load ends at start + 8 * chunks: past the text, scalar code.
    const __m512i load_end = _mm512_add_epi64(start, _mm512_slli_epi64(chunks, 3));
    if (_mm512_cmpgt_epu64_mask(load_end, set1(len))) break;
    const std::uint64_t most = _mm512_reduce_max_epu64(chunks);
    __m512i h = _mm512_setzero_si512();
    __m512i at = start, left = wlen;
    for (std::uint64_t c = 0; c < most; ++c) {
      const __mmask8 m = _mm512_cmpgt_epu64_mask(chunks, set1(c));
      __m512i chunk = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), m, at, text, 1);
      // Bytes past the word: keep min(left, 8) bytes (a shift count of 64 or more gives 0).
      const __m512i drop = _mm512_slli_epi64(
          _mm512_max_epi64(_mm512_sub_epi64(set1(8), left), _mm512_setzero_si512()), 3);
      chunk = _mm512_and_si512(chunk, _mm512_srlv_epi64(ones, drop));
      const __m512i next = _mm512_mullo_epi64(_mm512_xor_si512(_mm512_rol_epi64(h, 27), chunk),
                                              set1(spec::detail::prime64_2));
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
