// Device twins of the stages after pass 1 (src/host/dedup/exact_groups.hpp, lsh_pairs.hpp), on
// Thrust: the same contracts, the same bits. Stable radix sorts of (key, document) put each
// bucket's members in document order, as the CPU's radix_sort_by_key does.
#pragma once

#include <thrust/iterator/zip_iterator.h>
#include <thrust/tuple.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "platform.cuh"

namespace dupscan::DUPSCAN_DEVICE_NS {

namespace items {

struct GatherBandKey {
  const std::uint64_t* keys;  // all documents, document-major
  const std::uint32_t* docs;
  std::uint32_t bands, j;
  std::uint64_t* out_key;
  std::uint32_t* out_doc;
  DUPSCAN_HD void operator()(std::size_t i) const {
    out_key[i] = keys[std::size_t{docs[i]} * bands + j];
    out_doc[i] = docs[i];
  }
};

// head[i]: index of the first entry of i's bucket (entries sorted by key).
struct BucketStart {
  const std::uint64_t* key;
  std::uint32_t* head;
  DUPSCAN_HD void operator()(std::size_t i) const {
    head[i] = (i == 0 || key[i] != key[i - 1]) ? static_cast<std::uint32_t>(i) : 0u;
  }
};

struct MaxOp {
  DUPSCAN_HD std::uint32_t operator()(std::uint32_t a, std::uint32_t b) const {
    return a < b ? b : a;
  }
};

// The pair of entry i with its bucket's first, or ~0 when there is none to make.
struct MakePair {
  const std::uint32_t* doc;
  const std::uint32_t* head;
  std::uint32_t first_new;
  std::uint64_t* out;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const std::uint32_t h = head[i];
    const bool pair = h != i && doc[i] >= first_new;
    out[i] = pair ? (std::uint64_t{doc[h]} << 32) | doc[i] : ~std::uint64_t{0};
  }
};

struct IsPair {
  DUPSCAN_HD bool operator()(std::uint64_t p) const { return p != ~std::uint64_t{0}; }
};

// rep[doc[i]] = doc[head[i]] (entries sorted by (high, low), documents ascending within).
struct ScatterRep {
  const std::uint32_t* doc;
  const std::uint32_t* head;
  std::uint32_t* rep;
  DUPSCAN_HD void operator()(std::size_t i) const { rep[doc[i]] = doc[head[i]]; }
};

struct ExactStart {
  const std::uint64_t* hi;
  const std::uint64_t* lo;
  std::uint32_t* head;
  DUPSCAN_HD void operator()(std::size_t i) const {
    head[i] =
        (i == 0 || hi[i] != hi[i - 1] || lo[i] != lo[i - 1]) ? static_cast<std::uint32_t>(i) : 0u;
  }
};

}  // namespace items

namespace stage_parts {

/// splitmix64's finalizer: spreads keys (small or clustered ones too) over the partitions.
inline std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/**
 * @brief The items [0, m) cut into parts of at most `cap` items by a hash of their keys (key(i)):
 * equal keys always share a part, and each part lists its items in ascending order. One part
 * (all items) when m <= cap. @throw OutOfDeviceMemory when some key alone holds more than about
 * `cap` items (the caller's CPU stage takes over).
 */
template <class Key>
std::vector<std::vector<std::uint32_t>> split_by_key(std::size_t m, std::size_t cap, Key&& key) {
  std::vector<std::vector<std::uint32_t>> parts;
  if (m <= cap) return parts;  // empty: one part of everything
  unsigned bits = 1;
  while ((std::size_t{1} << bits) * cap < 4 * m)
    ++bits;
  for (; bits <= 24; ++bits) {
    std::vector<std::size_t> count(std::size_t{1} << bits);
    for (std::size_t i = 0; i < m; ++i)
      ++count[mix(key(i)) >> (64 - bits)];
    std::size_t most = 0;
    for (std::size_t c : count)
      most = c > most ? c : most;
    if (most > cap) continue;
    parts.resize(count.size());
    for (std::size_t p = 0; p < parts.size(); ++p)
      parts[p].reserve(count[p]);
    for (std::size_t i = 0; i < m; ++i)
      parts[mix(key(i)) >> (64 - bits)].push_back(static_cast<std::uint32_t>(i));
    return parts;
  }
  throw OutOfDeviceMemory("more than " + std::to_string(cap) +
                          " items share one key: more than one device call can sort");
}

/// Sorted, duplicate-free runs merged into one sorted, duplicate-free vector.
inline std::vector<std::uint64_t> merge_runs(std::vector<std::vector<std::uint64_t>>& runs) {
  if (runs.empty()) return {};
  while (runs.size() > 1) {
    std::vector<std::vector<std::uint64_t>> next;
    for (std::size_t i = 0; i + 1 < runs.size(); i += 2) {
      std::vector<std::uint64_t> m;
      m.reserve(runs[i].size() + runs[i + 1].size());
      std::set_union(runs[i].begin(), runs[i].end(), runs[i + 1].begin(), runs[i + 1].end(),
                     std::back_inserter(m));
      next.push_back(std::move(m));
    }
    if (runs.size() % 2) next.push_back(std::move(runs.back()));
    runs = std::move(next);
  }
  return std::move(runs.front());
}

}  // namespace stage_parts

