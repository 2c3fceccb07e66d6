#include "dedup/lsh_pairs.hpp"

#include <algorithm>

#include "common/parallel.hpp"
#include "common/radix_sort.hpp"
#include "dupscan/backend.hpp"

namespace dupscan::stages {

std::vector<std::uint64_t> lsh_candidate_pairs(const std::uint64_t* keys, std::uint32_t bands,
                                               const std::vector<std::uint32_t>& docs,
                                               std::uint32_t first_new, unsigned threads) {
  std::vector<std::vector<std::uint64_t>> per_band(bands);
  parallel_for(bands, threads, 1, [&](std::size_t j) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> entries;
    entries.reserve(docs.size());
    for (std::uint32_t d : docs)
      entries.emplace_back(keys[std::size_t{d} * bands + j], d);
    // Built in document order, sorted stably by key: buckets list their members in input order.
    radix_sort_by_key(entries);
    auto& out = per_band[j];
    pair_with_bucket_heads(entries.data(), entries.size(),
                           [&](std::uint32_t first, std::uint32_t member) {
                             if (member >= first_new) out.push_back(pair_key(first, member));
                           });
  });
  return merge_band_pairs(per_band);
}

std::vector<std::uint64_t> merge_band_pairs(std::vector<std::vector<std::uint64_t>>& per_band) {
  std::size_t total = 0;
  for (const auto& v : per_band)
    total += v.size();
  std::vector<std::uint64_t> pairs;
  pairs.reserve(total);
  for (auto& v : per_band) {
    pairs.insert(pairs.end(), v.begin(), v.end());
    std::vector<std::uint64_t>().swap(v);
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

}  // namespace dupscan::stages

namespace dupscan {

// The CPU stage every backend inherits (a device backend overrides it with its twin).
std::vector<std::uint64_t> DedupStages::candidate_pairs(const std::uint64_t* keys,
                                                        std::uint32_t bands,
                                                        const std::vector<std::uint32_t>& docs,
                                                        std::uint32_t first_new, unsigned threads) {
  return stages::lsh_candidate_pairs(keys, bands, docs, first_new, threads);
}

}  // namespace dupscan
