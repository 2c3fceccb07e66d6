/**
 * @file fast_sketch.hpp
 * @brief `--sketch fast`: one-permutation hashing (OPH) with optimal densification, whose cost per
 * shingle does not grow with K. The formulas below are DUPSCAN_HD functions shared by the CPU and
 * the CUDA backend; the CPU's incremental helpers (OphSketcher, the densify_by_* loops) are
 * host-only, and the CUDA backend densifies bin by bin with the same rule
 * (src/kernels/sketch_items.cuh's densify; tests/test_backend.cpp compares them).
 *
 * Not datasketch-compatible (the default sketch, spec.hpp, is). It estimates Jaccard the same
 * way -- the fraction of equal signature positions -- and feeds the same LSH bands (spec.hpp step
 * 6). Its error and the final precision/recall are measured by bench/compare.py against the
 * default.
 *
 * ## Specification
 *
 * Units of the normalized text (normalize.hpp): its words for `word:N`, its code points for
 * `char:N`. Constants: P1..P5 are XXH64's primes, fmix64 is MurmurHash3's 64-bit finalizer
 * (x ^= x >> 33; x *= 0xff51afd7ed558ccd; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53; x ^= x >> 33).
 *
 *  1. Unit hash. A word: h = 0, then for each 8-byte little-endian chunk c of its bytes (the last
 *     one zero-padded) h = (rotl(h, 27) ^ c) * P2; u = h. A normalized word holds no NUL byte, so
 *     distinct words have distinct chunk sequences, and for a word of up to 8 bytes u = c * P2 is
 *     a bijection: no two such words share a unit hash. A code point c: u = c * P2. (The mixing
 *     is left to step 2's fmix64, once per shingle rather than once per unit.)
 *  2. Shingle value. For n consecutive units u_0 .. u_{n-1} (all m units when the text has fewer
 *     than n), S = sum_k u_k * P1^(m-1-k) mod 2^64 (a polynomial hash, rolled along the text), and
 *     v = fmix64(S). An empty text has no shingle.
 *  3. OPH. K bins: v goes to bin (hi32(v) * K) >> 32 with value lo32(v); each bin keeps the
 *     minimum value it receives. Bins start at 2^32 - 1 and "empty".
 *  4. Densification by random rotations: an empty bin i takes the value of bin (i - o_t) mod K for
 *     the first t = 1, 2, ... at which that bin received a value in step 3, where the round offset
 *     o_t = (hi32(fmix64(t)) * K) >> 32 is the same for every bin. Like Shrivastava's optimal
 *     densification (ICML 2017) each empty bin draws its donor from a fixed, set-independent random
 *     sequence, so two sets' bins still agree with probability Jaccard; unlike it, the donors can
 *     also be found round by round from the filled bins, which bounds the work by about K ln K
 *     simple steps even for a text of one shingle (optimal densification needs K^2 hashes there).
 *     A text without shingles keeps every bin at 2^32 - 1.
 *  5. Verification (spec.hpp step 7) uses the set of 64-bit shingle values v.
 */
#pragma once

#include <cstddef>
#include <cstdint>

#include "dupscan/spec.hpp"

namespace dupscan::fast {

/// MurmurHash3's fmix64: the same function as the affine64 scheme's mixer (spec.hpp).
using spec::fmix64;

/// Step 1 for a word: reads exactly bytes [p, p + len).
DUPSCAN_HD inline std::uint64_t word_hash(const unsigned char* p, std::size_t len) {
  using namespace spec::detail;
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < len; i += 8) {
    std::uint64_t c = 0;
    const std::size_t end = len - i < 8 ? len : i + 8;
    for (std::size_t k = end; k > i; --k)
      c = (c << 8) | p[k - 1];
    h = (rotl64(h, 27) ^ c) * prime64_2;
  }
  return h;
}

/// Step 1 for a code point.
DUPSCAN_HD inline std::uint64_t char_hash(std::uint32_t cp) {
  return cp * spec::detail::prime64_2;
}

/// The polynomial base of step 2.
constexpr std::uint64_t kBase = spec::detail::prime64_1;

/// kBase^e mod 2^64.
DUPSCAN_HD inline std::uint64_t base_pow(std::uint32_t e) {
  std::uint64_t r = 1, b = kBase;
  while (e) {
    if (e & 1) r *= b;
    b *= b;
    e >>= 1;
  }
  return r;
}

/// Step 3: the bin of a shingle value.
DUPSCAN_HD inline std::uint32_t oph_bin(std::uint64_t v, std::uint32_t k) {
  return static_cast<std::uint32_t>(((v >> 32) * k) >> 32);
}

/// Step 4: the offset o_t of round t (t >= 1).
DUPSCAN_HD inline std::uint32_t densify_offset(std::uint32_t t, std::uint32_t k) {
  return static_cast<std::uint32_t>(((fmix64(t) >> 32) * k) >> 32);
}

}  // namespace dupscan::fast

#if !defined(__CUDA_ARCH__)
#include <string_view>
#include <vector>

#include "dupscan/shingle.hpp"

namespace dupscan {

/**
 * @brief Step 2 on the host: the 64-bit value v of every shingle of a normalized text, in order,
 * repeats included, written to `out`.
 */
void fast_shingle_values(std::string_view normalized, const ShingleSpec& shingle,
                         std::vector<std::uint64_t>& out);

/**
 * @brief Step 1 for many words on the host: out[i] = word_hash of word i of `text`, whose words
 * start at starts[0..words) and are separated by single spaces.
 */
void word_hashes(std::string_view text, const std::uint32_t* starts, std::size_t words,
                 std::uint64_t* out);

/// @brief Steps 3-4 on the host: the K-bin densified OPH signature of the given shingle values.
void oph_signature(const std::uint64_t* values, std::size_t count, std::uint32_t k,
                   std::uint32_t* sig);

/// @brief Steps 1-4 in one pass: the signature of a normalized text. @return its shingle count.
std::size_t fast_signature(std::string_view normalized, const ShingleSpec& shingle, std::uint32_t k,
                           std::uint32_t* sig);

/// Steps 3-4 incrementally: add() each shingle value, then finish(). One at a time per thread.
class OphSketcher {
 public:
  OphSketcher(std::uint32_t k, std::uint32_t* sig);
  void add(std::uint64_t v) {
    const std::uint32_t b = fast::oph_bin(v, k_);
    const auto x = static_cast<std::uint32_t>(v);
    sig_[b] = x < sig_[b] ? x : sig_[b];
    filled_[b] = 1;
    ++count_;
  }
  void finish();
  std::size_t count() const { return count_; }

 private:
  std::uint32_t k_;
  std::uint32_t* sig_;
  std::uint8_t* filled_;
  std::size_t count_ = 0;
};

namespace detail {
/// Step 4 bin by bin (cost ~ empty * K / filled). Same result as densify_by_rounds.
void densify_by_bins(std::uint32_t* sig, const std::uint8_t* filled, std::uint32_t k);
/// Step 4 round by round from the filled bins (cost ~ K ln(empty)). Same result.
void densify_by_rounds(std::uint32_t* sig, const std::uint8_t* filled, std::uint32_t k);
}  // namespace detail

}  // namespace dupscan
#endif
