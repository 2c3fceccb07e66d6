// The MinHash kernels of the affine schemes (spec.hpp step 5: affine32, affine64) on every
// SimdPath, behind MinHasher (minhash.hpp). Every path gives the bits of the scalar reference
// minhash_update (tests/test_minhash_simd.cpp, tests/test_avx512.cpp and the golden tests compare).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dupscan/minhash.hpp"

namespace dupscan::detail {

/// Permutation arrays handed to the kernels are padded to a multiple of this many entries, so the
/// kernels load whole vectors of a and b; only sig's last vector is masked.
constexpr std::size_t kAffinePad = 16;

/**
 * sig[i] = min(sig[i], a[i] * fmix32(h) + b[i] mod 2^32) for i < k and every h in hashes[0, count).
 * a and b hold k entries rounded up to kAffinePad. `path` must be supported by the CPU.
 */
void affine32_update(SimdPath path, const std::uint32_t* hashes, std::size_t count,
                     const std::uint32_t* a, const std::uint32_t* b, std::size_t k,
                     std::uint32_t* sig);

/// The same for affine64: a[i] * fmix64(h) + b[i] mod 2^64, 64-bit hashes and signature.
void affine64_update(SimdPath path, const std::uint64_t* hashes, std::size_t count,
                     const std::uint64_t* a, const std::uint64_t* b, std::size_t k,
                     std::uint64_t* sig);

}  // namespace dupscan::detail
