// The fast sketch (fast_sketch.hpp) on the CPU, in one pass over the text: spaces are found 64
// bytes at a time (spaces.hpp), each word's unit hash is computed from whole 8-byte loads with the
// bytes past the word masked off (where 8 bytes are readable; the reference fast::word_hash
// assembles them bytewise), the shingle polynomial is rolled, and each shingle value goes straight
// to its visitor (the OPH bins, or a vector for verification). On CPUs with AVX-512 the word path
// takes three vector passes instead (simd_word_values: word starts, unit hashes, shingle values).
// tests/test_fast_sketch.cpp checks this against the reference functions and golden vectors from
// a Python implementation of the spec; tests/test_avx512.cpp checks the vector kernels.
#include "dupscan/fast_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/avx512.hpp"
#include "sketch/fast_values_simd.hpp"
#include "sketch/spaces.hpp"
#include "text/utf8.hpp"

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

// The values of the word shingles of text[0, len) (len > 0) into `values`, eight at a time on
// AVX-512 (fast_values_simd.hpp): word starts, then unit hashes, then the polynomial. False,
// leaving `values` alone, when the text has fewer than n words (one shingle of all of them).
bool simd_word_values(const unsigned char* text, std::size_t len, std::size_t n,
                      std::vector<std::uint64_t>& values) {
  thread_local std::vector<std::size_t> starts;
  thread_local std::vector<std::uint64_t> units;
  const std::size_t words = spaces::word_starts(text, len, starts);
  if (words < n) return false;
  if (units.size() < words) units.resize(words);
  values.resize(words - n + 1);
  detail::word_units_avx512(text, len, starts.data(), words, units.data());
  detail::shingle_values_avx512(units.data(), n, values.size(), values.data());
  if (starts.size() > (std::size_t{64} << 20)) {
    std::vector<std::size_t>().swap(starts);
    std::vector<std::uint64_t>().swap(units);
  }
  return true;
}

// `simd`: try simd_word_values first (callers that already tried it pass false).
template <class F>
void for_each_value(std::string_view normalized, const ShingleSpec& shingle, F& f, bool simd) {
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
  if (simd) {
    thread_local std::vector<std::uint64_t> values;
    if (simd_word_values(text, len, shingle.n, values)) {
      for (const std::uint64_t v : values)
        f(v);
      if (values.capacity() > (std::size_t{8} << 20)) std::vector<std::uint64_t>().swap(values);
      return;
    }
  }
  // Space positions, 64 bytes of text at a time (spaces.hpp).
  std::uint32_t pos[64];
  std::size_t start = 0;
  for (std::size_t base = 0; base < len; base += 64) {
    const std::uint64_t mask =
        base + 64 <= len ? spaces::mask64(text + base) : spaces::mask_tail(text + base, len - base);
    const std::size_t count = spaces::flatten(mask, std::uint32_t{0}, pos);
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

void word_hashes(std::string_view text, const std::uint32_t* starts, std::size_t words,
                 std::uint64_t* out) {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < words; ++i) {
    const std::size_t end = i + 1 < words ? starts[i + 1] - 1 : text.size();
    out[i] = word_unit(t, text.size(), starts[i], end - starts[i]);
  }
}

void fast_shingle_values(std::string_view normalized, const ShingleSpec& shingle,
                         std::vector<std::uint64_t>& out) {
  out.clear();
  if (shingle.kind == ShingleKind::word && !normalized.empty() && detail::avx512dq_default() &&
      simd_word_values(reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(),
                       shingle.n, out)) {
    return;
  }
  auto push = [&](std::uint64_t v) { out.push_back(v); };
  for_each_value(normalized, shingle, push, false);
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
  for_each_value(normalized, shingle, add, detail::avx512dq_default());
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

namespace {

// Offsets o_1, o_2, ... of step 4 for one K, computed once per thread.
const std::vector<std::uint32_t>& round_offsets(std::uint32_t k, std::size_t rounds) {
  thread_local std::uint32_t table_k = 0;
  thread_local std::vector<std::uint32_t> table;
  if (table_k != k) {
    table.clear();
    table_k = k;
  }
  while (table.size() < rounds) {
    table.push_back(fast::densify_offset(static_cast<std::uint32_t>(table.size() + 1), k));
  }
  return table;
}

}  // namespace

void OphSketcher::finish() {
  if (count_ == 0) return;
  std::uint32_t empty = 0;
  for (std::uint32_t i = 0; i < k_; ++i)
    empty += !filled_[i];
  if (empty == 0) return;
  const std::uint32_t filled = k_ - empty;
  // Two ways to the same donors (fast_sketch.hpp step 4); take the cheaper in expectation:
  // per empty bin about K / filled rounds each, or round by round about K ln(empty) steps.
  const double per_bin = static_cast<double>(empty) * k_ / filled;
  const double by_rounds = static_cast<double>(k_) * std::log(1.0 + empty);
  if (per_bin <= by_rounds) {
    detail::densify_by_bins(sig_, filled_, k_);
  } else {
    detail::densify_by_rounds(sig_, filled_, k_);
  }
}

namespace detail {

void densify_by_bins(std::uint32_t* sig, const std::uint8_t* filled, std::uint32_t k) {
  std::size_t known = 64;
  const std::vector<std::uint32_t>* off = &round_offsets(k, known);
  for (std::uint32_t i = 0; i < k; ++i) {
    if (filled[i]) continue;
    for (std::uint32_t t = 1;; ++t) {
      if (t > known) off = &round_offsets(k, known *= 2);
      const std::uint32_t o = (*off)[t - 1];
      const std::uint32_t j = i >= o ? i - o : i + k - o;
      if (filled[j]) {
        sig[i] = sig[j];  // j was filled in step 3, so its value is an original one
        break;
      }
    }
  }
}

void densify_by_rounds(std::uint32_t* sig, const std::uint8_t* filled, std::uint32_t k) {
  thread_local std::vector<std::uint32_t> donors;
  thread_local std::vector<std::uint8_t> done;
  donors.clear();
  for (std::uint32_t j = 0; j < k; ++j) {
    if (filled[j]) donors.push_back(j);
  }
  done.assign(filled, filled + k);
  std::uint32_t empty = k - static_cast<std::uint32_t>(donors.size());
  std::size_t known = 64;
  const std::vector<std::uint32_t>* off = &round_offsets(k, known);
  for (std::uint32_t t = 1; empty > 0; ++t) {
    if (t > known) off = &round_offsets(k, known *= 2);
    const std::uint32_t o = (*off)[t - 1];
    // In round t each empty bin i has exactly one candidate, i - o: bins filled in this round
    // cannot donate in it (they were not filled in step 3), so the order within it is free.
    for (std::uint32_t j : donors) {
      const std::uint32_t i = j + o < k ? j + o : j + o - k;
      if (!done[i]) {
        done[i] = 1;
        sig[i] = sig[j];
        --empty;
      }
    }
  }
}

}  // namespace detail

}  // namespace dupscan
