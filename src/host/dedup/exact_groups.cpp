#include "dedup/exact_groups.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace dupscan::stages {

void exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty, std::size_t n,
                           std::uint32_t* rep) {
  std::iota(rep, rep + n, 0u);
  std::vector<std::uint32_t> order;
  order.reserve(n);
  for (std::uint32_t d = 0; d < n; ++d) {
    if (!empty[d]) order.push_back(d);
  }
  auto equal = [&](std::uint32_t a, std::uint32_t b) {
    return hashes[a].high64 == hashes[b].high64 && hashes[a].low64 == hashes[b].low64;
  };
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const XXH128_hash_t& ha = hashes[a];
    const XXH128_hash_t& hb = hashes[b];
    if (ha.high64 != hb.high64) return ha.high64 < hb.high64;
    if (ha.low64 != hb.low64) return ha.low64 < hb.low64;
    return a < b;
  });
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (equal(order[i], order[i - 1])) rep[order[i]] = rep[order[i - 1]];
  }
}

}  // namespace dupscan::stages
