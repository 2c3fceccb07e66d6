// The MinHash kernel of the legacy scheme (spec.hpp step 5) on AVX-512 and AVX2, chosen at run
// time, and MinHasher, which also runs the affine schemes' kernels (minhash_affine.cpp). Every path
// computes exactly spec::permute for every (permutation, hash) and keeps the minimum of the low 32
// bits, so all paths give the bits of minhash_update (tests/test_minhash_simd.cpp compares them).
//
// Per permutation i and hash h (a_i < 2^61, h < 2^32), spec::permute is
//   x = a_i * h + b_i mod 2^64   (AVX-512 DQ: one 64-bit multiply; AVX2:
//                                 lo32(a_i) * h + (hi32(a_i) * h << 32) + b_i, two 32x32 mul)
//   t = (x & p) + (x >> 61)      in [0, p + 7]
//   low 32 bits of (t >= p ? t - p : t)
// Subtracting p = 2^61 - 1 adds 1 modulo 2^32, so the result is
//   lo32(x) + (x >> 61) + [t >= p]   (mod 2^32),
// and t >= p needs (x & p) >= p - 7: bits 3..60 of x all ones. The fast kernel computes
// lo32(x + (x >> 61)), leaving out that carry. For each permutation the hashes h < 2^32 where the
// carry is 1 are solved for once (a linear congruence modulo 2^61, at most 8 solutions per
// permutation, almost always none: see MinHasher's constructor); a call whose hashes include one
// of them runs the exact kernel, which does the fold and the conditional subtraction per lane.
//
// The running minima live in 64-bit lanes; only their low halves are compared (min_epu32 on the
// whole register also takes the min of the high halves, which are ignored), saving a mask per step.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"
#include "sketch/minhash_affine.hpp"

namespace dupscan {
namespace {

// Registers of running minima per pass over the hashes. AVX-512: 4 minima (32 permutations) with
// their a and b in registers; 2, 8 and 16 measured the same within noise on the Emerald Rapids
// Xeon (the kernel is bound by its multiplies, not by loads). AVX2 has 16 ymm registers: 8 minima
// (32 permutations) per pass, the constants loaded from L1.
constexpr int kAvx512Vectors = 4;
constexpr int kAvx2Vectors = 8;

// Exact: the low 32 bits of each lane are spec::permute. Fast: they are lo32(x + (x >> 61)),
// which differs from it only for the carry hashes (see the top of the file).
// a * h is one 64-bit multiply (AVX-512 DQ): measured 10% faster than two 32x32->64-bit
// multiplies, a shift and an add on the Xeon (Emerald Rapids) of bench/RESULTS.md.
template <bool Exact>
__attribute__((target("avx512f,avx512dq"))) inline __m512i permute8(__m512i a, __m512i b, __m512i h,
                                                                    __m512i p) {
  const __m512i x = _mm512_add_epi64(_mm512_mullo_epi64(a, h), b);
  if (!Exact) return _mm512_add_epi64(x, _mm512_srli_epi64(x, 61));
  const __m512i t = _mm512_add_epi64(_mm512_and_si512(x, p), _mm512_srli_epi64(x, 61));
  return _mm512_min_epu64(t, _mm512_sub_epi64(t, p));
}

// `unused` stands where the AVX2 kernel takes a_top (run_blocks passes both kernels the same
// arguments).
template <bool Exact, int V>
__attribute__((target("avx512f,avx512dq"))) void avx512_block(
    const std::uint32_t* hashes, std::size_t count, const std::uint64_t* a,
    const std::uint64_t* /*unused*/, const std::uint64_t* b, std::uint32_t* sig) {
  const __m512i p = _mm512_set1_epi64(static_cast<long long>(spec::mersenne61));
  __m512i m[V];
  for (int v = 0; v < V; ++v) {
    m[v] = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sig + 8 * v)));
  }
  __m512i av[V], bv[V];
  for (int v = 0; v < V; ++v) {
    av[v] = _mm512_loadu_si512(a + 8 * v);
    bv[v] = _mm512_loadu_si512(b + 8 * v);
  }
  std::size_t j = 0;
  for (; j + 2 <= count; j += 2) {
    const __m512i h0 = _mm512_set1_epi64(hashes[j]);
    const __m512i h1 = _mm512_set1_epi64(hashes[j + 1]);
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      const __m512i t0 = permute8<Exact>(av[v], bv[v], h0, p);
      const __m512i t1 = permute8<Exact>(av[v], bv[v], h1, p);
      m[v] = _mm512_min_epu32(m[v], _mm512_min_epu32(t0, t1));
    }
  }
  for (; j < count; ++j) {
    const __m512i h = _mm512_set1_epi64(hashes[j]);
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v)
      m[v] = _mm512_min_epu32(m[v], permute8<Exact>(av[v], bv[v], h, p));
  }
  for (int v = 0; v < V; ++v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sig + 8 * v), _mm512_cvtepi64_epi32(m[v]));
  }
}

