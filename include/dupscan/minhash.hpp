/**
 * @file minhash.hpp
 * @brief MinHash permutations, signatures and LSH parameters (steps 5-6 of spec.hpp).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dupscan/spec.hpp"

namespace dupscan {

/**
 * @brief datasketch's permutation schemes (spec.hpp step 5 has the formulas).
 *
 * affine32 is datasketch 2.0's default; legacy is what datasketch computed before 2.0 (and with
 * `scheme="legacy"` since); affine64 is the 64-bit variant fed with the full XXH64.
 */
enum class Scheme : std::uint8_t { affine32, affine64, legacy };

/// "affine32", "affine64" or "legacy" (datasketch's spelling).
const char* scheme_name(Scheme scheme);
/// The scheme named `name` (exactly scheme_name's spelling), or nothing.
std::optional<Scheme> parse_scheme(std::string_view name);
/// "xxh64" or "sha1" (`--shingle-hash`; spec.hpp step 4).
const char* shingle_hash_name(ShingleHash hash);
/// The shingle hash named `name` (exactly shingle_hash_name's spelling), or nothing.
std::optional<ShingleHash> parse_shingle_hash(std::string_view name);
/// Bytes per signature value: 8 for affine64 (uint64), else 4 (uint32).
inline unsigned signature_width(Scheme scheme) {
  return scheme == Scheme::affine64 ? 8u : 4u;
}
/// The value of an empty signature slot (datasketch's max hash): 2^64 - 1 for affine64, else
/// 2^32 - 1.
inline std::uint64_t empty_value(Scheme scheme) {
  return scheme == Scheme::affine64 ? ~std::uint64_t{0} : std::uint64_t{0xFFFFFFFFu};
}

/**
 * @brief The K permutations (a_i, b_i) of spec.hpp step 5, drawn exactly as datasketch 2.0.0
 * draws them, from numpy's legacy `RandomState(S)` (MT19937 seeded by init_genrand(S)).
 *
 * legacy: K interleaved pairs of scalar draws,
 *
 *     for i in range(K): a_i = randint(1, 2^61 - 1, dtype=uint64); b_i = randint(0, 2^61 - 1, ...)
 *
 * affine32 / affine64 (w = 32 / 64): two vectorised draws, all of a first, then all of b,
 *
 *     a = randint(0, 2^(w-1), K, dtype=uint{w}) * 2 + 1;   b = randint(0, 2^w, K, dtype=uint{w})
 *
 * numpy draws a bounded integer by masked rejection: v = next() & mask until v <= high-1-low, where
 * next() is one 32-bit MT output for uint32 (and for uint64 ranges below 2^32) and
 * (first output << 32) | second output for uint64; a range of exactly 2^32 (2^64) takes next()
 * unmasked. For the affine schemes every draw is accepted: a_i = (next() & (2^(w-1) - 1)) * 2 + 1
 * for i < K, then b_i = next(). So an affine scheme's permutations for K are *not* a prefix of
 * those for a larger K with the same seed (legacy's are). This reimplements those draws.
 *
 * All schemes store a and b as uint64; affine32's values are below 2^32.
 */
struct Permutations {
  std::vector<std::uint64_t> a;  ///< multipliers: [1, 2^61 - 1) for legacy, odd for affine
  std::vector<std::uint64_t> b;  ///< offsets: [0, 2^61 - 1) for legacy, [0, 2^w) for affine
  std::uint32_t seed = 0;
  Scheme scheme = Scheme::legacy;

  std::size_t size() const { return a.size(); }
};

/// @brief The datasketch-compatible permutations of `scheme` for K = num_perm (>= 1) and seed.
Permutations make_permutations(std::uint32_t num_perm, std::uint32_t seed,
                               Scheme scheme = Scheme::legacy);

/**
 * @brief The reference (scalar, one permutation at a time) MinHash kernel of the 32-bit schemes
 * (perms.scheme legacy or affine32). Folds shingle hashes into a signature:
 * sig[i] = min(sig[i], h_i(hv)) for every hv in hashes, h_i being spec::permute (legacy) or
 * spec::permute_affine32 (affine32) (spec.hpp step 5). Initialize sig to spec::max_hash for a fresh
 * signature. @throw std::invalid_argument for affine64 permutations.
 */
void minhash_update(const std::uint32_t* hashes, std::size_t count, const Permutations& perms,
                    std::uint32_t* sig);
/**
 * @brief The reference kernel of affine64 (64-bit hashes, the full XXH64 of each shingle):
 * sig[i] = min(sig[i], spec::permute_affine64(a_i, b_i, hv)). Initialize sig to spec::max_hash64.
 * @throw std::invalid_argument unless perms.scheme is affine64.
 */
void minhash_update(const std::uint64_t* hashes, std::size_t count, const Permutations& perms,
                    std::uint64_t* sig);

/// Instruction-set paths of the CPU MinHash kernels. Every path gives the bits of minhash_update.
enum class SimdPath : std::uint8_t { scalar, avx2, avx512 };

