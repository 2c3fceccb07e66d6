/**
 * @file spec.hpp
 * @brief The hash maths of dupscan: the one specification both backends implement.
 *
 * Everything in this header is compiled by g++ for the CPU backend and by nvcc for the CUDA backend
 * (`DUPSCAN_HD` is `__host__ __device__` under nvcc). A change here changes every signature, band
 * key and output file; the golden vectors in tests/data/ make such a change a visible diff.
 *
 * ## Pipeline of one document
 *
 *  1. Normalization (normalize.hpp): UTF-8 text -> normalized text: words separated by exactly one
 *     U+0020, no leading or trailing space.
 *  2. Exact hash: XXH3-128 (seed 0) of the normalized text. Documents with equal exact hashes are
 *     exact duplicates and are grouped before MinHash. Empty normalized text: no exact hash, never
 *     grouped, never clustered.
 *  3. Shingles (shingle.hpp): byte ranges of the normalized text (`word:N`: N consecutive words
 * with their single separating spaces; `char:N`: N consecutive code points). A non-empty document
 * with fewer than N words (code points) has exactly one shingle: its whole normalized text.
 *  4. Shingle hash (`--shingle-hash`, ShingleHash): a 64-bit `hv` of the shingle's bytes,
 *       xxh64 (the default):  hv = XXH64(shingle bytes, seed 0)
 *       sha1:                 hv = the first 8 bytes of SHA-1(shingle bytes), little-endian
 *                             (sha1.hpp; datasketch's sha1_hash64)
 *     (shingle_hash64). The 32-bit schemes (legacy, affine32) take its low 32 bits,
 *     `hv32 = (uint32) hv` (shingle_hash) -- for sha1 that is datasketch's sha1_hash32, the
 *     digest's first 4 bytes little-endian; affine64 takes all 64.
 *  5. MinHash, K permutations (a_i, b_i) drawn from numpy's `RandomState(seed)` as datasketch 2.0
 *     draws them (minhash.hpp, make_permutations), in one of datasketch's three schemes:
 *
 *     legacy (datasketch's only scheme before 2.0; `permute`):
 *         h_i(hv32) = ((a_i * hv32 + b_i) mod 2^64) mod (2^61 - 1)  &  (2^32 - 1)
 *         a_i in [1, 2^61 - 1), b_i in [0, 2^61 - 1); sig is uint32, empty value 2^32 - 1.
 *         `a_i * hv + b_i` wraps modulo 2^64 exactly as numpy's uint64 arithmetic does inside
 *         datasketch.
 *     affine32 (datasketch 2.0's default; `permute_affine32`):
 *         h_i(hv32) = (a_i * fmix32(hv32) + b_i) mod 2^32
 *         a_i odd in [1, 2^32), b_i in [0, 2^32); sig is uint32, empty value 2^32 - 1.
 *     affine64 (`permute_affine64`):
 *         h_i(hv) = (a_i * fmix64(hv) + b_i) mod 2^64
 *         a_i odd in [1, 2^64), b_i in [0, 2^64); sig is uint64, empty value 2^64 - 1.
 *
 *     fmix32 / fmix64 are MurmurHash3's finalizers (bijections), applied once per shingle hash,
 *     not per permutation; an odd a_i makes each affine map a bijection too:
 *
 *         fmix32(h): h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16
 *         fmix64(h): h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33;
 *                    h *= 0xc4ceb9fe1a85ec53; h ^= h >> 33           (all modulo 2^32 / 2^64)
 *
 *     Then
 *
 *         sig[i]  = min over the document's shingles of h_i(hv),   the empty value with no shingle
 *
 *     equals `datasketch.MinHash(num_perm=K, seed=S, scheme=SCHEME, hashfunc=H).hashvalues` fed
 *     with the same shingles, where for xxh64 H is `lambda b: xxhash.xxh64_intdigest(b) &
 *     0xffffffff` for legacy and affine32 and `xxhash.xxh64_intdigest` for affine64
 *     (tests/data/golden_*); for sha1 H is datasketch's default (no hashfunc given):
 *     sha1_hash32 for legacy and affine32, sha1_hash64 for affine64 (tests/data/golden_sha1.json).
 *  6. LSH bands: B bands of R rows use sig[0 .. B*R) (datasketch's hashranges). Band j's key is
 *
 *         key_j = XXH64(little-endian bytes of sig[j*R], ..., sig[j*R + R - 1], seed = j)
 *
 *     i.e. 4*R bytes for the 32-bit schemes (band_key), 8*R bytes for affine64 (band_key64),
 *     hashed with the band index as the seed, so equal values in different bands never share a
 *     key. Two documents are LSH candidates when they share key_j for some j.
 *  7. Verification: Jaccard |A n B| / |A u B| of the two documents' *sets* of 64-bit shingle
 *     hashes XXH64(shingle bytes, seed 0) (duplicates removed, whatever the shingle hash of step
 *     4: the sets are the same shingles either way), computed in double precision; a
 *     candidate pair is a near duplicate when the value is >= the threshold T, whatever the
 *     scheme. (64 bits, not the 32 the 32-bit schemes sketch: among a million one-shingle
 *     documents about a hundred pairs share a 32-bit hash; LSH may pair them, verification must
 *     not confirm them.)
 */
