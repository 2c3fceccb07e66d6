// Whether the host kernels written for AVX-512 F and DQ (64-bit multiplies and rotates) may run:
// the shingle hasher (xxh64_simd.hpp) and the fast sketch's values (fast_values_simd.hpp); and the
// word-start finder (spaces.hpp), which also needs BW and VBMI2.
#pragma once

#include <cstdlib>
#include <cstring>

/// The target attribute of functions that use them.
#define DUPSCAN_AVX512 __attribute__((target("avx512f,avx512dq")))

namespace dupscan::detail {

/// Whether this CPU has AVX-512 F and DQ.
inline bool avx512dq_supported() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return has;
}

/// Whether to use them by default: where the CPU has them, unless DUPSCAN_SIMD is "scalar" or
/// "avx2" (the variable that also picks the MinHash kernel, minhash.hpp).
inline bool avx512dq_default() {
  static const bool on = [] {
    if (!avx512dq_supported()) return false;
    const char* forced = std::getenv("DUPSCAN_SIMD");
    return !(forced && (std::strcmp(forced, "scalar") == 0 || std::strcmp(forced, "avx2") == 0));
  }();
  return on;
}

/// Whether this CPU also has AVX-512 BW and VBMI2 (byte compares and compress: word starts).
inline bool avx512vbmi2_supported() {
  static const bool has = avx512dq_supported() && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("popcnt");
  return has;
}

/// avx512dq_default() for the kernels that need BW and VBMI2 as well.
inline bool avx512vbmi2_default() {
  static const bool on = avx512dq_default() && avx512vbmi2_supported();
  return on;
}

}  // namespace dupscan::detail
