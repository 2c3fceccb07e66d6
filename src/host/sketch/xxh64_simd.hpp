// XXH64 of many word shingles at once (spec.hpp steps 4 and 7): eight shingles per AVX-512
// register where the CPU has AVX-512 F and DQ, one at a time otherwise. Both paths give the bits
// of spec::xxh64 (tests/test_avx512.cpp and the fuzzer compare them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dupscan::detail {

/**
 * XXH64 (seed 0) of the `count` word shingles of a normalized text: shingle j is the bytes
 * [ws[j], ws[j + n] - 1) of `text` (ws[] are word starts, and ws[words] = text length + 1, as if a
 * space followed the text), so ws holds at least count + n entries. out[j] is the hash, or its low
 * 32 bits for the uint32_t overload (the shingle hash of step 4). `simd` asks for the AVX-512 path;
 * it is taken only where the CPU has it (avx512.hpp).
 */
void xxh64_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                         std::uint64_t* out, bool simd);
void xxh64_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                         std::uint32_t* out, bool simd);

}  // namespace dupscan::detail
