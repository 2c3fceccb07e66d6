// The normalizer's implementations, for the tests that compare them (normalize.hpp has the
// specification; normalize() picks the widest vector path the CPU has, AVX2 when DUPSCAN_SIMD is
// "avx2", none when it is "scalar").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/normalize.hpp"

namespace dupscan::detail {

/// The implementations of normalize()'s ASCII runs: a byte at a time, 32 bytes per step (AVX2),
/// or 64 (AVX-512 BW, VBMI and VBMI2: a byte permute maps, a compress drops repeated separators).
enum class NormalizePath { scalar, avx2, avx512 };

/// normalize() on the given path (a vector path the CPU lacks falls back to the scalar loop).
std::size_t normalize_with(std::string_view text, const NormalizeOptions& options, std::string& out,
                           NormalizePath path);

/// The paths this build and CPU have, scalar first.
std::vector<NormalizePath> normalize_paths();

/// "scalar", "avx2" or "avx512".
const char* normalize_path_name(NormalizePath path);

}  // namespace dupscan::detail
