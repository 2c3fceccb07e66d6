// The normalizer's two implementations, for the test that compares them (normalize.hpp has the
// specification; normalize() picks the vector path when the CPU has it and DUPSCAN_SIMD is not
// "scalar").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dupscan/normalize.hpp"

namespace dupscan::detail {

/// normalize() with the ASCII vector path on (where the CPU has it) or off.
std::size_t normalize_with(std::string_view text, const NormalizeOptions& options, std::string& out,
                           bool simd);

/// Whether this build and CPU have the vector path (AVX2).
bool normalize_has_simd();

}  // namespace dupscan::detail