/// "scalar", "avx2" or "avx512".
const char* simd_path_name(SimdPath path);
/// The paths this CPU can run, scalar first, fastest last.
std::vector<SimdPath> supported_simd_paths();
/**
 * @brief The fastest supported path, or the one the environment variable DUPSCAN_SIMD names
 * (scalar, avx2, avx512). @throw UsageError when DUPSCAN_SIMD names an unknown or unsupported path.
 */
SimdPath active_simd_path();

/**
 * @brief minhash_update on a chosen instruction set, for permutations of any scheme: the
 * permutations laid out once for the vector kernels (src/host/sketch/minhash_simd.cpp has
 * legacy's arithmetic, src/host/sketch/minhash_affine.cpp the affine schemes'). The avx512 path
 * needs AVX-512 F and DQ (as SimdPath::avx512 always does); avx2 needs AVX2.
 *
 * Safe to call from several threads at once (const, no shared scratch).
 */
class MinHasher {
 public:
  /// @throw UsageError if the CPU cannot run `path`.
  explicit MinHasher(const Permutations& perms, SimdPath path = active_simd_path());
  /**
   * @brief legacy and affine32: sig[i] = min(sig[i], h_i(hv)) for every hv in hashes[0, count)
   * (32-bit shingle hashes, spec::shingle_hash). @throw std::invalid_argument for affine64.
   */
  void update(const std::uint32_t* hashes, std::size_t count, std::uint32_t* sig) const;
  /**
   * @brief affine64: sig[i] = min(sig[i], spec::permute_affine64(a_i, b_i, hv)) for every hv in
   * hashes[0, count) (64-bit shingle hashes). @throw std::invalid_argument for the other schemes.
   */
  void update64(const std::uint64_t* hashes, std::size_t count, std::uint64_t* sig) const;
  SimdPath path() const { return path_; }
  Scheme scheme() const { return scheme_; }
  std::size_t size() const { return k_; }
  /// legacy only (empty for the affine schemes): the hashes for which the vector kernels'
  /// shortcut needs the fold's carry (sorted; almost always empty): calls that see one run the
  /// exact kernel.
  const std::vector<std::uint32_t>& carry_hashes() const { return carry_hashes_; }
  /// legacy: false when some permutation's carry hashes are too many to list (a_i divisible by
  /// 2^30). Always true for the affine schemes.
  bool fast() const { return fast_; }

  /**
   * @brief Appends to `out` every h < 2^32 with permute(a, b, h) != low 32 bits of x + (x >> 61),
   * x = a*h + b mod 2^64. Returns false, appending nothing, when a has 30 or more trailing zero
   * bits (then such h are not isolated).
   */
  static bool solve_carry_hashes(std::uint64_t a, std::uint64_t b, std::vector<std::uint32_t>& out);

 private:
  bool needs_exact(const std::uint32_t* hashes, std::size_t count) const;

  Scheme scheme_;
  std::size_t k_ = 0;
  // legacy: a_, b_ (size K) and a_top_; affine64: a_, b_ padded to a multiple of 16 (odd a = 1,
  // b = 0 in the padding); affine32: a32_, b32_ padded likewise.
  std::vector<std::uint64_t> a_, b_, a_top_;
  std::vector<std::uint32_t> a32_, b32_;
  std::vector<std::uint32_t> carry_hashes_;
  bool fast_ = true;
  SimdPath path_;
};

/// LSH banding: `bands` bands of `rows` rows over sig[0 .. bands*rows).
struct LshParams {
  std::uint32_t bands = 0;
  std::uint32_t rows = 0;
};

/**
 * @brief datasketch's `_optimal_param(threshold, num_perm, fp_weight, fn_weight)`.
 *
 * For every b in [1, K] and r in [1, floor(K/b)] it computes
 *     fp(b, r) = integral_0^T  1 - (1 - s^r)^b ds             (false-positive area)
 *     fn(b, r) = integral_T^1  (1 - s^r)^b ds                  (false-negative area)
 * and returns the first (b, r), in that loop order, minimizing fp * fp_weight + fn * fn_weight.
 * datasketch integrates with scipy's adaptive quadrature; this uses composite Gauss-Legendre to
 * about 1e-15, and tests/test_lsh.cpp checks the choice against datasketch for a grid of (T, K).
 */
LshParams optimal_lsh_params(double threshold, std::uint32_t num_perm, double fp_weight = 0.5,
                             double fn_weight = 0.5);

/// Probability that a pair of Jaccard similarity s shares at least one band: 1 - (1 - s^r)^b.
double candidate_probability(double s, LshParams params);

/// Writes the `params.bands` band keys of sig (spec.hpp step 6) to keys.
void band_keys(const std::uint32_t* sig, LshParams params, std::uint64_t* keys);
/// The same for 64-bit signature values (affine64): spec::band_key64 of each band.
void band_keys(const std::uint64_t* sig, LshParams params, std::uint64_t* keys);

/// datasketch's `MinHash.jaccard`: the fraction of the K positions where the signatures agree.
double estimate_jaccard(const std::uint32_t* sig_a, const std::uint32_t* sig_b, std::uint32_t k);
/// The same for 64-bit signature values (affine64).
double estimate_jaccard(const std::uint64_t* sig_a, const std::uint64_t* sig_b, std::uint32_t k);

}  // namespace dupscan
