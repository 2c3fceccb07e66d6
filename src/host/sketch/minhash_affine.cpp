// The affine MinHash schemes (spec.hpp step 5) on AVX-512, AVX2 and plain C++, chosen at run time
// by MinHasher. Per shingle hash h and permutation i the spec computes a_i * fmix(h) + b_i with
// wrapping unsigned arithmetic; fmix does not depend on i, so every path mixes a chunk of hashes
// once (vectorised where it can), then folds each mixed value m into the running minima:
//
//   affine32, AVX-512: 16 permutations per register: vpmulld + vpaddd + vpminud per hash.
//   affine32, AVX2:    8 per register, the same three instructions.
//   affine64, AVX-512: 8 per register: vpmullq (DQ) + vpaddq + vpminuq.
//   affine64, AVX2:    4 per register; a * m mod 2^64 from 32-bit multiplies,
//                        lo(a)*lo(m) (vpmuludq) + ((lo(a)*hi(m) + hi(a)*lo(m)) << 32) (one vpmulld
//                        of a by m with its halves swapped, then the two products summed into the
//                        high half); AVX2 has no unsigned 64-bit min, so the minima are kept with
//                        their top bit flipped (x ^ 2^63 = x + 2^63, folded into b) and compared
//                        signed (vpcmpgtq + vpblendvb).
//
// The minima of up to 8 registers (128 permutations of affine32 on AVX-512, 64 of affine64) stay
// in registers with their a and b while a chunk of hashes streams past; the last register of the
// signature is loaded and stored under a mask (no byte of sig past K is touched), while a and b
// are padded by MinHasher to whole registers.
#include "sketch/minhash_affine.hpp"

#include <immintrin.h>

#include <algorithm>

#include "dupscan/spec.hpp"

namespace dupscan::detail {
namespace {

// Hashes mixed per chunk (on the stack: 4 KiB for affine32, 8 KiB for affine64).
constexpr std::size_t kChunk = 1024;
// Registers of running minima per pass over a chunk: 8 keeps a, b and the minima of a pass in
// AVX-512's 32 registers. AVX2 has 16: affine32 keeps 8 minima and reads a and b from L1 (as the
// legacy AVX2 kernel does); affine64 keeps 4 minima and their b, and reads a.
constexpr int kMaxVectors = 8;
constexpr int kMaxVectorsAvx2x64 = 4;

// ---- plain C++ --------------------------------------------------------------------------------

void affine32_scalar(const std::uint32_t* hashes, std::size_t count, const std::uint32_t* a,
                     const std::uint32_t* b, std::size_t k, std::uint32_t* sig) {
  for (std::size_t j = 0; j < count; ++j) {
    const std::uint32_t m = spec::fmix32(hashes[j]);
    for (std::size_t i = 0; i < k; ++i) {
      const std::uint32_t v = spec::affine32_step(a[i], b[i], m);
      sig[i] = v < sig[i] ? v : sig[i];
    }
  }
}

void affine64_scalar(const std::uint64_t* hashes, std::size_t count, const std::uint64_t* a,
                     const std::uint64_t* b, std::size_t k, std::uint64_t* sig) {
  for (std::size_t j = 0; j < count; ++j) {
    const std::uint64_t m = spec::fmix64(hashes[j]);
    for (std::size_t i = 0; i < k; ++i) {
      const std::uint64_t v = spec::affine64_step(a[i], b[i], m);
      sig[i] = v < sig[i] ? v : sig[i];
    }
  }
}

// Calls block(first permutation, registers, live lanes of the last register) for the K
// permutations in passes of up to MaxVectors registers of `Lanes`; the last register of the last
// pass has k % Lanes live lanes (all when that is 0).
template <std::size_t Lanes, int MaxVectors, class Block>
void for_each_pass(std::size_t k, Block block) {
  const std::size_t vectors = (k + Lanes - 1) / Lanes;
  const unsigned tail = static_cast<unsigned>(k % Lanes);
  constexpr auto max_vectors = static_cast<std::size_t>(MaxVectors);
  for (std::size_t v0 = 0; v0 < vectors; v0 += max_vectors) {
    const std::size_t nv = std::min(max_vectors, vectors - v0);
    const unsigned live = (v0 + nv == vectors && tail) ? tail : static_cast<unsigned>(Lanes);
    block(v0 * Lanes, nv, live);
  }
}

// Calls f(Count<nv>{}) for nv in [1, Max]: the register count as a compile-time constant.
template <int V>
struct Count {
  static constexpr int value = V;
};
template <int Max, class F>
void with_vectors(std::size_t nv, F f) {
  if constexpr (Max > 1) {
    if (nv < static_cast<std::size_t>(Max)) return with_vectors<Max - 1>(nv, f);
  }
  f(Count<Max>{});
}

// ---- AVX-512 ----------------------------------------------------------------------------------

#define DUPSCAN_TARGET_AVX512 __attribute__((target("avx512f,avx512dq")))
#define DUPSCAN_TARGET_AVX2 __attribute__((target("avx2")))

DUPSCAN_TARGET_AVX512 inline __m512i fmix32_x16(__m512i h) {
  h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
  h = _mm512_mullo_epi32(h, _mm512_set1_epi32(static_cast<int>(0x85EBCA6Bu)));
  h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
  h = _mm512_mullo_epi32(h, _mm512_set1_epi32(static_cast<int>(0xC2B2AE35u)));
  return _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
}

DUPSCAN_TARGET_AVX512 inline __m512i fmix64_x8(__m512i h) {
  h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
  h = _mm512_mullo_epi64(h, _mm512_set1_epi64(static_cast<long long>(0xFF51AFD7ED558CCDULL)));
  h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
  h = _mm512_mullo_epi64(h, _mm512_set1_epi64(static_cast<long long>(0xC4CEB9FE1A85EC53ULL)));
  return _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
}

// Mixes hashes[0, n) into out[0, n); the last partial register is read under a mask.
DUPSCAN_TARGET_AVX512 void mix32_avx512(const std::uint32_t* hashes, std::size_t n,
                                        std::uint32_t* out) {
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16)
    _mm512_storeu_si512(out + j, fmix32_x16(_mm512_loadu_si512(hashes + j)));
  if (j < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - j)) - 1);
    _mm512_mask_storeu_epi32(out + j, m, fmix32_x16(_mm512_maskz_loadu_epi32(m, hashes + j)));
  }
}

