// Stable LSD radix sort of (64-bit key, value) entries by key: entries with equal keys keep their
// order. LSH sorts its (band key, document) entries with it: they are built in document order, so
// the result is ordered by (key, document) -- what std::sort of the pairs gives, 2-3x faster on
// tens of millions of entries (6 passes of 11 bits; a pass whose digit is the same everywhere is
// skipped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dupscan {

template <class V>
void radix_sort_by_key(std::vector<std::pair<std::uint64_t, V>>& v) {
  constexpr int kBits = 11;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  if (v.size() < 2) return;
  std::vector<std::pair<std::uint64_t, V>> tmp(v.size());
  std::vector<std::size_t> start(kBuckets);
  for (int shift = 0; shift < 64; shift += kBits) {
    std::fill(start.begin(), start.end(), 0);
    for (const auto& e : v)
      ++start[(e.first >> shift) & (kBuckets - 1)];
    if (start[(v[0].first >> shift) & (kBuckets - 1)] == v.size()) continue;
    std::size_t sum = 0;
    for (std::size_t& s : start) {
      const std::size_t c = s;
      s = sum;
      sum += c;
    }
    for (const auto& e : v)
      tmp[start[(e.first >> shift) & (kBuckets - 1)]++] = e;
    v.swap(tmp);
  }
}

}  // namespace dupscan
