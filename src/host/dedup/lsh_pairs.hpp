// Stage: LSH candidate pairs (dedup.hpp step 3) over flat arrays. The one-process engine calls
// lsh_candidate_pairs; the MPI engine sorts each band's entries on the key's owner rank and pairs
// them with pair_with_bucket_heads; the CUDA backend has a device twin
// (src/kernels/stages_device.cuh) with the same contract, tested against this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dupscan::stages {

/**
 * @brief One band's bucket pairing. `entries` are (band key, document) sorted by key, stably, so
 * that each bucket lists its members in ascending document order. Calls emit(first, member) for
 * every member of a bucket after its first, bucket by bucket, in entry order.
 */
template <class Doc, class Emit>
void pair_with_bucket_heads(const std::pair<std::uint64_t, Doc>* entries, std::size_t n,
                            Emit&& emit) {
  for (std::size_t i = 0; i < n;) {
    std::size_t e = i + 1;
    while (e < n && entries[e].first == entries[i].first) {
      emit(entries[i].second, entries[e].second);
      ++e;
    }
    i = e;
  }
}

/// A candidate pair u < v as one sortable value: u << 32 | v.
inline std::uint64_t pair_key(std::uint32_t u, std::uint32_t v) {
  return (std::uint64_t{u} << 32) | v;
}

/// Every band's pairs (pair_key values) as one sorted list without repeats; frees per_band.
std::vector<std::uint64_t> merge_band_pairs(std::vector<std::vector<std::uint64_t>>& per_band);

/**
 * @brief Candidate pairs of the LSH documents `docs` (ascending document numbers).
 *
 * `keys` holds every document's band keys, document-major: keys[d * bands + j] is band j of
 * document d (only the rows of `docs` are read). For each band j the entries (key_j(d), d), d in
 * `docs`, are sorted stably by key, and each member of a bucket is paired with the bucket's first
 * member (pair_with_bucket_heads). A pair whose second document is below `first_new` (both
 * documents from an --against index) is dropped. @return the pairs of all bands as pair_key
 * values, sorted ascending, without repeats. The result does not depend on `threads`.
 */
std::vector<std::uint64_t> lsh_candidate_pairs(const std::uint64_t* keys, std::uint32_t bands,
                                               const std::vector<std::uint32_t>& docs,
                                               std::uint32_t first_new, unsigned threads);

}  // namespace dupscan::stages
