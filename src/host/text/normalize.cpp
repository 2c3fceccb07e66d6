#include "dupscan/normalize.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common/avx512.hpp"
#include "text/normalize_internal.hpp"
#include "text/utf8.hpp"

namespace dupscan {
namespace {

#include "text/unicode_table.inc"

inline int table_entry(char32_t cp) noexcept {
  return kStage2[kStage1[cp >> kBlockShift]][cp & ((1u << kBlockShift) - 1)];
}

// What each ASCII byte becomes under each of the four option sets: its (lowercased) self, or ' '
// for a separator. Read once from the generated table so that the fast path cannot drift from it.
struct AsciiMaps {
  std::array<std::array<char, 128>, 4> map{};  // [lowercase * 2 + strip_punctuation]
  AsciiMaps() {
    for (int opt = 0; opt < 4; ++opt) {
      const bool lower = opt & 2, strip = opt & 1;
      for (unsigned c = 0; c < 128; ++c) {
        const int e = table_entry(c);
        auto cls = static_cast<CharClass>(e & 7);  // ASCII has no drop or mark code points
        if (cls == CharClass::punct) cls = strip ? CharClass::space : CharClass::word;
        map[opt][c] = cls != CharClass::word ? ' '
                      : lower                ? static_cast<char>(static_cast<int>(c) + (e >> 3))
                                             : static_cast<char>(c);
      }
    }
  }
};
const AsciiMaps kAscii;

#if defined(__x86_64__)
#define DUPSCAN_NORMALIZE_AVX2 1

// The ASCII map of one option set as two 128-bit sets for the vector path: separators (mapped to
// ' ') and bytes that gain 0x20 (A-Z when lowercasing). Built from the map, so the vector path
// cannot drift from it; `usable` is false if some byte maps to anything else (it does not with
// today's tables, and the scalar loop then does all the work).
struct AsciiSets {
  alignas(16) std::uint8_t sep[16] = {};  // bit (c & 7) of sep[c >> 3]: c is a separator
  alignas(16) std::uint8_t up[16] = {};   // likewise: c becomes c + 0x20
  bool usable = true;
};

struct SimdTables {
  std::array<AsciiSets, 4> sets;
  // compact[k]: the pshufb indices that gather the bytes of an 8-byte group whose set bits in k
  // are kept, in order (unused slots 0x80: zero).
  alignas(16) std::uint8_t compact[256][8] = {};
  SimdTables() {
    for (int opt = 0; opt < 4; ++opt) {
      for (unsigned c = 0; c < 128; ++c) {
        const auto m = static_cast<unsigned char>(kAscii.map[opt][c]);
        if (m == ' ') {
          sets[opt].sep[c >> 3] |= static_cast<std::uint8_t>(1u << (c & 7));
        } else if (m == c + 0x20) {
          sets[opt].up[c >> 3] |= static_cast<std::uint8_t>(1u << (c & 7));
        } else if (m != c) {
          sets[opt].usable = false;
        }
      }
    }
    for (unsigned k = 0; k < 256; ++k) {
      unsigned n = 0;
      for (unsigned i = 0; i < 8; ++i) {
        if (k >> i & 1) compact[k][n++] = static_cast<std::uint8_t>(i);
      }
      for (; n < 8; ++n)
        compact[k][n] = 0x80;
    }
  }
};
const SimdTables kSimd;

/**
 * The scalar ASCII loop below, 32 bytes per step while they are all ASCII: classify and lowercase
 * with two nibble lookups, then keep every byte but a separator after a separator (the masks
 * carry `last_sep` across steps), gathering the kept bytes of each 8-byte group with one pshufb.
 * Writes up to 8 bytes past the new w. Returns where it stopped: fewer than 32 bytes left, or a
 * block with a byte >= 0x80.
 */
__attribute__((target("avx2,popcnt"))) const unsigned char* ascii_avx2(
    const unsigned char* p, const unsigned char* end, const AsciiSets& sets, char* o,
    std::size_t& w, std::size_t& words, bool& last_sep) {
  const __m256i sep_tab =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(sets.sep)));
  const __m256i up_tab =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(sets.up)));
  const __m256i bit_tab =
      _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16,
                       32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const __m256i low3 = _mm256_set1_epi8(7), low4 = _mm256_set1_epi8(15);
  const __m256i space = _mm256_set1_epi8(' '), case_bit = _mm256_set1_epi8(0x20);
  std::uint32_t carry = last_sep ? 1u : 0u;
  std::size_t n_words = 0;
  while (end - p >= 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if (_mm256_movemask_epi8(v) != 0) break;
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 3), low4);
    const __m256i bit = _mm256_shuffle_epi8(bit_tab, _mm256_and_si256(v, low3));
    const __m256i is_sep =
        _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(sep_tab, hi), bit), bit);
    const __m256i is_up =
        _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(up_tab, hi), bit), bit);
    const __m256i mapped =
        _mm256_blendv_epi8(_mm256_add_epi8(v, _mm256_and_si256(is_up, case_bit)), space, is_sep);
    const auto s = static_cast<std::uint32_t>(_mm256_movemask_epi8(is_sep));
    const std::uint32_t prev = (s << 1) | carry;  // bit i: byte i - 1 was a separator
    const std::uint32_t keep = ~(s & prev);
    n_words += static_cast<std::size_t>(_mm_popcnt_u32(~s & prev));
    carry = s >> 31;
    const __m128i lo = _mm256_castsi256_si128(mapped);
    const __m128i hi128 = _mm256_extracti128_si256(mapped, 1);
    const __m128i groups[4] = {lo, _mm_srli_si128(lo, 8), hi128, _mm_srli_si128(hi128, 8)};
    for (int g = 0; g < 4; ++g) {
      const unsigned k = (keep >> (8 * g)) & 0xFF;
      const __m128i idx = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kSimd.compact[k]));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o + w), _mm_shuffle_epi8(groups[g], idx));
      w += static_cast<std::size_t>(_mm_popcnt_u32(k));
    }
    p += 32;
  }
  last_sep = carry != 0;
  words += n_words;
  return p;
}

