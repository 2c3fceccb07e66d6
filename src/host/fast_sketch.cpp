// The fast sketch (fast_sketch.hpp) on the CPU, in one pass over the text: spaces are found eight
// bytes at a time, each word's unit hash is computed from whole 8-byte loads with the bytes past
// the word masked off (where 8 bytes are readable; the reference fast::word_hash assembles them
// bytewise), the shingle polynomial is rolled, and each shingle value goes straight to its visitor
// (the OPH bins, or a vector for verification). tests/test_fast_sketch.cpp checks this against
// the reference functions and golden vectors from a Python implementation of the spec.
#include "dupscan/fast_sketch.hpp"

#include <algorithm>
#include <cstring>

#include "utf8.hpp"

namespace dupscan {
namespace {

using spec::detail::prime64_2;
using spec::detail::rotl64;

inline std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Unit hash of the word text[start, start + n), n >= 1.
inline std::uint64_t word_unit(const unsigned char* text, std::size_t len, std::size_t start,
                               std::size_t n) {
  const unsigned char* p = text + start;
  if (n <= 8 && start + 8 <= len)
    return (load64(p) & (~std::uint64_t{0} >> (64 - 8 * n))) * prime64_2;
  std::uint64_t h = 0;
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8)
    h = (rotl64(h, 27) ^ load64(p + k)) * prime64_2;
  if (k < n) {
    std::uint64_t c;
    if (start + k + 8 <= len) {
      c = load64(p + k) & ((std::uint64_t{1} << (8 * (n - k))) - 1);
    } else {
      c = 0;
      for (std::size_t i = n; i > k; --i)
        c = (c << 8) | p[i - 1];
    }
    h = (rotl64(h, 27) ^ c) * prime64_2;
  }
  return h;
}

// Rolls the polynomial of step 2 over a stream of unit hashes and calls f(v) per shingle.
template <class F>
class Roller {
 public:
  Roller(std::size_t n, F& f) : n_(n), top_(fast::base_pow(static_cast<std::uint32_t>(n))), f_(f) {
    std::size_t cap = 1;
    while (cap < n)
      cap <<= 1;
    thread_local std::vector<std::uint64_t> ring;  // one Roller at a time per thread
    if (ring.size() < cap) ring.resize(cap);
    ring_ = ring.data();
    mask_ = cap - 1;
  }
  void push(std::uint64_t u) {
    // S = S * B + u - (the unit n back) * B^n: the window slides by one unit.
    std::uint64_t& slot = ring_[count_ & mask_];
    const std::uint64_t leaving = count_ >= n_ ? ring_[(count_ - n_) & mask_] : 0;
    s_ = s_ * fast::kBase + u - leaving * top_;
    slot = u;
    if (++count_ >= n_) f_(fast::fmix64(s_));
  }
  void finish() {
    if (count_ > 0 && count_ < n_) f_(fast::fmix64(s_));  // fewer units than n: one shingle
  }

 private:
  std::size_t n_;
  std::uint64_t top_;
  F& f_;
  std::uint64_t* ring_;
  std::size_t mask_ = 0, count_ = 0;
  std::uint64_t s_ = 0;
};

template <class F>
void for_each_value(std::string_view normalized, const ShingleSpec& shingle, F& f) {
  if (normalized.empty()) return;
  const auto* text = reinterpret_cast<const unsigned char*>(normalized.data());
  const std::size_t len = normalized.size();
  Roller<F> roll(shingle.n, f);
  if (shingle.kind == ShingleKind::character) {
    const unsigned char* p = text;
    const unsigned char* end = text + len;
    while (p < end) {
      const utf8::Decoded d = utf8::decode(p, end);
      roll.push(fast::char_hash(d.cp));
      p += d.length;
    }
    roll.finish();
    return;
  }
  // Space positions, 256 bytes of text at a time, written without branching on the data: a
  // block of 8 bytes holds at most 4 spaces (words are never empty), so 4 fixed extraction steps
  // per block each append a position and advance the count only if a space was left.
  constexpr std::uint64_t kSpaces = 0x2020202020202020ULL, kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::size_t kSpan = 256;
  std::uint32_t pos[kSpan / 2 + 4];
  std::size_t start = 0;
  for (std::size_t base = 0; base < len; base += kSpan) {
    const std::size_t end = std::min(len, base + kSpan);
    std::size_t count = 0, i = base;
    for (; i + 8 <= end; i += 8) {
      const std::uint64_t t = load64(text + i) ^ kSpaces;
      std::uint64_t zero = ~(((t & kLow7) + kLow7) | t | kLow7);  // high bit of each space byte
      for (int step = 0; step < 4; ++step) {
        pos[count] =
            static_cast<std::uint32_t>(i - base + (__builtin_ctzll(zero | (1ULL << 63)) >> 3));
        count += zero != 0;
        zero &= zero - 1;
      }
    }
    for (; i < end; ++i) {
      pos[count] = static_cast<std::uint32_t>(i - base);
      count += text[i] == ' ';
    }
    for (std::size_t q = 0; q < count; ++q) {
      const std::size_t at = base + pos[q];
      roll.push(word_unit(text, len, start, at - start));
      start = at + 1;
    }
  }
  roll.push(word_unit(text, len, start, len - start));
  roll.finish();
}

}  // namespace

void fast_shingle_values(std::string_view normalized, const ShingleSpec& shingle,
                         std::vector<std::uint64_t>& out) {
  out.clear();
  auto push = [&](std::uint64_t v) { out.push_back(v); };
  for_each_value(normalized, shingle, push);
}

void oph_signature(const std::uint64_t* values, std::size_t count, std::uint32_t k,
                   std::uint32_t* sig) {
  OphSketcher oph(k, sig);
  for (std::size_t j = 0; j < count; ++j)
    oph.add(values[j]);
  oph.finish();
}

std::size_t fast_signature(std::string_view normalized, const ShingleSpec& shingle, std::uint32_t k,
                           std::uint32_t* sig) {
  OphSketcher oph(k, sig);
  auto add = [&](std::uint64_t v) { oph.add(v); };
  for_each_value(normalized, shingle, add);
  oph.finish();
  return oph.count();
}

OphSketcher::OphSketcher(std::uint32_t k, std::uint32_t* sig) : k_(k), sig_(sig) {
  thread_local std::vector<std::uint8_t> filled;
  filled.assign(k, 0);
  filled_ = filled.data();
  for (std::uint32_t i = 0; i < k; ++i)
    sig_[i] = spec::max_hash;
}

void OphSketcher::finish() {
  if (count_ == 0) return;
  for (std::uint32_t i = 0; i < k_; ++i) {
    if (filled_[i]) continue;
    for (std::uint32_t t = 1;; ++t) {
      const std::uint32_t j = fast::densify_probe(i, t, k_);
      if (filled_[j]) {
        sig_[i] = sig_[j];  // j was filled in step 3, so its value is an original one
        break;
      }
    }
  }
}

}  // namespace dupscan
