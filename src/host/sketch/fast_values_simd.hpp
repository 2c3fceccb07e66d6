// The fast sketch's steps 1 and 2 (fast_sketch.hpp) for eight words or shingles per AVX-512
// register, where the CPU has AVX-512 F and DQ. Same bits as fast::word_hash and the polynomial of
// step 2 (tests/test_fast_sketch.cpp and the shingle fuzzer compare them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dupscan::detail {

/**
 * Step 1: out[i] = fast::word_hash of word i, the bytes [ws[i], ws[i + 1] - 1) of text[0, len),
 * for i < words (ws holds words + 1 entries; the last is len + 1). Words whose 8-byte loads would
 * pass the end of the text are hashed by the scalar reference. Requires avx512dq_supported()
 * (avx512.hpp).
 */
void word_units_avx512(const unsigned char* text, std::size_t len, const std::size_t* ws,
                       std::size_t words, std::uint64_t* out);

/**
 * Step 2: out[j] = fmix64(sum over k < n of u[j + k] * kBase^(n - 1 - k)) for j < count (u holds
 * count + n - 1 unit hashes). Requires avx512dq_supported() (avx512.hpp).
 */
void shingle_values_avx512(const std::uint64_t* u, std::size_t n, std::size_t count,
                           std::uint64_t* out);

}  // namespace dupscan::detail