/**
 * ascii_avx2 with 64 bytes per step, for CPUs with AVX-512 BW, VBMI and VBMI2: each byte is mapped
 * by one two-table byte permute of the scalar path's own 128-entry map (so any map works, and it
 * cannot drift from it), separators are the bytes mapped to ' ', and the kept bytes are packed by
 * one compress. Writes up to 64 bytes past the new w. Returns where it stopped: fewer than 64
 * bytes left, or a block with a byte >= 0x80.
 */
__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,popcnt"))) const unsigned char*
ascii_avx512(const unsigned char* p, const unsigned char* end, const char* map, char* o,
             std::size_t& w, std::size_t& words, bool& last_sep) {
  const __m512i map_lo = _mm512_loadu_si512(map);
  const __m512i map_hi = _mm512_loadu_si512(map + 64);
  const __m512i space = _mm512_set1_epi8(' ');
  std::uint64_t carry = last_sep ? 1u : 0u;
  std::size_t n_words = 0;
  while (end - p >= 64) {
    const __m512i v = _mm512_loadu_si512(p);
    if (_mm512_movepi8_mask(v) != 0) break;
    // Index bits 0-5 pick a byte of map_lo or map_hi, bit 6 which: the map of every byte < 128.
    const __m512i mapped = _mm512_permutex2var_epi8(map_lo, v, map_hi);
    const std::uint64_t s = _mm512_cmpeq_epi8_mask(mapped, space);
    const std::uint64_t prev = (s << 1) | carry;  // bit i: byte i - 1 was a separator
    const std::uint64_t keep = ~(s & prev);
    n_words += static_cast<std::size_t>(_mm_popcnt_u64(~s & prev));
    carry = s >> 63;
    _mm512_storeu_si512(o + w, _mm512_maskz_compress_epi8(keep, mapped));
    w += static_cast<std::size_t>(_mm_popcnt_u64(keep));
    p += 64;
  }
  last_sep = carry != 0;
  words += n_words;
  return p;
}

bool cpu_has(SimdPath path) {
  switch (path) {
    case SimdPath::scalar:
      return true;
    case SimdPath::avx2: {
      static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
      return has;
    }
    case SimdPath::avx512: {
      static const bool has =
          __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
          __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
          __builtin_cpu_supports("popcnt");
      return has;
    }
  }
  return false;
}
#else
bool cpu_has(SimdPath path) {
  return path == SimdPath::scalar;
}
#endif

// The widest path the CPU has; DUPSCAN_SIMD=avx2 stops at AVX2 (as avx512dq_default() does for
// every AVX-512 kernel), =scalar at the scalar loop.
SimdPath default_path() {
  static const SimdPath path = [] {
    const char* forced = std::getenv("DUPSCAN_SIMD");
    if (detail::avx512dq_default() && cpu_has(SimdPath::avx512)) return SimdPath::avx512;
    if (!(forced && std::strcmp(forced, "scalar") == 0) && cpu_has(SimdPath::avx2)) {
      return SimdPath::avx2;
    }
    return SimdPath::scalar;
  }();
  return path;
}

// Input is consumed in chunks; before each, the output gets room for the chunk's worst case: three
// bytes per input byte (an ill-formed byte becomes U+FFFD), a code point that straddles the chunk
// end, one space, and the 8 bytes the AVX2 path may write past its output. (The AVX-512 path's 64
// bytes past its output fit too: it stores only with 64 unread input bytes left in the chunk,
// whose three bytes each of room it has not used.)
constexpr std::size_t kChunk = 4096;

}  // namespace

std::string NormalizeOptions::describe() const {
  std::string d = lowercase ? "lowercase" : "keep-case";
  d += strip_punctuation ? ",strip-punct" : ",keep-punct";
  return d;
}

CharClass char_class(char32_t cp) noexcept {
  return static_cast<CharClass>(table_entry(cp) & 7);
}

char32_t simple_lowercase(char32_t cp) noexcept {
  return static_cast<char32_t>(static_cast<int>(cp) + (table_entry(cp) >> 3));
}

