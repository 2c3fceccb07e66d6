// Device twins of the stages after pass 1 (src/host/dedup/exact_groups.hpp, lsh_pairs.hpp), on
// Thrust: the same contracts, the same bits. Stable radix sorts of (key, document) put each
// bucket's members in document order, as the CPU's radix_sort_by_key does.
#pragma once

#include <thrust/iterator/zip_iterator.h>
#include <thrust/tuple.h>

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

struct Iota {
  std::uint32_t* out;
  DUPSCAN_HD void operator()(std::size_t i) const { out[i] = static_cast<std::uint32_t>(i); }
};

// rep[doc[i]] = doc[head[i]] (entries sorted by (high, low), documents ascending within).
struct ScatterRep {
  const std::uint64_t* hi;
  const std::uint64_t* lo;
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

/**
 * Device twin of stages::lsh_candidate_pairs: keys[d * bands + j] for every document (on the
 * host), the LSH documents `docs` ascending. Per band: gather, stable sort by key, bucket heads,
 * pairs; then all bands' pairs sorted and made unique.
 */
inline std::vector<std::uint64_t> lsh_candidate_pairs_device(
    const std::uint64_t* keys, std::size_t n_docs_total, std::uint32_t bands,
    const std::vector<std::uint32_t>& docs, std::uint32_t first_new, const Stream& s,
    TempAllocator& alloc, MemoryBudget* budget) {
  const std::size_t m = docs.size();
  std::vector<std::uint64_t> result;
  if (m < 2 || bands == 0) return result;
  DeviceBuffer<std::uint64_t> d_keys(n_docs_total * bands, s, budget);
  DeviceBuffer<std::uint32_t> d_docs(m, s, budget), d_doc(m, s, budget), d_head(m, s, budget);
  DeviceBuffer<std::uint64_t> d_key(m, s, budget), d_pairs(m, s, budget);
  DeviceBuffer<std::uint64_t> d_all(m * bands, s, budget);
  to_device(d_keys.get(), keys, n_docs_total * bands, s);
  to_device(d_docs.get(), docs.data(), m, s);
  std::size_t total = 0;
  for (std::uint32_t j = 0; j < bands; ++j) {
    for_each_index(
        m, items::GatherBandKey{d_keys.get(), d_docs.get(), bands, j, d_key.get(), d_doc.get()}, s,
        alloc);
    thrust::stable_sort_by_key(policy(s, alloc), d_key.get(), d_key.get() + m, d_doc.get());
    for_each_index(m, items::BucketStart{d_key.get(), d_head.get()}, s, alloc);
    thrust::inclusive_scan(policy(s, alloc), d_head.get(), d_head.get() + m, d_head.get(),
                           items::MaxOp{});
    for_each_index(m, items::MakePair{d_doc.get(), d_head.get(), first_new, d_pairs.get()}, s,
                   alloc);
    std::uint64_t* end = thrust::copy_if(policy(s, alloc), d_pairs.get(), d_pairs.get() + m,
                                         d_all.get() + total, items::IsPair{});
    total = static_cast<std::size_t>(end - d_all.get());
  }
  thrust::sort(policy(s, alloc), d_all.get(), d_all.get() + total);
  std::uint64_t* end = thrust::unique(policy(s, alloc), d_all.get(), d_all.get() + total);
  total = static_cast<std::size_t>(end - d_all.get());
  result.resize(total);
  to_host(result.data(), d_all.get(), total, s);
  s.sync();
  return result;
}

/**
 * Device twin of stages::exact_representatives: documents with equal (high, low) get the
 * smallest document's number; empty documents are their own.
 */
inline void exact_representatives_device(const std::uint64_t* high, const std::uint64_t* low,
                                         const std::uint8_t* empty, std::size_t n,
                                         std::uint32_t* rep, const Stream& s, TempAllocator& alloc,
                                         MemoryBudget* budget) {
  for (std::size_t d = 0; d < n; ++d)
    rep[d] = static_cast<std::uint32_t>(d);
  std::vector<std::uint64_t> hi, lo;
  std::vector<std::uint32_t> doc;
  for (std::size_t d = 0; d < n; ++d) {
    if (empty[d]) continue;
    hi.push_back(high[d]);
    lo.push_back(low[d]);
    doc.push_back(static_cast<std::uint32_t>(d));
  }
  const std::size_t m = doc.size();
  if (m < 2) return;
  DeviceBuffer<std::uint64_t> d_hi(m, s, budget), d_lo(m, s, budget);
  DeviceBuffer<std::uint32_t> d_doc(m, s, budget), d_head(m, s, budget), d_rep(n, s, budget);
  to_device(d_hi.get(), hi.data(), m, s);
  to_device(d_lo.get(), lo.data(), m, s);
  to_device(d_doc.get(), doc.data(), m, s);
  to_device(d_rep.get(), rep, n, s);
  // Lexicographic (high, low), documents ascending within: stable sorts, least significant first.
  auto by_lo = thrust::make_zip_iterator(thrust::make_tuple(d_hi.get(), d_doc.get()));
  thrust::stable_sort_by_key(policy(s, alloc), d_lo.get(), d_lo.get() + m, by_lo);
  auto by_hi = thrust::make_zip_iterator(thrust::make_tuple(d_lo.get(), d_doc.get()));
  thrust::stable_sort_by_key(policy(s, alloc), d_hi.get(), d_hi.get() + m, by_hi);
  for_each_index(m, items::ExactStart{d_hi.get(), d_lo.get(), d_head.get()}, s, alloc);
  thrust::inclusive_scan(policy(s, alloc), d_head.get(), d_head.get() + m, d_head.get(),
                         items::MaxOp{});
  for_each_index(m,
                 items::ScatterRep{d_hi.get(), d_lo.get(), d_doc.get(), d_head.get(), d_rep.get()},
                 s, alloc);
  to_host(rep, d_rep.get(), n, s);
  s.sync();
}

}  // namespace dupscan::DUPSCAN_DEVICE_NS