DUPSCAN_TARGET_AVX512 void mix64_avx512(const std::uint64_t* hashes, std::size_t n,
                                        std::uint64_t* out) {
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm512_storeu_si512(out + j, fmix64_x8(_mm512_loadu_si512(hashes + j)));
  if (j < n) {
    const __mmask8 m = static_cast<__mmask8>((1u << (n - j)) - 1);
    _mm512_mask_storeu_epi64(out + j, m, fmix64_x8(_mm512_maskz_loadu_epi64(m, hashes + j)));
  }
}

// V registers of 16 permutations over mixed[0, n); register V-1 has `live` lanes.
template <int V>
DUPSCAN_TARGET_AVX512 void affine32_avx512_block(const std::uint32_t* mixed, std::size_t n,
                                                 const std::uint32_t* a, const std::uint32_t* b,
                                                 std::uint32_t* sig, unsigned live) {
  const __mmask16 last = static_cast<__mmask16>((1u << live) - 1);
  __m512i av[V], bv[V], mn[V];
  for (int v = 0; v < V; ++v) {
    av[v] = _mm512_loadu_si512(a + 16 * v);
    bv[v] = _mm512_loadu_si512(b + 16 * v);
    mn[v] = v == V - 1 ? _mm512_mask_loadu_epi32(_mm512_set1_epi32(-1), last, sig + 16 * v)
                       : _mm512_loadu_si512(sig + 16 * v);
  }
  std::size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const __m512i h0 = _mm512_set1_epi32(static_cast<int>(mixed[j]));
    const __m512i h1 = _mm512_set1_epi32(static_cast<int>(mixed[j + 1]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m512i t0 = _mm512_add_epi32(_mm512_mullo_epi32(av[v], h0), bv[v]);
      const __m512i t1 = _mm512_add_epi32(_mm512_mullo_epi32(av[v], h1), bv[v]);
      mn[v] = _mm512_min_epu32(mn[v], _mm512_min_epu32(t0, t1));
    }
  }
  if (j < n) {
    const __m512i h = _mm512_set1_epi32(static_cast<int>(mixed[j]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      mn[v] = _mm512_min_epu32(mn[v], _mm512_add_epi32(_mm512_mullo_epi32(av[v], h), bv[v]));
  }
  for (int v = 0; v < V - 1; ++v)
    _mm512_storeu_si512(sig + 16 * v, mn[v]);
  _mm512_mask_storeu_epi32(sig + 16 * (V - 1), last, mn[V - 1]);
}

template <int V>
DUPSCAN_TARGET_AVX512 void affine64_avx512_block(const std::uint64_t* mixed, std::size_t n,
                                                 const std::uint64_t* a, const std::uint64_t* b,
                                                 std::uint64_t* sig, unsigned live) {
  const __mmask8 last = static_cast<__mmask8>((1u << live) - 1);
  __m512i av[V], bv[V], mn[V];
  for (int v = 0; v < V; ++v) {
    av[v] = _mm512_loadu_si512(a + 8 * v);
    bv[v] = _mm512_loadu_si512(b + 8 * v);
    mn[v] = v == V - 1 ? _mm512_mask_loadu_epi64(_mm512_set1_epi64(-1), last, sig + 8 * v)
                       : _mm512_loadu_si512(sig + 8 * v);
  }
  std::size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const __m512i h0 = _mm512_set1_epi64(static_cast<long long>(mixed[j]));
    const __m512i h1 = _mm512_set1_epi64(static_cast<long long>(mixed[j + 1]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m512i t0 = _mm512_add_epi64(_mm512_mullo_epi64(av[v], h0), bv[v]);
      const __m512i t1 = _mm512_add_epi64(_mm512_mullo_epi64(av[v], h1), bv[v]);
      mn[v] = _mm512_min_epu64(mn[v], _mm512_min_epu64(t0, t1));
    }
  }
  if (j < n) {
    const __m512i h = _mm512_set1_epi64(static_cast<long long>(mixed[j]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      mn[v] = _mm512_min_epu64(mn[v], _mm512_add_epi64(_mm512_mullo_epi64(av[v], h), bv[v]));
  }
  for (int v = 0; v < V - 1; ++v)
    _mm512_storeu_si512(sig + 8 * v, mn[v]);
  _mm512_mask_storeu_epi64(sig + 8 * (V - 1), last, mn[V - 1]);
}

// ---- AVX2 -------------------------------------------------------------------------------------

DUPSCAN_TARGET_AVX2 inline __m256i fmix32_x8(__m256i h) {
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x85EBCA6Bu)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0xC2B2AE35u)));
  return _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
}