#pragma once

#include <cstddef>
#include <cstdint>
#if !defined(__CUDA_ARCH__)
#include <cstring>
#endif

#if defined(__CUDACC__)
#define DUPSCAN_HD __host__ __device__
#else
#define DUPSCAN_HD
#endif

#include "dupscan/sha1.hpp"

namespace dupscan {

/// Step 4's shingle hash: XXH64 (seed 0; the default) or SHA-1 (datasketch's default hashfunc).
enum class ShingleHash : std::uint8_t { xxh64, sha1 };

}  // namespace dupscan

namespace dupscan::spec {

/// 2^61 - 1, the Mersenne prime of datasketch's legacy permutations.
constexpr std::uint64_t mersenne61 = (std::uint64_t{1} << 61) - 1;
/// The largest 32-bit hash value; also the value of an empty signature slot (datasketch's
/// _max_hash).
constexpr std::uint32_t max_hash = 0xFFFFFFFFu;
/// The largest 64-bit value: the empty signature slot of affine64.
constexpr std::uint64_t max_hash64 = ~std::uint64_t{0};

namespace detail {

constexpr std::uint64_t prime64_1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t prime64_2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t prime64_3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t prime64_4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t prime64_5 = 0x27D4EB2F165667C5ULL;

DUPSCAN_HD inline std::uint64_t rotl64(std::uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

// Unaligned little-endian loads. Both targets are little-endian; the device reads byte by byte
// because shingles start at arbitrary byte offsets.
DUPSCAN_HD inline std::uint64_t load64_le(const unsigned char* p) {
#if defined(__CUDA_ARCH__)
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
#else
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

DUPSCAN_HD inline std::uint32_t load32_le(const unsigned char* p) {
#if defined(__CUDA_ARCH__)
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
#else
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

DUPSCAN_HD inline std::uint64_t xxh64_round(std::uint64_t acc, std::uint64_t lane) {
  acc += lane * prime64_2;
  acc = rotl64(acc, 31);
  return acc * prime64_1;
}

DUPSCAN_HD inline std::uint64_t xxh64_merge(std::uint64_t acc, std::uint64_t v) {
  acc ^= xxh64_round(0, v);
  return acc * prime64_1 + prime64_4;
}

}  // namespace detail

/**
 * @brief XXH64 of `len` bytes with `seed`, as specified in xxHash's xxhash_spec.md.
 *
 * Bit-identical to Debian's libxxhash `XXH64()` (tests/test_spec.cpp checks golden vectors on the
 * host, tests/test_cuda_spec.cpp inside a kernel).
 */
DUPSCAN_HD inline std::uint64_t xxh64(const void* data, std::size_t len, std::uint64_t seed) {
  using namespace detail;
  const auto* p = static_cast<const unsigned char*>(data);
  const unsigned char* const end = p + len;
  std::uint64_t acc;
  if (len >= 32) {
    std::uint64_t v1 = seed + prime64_1 + prime64_2;
    std::uint64_t v2 = seed + prime64_2;
    std::uint64_t v3 = seed;
    std::uint64_t v4 = seed - prime64_1;
    const unsigned char* const limit = end - 32;
    do {
      v1 = xxh64_round(v1, load64_le(p));
      v2 = xxh64_round(v2, load64_le(p + 8));
      v3 = xxh64_round(v3, load64_le(p + 16));
      v4 = xxh64_round(v4, load64_le(p + 24));
      p += 32;
    } while (p <= limit);
    acc = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    acc = xxh64_merge(acc, v1);
    acc = xxh64_merge(acc, v2);
    acc = xxh64_merge(acc, v3);
    acc = xxh64_merge(acc, v4);
  } else {
    acc = seed + prime64_5;
  }
  acc += static_cast<std::uint64_t>(len);
  while (end - p >= 8) {
    acc ^= xxh64_round(0, load64_le(p));
    acc = rotl64(acc, 27) * prime64_1 + prime64_4;
    p += 8;
  }
  if (end - p >= 4) {
    acc ^= static_cast<std::uint64_t>(load32_le(p)) * prime64_1;
    acc = rotl64(acc, 23) * prime64_2 + prime64_3;
    p += 4;
  }
  while (p < end) {
    acc ^= static_cast<std::uint64_t>(*p) * prime64_5;
    acc = rotl64(acc, 11) * prime64_1;
    ++p;
  }
  acc ^= acc >> 33;
  acc *= prime64_2;
  acc ^= acc >> 29;
  acc *= prime64_3;
  acc ^= acc >> 32;
  return acc;
}

/// Step 4: the 64-bit hash of one shingle (its UTF-8 bytes) under `hash`: XXH64 (seed 0), or
/// the first 8 bytes of its SHA-1 read little-endian (datasketch's sha1_hash64).
DUPSCAN_HD inline std::uint64_t shingle_hash64(const void* bytes, std::size_t len,
                                               ShingleHash hash = ShingleHash::xxh64) {
  return hash == ShingleHash::sha1 ? sha1_prefix64(bytes, len) : xxh64(bytes, len, 0);
}

/// Step 4: the 32-bit hash of one shingle, the low 32 bits of shingle_hash64 (for sha1:
/// datasketch's sha1_hash32).
DUPSCAN_HD inline std::uint32_t shingle_hash(const void* bytes, std::size_t len,
                                             ShingleHash hash = ShingleHash::xxh64) {
  return static_cast<std::uint32_t>(shingle_hash64(bytes, len, hash));
}

/// x mod (2^61 - 1) for any 64-bit x: 2^61 = 1 (mod p), so x = hi * 2^61 + lo = hi + lo (mod p),
/// and hi + lo <= p + 7 needs at most one subtraction.
DUPSCAN_HD inline std::uint64_t mod_mersenne61(std::uint64_t x) {
  x = (x & mersenne61) + (x >> 61);
  return x >= mersenne61 ? x - mersenne61 : x;
}

/// Step 5: permutation i applied to shingle hash hv (a_i in [1, p), b_i in [0, p)).
DUPSCAN_HD inline std::uint32_t permute(std::uint64_t a, std::uint64_t b, std::uint32_t hv) {
  return static_cast<std::uint32_t>(mod_mersenne61(a * hv + b));
}

/// MurmurHash3's 32-bit finalizer (fmix32): a bijection on [0, 2^32). Step 5, affine32.
DUPSCAN_HD inline std::uint32_t fmix32(std::uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

/// MurmurHash3's 64-bit finalizer (fmix64): a bijection on [0, 2^64). Step 5, affine64; also
/// the fast sketch's mixer (fast::fmix64 is this function).
DUPSCAN_HD inline std::uint64_t fmix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  x ^= x >> 33;
  return x;
}

/**
 * @brief Step 5, affine32: permutation (a, b) applied to the 32-bit shingle hash hv,
 * `a * fmix32(hv) + b mod 2^32` (a odd). fmix32 does not depend on the permutation: kernels mix
 * each hash once and then compute `a * m + b` per permutation (affine32_step).
 */
DUPSCAN_HD inline std::uint32_t affine32_step(std::uint32_t a, std::uint32_t b, std::uint32_t m) {
  return a * m + b;  // uint32 arithmetic wraps modulo 2^32, as numpy's does
}
DUPSCAN_HD inline std::uint32_t permute_affine32(std::uint32_t a, std::uint32_t b,
                                                 std::uint32_t hv) {
  return affine32_step(a, b, fmix32(hv));
}

/**
 * @brief Step 5, affine64: permutation (a, b) applied to the 64-bit shingle hash hv,
 * `a * fmix64(hv) + b mod 2^64` (a odd); kernels mix once per hash (affine64_step).
 */
DUPSCAN_HD inline std::uint64_t affine64_step(std::uint64_t a, std::uint64_t b, std::uint64_t m) {
  return a * m + b;
}
DUPSCAN_HD inline std::uint64_t permute_affine64(std::uint64_t a, std::uint64_t b,
                                                 std::uint64_t hv) {
  return affine64_step(a, b, fmix64(hv));
}

/**
 * @brief Step 6: the 64-bit key of band `band` whose R values are `values[0..rows)`.
 *
 * XXH64 over the 4*rows little-endian bytes of the values, seeded with the band index.
 */
DUPSCAN_HD inline std::uint64_t band_key(const std::uint32_t* values, std::uint32_t rows,
                                         std::uint32_t band) {
  // The uint32 array already is its little-endian byte string on both targets.
  return xxh64(values, std::size_t{rows} * 4u, band);
}

/**
 * @brief Step 6 for 64-bit signature values (affine64): XXH64 over the 8*rows little-endian bytes
 * of `values[0..rows)`, seeded with the band index -- value k's byte t is byte 8k + t, least
 * significant first, exactly `struct.pack("<%dQ" % rows, *values)` in Python.
 */
DUPSCAN_HD inline std::uint64_t band_key64(const std::uint64_t* values, std::uint32_t rows,
                                           std::uint32_t band) {
  return xxh64(values, std::size_t{rows} * 8u, band);
}

}  // namespace dupscan::spec