/**
 * Device twin of stages::lsh_candidate_pairs: keys[d * bands + j] for every document (on the
 * host), the LSH documents `docs` ascending. Per band: gather, stable sort by key, bucket heads,
 * pairs; then all bands' pairs sorted and made unique. No Thrust call takes more than item_cap()
 * items: a band of more documents is cut into parts by a hash of the key (a bucket stays in one
 * part, its members in document order, so its first member is the same), and the pairs are
 * sorted and made unique in runs of at most item_cap() that the host merges.
 */
inline std::vector<std::uint64_t> lsh_candidate_pairs_device(
    const std::uint64_t* keys, std::size_t n_docs_total, std::uint32_t bands,
    const std::vector<std::uint32_t>& docs, std::uint32_t first_new, const Stream& s,
    TempAllocator& alloc, MemoryBudget* budget) {
  const std::size_t m = docs.size();
  if (m < 2 || bands == 0) return {};
  const std::size_t cap = item_cap();
  const std::size_t part_max = std::min(m, cap);
  // Pairs gather in d_all until the next part could overflow it; then they become a sorted run.
  const std::size_t all_size = std::min(m * bands, cap);
  DeviceBuffer<std::uint64_t> d_keys(n_docs_total * bands, s, budget);
  DeviceBuffer<std::uint32_t> d_docs(part_max, s, budget), d_doc(part_max, s, budget),
      d_head(part_max, s, budget);
  DeviceBuffer<std::uint64_t> d_key(part_max, s, budget), d_pairs(part_max, s, budget);
  DeviceBuffer<std::uint64_t> d_all(all_size, s, budget);
  to_device(d_keys.get(), keys, n_docs_total * bands, s);
  std::vector<std::vector<std::uint64_t>> runs;
  std::size_t total = 0;
  auto flush = [&] {
    thrust::sort(policy(s, alloc), d_all.get(), d_all.get() + total);
    std::uint64_t* end = thrust::unique(policy(s, alloc), d_all.get(), d_all.get() + total);
    runs.emplace_back(static_cast<std::size_t>(end - d_all.get()));
    to_host(runs.back().data(), d_all.get(), runs.back().size(), s);
    s.sync("LSH candidate pairs");
    total = 0;
  };
  std::vector<std::uint32_t> part_docs;
  for (std::uint32_t j = 0; j < bands; ++j) {
    const auto parts = stage_parts::split_by_key(
        m, cap, [&](std::size_t i) { return keys[std::size_t{docs[i]} * bands + j]; });
    for (std::size_t p = 0; p < std::max<std::size_t>(parts.size(), 1); ++p) {
      const std::uint32_t* part = docs.data();
      std::size_t size = m;
      if (!parts.empty()) {
        part_docs.clear();
        for (std::uint32_t i : parts[p])
          part_docs.push_back(docs[i]);
        part = part_docs.data();
        size = part_docs.size();
      }
      if (size < 2) continue;
      if (total + size > all_size) flush();
      s.sync("LSH candidate pairs");  // part_docs is reused: its last upload must be read
      to_device(d_docs.get(), part, size, s);
      for_each_index(
          size,
          items::GatherBandKey{d_keys.get(), d_docs.get(), bands, j, d_key.get(), d_doc.get()}, s,
          alloc);
      thrust::stable_sort_by_key(policy(s, alloc), d_key.get(), d_key.get() + size, d_doc.get());
      for_each_index(size, items::BucketStart{d_key.get(), d_head.get()}, s, alloc);
      thrust::inclusive_scan(policy(s, alloc), d_head.get(), d_head.get() + size, d_head.get(),
                             items::MaxOp{});
      for_each_index(size, items::MakePair{d_doc.get(), d_head.get(), first_new, d_pairs.get()}, s,
                     alloc);
      std::uint64_t* end = thrust::copy_if(policy(s, alloc), d_pairs.get(), d_pairs.get() + size,
                                           d_all.get() + total, items::IsPair{});
      total = static_cast<std::size_t>(end - d_all.get());
    }
  }
  if (total > 0 || runs.empty()) flush();
  return stage_parts::merge_runs(runs);
}

