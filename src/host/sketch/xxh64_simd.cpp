// XXH64 of eight shingles per AVX-512 register (xxh64_simd.hpp). Each 64-bit lane follows
// spec::xxh64 for its own shingle; the branches of the scalar code on the length (the 32-byte
// stripes, then 8-byte, 4-byte and 1-byte steps) become masks, so every step runs as often as the
// longest lane in the register needs and a lane that needs it fewer times keeps its value. Bytes
// are fetched by masked gathers that touch only bytes of each lane's own shingle; the 1 to 3 last
// bytes come from one 4-byte gather of the shingle's last four bytes, so a shingle shorter than 4
// bytes is hashed by the scalar code instead.
//
// Where the time goes on the scalar side: a 5-word English shingle is 25-35 bytes, right where
// XXH64 switches between its stripe loop and its short path, so the scalar code mispredicts the
// length branches; the multiplies of eight shingles in one vector also run in parallel.
#include "sketch/xxh64_simd.hpp"

#include <immintrin.h>

#include "common/avx512.hpp"
#include "dupscan/spec.hpp"

namespace dupscan::detail {
namespace {

constexpr std::uint64_t kP1 = spec::detail::prime64_1;
constexpr std::uint64_t kP2 = spec::detail::prime64_2;
constexpr std::uint64_t kP3 = spec::detail::prime64_3;
constexpr std::uint64_t kP4 = spec::detail::prime64_4;
constexpr std::uint64_t kP5 = spec::detail::prime64_5;

DUPSCAN_AVX512 inline __m512i set1(std::uint64_t x) {
  return _mm512_set1_epi64(static_cast<long long>(x));
}

DUPSCAN_AVX512 inline __m512i round8(__m512i acc, __m512i lane) {
  acc = _mm512_add_epi64(acc, _mm512_mullo_epi64(lane, set1(kP2)));
  return _mm512_mullo_epi64(_mm512_rol_epi64(acc, 31), set1(kP1));
}

DUPSCAN_AVX512 inline __m512i merge8(__m512i acc, __m512i v) {
  acc = _mm512_xor_si512(acc, round8(_mm512_setzero_si512(), v));
  return _mm512_add_epi64(_mm512_mullo_epi64(acc, set1(kP1)), set1(kP4));
}

// The 8 bytes at text + index[lane] for the lanes in `m`; 0 elsewhere.
DUPSCAN_AVX512 inline __m512i gather8(const char* text, __mmask8 m, __m512i index) {
  return _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), m, index, text, 1);
}

// The 4 bytes at text + index[lane], zero-extended, for the lanes in `m`; 0 elsewhere.
DUPSCAN_AVX512 inline __m512i gather4(const char* text, __mmask8 m, __m512i index) {
  return _mm512_cvtepu32_epi64(
      _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), m, index, text, 1));
}

