// Stage: clusters (dedup.hpp step 5) over flat arrays, for one process: union-find over the exact
// groups and the verified pairs, then the kept member of each cluster by the keep policy. The
// distributed engine (dist/dedup_dist.cpp) does not call cluster_documents: it finds the
// components of the verified pairs across ranks by hooking and pointer jumping over labels kept
// on the rank of each document (join_edges), which end as each component's smallest document --
// the root this union-find picks -- and keeps members by the same rule, better_kept.
#pragma once

#include <cstdint>
#include <vector>

#include "dupscan/dedup.hpp"

namespace dupscan::stages {

constexpr std::uint32_t kNoCluster = UINT32_MAX;

/**
 * The keep policy as an order on a cluster's members: is (len, doc) a better kept member than
 * (best_len, best)? `first`: the earlier document; `longest`: the longer text (bytes of the text
 * field), then the earlier. The distributed engine merges candidates across ranks with it.
 */
template <class Doc>
bool better_kept(KeepPolicy keep, std::uint64_t len, Doc doc, std::uint64_t best_len, Doc best) {
  if (keep == KeepPolicy::longest && len != best_len) return len > best_len;
  return doc < best;
}

struct Clusters {
  /// Per document: its cluster's root (smallest member), kNoCluster for an empty document.
  std::vector<std::uint32_t> root;
  /// Per root: the kept member and the cluster number (in order of first members), for clusters
  /// of two or more documents with a new one (>= first_new); kNoCluster otherwise.
  std::vector<std::uint32_t> kept, id;
  std::uint32_t count = 0;  ///< clusters numbered

  /// True when document d is removed: in a numbered cluster, new, not its kept member.
  bool removed(std::uint32_t d, std::uint32_t first_new) const {
    const std::uint32_t r = root[d];
    return d >= first_new && r != kNoCluster && id[r] != kNoCluster && kept[r] != d;
  }
};

/**
 * @brief The clusters of n documents joined by their exact groups (rep[d], exact_representatives)
 * and by `edges` (verified pairs u << 32 | v). Empty documents are in none. The result does not
 * depend on the order of `edges`. `text_len` (each document's) is read only for
 * KeepPolicy::longest, and may be empty otherwise.
 */
Clusters cluster_documents(std::size_t n, const std::vector<std::uint64_t>& edges,
                           const std::vector<std::uint32_t>& rep,
                           const std::vector<std::uint8_t>& empty,
                           const std::vector<std::uint64_t>& text_len, std::uint32_t first_new,
                           KeepPolicy keep);

/// The members of each numbered cluster: cluster c's are members[begin[c], begin[c + 1]), in
/// input order.
struct ClusterMembers {
  std::vector<std::uint32_t> begin;  ///< clusters.count + 1 offsets
  std::vector<std::uint32_t> members;
};

/// Every numbered cluster's members (a counting sort of the documents by cluster number).
ClusterMembers cluster_members(const Clusters& clusters);

}  // namespace dupscan::stages