// a_top is a with its low 32 bits cleared and h is in every 32-bit lane, so mullo_epi32 yields
// lo32(hi32(a) * h) in each lane's high half and 0 * h in its low half: the (hi32(a) * h) << 32
// term in one instruction instead of a multiply and a shift (the faster choice on the AMD EPYC of
// bench/RESULTS.md; on Intel cores it is two micro-ops either way).
template <bool Exact>
__attribute__((target("avx2"))) inline __m256i permute4(__m256i a, __m256i a_top, __m256i b,
                                                        __m256i h, __m256i p) {
  const __m256i lo = _mm256_mul_epu32(a, h);
  const __m256i hi = _mm256_mullo_epi32(a_top, h);
  const __m256i x = _mm256_add_epi64(_mm256_add_epi64(lo, b), hi);
  if (!Exact) return _mm256_add_epi64(x, _mm256_srli_epi64(x, 61));
  const __m256i t = _mm256_add_epi64(_mm256_and_si256(x, p), _mm256_srli_epi64(x, 61));
  // No unsigned 64-bit min in AVX2: t - p is negative (as signed) exactly when t < p, and t < 2^62
  // keeps the sign meaningful; blendv picks t there.
  const __m256i d = _mm256_sub_epi64(t, p);
  return _mm256_castpd_si256(
      _mm256_blendv_pd(_mm256_castsi256_pd(d), _mm256_castsi256_pd(t), _mm256_castsi256_pd(d)));
}

// The low 32 bits of each 64-bit lane, packed: lanes 0, 2, 4, 6 of the 32-bit view.
__attribute__((target("avx2"))) inline __m128i pack_low32(__m256i v) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
  return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, idx));
}

__attribute__((target("avx2"))) inline __m256i load(const std::uint64_t* q) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
}

template <bool Exact, int V>
__attribute__((target("avx2"))) void avx2_block(const std::uint32_t* hashes, std::size_t count,
                                                const std::uint64_t* a, const std::uint64_t* a_top,
                                                const std::uint64_t* b, std::uint32_t* sig) {
  const __m256i p = _mm256_set1_epi64x(static_cast<long long>(spec::mersenne61));
  __m256i m[V];
  for (int v = 0; v < V; ++v) {
    m[v] = _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sig + 4 * v)));
  }
  std::size_t j = 0;
  // Two hashes per step: each permutation's constants are loaded once for both.
  for (; j + 2 <= count; j += 2) {
    const __m256i h0 = _mm256_set1_epi32(static_cast<int>(hashes[j]));
    const __m256i h1 = _mm256_set1_epi32(static_cast<int>(hashes[j + 1]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256i av = load(a + 4 * v), atv = load(a_top + 4 * v), bv = load(b + 4 * v);
      const __m256i t0 = permute4<Exact>(av, atv, bv, h0, p);
      const __m256i t1 = permute4<Exact>(av, atv, bv, h1, p);
      m[v] = _mm256_min_epu32(m[v], _mm256_min_epu32(t0, t1));
    }
  }
  for (; j < count; ++j) {
    const __m256i h = _mm256_set1_epi32(static_cast<int>(hashes[j]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256i t =
          permute4<Exact>(load(a + 4 * v), load(a_top + 4 * v), load(b + 4 * v), h, p);
      m[v] = _mm256_min_epu32(m[v], t);
    }
  }
  for (int v = 0; v < V; ++v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(sig + 4 * v), pack_low32(m[v]));
  }
}

void scalar_range(const std::uint32_t* hashes, std::size_t count, const std::uint64_t* a,
                  const std::uint64_t* b, std::size_t k, std::uint32_t* sig) {
  for (std::size_t j = 0; j < count; ++j) {
    for (std::size_t i = 0; i < k; ++i) {
      const std::uint32_t v = spec::permute(a[i], b[i], hashes[j]);
      sig[i] = v < sig[i] ? v : sig[i];
    }
  }
}

