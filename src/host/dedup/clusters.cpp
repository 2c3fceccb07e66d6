#include "dedup/clusters.hpp"

#include <numeric>

namespace dupscan::stages {

Clusters cluster_documents(std::size_t n, const std::vector<std::uint64_t>& edges,
                           const std::vector<std::uint32_t>& rep,
                           const std::vector<std::uint8_t>& empty,
                           const std::vector<std::uint64_t>& text_len, std::uint32_t first_new,
                           KeepPolicy keep) {
  std::vector<std::uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (std::uint64_t e : edges) {
    // The smaller index becomes the root: the result does not depend on edge order.
    std::uint32_t a = find(static_cast<std::uint32_t>(e >> 32));
    std::uint32_t b = find(static_cast<std::uint32_t>(e));
    if (a == b) continue;
    if (b < a) std::swap(a, b);
    parent[b] = a;
  }
  Clusters c;
  c.root.assign(n, kNoCluster);
  std::vector<std::uint32_t> size(n, 0);
  std::vector<std::uint8_t> has_new(n, 0);  // with --against: clusters of indexed docs only
  for (std::uint32_t d = 0; d < n; ++d) {
    if (empty[d]) continue;
    c.root[d] = find(rep[d]);
    ++size[c.root[d]];
    if (d >= first_new) has_new[c.root[d]] = 1;
  }
  // The lengths only where the policy compares them (text_len may be empty otherwise).
  auto len = [&](std::uint32_t d) -> std::uint64_t {
    return keep == KeepPolicy::longest ? text_len[d] : 0;
  };
  c.kept.assign(n, kNoCluster);
  c.id.assign(n, kNoCluster);
  for (std::uint32_t d = 0; d < n; ++d) {
    const std::uint32_t r = c.root[d];
    if (r == kNoCluster || size[r] < 2 || !has_new[r]) continue;
    if (c.id[r] == kNoCluster) {
      c.id[r] = c.count++;
      c.kept[r] = d;  // an indexed document when the cluster has one: they come first
    } else if ((d < first_new || c.kept[r] >= first_new) &&  // an indexed one stays kept
               better_kept(keep, len(d), d, len(c.kept[r]), c.kept[r])) {
      c.kept[r] = d;
    }
  }
  return c;
}

ClusterMembers cluster_members(const Clusters& clusters) {
  ClusterMembers m;
  m.begin.assign(clusters.count + 1, 0);
  auto number = [&](std::uint32_t d) {
    const std::uint32_t r = clusters.root[d];
    return r == kNoCluster ? kNoCluster : clusters.id[r];
  };
  const auto n = static_cast<std::uint32_t>(clusters.root.size());
  for (std::uint32_t d = 0; d < n; ++d) {
    if (number(d) != kNoCluster) ++m.begin[number(d) + 1];
  }
  std::partial_sum(m.begin.begin(), m.begin.end(), m.begin.begin());
  m.members.resize(m.begin.back());
  std::vector<std::uint32_t> fill(m.begin.begin(), m.begin.end() - 1);
  for (std::uint32_t d = 0; d < n; ++d) {
    if (number(d) != kNoCluster) m.members[fill[number(d)]++] = d;
  }
  return m;
}

}  // namespace dupscan::stages
