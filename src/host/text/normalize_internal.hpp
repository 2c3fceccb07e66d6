// The normalizer's implementations, for the tests that compare them (normalize.hpp has the
// specification; normalize() picks the widest vector path the CPU has, AVX2 when DUPSCAN_SIMD is
// "avx2", none when it is "scalar").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/minhash.hpp"
#include "dupscan/normalize.hpp"

namespace dupscan::detail {

/// normalize() with its ASCII runs a byte at a time (scalar), 32 bytes per step (avx2) or 64
/// (avx512: AVX-512 BW, VBMI and VBMI2; a byte permute maps, a compress drops repeated
/// separators). A vector path the CPU lacks falls back to the scalar loop.
std::size_t normalize_with(std::string_view text, const NormalizeOptions& options, std::string& out,
                           SimdPath path);

/// normalize_into() on one of those paths.
std::size_t normalize_into_with(std::string_view text, const NormalizeOptions& options, char* out,
                                SimdPath path, std::size_t* words);

/// The paths this build and CPU have for the normalizer, scalar first (simd_path_name names them).
std::vector<SimdPath> normalize_paths();

}  // namespace dupscan::detail