// Runs `Block<V>` over the permutations in passes of `Full` vectors of `Lanes`, then one vector
// at a time, then the last k % Lanes permutations in scalar code. `a_upper` is the upper half of
// each a_i in the form the AVX2 kernel multiplies (a_top_; the AVX-512 kernel ignores it).
template <int Lanes, int Full, class BlockFull, class BlockOne>
void run_blocks(const std::uint32_t* hashes, std::size_t count, const std::uint64_t* a,
                const std::uint64_t* a_upper, const std::uint64_t* b, std::size_t k,
                std::uint32_t* sig, BlockFull full, BlockOne one) {
  std::size_t i = 0;
  for (; i + Full * Lanes <= k; i += Full * Lanes)
    full(hashes, count, a + i, a_upper + i, b + i, sig + i);
  for (; i + Lanes <= k; i += Lanes)
    one(hashes, count, a + i, a_upper + i, b + i, sig + i);
  scalar_range(hashes, count, a + i, b + i, k - i, sig + i);
}

bool cpu_has(SimdPath path) {
  switch (path) {
    case SimdPath::scalar:
      return true;
    case SimdPath::avx2:
      return __builtin_cpu_supports("avx2");
    case SimdPath::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  }
  return false;
}

}  // namespace

const char* simd_path_name(SimdPath path) {
  switch (path) {
    case SimdPath::scalar:
      return "scalar";
    case SimdPath::avx2:
      return "avx2";
    case SimdPath::avx512:
      return "avx512";
  }
  return "?";
}

std::vector<SimdPath> supported_simd_paths() {
  std::vector<SimdPath> out;
  for (SimdPath p : {SimdPath::scalar, SimdPath::avx2, SimdPath::avx512}) {
    if (cpu_has(p)) out.push_back(p);
  }
  return out;
}

SimdPath active_simd_path() {
  const char* forced = std::getenv("DUPSCAN_SIMD");
  if (forced && *forced) {
    for (SimdPath p : {SimdPath::scalar, SimdPath::avx2, SimdPath::avx512}) {
      if (std::strcmp(forced, simd_path_name(p)) != 0) continue;
      if (!cpu_has(p)) {
        throw UsageError(std::string("DUPSCAN_SIMD=") + forced + ": this CPU does not support it");
      }
      return p;
    }
    throw UsageError(std::string("DUPSCAN_SIMD must be scalar, avx2 or avx512, got '") + forced +
                     "'");
  }
  const auto paths = supported_simd_paths();
  return paths.back();
}

namespace {

// The inverse of an odd x modulo 2^64 (Newton's iteration doubles the correct low bits; x is its
// own inverse modulo 8).
std::uint64_t inverse_odd(std::uint64_t x) {
  std::uint64_t inv = x;
  for (int i = 0; i < 5; ++i)
    inv *= 2 - x * inv;
  return inv;
}

}  // namespace

bool MinHasher::solve_carry_hashes(std::uint64_t a, std::uint64_t b,
                                   std::vector<std::uint32_t>& out) {
  // The carry needs x mod 2^61 = c for some c in [2^61 - 8, 2^61 - 1], x = a*h + b: solve
  // a*h = c - b (mod 2^61) for h < 2^32. With a = 2^s * odd, a solution exists iff 2^s divides
  // c - b, and then h = ((c - b) >> s) * odd^-1 modulo 2^(61 - s): at most one below 2^32 while
  // 61 - s >= 32. (a < 2^61 and a >= 1, so s <= 60.)
  constexpr std::uint64_t two61 = std::uint64_t{1} << 61;
  const int s = __builtin_ctzll(a);
  if (61 - s < 32) return false;  // many solutions each: the caller keeps the exact kernel
  const std::uint64_t modulus_mask = (std::uint64_t{1} << (61 - s)) - 1;
  const std::uint64_t inv = inverse_odd(a >> s);
  for (std::uint64_t c = two61 - 8; c < two61; ++c) {
    const std::uint64_t d = (c - b) & (two61 - 1);
    if (d & ((std::uint64_t{1} << s) - 1)) continue;
    const std::uint64_t h = ((d >> s) * inv) & modulus_mask;
    if (h >> 32) continue;
    const auto hv = static_cast<std::uint32_t>(h);
    const std::uint64_t x = a * hv + b;
    if (static_cast<std::uint32_t>(x + (x >> 61)) != spec::permute(a, b, hv)) out.push_back(hv);
  }
  return true;
}

