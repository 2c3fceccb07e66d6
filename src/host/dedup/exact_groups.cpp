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

void copy_signature(DocTable& docs, std::uint32_t from, std::uint32_t to, std::uint32_t k) {
  if (!docs.sigs.empty()) {
    std::copy_n(docs.sigs.begin() + std::size_t{from} * k, k,
                docs.sigs.begin() + std::size_t{to} * k);
  }
  if (!docs.sigs64.empty()) {
    std::copy_n(docs.sigs64.begin() + std::size_t{from} * k, k,
                docs.sigs64.begin() + std::size_t{to} * k);
  }
}

ExactGroups group_exact_copies(DocTable& docs, DedupStages& backend, std::uint32_t bands,
                               std::uint32_t k) {
  const std::size_t n = docs.size();
  ExactGroups g;
  g.rep.resize(n);
  backend.exact_representatives(docs.exact.data(), docs.empty.data(), n, g.rep.data());
  // The earliest sketched member of every group: pass 1 sketched at least one of each.
  constexpr std::uint32_t kNone = UINT32_MAX;
  std::vector<std::uint32_t> sketched_member(n, kNone);
  for (std::uint32_t d = 0; d < n; ++d) {
    if (!docs.empty[d] && docs.sketched[d] && sketched_member[g.rep[d]] == kNone) {
      sketched_member[g.rep[d]] = d;
    }
  }
  // Keys spilled to disk (key_spill.hpp) are not copied: the spill's LSH counts a group's
  // sketched members for its first.
  const bool keys = docs.keys_first == 0 && docs.keys.size() == n * std::size_t{bands};
  for (std::uint32_t d = 0; d < n; ++d) {
    if (docs.empty[d] || g.rep[d] != d) continue;
    g.lsh_docs.push_back(d);
    if (docs.sketched[d]) continue;
    const std::uint32_t from = sketched_member[d];
    ++g.keys_from_copy;
    if (keys) {
      std::copy_n(docs.keys.begin() + std::size_t{from} * bands, bands,
                  docs.keys.begin() + std::size_t{d} * bands);
    }
    copy_signature(docs, from, d, k);
  }
  return g;
}

}  // namespace dupscan::stages

namespace dupscan {

// The CPU stage every backend inherits (a device backend overrides it with its twin).
void DedupStages::exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty,
                                        std::size_t n, std::uint32_t* rep) {
  stages::exact_representatives(hashes, empty, n, rep);
}

}  // namespace dupscan
