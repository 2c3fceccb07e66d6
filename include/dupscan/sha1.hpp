/**
 * @file sha1.hpp
 * @brief SHA-1 (FIPS 180-4) of one shingle, for `--shingle-hash sha1` (spec.hpp step 4).
 *
 * Included by spec.hpp and compiled, like it, by g++ for the CPU and by nvcc for the CUDA backend
 * (`DUPSCAN_HD`). This is the scalar reference; the CPU uses the x86 SHA extensions where it has
 * them (src/host/sketch/sha1_ni.cpp), which give the same bits (tests/test_sha1.cpp).
 *
 * datasketch's default hash functions (datasketch.hashfunc) read the digest's first bytes as a
 * little-endian integer:
 *
 *     sha1_hash32(b) = struct.unpack("<I", hashlib.sha1(b).digest()[:4])[0]
 *     sha1_hash64(b) = struct.unpack("<Q", hashlib.sha1(b).digest()[:8])[0]
 *
 * The digest is H0..H4 written big-endian, so sha1_hash32 = bswap32(H0) and sha1_hash64 =
 * bswap32(H0) | bswap32(H1) << 32: sha1_hash32 is the low 32 bits of sha1_hash64 (sha1_prefix64).
 */
#pragma once

#include <cstddef>
#include <cstdint>

#if !defined(DUPSCAN_HD)  // spec.hpp's definition
#if defined(__CUDACC__)
#define DUPSCAN_HD __host__ __device__
#else
#define DUPSCAN_HD
#endif
#endif

namespace dupscan::spec {

namespace detail {

/// SHA-1's initial state H0..H4 (written out, not a constexpr array: device code cannot read a
/// host array).
DUPSCAN_HD inline void sha1_init(std::uint32_t* h) {
  h[0] = 0x67452301u;
  h[1] = 0xEFCDAB89u;
  h[2] = 0x98BADCFEu;
  h[3] = 0x10325476u;
  h[4] = 0xC3D2E1F0u;
}

DUPSCAN_HD inline std::uint32_t rotl32(std::uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

DUPSCAN_HD inline std::uint32_t bswap32(std::uint32_t x) {
  return (x >> 24) | ((x >> 8) & 0xFF00u) | ((x << 8) & 0xFF0000u) | (x << 24);
}

/// One 64-byte block, big-endian, byte by byte (shingles start at any byte offset).
DUPSCAN_HD inline std::uint32_t load32_be(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

/// SHA-1's compression function: folds one 64-byte block into the state h[0..5).
DUPSCAN_HD inline void sha1_compress(std::uint32_t* h, const unsigned char* block) {
  std::uint32_t w[16];
  for (int t = 0; t < 16; ++t)
    w[t] = load32_be(block + 4 * t);
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int t = 0; t < 80; ++t) {
    if (t >= 16) {
      // The message schedule in a ring of 16 words: W[t] = rotl1(W[t-3] ^ W[t-8] ^ W[t-14] ^
      // W[t-16]).
      w[t & 15] = rotl32(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15], 1);
    }
    std::uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999u;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1u;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDCu;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6u;
    }
    const std::uint32_t tmp = rotl32(a, 5) + f + e + k + w[t & 15];
    e = d;
    d = c;
    c = rotl32(b, 30);
    b = a;
    a = tmp;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

/**
 * @brief SHA-1's padding of a message of `len` bytes whose last `tail` (< 64) bytes are
 * `rest`: the tail, 0x80, zeros and the bit length big-endian, into `out` (one block when
 * tail <= 55, else two). @return the number of blocks (1 or 2).
 */
DUPSCAN_HD inline int sha1_final_blocks(const unsigned char* rest, std::size_t tail,
                                        std::uint64_t len, unsigned char* out /* [128] */) {
  const int blocks = tail <= 55 ? 1 : 2;
  const int end = 64 * blocks;
  for (std::size_t i = 0; i < tail; ++i)
    out[i] = rest[i];
  out[tail] = 0x80;
  for (int i = static_cast<int>(tail) + 1; i < end - 8; ++i)
    out[i] = 0;
  const std::uint64_t bits = len * 8;
  for (int i = 0; i < 8; ++i)
    out[end - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  return blocks;
}

/// The digest's first 8 bytes as a little-endian integer, from the final state.
DUPSCAN_HD inline std::uint64_t sha1_prefix_of(const std::uint32_t* h) {
  return std::uint64_t{bswap32(h[0])} | (std::uint64_t{bswap32(h[1])} << 32);
}

}  // namespace detail

/**
 * @brief The first 8 bytes of SHA-1(data[0, len)) read little-endian: datasketch's
 * `sha1_hash64`; its low 32 bits are `sha1_hash32`. Scalar reference (both backends).
 */
DUPSCAN_HD inline std::uint64_t sha1_prefix64(const void* data, std::size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t h[5];
  detail::sha1_init(h);
  const std::size_t full = len / 64;
  for (std::size_t i = 0; i < full; ++i)
    detail::sha1_compress(h, p + 64 * i);
  unsigned char last[128];
  const int blocks = detail::sha1_final_blocks(p + 64 * full, len % 64, len, last);
  for (int i = 0; i < blocks; ++i)
    detail::sha1_compress(h, last + 64 * i);
  return detail::sha1_prefix_of(h);
}

}  // namespace dupscan::spec