MinHasher::MinHasher(const Permutations& perms, SimdPath path)
    : scheme_(perms.scheme), k_(perms.size()), path_(path) {
  if (!cpu_has(path)) {
    throw UsageError(std::string("SIMD path ") + simd_path_name(path) + " is not supported here");
  }
  // The affine kernels load whole registers of a and b: pad them with a = 1, b = 0 (never stored).
  const std::size_t padded =
      (k_ + detail::kAffinePad - 1) / detail::kAffinePad * detail::kAffinePad;
  switch (scheme_) {
    case Scheme::legacy:
      a_ = perms.a;
      b_ = perms.b;
      a_top_.resize(k_);
      for (std::size_t i = 0; i < k_; ++i) {
        a_top_[i] = a_[i] & 0xFFFFFFFF00000000ULL;
        if (!solve_carry_hashes(a_[i], b_[i], carry_hashes_)) fast_ = false;
      }
      std::sort(carry_hashes_.begin(), carry_hashes_.end());
      carry_hashes_.erase(std::unique(carry_hashes_.begin(), carry_hashes_.end()),
                          carry_hashes_.end());
      break;
    case Scheme::affine32:
      a32_.assign(padded, 1);
      b32_.assign(padded, 0);
      for (std::size_t i = 0; i < k_; ++i) {
        a32_[i] = static_cast<std::uint32_t>(perms.a[i]);
        b32_[i] = static_cast<std::uint32_t>(perms.b[i]);
      }
      break;
    case Scheme::affine64:
      a_.assign(padded, 1);
      b_.assign(padded, 0);
      std::copy(perms.a.begin(), perms.a.end(), a_.begin());
      std::copy(perms.b.begin(), perms.b.end(), b_.begin());
      break;
  }
}

bool MinHasher::needs_exact(const std::uint32_t* hashes, std::size_t count) const {
  if (!fast_) return true;
  if (carry_hashes_.empty()) return false;
  for (std::size_t j = 0; j < count; ++j) {
    if (std::binary_search(carry_hashes_.begin(), carry_hashes_.end(), hashes[j])) return true;
  }
  return false;
}

namespace {

// The vector kernels of `path` (avx2 or avx512), with the carry (Exact) or without it.
template <bool Exact>
void vector_update(SimdPath path, const std::uint32_t* hashes, std::size_t count,
                   const std::uint64_t* a, const std::uint64_t* a_top, const std::uint64_t* b,
                   std::size_t k, std::uint32_t* sig) {
  if (path == SimdPath::avx512) {
    run_blocks<8, kAvx512Vectors>(hashes, count, a, a_top, b, k, sig,
                                  avx512_block<Exact, kAvx512Vectors>, avx512_block<Exact, 1>);
  } else {
    run_blocks<4, kAvx2Vectors>(hashes, count, a, a_top, b, k, sig, avx2_block<Exact, kAvx2Vectors>,
                                avx2_block<Exact, 1>);
  }
}

}  // namespace

void MinHasher::update(const std::uint32_t* hashes, std::size_t count, std::uint32_t* sig) const {
  const std::size_t k = k_;
  if (scheme_ == Scheme::affine32) {
    return detail::affine32_update(path_, hashes, count, a32_.data(), b32_.data(), k, sig);
  }
  if (scheme_ != Scheme::legacy) {
    throw std::invalid_argument("MinHasher::update: affine64 takes update64");
  }
  if (path_ == SimdPath::scalar) return scalar_range(hashes, count, a_.data(), b_.data(), k, sig);
  if (needs_exact(hashes, count)) {
    vector_update<true>(path_, hashes, count, a_.data(), a_top_.data(), b_.data(), k, sig);
  } else {
    vector_update<false>(path_, hashes, count, a_.data(), a_top_.data(), b_.data(), k, sig);
  }
}

void MinHasher::update64(const std::uint64_t* hashes, std::size_t count, std::uint64_t* sig) const {
  if (scheme_ != Scheme::affine64) {
    throw std::invalid_argument(std::string("MinHasher::update64 needs affine64, not ") +
                                scheme_name(scheme_));
  }
  detail::affine64_update(path_, hashes, count, a_.data(), b_.data(), k_, sig);
}

}  // namespace dupscan
