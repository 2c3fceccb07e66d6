// spaces::word_starts on AVX-512: 64 bytes compared with ' ' in one instruction, the positions of
// the spaces compressed into consecutive bytes (VBMI2), then widened to 64-bit word starts eight
// at a time. The scalar loop (spaces.hpp) writes one start per set bit with a ctz each.
#include <immintrin.h>

#include "sketch/spaces.hpp"

namespace dupscan::spaces {

__attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt"))) std::size_t word_starts_avx512(
    const unsigned char* text, std::size_t len, std::size_t* ws) {
  static_assert(sizeof(std::size_t) == 8, "word starts are stored as 64-bit lanes");
  alignas(64) static const unsigned char kIota[64] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
      44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  const __m512i iota = _mm512_load_si512(kIota);
  const __m512i space = _mm512_set1_epi8(' ');
  alignas(64) unsigned char at[64];
  std::size_t words = 1;
  ws[0] = 0;
  for (std::size_t base = 0; base < len; base += 64) {
    const std::size_t left = len - base;
    // A masked load reads no byte past the text.
    const __mmask64 live = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
    const __m512i bytes = _mm512_maskz_loadu_epi8(live, text + base);
    const __mmask64 m = _mm512_mask_cmpeq_epi8_mask(live, bytes, space);
    if (!m) continue;
    const std::size_t count = static_cast<std::size_t>(_mm_popcnt_u64(m));
    _mm512_store_si512(at, _mm512_maskz_compress_epi8(m, iota));
    const __m512i first = _mm512_set1_epi64(static_cast<long long>(base + 1));
    // Eight starts per store; the last store may write up to 7 entries past them (word_starts'
    // slack), which the next block or ws[words] overwrites.
    for (std::size_t k = 0; k < count; k += 8) {
      const __m128i eight = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(at + k));
      _mm512_storeu_si512(ws + words + k, _mm512_add_epi64(_mm512_cvtepu8_epi64(eight), first));
    }
    words += count;
  }
  ws[words] = len + 1;
  return words;
}

}  // namespace dupscan::spaces
