// SHA-1 of shingles on the CPU (spec.hpp step 4, `--shingle-hash sha1`): with the x86 SHA
// extensions (SHA-NI) where the CPU has them, else spec::sha1_prefix64, the scalar reference
// (sha1.hpp) that the CUDA backend compiles too. Both paths give the same bits
// (tests/test_sha1.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dupscan::detail {

/// The CPU paths of SHA-1.
enum class Sha1Path : std::uint8_t { scalar, shani };

/// "scalar" or "shani".
const char* sha1_path_name(Sha1Path path);
/// Whether this CPU has the SHA extensions (and SSSE3 / SSE4.1, which the SHA-NI path also uses).
bool sha_ni_supported();
/**
 * @brief The path sha1 shingle hashes take: shani where the CPU has it, unless the environment
 * variable DUPSCAN_SHA1 names one ("scalar" or "shani") or DUPSCAN_SIMD is "scalar" (plain C++
 * everywhere). @throw UsageError when DUPSCAN_SHA1 names an unknown path or shani on a CPU
 * without it.
 */
Sha1Path active_sha1_path();

/// spec::sha1_prefix64 (the first 8 bytes of SHA-1, little-endian) on `path`; shani must be
/// supported.
std::uint64_t sha1_prefix64(const void* data, std::size_t len, Sha1Path path);

/**
 * sha1_prefix64 of the `count` word shingles of a normalized text, shingle j being the bytes
 * [ws[j], ws[j + n] - 1) of `text` (as xxh64_word_shingles, xxh64_simd.hpp), on `path`. The
 * uint32_t overload keeps the low 32 bits (datasketch's sha1_hash32).
 */
void sha1_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                        std::uint64_t* out, Sha1Path path);
void sha1_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                        std::uint32_t* out, Sha1Path path);

}  // namespace dupscan::detail
