/**
 * @file minhash.hpp
 * @brief MinHash permutations, signatures and LSH parameters (steps 5-6 of spec.hpp).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dupscan {

/**
 * @brief The K permutations (a_i, b_i) of spec.hpp step 5, drawn exactly as datasketch draws them.
 *
 * `datasketch.MinHash(num_perm=K, seed=S, scheme="legacy")` (the only scheme before datasketch 2.0)
 * does, with numpy's legacy `RandomState(S)` (MT19937 seeded by init_genrand(S)):
 *
 *     for i in range(K): a_i = randint(1, 2^61 - 1, dtype=uint64); b_i = randint(0, 2^61 - 1, ...)
 *
 * numpy draws each bounded uint64 by rejection: v = next64() & (2^61 - 1) until v <= high-1-low,
 * where next64() = (first 32-bit output << 32) | second 32-bit output. This reimplements that.
 */
struct Permutations {
  std::vector<std::uint64_t> a;  ///< multipliers, in [1, 2^61 - 1)
  std::vector<std::uint64_t> b;  ///< offsets, in [0, 2^61 - 1)
  std::uint32_t seed = 0;

  std::size_t size() const { return a.size(); }
};

/// @brief The datasketch-compatible permutations for K = num_perm (>= 1) and seed.
Permutations make_permutations(std::uint32_t num_perm, std::uint32_t seed);

/**
 * @brief The reference (scalar, one permutation at a time) MinHash kernel. Folds shingle hashes
 * into a signature: sig[i] = min(sig[i], permute(a_i, b_i, hv)) for
 * every hv in hashes (spec.hpp step 5). Initialize sig to spec::max_hash for a fresh signature.
 */
void minhash_update(const std::uint32_t* hashes, std::size_t count, const Permutations& perms,
                    std::uint32_t* sig);

/// Instruction-set paths of the CPU MinHash kernel. Every path gives the bits of minhash_update.
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
 * @brief minhash_update on a chosen instruction set: the permutations laid out once for the
 * vector kernels (see src/host/minhash_simd.cpp for the arithmetic).
 */
class MinHasher {
 public:
  /// @throw UsageError if the CPU cannot run `path`.
  explicit MinHasher(const Permutations& perms, SimdPath path = active_simd_path());
  /// sig[i] = min(sig[i], permute(a_i, b_i, hv)) for every hv in hashes[0, count).
  void update(const std::uint32_t* hashes, std::size_t count, std::uint32_t* sig) const;
  SimdPath path() const { return path_; }
  std::size_t size() const { return a_.size(); }
  /// The hashes for which the vector kernels' shortcut needs the fold's carry (sorted; almost
  /// always empty): calls that see one run the exact kernel.
  const std::vector<std::uint32_t>& carry_hashes() const { return carry_hashes_; }
  /// False when some permutation's carry hashes are too many to list (a_i divisible by 2^30).
  bool fast() const { return fast_; }

  /**
   * @brief Appends to `out` every h < 2^32 with permute(a, b, h) != low 32 bits of x + (x >> 61),
   * x = a*h + b mod 2^64. Returns false, appending nothing, when a has 30 or more trailing zero
   * bits (then such h are not isolated).
   */
  static bool solve_carry_hashes(std::uint64_t a, std::uint64_t b, std::vector<std::uint32_t>& out);

 private:
  bool needs_exact(const std::uint32_t* hashes, std::size_t count) const;

  std::vector<std::uint64_t> a_, b_, a_top_;
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

/// datasketch's `MinHash.jaccard`: the fraction of the K positions where the signatures agree.
double estimate_jaccard(const std::uint32_t* sig_a, const std::uint32_t* sig_b, std::uint32_t k);

}  // namespace dupscan
