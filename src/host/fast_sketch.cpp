// The fast sketch (fast_sketch.hpp) on the CPU. The unit hashes read the last chunk of a word as
// a whole 8-byte load with the bytes past the word masked off (where 8 bytes are readable),
// instead of assembling it byte by byte as the reference fast::word_hash does;
// tests/test_fast_sketch.cpp checks both give the same bits.
#include "dupscan/fast_sketch.hpp"

#include <cstring>

#include "utf8.hpp"

namespace dupscan {
namespace {

using spec::detail::prime64_1;
using spec::detail::prime64_2;
using spec::detail::prime64_5;
using spec::detail::rotl64;

inline std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Unit hash of the word text[start, start + n), n >= 1. Most words fit one 8-byte chunk: it is
// read as one load with the bytes past the word masked off (where 8 bytes are readable), so that
// path has no data-dependent branch; longer words and the end of the text take the general path.
inline std::uint64_t word_unit(const unsigned char* text, std::size_t len, std::size_t start,
                               std::size_t n) {
  const unsigned char* p = text + start;
  std::uint64_t h = prime64_5 ^ (static_cast<std::uint64_t>(n) * prime64_1);
  if (n <= 8 && start + 8 <= len) {
    const std::uint64_t c = load64(p) & (~std::uint64_t{0} >> (64 - 8 * n));
    return fast::fmix64(rotl64(h ^ (c * prime64_2), 31) * prime64_1);
  }
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8)
    h = rotl64(h ^ (load64(p + k) * prime64_2), 31) * prime64_1;
  if (k < n) {
    std::uint64_t c;
    if (start + k + 8 <= len) {
      c = load64(p + k) & ((std::uint64_t{1} << (8 * (n - k))) - 1);
    } else {
      c = 0;
      for (std::size_t i = n; i > k; --i)
        c = (c << 8) | p[i - 1];
    }
    h = rotl64(h ^ (c * prime64_2), 31) * prime64_1;
  }
  return fast::fmix64(h);
}

// Unit hashes of the words of text[0, len) (words separated by single spaces). The word starts
// are found first without branching on the data, then hashed.
// Unit hashes of the words of text[0, len) (words separated by single spaces). The word starts
// are found first without branching on the data, then hashed.
void word_unit_hashes(const unsigned char* text, std::size_t len, std::vector<std::uint64_t>& u) {
  thread_local std::vector<std::size_t> starts;
  if (starts.size() < len + 2) starts.resize(len + 2);
  std::size_t* ws = starts.data();
  std::size_t words = 1;
  ws[0] = 0;
  for (std::size_t i = 0; i < len; ++i) {
    ws[words] = i + 1;
    words += text[i] == ' ';
  }
  ws[words] = len + 1;
  u.resize(words);
  for (std::size_t w = 0; w < words; ++w)
    u[w] = word_unit(text, len, ws[w], ws[w + 1] - 1 - ws[w]);
  if (starts.size() > (std::size_t{64} << 20)) std::vector<std::size_t>().swap(starts);
}

}  // namespace

void fast_shingle_values(std::string_view normalized, const ShingleSpec& shingle,
                         std::vector<std::uint64_t>& out) {
  out.clear();
  if (normalized.empty()) return;
  thread_local std::vector<std::uint64_t> units;
  if (shingle.kind == ShingleKind::word) {
    word_unit_hashes(reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(),
                     units);
  } else {
    units.clear();
    const auto* p = reinterpret_cast<const unsigned char*>(normalized.data());
    const auto* end = p + normalized.size();
    while (p < end) {
      const utf8::Decoded d = utf8::decode(p, end);
      units.push_back(fast::char_hash(d.cp));
      p += d.length;
    }
  }
  const std::size_t m = units.size();
  const std::size_t n = shingle.n;
  const std::uint64_t* u = units.data();
  if (m < n) {
    std::uint64_t s = 0;
    for (std::size_t k = 0; k < m; ++k)
      s = s * fast::kBase + u[k];
    out.push_back(fast::fmix64(s));
    return;
  }
  out.resize(m - n + 1);
  std::uint64_t s = 0;
  for (std::size_t k = 0; k < n; ++k)
    s = s * fast::kBase + u[k];
  const std::uint64_t top = fast::base_pow(static_cast<std::uint32_t>(n - 1));
  out[0] = fast::fmix64(s);
  for (std::size_t j = 1; j + n <= m; ++j) {
    s = (s - u[j - 1] * top) * fast::kBase + u[j + n - 1];
    out[j] = fast::fmix64(s);
  }
}

void oph_signature(const std::uint64_t* values, std::size_t count, std::uint32_t k,
                   std::uint32_t* sig) {
  thread_local std::vector<std::uint8_t> filled;
  filled.assign(k, 0);
  for (std::uint32_t i = 0; i < k; ++i)
    sig[i] = spec::max_hash;
  for (std::size_t j = 0; j < count; ++j) {
    const std::uint32_t b = fast::oph_bin(values[j], k);
    const auto v = static_cast<std::uint32_t>(values[j]);
    sig[b] = v < sig[b] ? v : sig[b];
    filled[b] = 1;
  }
  if (count == 0) return;
  for (std::uint32_t i = 0; i < k; ++i) {
    if (filled[i]) continue;
    for (std::uint32_t t = 1;; ++t) {
      const std::uint32_t j = fast::densify_probe(i, t, k);
      if (filled[j]) {
        sig[i] = sig[j];  // j was filled in step 3, so its value is an original one
        break;
      }
    }
  }
}

}  // namespace dupscan