const char* unicode_version() noexcept {
  return kUnicodeVersion;
}

std::size_t normalize(std::string_view text, const NormalizeOptions& options, std::string& out) {
  return detail::normalize_with(text, options, out, default_path());
}

std::vector<SimdPath> detail::normalize_paths() {
  std::vector<SimdPath> out;
  for (SimdPath p : {SimdPath::scalar, SimdPath::avx2, SimdPath::avx512}) {
    if (cpu_has(p)) out.push_back(p);
  }
  return out;
}

namespace {

// The normalizer over `text`, writing through `room(w, n)`: it returns the output buffer with at
// least w + 3 * n + 16 bytes (w written so far, n input bytes next). Returns the bytes written;
// `words` gets the words.
template <class Room>
std::size_t normalize_core(std::string_view text, const NormalizeOptions& options, SimdPath path,
                           Room&& room, std::size_t& words_out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  const CharClass punct_as = options.strip_punctuation ? CharClass::space : CharClass::word;
  const bool lower = options.lowercase;
  const int opt = (lower ? 2 : 0) + (options.strip_punctuation ? 1 : 0);
  const char* map = kAscii.map[opt].data();
  if (!cpu_has(path)) path = SimdPath::scalar;
#if defined(DUPSCAN_NORMALIZE_AVX2)
  if (path == SimdPath::avx2 && !kSimd.sets[opt].usable) path = SimdPath::scalar;
#endif

  // The output is words separated by single spaces, with at most one trailing space that is cut
  // at the end. `last_sep`: nothing or a separator was written last, so no word is open.
  std::size_t w = 0;
  std::size_t words = 0;
  bool last_sep = true;
  char* o = nullptr;
  while (p < end) {
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(end - p), kChunk);
    o = room(w, n);
    const auto* const chunk_end = p + n;
    while (p < chunk_end) {
#if defined(DUPSCAN_NORMALIZE_AVX2)
      if (path == SimdPath::avx512) {
        p = ascii_avx512(p, chunk_end, map, o, w, words, last_sep);
      } else if (path == SimdPath::avx2) {
        p = ascii_avx2(p, chunk_end, kSimd.sets[opt], o, w, words, last_sep);
      }
#endif
      // ASCII, without branches on the data: a separator after a separator writes nothing.
      while (p < chunk_end && *p < 0x80) {
        const char m = map[*p++];
        const bool sep = m == ' ';
        o[w] = m;
        w += !(sep & last_sep);
        words += !sep & last_sep;
        last_sep = sep;
      }
      if (p >= chunk_end) break;
      // One non-ASCII code point (it may end past chunk_end: the room above allows for it).
      const utf8::Decoded d = utf8::decode(p, end);
      p += d.length;
      const int e = table_entry(d.cp);
      CharClass cls = static_cast<CharClass>(e & 7);
      if (cls == CharClass::drop) continue;
      if (cls == CharClass::mark) {
        if (last_sep) continue;  // extends a separator (or nothing): deleted with it
        cls = CharClass::word;
      }
      if (cls == CharClass::punct) cls = punct_as;
      if (cls != CharClass::word) {
        if (!last_sep) o[w++] = ' ';
        last_sep = true;
        continue;
      }
      words += last_sep;
      last_sep = false;
      const char32_t cp = lower ? static_cast<char32_t>(static_cast<int>(d.cp) + (e >> 3)) : d.cp;
      w = static_cast<std::size_t>(utf8::encode(cp, o + w) - o);
    }
  }
  if (w > 0 && o[w - 1] == ' ') --w;
  words_out = words;
  return w;
}

}  // namespace

std::size_t detail::normalize_with(std::string_view text, const NormalizeOptions& options,
                                   std::string& out, SimdPath path) {
  // Written into a per-thread buffer that only grows, then copied: resizing `out` up front would
  // zero-fill three times the input on every call.
  thread_local std::vector<char> buf;
  std::size_t words = 0;
  const std::size_t w = normalize_core(
      text, options, path,
      [](std::size_t w, std::size_t n) {
        if (buf.size() < w + 3 * n + 16) buf.resize(std::max(buf.size() * 2, w + 3 * n + 16));
        return buf.data();
      },
      words);
  out.assign(buf.data(), w);
  if (buf.size() > (std::size_t{64} << 20)) std::vector<char>().swap(buf);  // after a huge doc
  return words;
}

std::size_t detail::normalize_into_with(std::string_view text, const NormalizeOptions& options,
                                        char* out, SimdPath path, std::size_t* words) {
  std::size_t count = 0;
  const std::size_t w = normalize_core(
      text, options, path, [out](std::size_t, std::size_t) { return out; }, count);
  if (words) *words = count;
  return w;
}

std::size_t normalize_into(std::string_view text, const NormalizeOptions& options, char* out,
                           std::size_t* words) {
  return detail::normalize_into_with(text, options, out, default_path(), words);
}

std::string normalize(std::string_view text, const NormalizeOptions& options) {
  std::string out;
  normalize(text, options, out);
  return out;
}

}  // namespace dupscan