// XXH64 of the 8 shingles [start, start + len) of text; lanes whose len < 4 are not valid.
DUPSCAN_AVX512 __m512i hash8(const char* text, __m512i start, __m512i len) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i acc = set1(kP5);  // seed 0 + prime 5: the value of every shingle under 32 bytes
  const __m512i stripes = _mm512_srli_epi64(len, 5);
  const __mmask8 big = _mm512_cmpneq_epu64_mask(stripes, zero);
  if (big) {
    __m512i v1 = set1(kP1 + kP2), v2 = set1(kP2), v3 = zero, v4 = set1(0 - kP1);
    const std::uint64_t most = _mm512_reduce_max_epu64(stripes);
    __m512i p = start;
    for (std::uint64_t s = 0; s < most; ++s) {
      const __mmask8 m = _mm512_cmpgt_epu64_mask(stripes, set1(s));
      v1 = _mm512_mask_mov_epi64(v1, m, round8(v1, gather8(text, m, p)));
      v2 = _mm512_mask_mov_epi64(v2, m, round8(v2, gather8(text + 8, m, p)));
      v3 = _mm512_mask_mov_epi64(v3, m, round8(v3, gather8(text + 16, m, p)));
      v4 = _mm512_mask_mov_epi64(v4, m, round8(v4, gather8(text + 24, m, p)));
      p = _mm512_add_epi64(p, set1(32));
    }
    __m512i h =
        _mm512_add_epi64(_mm512_add_epi64(_mm512_rol_epi64(v1, 1), _mm512_rol_epi64(v2, 7)),
                         _mm512_add_epi64(_mm512_rol_epi64(v3, 12), _mm512_rol_epi64(v4, 18)));
    h = merge8(h, v1);
    h = merge8(h, v2);
    h = merge8(h, v3);
    h = merge8(h, v4);
    acc = _mm512_mask_mov_epi64(acc, big, h);
  }
  acc = _mm512_add_epi64(acc, len);
  // The tail after the stripes: rem = len mod 32 bytes from p.
  const __m512i rem = _mm512_and_si512(len, set1(31));
  __m512i p = _mm512_add_epi64(start, _mm512_andnot_si512(set1(31), len));
  const __m512i words8 = _mm512_srli_epi64(rem, 3);
  for (std::uint64_t c = 0; c < 3; ++c) {
    const __mmask8 m = _mm512_cmpgt_epu64_mask(words8, set1(c));
    if (!m) break;
    const __m512i k = round8(zero, gather8(text, m, p));
    const __m512i next = _mm512_add_epi64(
        _mm512_mullo_epi64(_mm512_rol_epi64(_mm512_xor_si512(acc, k), 27), set1(kP1)), set1(kP4));
    acc = _mm512_mask_mov_epi64(acc, m, next);
    p = _mm512_mask_add_epi64(p, m, p, set1(8));
  }
  const __mmask8 m4 = _mm512_test_epi64_mask(rem, set1(4));
  if (m4) {
    const __m512i k = _mm512_mullo_epi64(gather4(text, m4, p), set1(kP1));
    const __m512i next = _mm512_add_epi64(
        _mm512_mullo_epi64(_mm512_rol_epi64(_mm512_xor_si512(acc, k), 23), set1(kP2)), set1(kP3));
    acc = _mm512_mask_mov_epi64(acc, m4, next);
  }
  // 0 to 3 single bytes, the last of the shingle: taken from its last four bytes.
  const __m512i bytes = _mm512_and_si512(rem, set1(3));
  const __mmask8 any_bytes =
      _mm512_cmpneq_epu64_mask(bytes, zero) & _mm512_cmpge_epu64_mask(len, set1(4));
  if (any_bytes) {
    const __m512i last4 =
        gather4(text, any_bytes, _mm512_sub_epi64(_mm512_add_epi64(start, len), set1(4)));
    // Byte i of the bytes-long tail is byte 4 - bytes + i of last4.
    __m512i shift = _mm512_slli_epi64(_mm512_sub_epi64(set1(4), bytes), 3);
    for (std::uint64_t i = 0; i < 3; ++i) {
      const __mmask8 m = _mm512_cmpgt_epu64_mask(bytes, set1(i)) & any_bytes;
      if (!m) break;
      const __m512i b = _mm512_and_si512(_mm512_srlv_epi64(last4, shift), set1(0xFF));
      const __m512i x = _mm512_xor_si512(acc, _mm512_mullo_epi64(b, set1(kP5)));
      acc = _mm512_mask_mov_epi64(acc, m, _mm512_mullo_epi64(_mm512_rol_epi64(x, 11), set1(kP1)));
      shift = _mm512_add_epi64(shift, set1(8));
    }
  }
  acc = _mm512_xor_si512(acc, _mm512_srli_epi64(acc, 33));
  acc = _mm512_mullo_epi64(acc, set1(kP2));
  acc = _mm512_xor_si512(acc, _mm512_srli_epi64(acc, 29));
  acc = _mm512_mullo_epi64(acc, set1(kP3));
  return _mm512_xor_si512(acc, _mm512_srli_epi64(acc, 32));
}

DUPSCAN_AVX512 inline void store(std::uint64_t* out, __m512i h) {
  _mm512_storeu_si512(out, h);
}

DUPSCAN_AVX512 inline void store(std::uint32_t* out, __m512i h) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtepi64_epi32(h));
}

template <class T>
void scalar_range(const char* text, const std::size_t* ws, std::size_t n, std::size_t from,
                  std::size_t to, T* out) {
  for (std::size_t j = from; j < to; ++j)
    out[j] = static_cast<T>(spec::xxh64(text + ws[j], ws[j + n] - 1 - ws[j], 0));
}

template <class T>
DUPSCAN_AVX512 void avx512_range(const char* text, const std::size_t* ws, std::size_t n,
                                 std::size_t count, T* out) {
  static_assert(sizeof(std::size_t) == 8, "word starts are loaded as 64-bit lanes");
  std::size_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const __m512i start = _mm512_loadu_si512(ws + j);
    const __m512i stop = _mm512_loadu_si512(ws + j + n);
    const __m512i len = _mm512_sub_epi64(_mm512_sub_epi64(stop, start), set1(1));
    store(out + j, hash8(text, start, len));
    __mmask8 small = _mm512_cmplt_epu64_mask(len, set1(4));
    while (small) {
      const int lane = __builtin_ctz(small);
      small &= static_cast<__mmask8>(small - 1);
      scalar_range(text, ws, n, j + lane, j + lane + 1, out);
    }
  }
  scalar_range(text, ws, n, j, count, out);
}

template <class T>
void word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                   T* out, bool simd) {
  if (simd && avx512dq_supported()) return avx512_range(text, ws, n, count, out);
  scalar_range(text, ws, n, 0, count, out);
}

}  // namespace

void xxh64_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                         std::uint64_t* out, bool simd) {
  word_shingles(text, ws, n, count, out, simd);
}

void xxh64_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                         std::uint32_t* out, bool simd) {
  word_shingles(text, ws, n, count, out, simd);
}

}  // namespace dupscan::detail
