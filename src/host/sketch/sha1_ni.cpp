// SHA-1 with the x86 SHA extensions (sha1_shingles.hpp), and the choice between it and the scalar
// reference (spec::sha1_prefix64, sha1.hpp).
#include <cpuid.h>
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "dupscan/errors.hpp"
#include "dupscan/spec.hpp"
#include "sketch/sha1_shingles.hpp"

namespace dupscan::detail {
namespace {

#define DUPSCAN_SHANI __attribute__((target("sha,sse4.1,ssse3")))

// Four rounds (group g of 20) of SHA-1 with sha1rnds4, the message schedule kept in four
// registers m[0..4) that rotate with g: group g consumes m[g % 4] and, while it runs, the
// schedule of group g + 4 is built from it (sha1msg1 at g - 1, the xor at g - 2, sha1msg2 at
// g - 3), as in Intel's reference ("Intel SHA Extensions", 2013). `e` alternates between e0 and
// e1: the register that holds E (from sha1nexte) for this group, and the one that saves ABCD for
// the next.
#define DUPSCAN_SHA1_GROUP(g)                                                                  \
  do {                                                                                         \
    __m128i& e_use = ((g) % 2 == 0) ? e0 : e1;                                                 \
    __m128i& e_save = ((g) % 2 == 0) ? e1 : e0;                                                \
    if ((g) == 0) {                                                                            \
      e_use = _mm_add_epi32(e_use, m[0]);                                                      \
    } else {                                                                                   \
      e_use = _mm_sha1nexte_epu32(e_use, m[(g) % 4]);                                          \
    }                                                                                          \
    e_save = abcd;                                                                             \
    if ((g) >= 3 && (g) <= 18)                                                                 \
      m[((g) + 1) % 4] = _mm_sha1msg2_epu32(m[((g) + 1) % 4], m[(g) % 4]);                     \
    abcd = _mm_sha1rnds4_epu32(abcd, e_use, (g) / 5);                                          \
    if ((g) >= 1 && (g) <= 16)                                                                 \
      m[((g) + 3) % 4] = _mm_sha1msg1_epu32(m[((g) + 3) % 4], m[(g) % 4]);                     \
    if ((g) >= 2 && (g) <= 17) m[((g) + 2) % 4] = _mm_xor_si128(m[((g) + 2) % 4], m[(g) % 4]); \
  } while (0)

// Folds `blocks` 64-byte blocks into the state h[0..5).
DUPSCAN_SHANI void compress_shani(std::uint32_t* h, const unsigned char* data, std::size_t blocks) {
  const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0x1B);
  __m128i e0 = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
  __m128i e1 = _mm_setzero_si128();
  for (std::size_t b = 0; b < blocks; ++b, data += 64) {
    const __m128i abcd_save = abcd;
    const __m128i e0_save = e0;
    __m128i m[4];
    for (int i = 0; i < 4; ++i) {
      m[i] =
          _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)), mask);
    }
    DUPSCAN_SHA1_GROUP(0);
    DUPSCAN_SHA1_GROUP(1);
    DUPSCAN_SHA1_GROUP(2);
    DUPSCAN_SHA1_GROUP(3);
    DUPSCAN_SHA1_GROUP(4);
    DUPSCAN_SHA1_GROUP(5);
    DUPSCAN_SHA1_GROUP(6);
    DUPSCAN_SHA1_GROUP(7);
    DUPSCAN_SHA1_GROUP(8);
    DUPSCAN_SHA1_GROUP(9);
    DUPSCAN_SHA1_GROUP(10);
    DUPSCAN_SHA1_GROUP(11);
    DUPSCAN_SHA1_GROUP(12);
    DUPSCAN_SHA1_GROUP(13);
    DUPSCAN_SHA1_GROUP(14);
    DUPSCAN_SHA1_GROUP(15);
    DUPSCAN_SHA1_GROUP(16);
    DUPSCAN_SHA1_GROUP(17);
    DUPSCAN_SHA1_GROUP(18);
    DUPSCAN_SHA1_GROUP(19);
    // Group 19 left ABCD-before-it in e0: E of the block's end, added to E at its start.
    e0 = _mm_sha1nexte_epu32(e0, e0_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(abcd, 0x1B));
  h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e0, 3));
}

#undef DUPSCAN_SHA1_GROUP

DUPSCAN_SHANI std::uint64_t prefix64_shani(const void* data, std::size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t h[5];
  spec::detail::sha1_init(h);
  const std::size_t full = len / 64;
  if (full) compress_shani(h, p, full);
  alignas(16) unsigned char last[128];
  const int blocks = spec::detail::sha1_final_blocks(p + 64 * full, len % 64, len, last);
  compress_shani(h, last, static_cast<std::size_t>(blocks));
  return spec::detail::sha1_prefix_of(h);
}

template <class T>
void word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                   T* out, Sha1Path path) {
  if (path == Sha1Path::shani) {
    for (std::size_t j = 0; j < count; ++j)
      out[j] = static_cast<T>(prefix64_shani(text + ws[j], ws[j + n] - 1 - ws[j]));
  } else {
    for (std::size_t j = 0; j < count; ++j)
      out[j] = static_cast<T>(spec::sha1_prefix64(text + ws[j], ws[j + n] - 1 - ws[j]));
  }
}

}  // namespace

const char* sha1_path_name(Sha1Path path) {
  return path == Sha1Path::shani ? "shani" : "scalar";
}

bool sha_ni_supported() {
  static const bool has = [] {
    if (!__builtin_cpu_supports("ssse3") || !__builtin_cpu_supports("sse4.1")) return false;
    // CPUID leaf 7, sub-leaf 0: EBX bit 29 is SHA (GCC 12's __builtin_cpu_supports has no "sha").
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    return ((ebx >> 29) & 1u) != 0;
  }();
  return has;
}

Sha1Path active_sha1_path() {
  static const Sha1Path path = [] {
    if (const char* forced = std::getenv("DUPSCAN_SHA1"); forced && *forced) {
      if (std::strcmp(forced, "scalar") == 0) return Sha1Path::scalar;
      if (std::strcmp(forced, "shani") == 0) {
        if (!sha_ni_supported()) {
          throw UsageError("DUPSCAN_SHA1=shani: this CPU has no SHA extensions");
        }
        return Sha1Path::shani;
      }
      throw UsageError(std::string("DUPSCAN_SHA1 must be scalar or shani, got '") + forced + "'");
    }
    const char* simd = std::getenv("DUPSCAN_SIMD");
    if (simd && std::strcmp(simd, "scalar") == 0) return Sha1Path::scalar;
    return sha_ni_supported() ? Sha1Path::shani : Sha1Path::scalar;
  }();
  return path;
}

std::uint64_t sha1_prefix64(const void* data, std::size_t len, Sha1Path path) {
  return path == Sha1Path::shani ? prefix64_shani(data, len) : spec::sha1_prefix64(data, len);
}

void sha1_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                        std::uint64_t* out, Sha1Path path) {
  word_shingles(text, ws, n, count, out, path);
}

void sha1_word_shingles(const char* text, const std::size_t* ws, std::size_t n, std::size_t count,
                        std::uint32_t* out, Sha1Path path) {
  word_shingles(text, ws, n, count, out, path);
}

}  // namespace dupscan::detail