/**
 * Device twin of stages::exact_representatives: documents with equal (high, low) get the
 * smallest document's number; empty documents are their own. More than item_cap() documents are
 * cut into parts by a hash of (high, low): a group stays in one part, in document order.
 */
inline void exact_representatives_device(const std::uint64_t* high, const std::uint64_t* low,
                                         const std::uint8_t* empty, std::size_t n,
                                         std::uint32_t* rep, const Stream& s, TempAllocator& alloc,
                                         MemoryBudget* budget) {
  for (std::size_t d = 0; d < n; ++d)
    rep[d] = static_cast<std::uint32_t>(d);
  std::vector<std::uint32_t> all;
  for (std::size_t d = 0; d < n; ++d) {
    if (!empty[d]) all.push_back(static_cast<std::uint32_t>(d));
  }
  if (all.size() < 2) return;
  const std::size_t cap = item_cap();
  const auto parts = stage_parts::split_by_key(
      all.size(), cap, [&](std::size_t i) { return high[all[i]] ^ stage_parts::mix(low[all[i]]); });
  const std::size_t part_max = std::min(all.size(), cap);
  DeviceBuffer<std::uint64_t> d_hi(part_max, s, budget), d_lo(part_max, s, budget);
  DeviceBuffer<std::uint32_t> d_doc(part_max, s, budget), d_head(part_max, s, budget),
      d_rep(n, s, budget);
  to_device(d_rep.get(), rep, n, s);
  std::vector<std::uint64_t> hi, lo;
  std::vector<std::uint32_t> doc;
  for (std::size_t p = 0; p < std::max<std::size_t>(parts.size(), 1); ++p) {
    s.sync("exact groups");  // hi, lo and doc are reused: their last upload must be read
    hi.clear();
    lo.clear();
    doc.clear();
    auto add = [&](std::uint32_t d) {
      hi.push_back(high[d]);
      lo.push_back(low[d]);
      doc.push_back(d);
    };
    if (parts.empty()) {
      for (std::uint32_t d : all)
        add(d);
    } else {
      for (std::uint32_t i : parts[p])
        add(all[i]);
    }
    const std::size_t m = doc.size();
    if (m < 2) continue;
    to_device(d_hi.get(), hi.data(), m, s);
    to_device(d_lo.get(), lo.data(), m, s);
    to_device(d_doc.get(), doc.data(), m, s);
    // Lexicographic (high, low), documents ascending within: stable sorts, least significant
    // first.
    auto by_lo = thrust::make_zip_iterator(thrust::make_tuple(d_hi.get(), d_doc.get()));
    thrust::stable_sort_by_key(policy(s, alloc), d_lo.get(), d_lo.get() + m, by_lo);
    auto by_hi = thrust::make_zip_iterator(thrust::make_tuple(d_lo.get(), d_doc.get()));
    thrust::stable_sort_by_key(policy(s, alloc), d_hi.get(), d_hi.get() + m, by_hi);
    for_each_index(m, items::ExactStart{d_hi.get(), d_lo.get(), d_head.get()}, s, alloc);
    thrust::inclusive_scan(policy(s, alloc), d_head.get(), d_head.get() + m, d_head.get(),
                           items::MaxOp{});
    for_each_index(m, items::ScatterRep{d_doc.get(), d_head.get(), d_rep.get()}, s, alloc);
  }
  to_host(rep, d_rep.get(), n, s);
  s.sync("exact groups");
}

}  // namespace dupscan::DUPSCAN_DEVICE_NS