DUPSCAN_TARGET_AVX2 void mix32_avx2(const std::uint32_t* hashes, std::size_t n,
                                    std::uint32_t* out) {
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hashes + j));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), fmix32_x8(h));
  }
  for (; j < n; ++j)
    out[j] = spec::fmix32(hashes[j]);
}

// Lanes [0, live) of 32-bit lanes set (for maskload / maskstore).
DUPSCAN_TARGET_AVX2 inline __m256i lanes32(unsigned live) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(live)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
DUPSCAN_TARGET_AVX2 inline __m256i lanes64(unsigned live) {
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(live), _mm256_setr_epi64x(0, 1, 2, 3));
}

DUPSCAN_TARGET_AVX2 inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

template <int V>
DUPSCAN_TARGET_AVX2 void affine32_avx2_block(const std::uint32_t* mixed, std::size_t n,
                                             const std::uint32_t* a, const std::uint32_t* b,
                                             std::uint32_t* sig, unsigned live) {
  const __m256i last = lanes32(live);
  __m256i mn[V];
  for (int v = 0; v < V - 1; ++v)
    mn[v] = load256(sig + 8 * v);
  // Lanes past K read as 0 and are never stored.
  mn[V - 1] = _mm256_maskload_epi32(reinterpret_cast<const int*>(sig + 8 * (V - 1)), last);
  std::size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const __m256i h0 = _mm256_set1_epi32(static_cast<int>(mixed[j]));
    const __m256i h1 = _mm256_set1_epi32(static_cast<int>(mixed[j + 1]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256i av = load256(a + 8 * v), bv = load256(b + 8 * v);
      const __m256i t0 = _mm256_add_epi32(_mm256_mullo_epi32(av, h0), bv);
      const __m256i t1 = _mm256_add_epi32(_mm256_mullo_epi32(av, h1), bv);
      mn[v] = _mm256_min_epu32(mn[v], _mm256_min_epu32(t0, t1));
    }
  }
  if (j < n) {
    const __m256i h = _mm256_set1_epi32(static_cast<int>(mixed[j]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256i t =
          _mm256_add_epi32(_mm256_mullo_epi32(load256(a + 8 * v), h), load256(b + 8 * v));
      mn[v] = _mm256_min_epu32(mn[v], t);
    }
  }
  for (int v = 0; v < V - 1; ++v)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sig + 8 * v), mn[v]);
  _mm256_maskstore_epi32(reinterpret_cast<int*>(sig + 8 * (V - 1)), last, mn[V - 1]);
}

// a * m + b' mod 2^64 in four 64-bit lanes: m in each lane, m_swapped = m with its 32-bit halves
// exchanged, b' = b ^ 2^63 (see the top of the file).
DUPSCAN_TARGET_AVX2 inline __m256i affine64_x4(__m256i a, __m256i b_flipped, __m256i m,
                                               __m256i m_swapped, __m256i high) {
  const __m256i lo = _mm256_mul_epu32(a, m);           // lo(a) * lo(m), 64 bits
  const __m256i t = _mm256_mullo_epi32(a, m_swapped);  // [lo(a)*hi(m), hi(a)*lo(m)] mod 2^32
  const __m256i cross = _mm256_add_epi64(_mm256_slli_epi64(t, 32), _mm256_and_si256(t, high));
  return _mm256_add_epi64(_mm256_add_epi64(lo, b_flipped), cross);
}

// Signed minimum of 64-bit lanes (the minima are kept with their top bit flipped).
DUPSCAN_TARGET_AVX2 inline __m256i min_epi64(__m256i x, __m256i y) {
  return _mm256_blendv_epi8(x, y, _mm256_cmpgt_epi64(x, y));
}

template <int V>
DUPSCAN_TARGET_AVX2 void affine64_avx2_block(const std::uint64_t* mixed, std::size_t n,
                                             const std::uint64_t* a, const std::uint64_t* b,
                                             std::uint64_t* sig, unsigned live) {
  const __m256i last = lanes64(live);
  const __m256i flip = _mm256_set1_epi64x(static_cast<long long>(0x8000000000000000ULL));
  const __m256i high = _mm256_set1_epi64x(static_cast<long long>(0xFFFFFFFF00000000ULL));
  __m256i mn[V], bf[V];
  for (int v = 0; v < V; ++v) {
    const __m256i s =
        v == V - 1 ? _mm256_maskload_epi64(reinterpret_cast<const long long*>(sig + 4 * v), last)
                   : load256(sig + 4 * v);
    mn[v] = _mm256_xor_si256(s, flip);
    bf[v] = _mm256_xor_si256(load256(b + 4 * v), flip);
  }
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint64_t mj = mixed[j];
    const __m256i m = _mm256_set1_epi64x(static_cast<long long>(mj));
    const __m256i ms = _mm256_set1_epi64x(static_cast<long long>((mj << 32) | (mj >> 32)));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      mn[v] = min_epi64(mn[v], affine64_x4(load256(a + 4 * v), bf[v], m, ms, high));
  }
  for (int v = 0; v < V - 1; ++v)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sig + 4 * v), _mm256_xor_si256(mn[v], flip));
  _mm256_maskstore_epi64(reinterpret_cast<long long*>(sig + 4 * (V - 1)), last,
                         _mm256_xor_si256(mn[V - 1], flip));
}

}  // namespace

void affine32_update(SimdPath path, const std::uint32_t* hashes, std::size_t count,
                     const std::uint32_t* a, const std::uint32_t* b, std::size_t k,
                     std::uint32_t* sig) {
  if (count == 0 || k == 0) return;
  if (path == SimdPath::scalar) return affine32_scalar(hashes, count, a, b, k, sig);
  alignas(64) std::uint32_t mixed[kChunk];
  for (std::size_t c = 0; c < count; c += kChunk) {
    const std::size_t n = std::min(kChunk, count - c);
    if (path == SimdPath::avx512) {
      mix32_avx512(hashes + c, n, mixed);
      for_each_pass<16, kMaxVectors>(k, [&](std::size_t i, std::size_t nv, unsigned live) {
        with_vectors<kMaxVectors>(nv, [&](auto tag) {
          affine32_avx512_block<decltype(tag)::value>(mixed, n, a + i, b + i, sig + i, live);
        });
      });
    } else {
      mix32_avx2(hashes + c, n, mixed);
      for_each_pass<8, kMaxVectors>(k, [&](std::size_t i, std::size_t nv, unsigned live) {
        with_vectors<kMaxVectors>(nv, [&](auto tag) {
          affine32_avx2_block<decltype(tag)::value>(mixed, n, a + i, b + i, sig + i, live);
        });
      });
    }
  }
}

void affine64_update(SimdPath path, const std::uint64_t* hashes, std::size_t count,
                     const std::uint64_t* a, const std::uint64_t* b, std::size_t k,
                     std::uint64_t* sig) {
  if (count == 0 || k == 0) return;
  if (path == SimdPath::scalar) return affine64_scalar(hashes, count, a, b, k, sig);
  alignas(64) std::uint64_t mixed[kChunk];
  for (std::size_t c = 0; c < count; c += kChunk) {
    const std::size_t n = std::min(kChunk, count - c);
    if (path == SimdPath::avx512) {
      mix64_avx512(hashes + c, n, mixed);
      for_each_pass<8, kMaxVectors>(k, [&](std::size_t i, std::size_t nv, unsigned live) {
        with_vectors<kMaxVectors>(nv, [&](auto tag) {
          affine64_avx512_block<decltype(tag)::value>(mixed, n, a + i, b + i, sig + i, live);
        });
      });
    } else {
      for (std::size_t j = 0; j < n; ++j)
        mixed[j] = spec::fmix64(hashes[c + j]);
      for_each_pass<4, kMaxVectorsAvx2x64>(k, [&](std::size_t i, std::size_t nv, unsigned live) {
        with_vectors<kMaxVectorsAvx2x64>(nv, [&](auto tag) {
          affine64_avx2_block<decltype(tag)::value>(mixed, n, a + i, b + i, sig + i, live);
        });
      });
    }
  }
}

}  // namespace dupscan::detail
