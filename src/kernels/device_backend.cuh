// The CUDA backend (Backend, include/dupscan/backend.hpp): pass 1's sketches and the stages after
// it on the device. Included by cuda_backend.cu (nvcc: the GPU) and by cuda_host_backend.cpp
// (g++: the same orchestration on Thrust's host system, the `cuda-host` testing backend).
//
// One batch on the device, no per-shingle buffer:
//   text + offsets (pinned -> device) -> document starts -> unit starts (and word ends) by
//   copy_if -> units per document (lower_bound) -> shingles and chunks per document (scan) ->
//   per chunk the K minima (MinHash: tile by tile, the tile's text copied into shared memory with
//   16-byte loads when it fits, its shingles hashed from there into shared memory, mixed once
//   each by the scheme's prepare(), folded by the block's threads, one permutation per thread) or
//   the OPH bins (fast) -> per document the minimum over its chunks (-> densification for fast)
//   -> band keys -> back to pinned memory: band keys, shingle counts, and the signatures only when
//   asked (uint32, or uint64 for the affine64 scheme).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/contam_probe.hpp"
#include "dupscan/minhash.hpp"
#include "platform.cuh"
#include "sketch_items.cuh"
#include "stages_device.cuh"

namespace dupscan::DUPSCAN_DEVICE_NS {

namespace items {

using kernels::kChunkShingles;
using kernels::kTile;
using kernels::TextView;

struct MarkDocStart {
  const std::uint64_t* off;
  std::uint64_t size;
  std::uint8_t* flag;
  // Documents that share an offset (empty ones) write the same 1: no order matters.
  DUPSCAN_HD void operator()(std::size_t d) const {
    if (off[d] < size) flag[off[d]] = 1;
  }
};

struct UnitStart {
  const unsigned char* text;
  const std::uint8_t* flag;
  bool word;
  DUPSCAN_HD bool operator()(std::uint64_t i) const {
    return kernels::is_unit_start(text, flag, i, word);
  }
};

// One past a word's last byte: i such that byte i - 1 ends a word.
struct WordEndAfter {
  const unsigned char* text;
  const std::uint8_t* flag;
  std::uint64_t size;
  DUPSCAN_HD bool operator()(std::uint64_t i) const {
    return kernels::is_word_end(text, flag, i - 1, size);
  }
};

// Run over docs + 1 items: the last one zeroes the entries past the documents that the scans read.
struct CountShingles {
  const std::uint64_t* off;
  const std::uint32_t* doc_unit;
  std::uint32_t n;
  std::size_t docs;
  std::uint32_t* shingles;
  std::uint32_t* chunks;
  DUPSCAN_HD void operator()(std::size_t d) const {
    if (d == docs) {
      shingles[d] = 0;
      chunks[d] = 0;
      return;
    }
    const std::uint32_t s =
        kernels::shingle_count(off[d + 1] - off[d], doc_unit[d + 1] - doc_unit[d], n);
    shingles[d] = s;
    chunks[d] = (s + kChunkShingles - 1) / kChunkShingles;
  }
};

struct MinusOne {
  std::uint32_t* v;
  DUPSCAN_HD void operator()(std::size_t i) const { v[i] -= 1; }
};

// doc_unit[d] for d in [0, docs]: the unit starts before document d's first byte, i.e. the lower
// bound of off[d] in ustart[0, *units) -- thrust::lower_bound's answer, but with the number of
// units read on the device, so the host need not wait for it.
struct DocUnits {
  const std::uint32_t* ustart;
  const std::uint32_t* units;  // device-side count
  const std::uint64_t* off;
  std::uint32_t* doc_unit;
  DUPSCAN_HD void operator()(std::size_t d) const {
    const std::uint64_t x = off[d];
    std::uint32_t lo = 0, hi = *units;
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      if (ustart[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    doc_unit[d] = lo;
  }
};

// Run over a bound on the number of chunks: chunk c < doc_chunk[docs] (the device-side total)
// gets its document, upper_bound(doc_chunk[0, docs + 1), c) - 1; the items past the total exit.
struct ChunkDoc {
  const std::uint32_t* doc_chunk;
  std::size_t docs;
  std::uint32_t* chunk_doc;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const auto c = static_cast<std::uint32_t>(i);
    if (c >= doc_chunk[docs]) return;
    std::size_t lo = 0, hi = docs + 1;
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (doc_chunk[mid] <= c) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    chunk_doc[c] = static_cast<std::uint32_t>(lo - 1);
  }
};

// Run over a bound on the number of units: the items past the device-side count exit.
struct UnitHashes {
  TextView v;
  const std::uint32_t* units;  // device-side count
  std::uint64_t* uh;
  DUPSCAN_HD void operator()(std::size_t u) const {
    if (u >= *units) return;
    uh[u] = kernels::unit_hash(v, static_cast<std::uint32_t>(u));
  }
};

// Per (chunk, position), one pass of the fold of each document's chunks into its first: a chunk
// whose distance from its document's first is a multiple of 64 x `stride` takes the minimum of
// itself and the next 63 chunks `stride` apart within the document (which this pass does not
// write: their distances are not such multiples). After the passes of stride 1, 64, 64^2, ...
// while the stride is below the most chunks a document has, every document's minimum is in its
// first chunk: each thread reads at most 64 values, however long the document.
template <class Value>
struct FoldChunks {
  Value* partial;
  const std::uint32_t* chunk_doc;
  const std::uint32_t* doc_chunk;
  std::size_t docs;
  std::uint32_t k;
  std::uint64_t stride;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const std::size_t c = i / k, p = i % k;
    if (c >= doc_chunk[docs]) return;  // past the number of chunks (a bound sized the grid)
    const std::uint32_t d = chunk_doc[c];
    const std::size_t end = doc_chunk[d + 1];
    if ((c - doc_chunk[d]) % (stride * kFoldWidth) != 0) return;
    Value m = partial[c * k + p];
    for (std::size_t j = 1, at = c + stride; j < kFoldWidth && at < end; ++j, at += stride) {
      const Value x = partial[at * k + p];
      m = x < m ? x : m;
    }
    partial[c * k + p] = m;
  }
  static constexpr std::uint64_t kFoldWidth = 64;
};

// Per (document, position): its minimum over its chunks, in its first chunk once FoldChunks has
// run; `empty` for a document without chunks.
template <class Value>
struct FirstChunk {
  const Value* partial;
  const std::uint32_t* doc_chunk;
  std::uint32_t k;
  Value empty;
  Value* out;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const std::size_t d = i / k, p = i % k;
    out[i] = doc_chunk[d] < doc_chunk[d + 1] ? partial[std::size_t{doc_chunk[d]} * k + p] : empty;
  }
};

// Per (document, bin): its densified value (kernels::densify_bin), K items per document in
// parallel rather than a document's K bins one after another. A document with a shingle has a
// filled bin; one without keeps 2^32 - 1 everywhere.
struct DensifyBins {
  const std::uint64_t* bins;
  const std::uint32_t* shingles;
  std::uint32_t k;
  std::uint32_t* sig;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const std::size_t d = i / k;
    sig[i] = shingles[d] ? kernels::densify_bin(bins + d * k, k, static_cast<std::uint32_t>(i % k))
                         : spec::max_hash;
  }
};

template <class Value>
struct BandKeys {
  const Value* sig;
  const std::uint32_t* shingles;
  std::uint32_t k, bands, rows;
  std::uint64_t* keys;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const std::size_t d = i / bands;
    const auto j = static_cast<std::uint32_t>(i % bands);
    keys[i] = kernels::band_key_of(sig + d * k, shingles[d], rows, j);
  }
};

// Verification sets: the 64-bit value of global shingle g.
struct ShingleValue {
  TextView v;
  const std::uint64_t* uh;  // fast sketch; null for compat (full XXH64)
  const std::uint64_t* shingle_off;
  const std::uint32_t* doc;  // of each shingle
  std::uint64_t* value;
  DUPSCAN_HD void operator()(std::size_t g) const {
    const std::uint32_t d = doc[g];
    const auto j = static_cast<std::uint32_t>(g - shingle_off[d]);
    if (uh) {
      value[g] = kernels::shingle_value(v, uh, d, j);
    } else {
      std::uint64_t b, e;
      kernels::shingle_range(v, d, j, b, e);
      value[g] = spec::xxh64(v.text + b, e - b, 0);
    }
  }
};

#if !defined(DUPSCAN_ON_GPU)
// The host build runs each chunk with a team of one.
template <class Scheme>
struct MinhashChunkSolo {
  TextView v;
  const std::uint32_t* chunk_doc;
  const std::uint32_t* doc_chunk;
  std::size_t docs;  // doc_chunk[docs]: the number of chunks
  const std::uint32_t* shingles;
  Scheme scheme;
  std::uint32_t k;
  typename Scheme::Value* partial;
  std::uint32_t text_capacity;  // tile_text_capacity()
  void operator()(std::size_t c) const {
    if (c >= doc_chunk[docs]) return;  // past the device-side number of chunks
    typename Scheme::Hash tile[kTile];
    alignas(16) unsigned char text[kernels::kTileTextBytes];  // the GPU's shared copy, here
    kernels::minhash_chunk(kernels::SoloTeam{}, v, chunk_doc, doc_chunk, shingles,
                           static_cast<std::uint32_t>(c), scheme, k, partial, tile,
                           kernels::TileText{text, text_capacity});
  }
};

struct OphChunkSolo {
  TextView v;
  const std::uint64_t* uh;
  const std::uint32_t* chunk_doc;
  const std::uint32_t* doc_chunk;
  std::size_t docs;  // doc_chunk[docs]: the number of chunks
  const std::uint32_t* shingles;
  std::uint32_t k;
  std::uint64_t* partial;
  void operator()(std::size_t c) const {
    if (c >= doc_chunk[docs]) return;  // past the device-side number of chunks
    kernels::oph_chunk(kernels::SoloTeam{}, v, uh, chunk_doc, doc_chunk, shingles,
                       static_cast<std::uint32_t>(c), k, partial + c * k, partial);
  }
};
#endif

}  // namespace items

#if defined(DUPSCAN_ON_GPU)
// ---- GPU only: a chunk per thread block (listed in docs/architecture.md) -----------------------

/// The threads of one block as a team.
struct BlockTeam {
  __device__ unsigned rank() const { return threadIdx.x; }
  __device__ unsigned size() const { return blockDim.x; }
  __device__ void sync() const { __syncthreads(); }
  __device__ void atomic_min(std::uint64_t* p, std::uint64_t v) const {
    atomicMin(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  }
};

/// Threads per chunk block: 128, one permutation each at K = 128 (the default).
constexpr unsigned kBlockThreads = 128;

// The grid is a bound on the number of chunks the host knows without reading the device
// (DeviceBackend::chunk_bound); doc_chunk[docs] is the number, and the blocks past it exit at
// once, the whole block together (before any barrier).
template <class Scheme>
__global__ void minhash_chunks_kernel(kernels::TextView v, const std::uint32_t* chunk_doc,
                                      const std::uint32_t* doc_chunk, std::size_t docs,
                                      const std::uint32_t* shingles, Scheme scheme, std::uint32_t k,
                                      typename Scheme::Value* partial,
                                      std::uint32_t text_capacity) {
  __shared__ typename Scheme::Hash tile[kernels::kTile];
  __shared__ alignas(16) unsigned char text[kernels::kTileTextBytes];
  if (blockIdx.x >= doc_chunk[docs]) return;
  kernels::minhash_chunk(BlockTeam{}, v, chunk_doc, doc_chunk, shingles, blockIdx.x, scheme, k,
                         partial, tile, kernels::TileText{text, text_capacity});
}

/// The dynamic shared memory of an OPH chunk block: its K bins, up to the 48 KiB a launch gets
/// without opting in (K <= 6144); 0 above, and the bins stay in global memory.
__host__ __device__ inline std::size_t oph_shared_bytes(std::uint32_t k) {
  const std::size_t bytes = std::size_t{k} * sizeof(std::uint64_t);
  return bytes <= 48 * 1024 ? bytes : 0;
}

__global__ void oph_chunks_kernel(kernels::TextView v, const std::uint64_t* uh,
                                  const std::uint32_t* chunk_doc, const std::uint32_t* doc_chunk,
                                  std::size_t docs, const std::uint32_t* shingles, std::uint32_t k,
                                  std::uint64_t* partial) {
  if (blockIdx.x >= doc_chunk[docs]) return;  // past the number of chunks (see above)
  // The bins in shared memory when the launch gave K of them (oph_shared_bytes), else in place.
  extern __shared__ unsigned long long shared_bins[];
  std::uint64_t* bins = oph_shared_bytes(k) ? reinterpret_cast<std::uint64_t*>(shared_bins)
                                            : partial + std::size_t{blockIdx.x} * k;
  kernels::oph_chunk(BlockTeam{}, v, uh, chunk_doc, doc_chunk, shingles, blockIdx.x, k, bins,
                     partial);
}
#endif

/// How make_backend set up this backend.
/**
 * Test hook, for tests only: DUPSCAN_TEST_DEVICE_FAULT breaks this backend's results on purpose,
 * so that the canary check (src/host/sketch/canary.hpp) and what a run does on its failure can be
 * tested without a faulty GPU. "signature": every sketched batch comes back with bit 0 of its
 * first document's first band key and first signature value flipped; "pair": every candidate
 * pairs stage loses its first pair; "probe": every contam probe batch loses its first candidate
 * (or, without candidates, its first window); "error": every sketched batch fails with an Error,
 * as a device fault found at a synchronize would.
 */
enum class TestFault { none, signature, pair, probe, error };

/**
 * The bytes of a tile's text a MinHash chunk copies before hashing (kernels::TileText):
 * kernels::kTileTextBytes, or for tests only the smaller DUPSCAN_TEST_TILE_TEXT_BYTES (0: never
 * copied), so that small inputs take both paths, copied and in place, and cross the boundary.
 */
inline std::uint32_t tile_text_capacity() {
  if (const char* v = std::getenv("DUPSCAN_TEST_TILE_TEXT_BYTES")) {
    const unsigned long long c = std::strtoull(v, nullptr, 10);
    if (c < kernels::kTileTextBytes) return static_cast<std::uint32_t>(c);
  }
  return kernels::kTileTextBytes;
}

inline TestFault test_fault_from_env() {
  const char* v = std::getenv("DUPSCAN_TEST_DEVICE_FAULT");
  if (!v) return TestFault::none;
  const std::string f(v);
  if (f == "signature") return TestFault::signature;
  if (f == "pair") return TestFault::pair;
  if (f == "probe") return TestFault::probe;
  if (f == "error") return TestFault::error;
  return TestFault::none;
}

// The "signature" fault on one delivered batch.
inline void break_sketch(SketchBatch& out) {
  if (!out.band_keys.empty()) out.band_keys[0] ^= 1;
  if (!out.signatures.empty()) out.signatures[0] ^= 1;
  if (!out.signatures64.empty()) out.signatures64[0] ^= 1;
}

struct DeviceOptions {
  std::size_t gpu_memory = 0;  ///< budget in bytes; 0: none beyond the device's
  int device = 0;
  std::size_t batch_bytes = std::size_t{1} << 20;
  /// Batches in flight: each slot has its stream, pinned staging and device buffers, so while
  /// one batch's text crosses the bus others are computed and others' results come back.
  unsigned slots = kDefaultSlots;

  /// Four: one batch uploading, one computing, one downloading, and one being staged by a host
  /// thread, so that no step of the pipeline waits for a free slot (the issue's "at least
  /// four"; to be checked against the pack's figures on a GPU).
  static constexpr unsigned kDefaultSlots = 4;
};

/// Pinned arenas made with the backend (text_memory()): one per slot, and at least four, so
/// that four workers build their batches in pinned memory from the start (the issue's "at least
/// four pinned arenas per GPU"; more workers get theirs at their first batch).
constexpr unsigned kDefaultArenas = 4;

/// An arena's bytes: a batch's normalized text is about its records' bytes or less (JSON syntax,
/// ids and the spaces normalization drops); half as much again covers the line a batch ends
/// past its size, and text that grows when normalized (U+FFFD for ill-formed bytes).
inline std::size_t arena_bytes(std::size_t batch_bytes) {
  return batch_bytes + batch_bytes / 2 + 4096;
}

/// Normalized bytes per document that the per-document pinned buffers (offsets, band keys,
/// shingle counts) are first sized for: a batch of shorter documents on average grows them once
/// (by half again). 128 bytes is below the sentences of the example corpus and GSM8K's questions;
/// text is sized from the batch bytes exactly.
constexpr std::size_t kPinnedBytesPerDoc = 128;

class DeviceBackend final : public Backend {
 public:
  DeviceBackend(const SketchParams& params, const DeviceOptions& o, std::string detail)
      : p_(params),
        o_(o),
        detail_(std::move(detail)),
        budget_(o.gpu_memory),
        fault_(test_fault_from_env()),
        text_capacity_(tile_text_capacity()) {
    select_device();
#if defined(DUPSCAN_ON_GPU)
    // cudaMallocAsync's pool keeps what it reserved: per-batch buffers are then not unmapped and
    // mapped again at every synchronize (the budget above still bounds what the backend holds).
    cudaMemPool_t pool = nullptr;
    DUPSCAN_CUDA_TRY(cudaDeviceGetDefaultMemPool(&pool, o_.device));
    std::uint64_t keep = UINT64_MAX;
    DUPSCAN_CUDA_TRY(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
#endif
    // Pinned staging is allocated here, once (cudaMallocHost synchronizes the device: never on
    // the hot path); a batch larger than the batch size (one long document) grows it.
    const std::size_t docs = o_.batch_bytes / kPinnedBytesPerDoc + 1;
    for (unsigned i = 0; i < std::max(1u, o_.slots); ++i) {
      slots_.push_back(std::make_unique<Slot>(&budget_));
      Slot& s = *slots_.back();
      s.h_text.reserve(o_.batch_bytes + 1);
      s.h_off.reserve(docs + 1);
      s.h_keys.reserve(docs * p_.lsh.bands + 1);
      s.h_counts.reserve(docs + 1);
    }
    arenas_ = std::make_shared<PinnedArenas>(arena_bytes(o_.batch_bytes),
                                             std::max(kDefaultArenas, o_.slots));
    Slot& s = *slots_.front();
    const std::size_t k = p_.num_perm();
    a_ = DeviceBuffer<std::uint64_t>(k, s.stream, nullptr);
    b_ = DeviceBuffer<std::uint64_t>(k, s.stream, nullptr);
    to_device(a_.get(), p_.perms.a.data(), k, s.stream);
    to_device(b_.get(), p_.perms.b.data(), k, s.stream);
    s.stream.sync();
  }

  // A batch submitted and never waited for (an exception between submit and wait, a Python
  // retry) may still run on its slot's stream and read a_ and b_, which are freed on slot 0's:
  // every slot drains before anything is freed.
  ~DeviceBackend() override {
    for (const auto& slot : slots_) {
      try {
        slot->stream.sync();
      } catch (...) {  // that batch's error was or would have been reported by its wait()
      }
    }
  }
  DeviceBackend(const DeviceBackend&) = delete;
  DeviceBackend& operator=(const DeviceBackend&) = delete;

  std::string name() const override {
#if defined(DUPSCAN_ON_GPU)
    return "cuda";
#else
    return "cuda-host";
#endif
  }
  std::string detail() const override {
    return detail_;
  }
  std::size_t batch_bytes() const override {
    return o_.batch_bytes;
  }
  std::size_t peak_device_bytes() const override {
    return budget_.peak();
  }
  std::shared_ptr<TextMemory> text_memory() override {
    return arenas_;
  }
  std::uint64_t staged_bytes() const override {
    return staged_bytes_.load();
  }

  Ticket submit(const NormalizedBatch& batch, bool signatures, SketchBatch& out) override {
    select_device();
    const std::size_t i = acquire();
    Slot& s = *slots_[i];
    try {
      s.out = &out;
      s.signatures = signatures;
      s.done = false;
      try {
        enqueue(s, batch);
      } catch (const OutOfDeviceMemory&) {
        recover(s);
        sketch_split(s, batch);
        s.done = true;
      }
    } catch (...) {
      release(i);
      throw;
    }
    return i + 1;
  }

  void wait(Ticket ticket) override {
    select_device();
    const std::size_t i = static_cast<std::size_t>(ticket - 1);
    Slot& s = *slots_[i];
    try {
      if (!s.done) {
        s.finished.sync("a batch's sketch (pass 1)");
        deliver(s);
      }
      if (fault_ == TestFault::signature) break_sketch(*s.out);
      if (fault_ == TestFault::error)
        throw Error("injected device error (DUPSCAN_TEST_DEVICE_FAULT)");
    } catch (...) {
      release(i);
      throw;
    }
    release(i);
  }

  void exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty, std::size_t n,
                             std::uint32_t* rep) override {
    select_device();
    std::vector<std::uint64_t> hi(n), lo(n);
    for (std::size_t d = 0; d < n; ++d) {
      hi[d] = hashes[d].high64;
      lo[d] = hashes[d].low64;
    }
    release_idle_slots();
    try {
      StageSlot st(&budget_);
      exact_representatives_device(hi.data(), lo.data(), empty, n, rep, st.stream, st.alloc,
                                   &budget_);
    } catch (const OutOfDeviceMemory&) {
      // Too many documents for the device: the CPU's stage gives the same representatives.
      DedupStages::exact_representatives(hashes, empty, n, rep);
    }
  }

  std::vector<std::uint64_t> candidate_pairs(const std::uint64_t* keys, std::uint32_t bands,
                                             const std::vector<std::uint32_t>& docs,
                                             std::uint32_t first_new, unsigned threads) override {
    select_device();
    std::size_t total = 0;
    for (std::uint32_t d : docs)
      total = std::max<std::size_t>(total, std::size_t{d} + 1);
    release_idle_slots();
    try {
      StageSlot st(&budget_);
      std::vector<std::uint64_t> pairs = lsh_candidate_pairs_device(
          keys, total, bands, docs, first_new, st.stream, st.alloc, &budget_);
      if (fault_ == TestFault::pair && !pairs.empty()) pairs.erase(pairs.begin());
      return pairs;
    } catch (const OutOfDeviceMemory&) {
      // Too many band keys for the device: the CPU's stage gives the same pairs.
      return DedupStages::candidate_pairs(keys, bands, docs, first_new, threads);
    }
  }

  void verification_sets(const NormalizedBatch& batch, FlatSets& out) override {
    select_device();
    const std::size_t i = acquire();
    Slot& s = *slots_[i];
    try {
      sets_split(s, batch, out);
    } catch (...) {
      release(i);
      throw;
    }
    release(i);
  }

  /// contam_device.cuh: the probe on this backend's slots (it must not outlive the backend).
  std::unique_ptr<ContamProbe> contam_probe(std::shared_ptr<const ProbeTables> tables) override;

 private:
  friend class DeviceContamProbe;

  // Everything one batch in flight needs: its stream, staging, device buffers (kept and grown).
  struct Slot {
    explicit Slot(MemoryBudget* budget) : alloc(stream, budget), budget(budget) {}
    Stream stream;
    Event finished;  // recorded behind the batch's last copy back: wait() waits for it
    TempAllocator alloc;
    MemoryBudget* budget;
    bool busy = false;
    // the batch in flight
    SketchBatch* out = nullptr;
    bool signatures = false;
    bool done = false;
    std::size_t n = 0;
    std::uint64_t most_chunks = 0;  // the most chunks a document of the batch may have
    PinnedBuffer<unsigned char> h_text;
    PinnedBuffer<std::uint64_t> h_off, h_keys, h_sig64;
    PinnedBuffer<std::uint32_t> h_counts, h_sig;
    DeviceBuffer<unsigned char> d_text;
    DeviceBuffer<std::uint64_t> d_off, d_uh, d_keys, d_bins, d_values, d_shingle_off, d_sig64,
        d_partial64;
    DeviceBuffer<std::uint8_t> d_flag;
    DeviceBuffer<std::uint32_t> d_ustart, d_uend, d_doc_unit, d_shingles, d_chunks, d_chunk_doc,
        d_sig, d_partial32, d_doc;
    // Counts that stay on the device: [0] units (unit starts), [1] word ends (the same number).
    DeviceBuffer<std::uint32_t> d_count;

    void release_buffers() {
      d_text.release();
      d_off.release();
      d_uh.release();
      d_keys.release();
      d_bins.release();
      d_values.release();
      d_shingle_off.release();
      d_sig64.release();
      d_partial64.release();
      d_flag.release();
      d_ustart.release();
      d_uend.release();
      d_doc_unit.release();
      d_shingles.release();
      d_chunks.release();
      d_chunk_doc.release();
      d_sig.release();
      d_partial32.release();
      d_doc.release();
      d_count.release();
      alloc.trim();
    }
  };

  // A stream of its own for a stage run once per job.
  struct StageSlot {
    explicit StageSlot(MemoryBudget* budget) : alloc(stream, budget) {}
    Stream stream;
    TempAllocator alloc;
  };

  void select_device() const {
#if defined(DUPSCAN_ON_GPU)
    DUPSCAN_CUDA_TRY(cudaSetDevice(o_.device));
#endif
  }

  std::size_t acquire() {
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i]->busy) {
          slots_[i]->busy = true;
          return i;
        }
      }
      cv_.wait(lock);
    }
  }
  void release(std::size_t i) {
    {
      std::lock_guard<std::mutex> lock(m_);
      slots_[i]->busy = false;
    }
    cv_.notify_one();
  }

  // Before a stage run once per job (pass 1 is over): the sketch slots' buffers go back to the
  // budget, so the stage may use the whole of it.
  void release_idle_slots() {
    std::vector<std::size_t> idle;
    {
      std::lock_guard<std::mutex> lock(m_);
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i]->busy) {
          slots_[i]->busy = true;
          idle.push_back(i);
        }
      }
    }
    for (std::size_t i : idle) {
      recover(*slots_[i]);
      release(i);
    }
  }

  // After an allocation failure: let the stream drain, give back what the slot holds.
  void recover(Slot& s) {
    try {
      s.stream.sync();
    } catch (const OutOfDeviceMemory&) {
    }
    s.release_buffers();
  }

  // A bound on the units of a batch the host knows from its offsets alone: a word is at least one
  // byte and two words of a document are apart by at least one space, so a document of len bytes
  // has at most (len + 1) / 2 words; a character unit (a UTF-8 lead byte) at most len.
  std::size_t unit_bound(const NormalizedBatch& batch) const {
    if (p_.shingle.kind != ShingleKind::word) return batch.text.size();
    std::size_t bound = 0;
    for (std::size_t d = 0; d < batch.size(); ++d)
      bound += (batch.offsets[d + 1] - batch.offsets[d] + 1) / 2;
    return bound;
  }

  // A bound on the chunks of a batch from its offsets alone: a non-empty document has at most
  // max(units, 1) shingles (kernels::shingle_count), so at most ceil(unit bound / kChunkShingles)
  // chunks; an empty one none. At most the batch's bytes.
  // `most`: the same bound for the document that may have the most.
  std::size_t chunk_bound(const NormalizedBatch& batch, std::uint64_t& most) const {
    const bool word = p_.shingle.kind == ShingleKind::word;
    std::size_t bound = 0;
    most = 0;
    for (std::size_t d = 0; d < batch.size(); ++d) {
      const std::uint64_t len = batch.offsets[d + 1] - batch.offsets[d];
      const std::uint64_t units = word ? (len + 1) / 2 : len;
      const std::uint64_t chunks = (units + kernels::kChunkShingles - 1) / kernels::kChunkShingles;
      bound += chunks;
      most = std::max(most, chunks);
    }
    return bound;
  }

  // The host build proves the bounds: its "device" counts are host memory, read here at no cost
  // (the GPU build reads nothing back). A count over its bound would have written past a buffer.
  void check_bounds(const Slot& s, std::size_t n, std::size_t units, std::size_t chunks) const {
#if defined(DUPSCAN_ON_GPU)
    (void)s, (void)n, (void)units, (void)chunks;
#else
    const bool word = p_.shingle.kind == ShingleKind::word;
    if (s.d_count.get()[0] > units || (word && s.d_count.get()[1] > units) ||
        (chunks != SIZE_MAX && s.d_chunks.get()[n] > chunks)) {
      throw Error("cuda-host: a device-side count passed the bound the host sized it by (units " +
                  std::to_string(s.d_count.get()[0]) + " of " + std::to_string(units) +
                  ", chunks " + (chunks != SIZE_MAX ? std::to_string(s.d_chunks.get()[n]) : "-") +
                  " of " + std::to_string(chunks) + ")");
    }
#endif
  }

  // Queues the units of the batch in s.d_text: unit starts (and word ends), units per document.
  // The number of units stays on the device (s.d_count[0]); `units_bound` (unit_bound()) sizes the
  // buffers. Nothing is read back.
  void find_units_async(Slot& s, std::size_t bytes, std::size_t n, std::size_t units_bound) {
    const Stream& st = s.stream;
    s.d_flag.reserve(bytes + 1, st, s.budget);
    thrust::fill(policy(st, s.alloc), s.d_flag.get(), s.d_flag.get() + bytes + 1, 0);
    for_each_index(n, items::MarkDocStart{s.d_off.get(), bytes, s.d_flag.get()}, st, s.alloc);
    const bool word = p_.shingle.kind == ShingleKind::word;
    s.d_count.reserve(2, st, s.budget);
    s.d_ustart.reserve(units_bound + 1, st, s.budget);
    select_indices(0, bytes, s.d_ustart.get(), s.d_count.get(),
                   items::UnitStart{s.d_text.get(), s.d_flag.get(), word}, st, s.alloc);
    if (word) {
      s.d_uend.reserve(units_bound + 1, st, s.budget);
      select_indices(1, bytes, s.d_uend.get(), s.d_count.get() + 1,
                     items::WordEndAfter{s.d_text.get(), s.d_flag.get(), bytes}, st, s.alloc);
    }
    s.d_doc_unit.reserve(n + 1, st, s.budget);
    for_each_index(
        n + 1,
        items::DocUnits{s.d_ustart.get(), s.d_count.get(), s.d_off.get(), s.d_doc_unit.get()}, st,
        s.alloc);
  }

  kernels::TextView view(const Slot& s) const {
    return kernels::TextView{s.d_text.get(),
                             s.d_off.get(),
                             s.d_ustart.get(),
                             s.d_uend.get(),
                             s.d_doc_unit.get(),
                             p_.shingle.n,
                             p_.shingle.kind == ShingleKind::word};
  }

  // Copies a batch to the slot's device buffers.
  void upload(Slot& s, const NormalizedBatch& batch) {
    const std::size_t bytes = batch.text.size(), n = batch.size();
    if (bytes >= UINT32_MAX) throw OutOfDeviceMemory("batch of 4 GiB or more");
    // Every Thrust call of a batch counts at most max(bytes, documents) + 1 items.
    if (std::max(bytes, n) + 1 > item_cap()) {
      throw OutOfDeviceMemory("batch over the device calls' item cap");
    }
    const Stream& st = s.stream;
    // Text built in the arenas is copied from where the workers normalized it; any other is
    // staged into the slot's pinned buffer first.
    const unsigned char* text = reinterpret_cast<const unsigned char*>(batch.text.data());
    if (batch.text.memory() != arenas_.get()) {
      s.h_text.reserve(bytes + 1);
      std::memcpy(s.h_text.get(), text, bytes);
      text = s.h_text.get();
      staged_bytes_ += bytes;
    }
    s.h_off.reserve(n + 1);
    std::memcpy(s.h_off.get(), batch.offsets.data(), (n + 1) * sizeof(std::uint64_t));
    s.d_text.reserve(bytes + 1, st, s.budget);
    s.d_off.reserve(n + 1, st, s.budget);
    to_device(s.d_text.get(), text, bytes, st);
    to_device(s.d_off.get(), s.h_off.get(), n + 1, st);
  }

  // Queues one batch's sketch on the slot's stream and returns without waiting for the device:
  // every grid and buffer is sized from bounds the host knows (unit_bound, chunk_bound), the
  // exact counts stay on the device and the kernels past them exit, so the host does not wait
  // between the units pass and the sketch. wait() waits for s.finished, recorded last.
  void enqueue(Slot& s, const NormalizedBatch& batch) {
    const std::size_t bytes = batch.text.size(), n = batch.size();
    const std::uint32_t k = p_.num_perm(), bands = p_.lsh.bands, rows = p_.lsh.rows;
    const Stream& st = s.stream;
    s.n = n;
    if (n == 0) {
      s.finished.record(st);
      return;
    }
    upload(s, batch);
    const std::size_t units = unit_bound(batch), chunks = chunk_bound(batch, s.most_chunks);
    find_units_async(s, bytes, n, units);
    const kernels::TextView v = view(s);
    s.d_shingles.reserve(n + 1, st, s.budget);
    s.d_chunks.reserve(n + 1, st, s.budget);
    for_each_index(n + 1,
                   items::CountShingles{s.d_off.get(), s.d_doc_unit.get(), p_.shingle.n, n,
                                        s.d_shingles.get(), s.d_chunks.get()},
                   st, s.alloc);
    // d_chunks becomes doc_chunk: the first chunk of every document, and the total at [n] (on
    // the device: the work below runs over `chunks`, the host's bound, and exits past it).
    thrust::exclusive_scan(policy(st, s.alloc), s.d_chunks.get(), s.d_chunks.get() + n + 1,
                           s.d_chunks.get());
    check_bounds(s, n, units, chunks);
    s.d_chunk_doc.reserve(std::max<std::size_t>(chunks, 1), st, s.budget);
    for_each_index(chunks, items::ChunkDoc{s.d_chunks.get(), n, s.d_chunk_doc.get()}, st, s.alloc);
    if (wide()) {
      s.d_sig64.reserve(n * k, st, s.budget);
    } else {
      s.d_sig.reserve(n * k, st, s.budget);
    }
    if (p_.kind == SketchKind::fast) {
      s.d_uh.reserve(std::max<std::size_t>(units, 1), st, s.budget);
      for_each_index(units, items::UnitHashes{v, s.d_count.get(), s.d_uh.get()}, st, s.alloc);
      s.d_bins.reserve(std::max<std::size_t>(chunks * k, n * k), st, s.budget);
      DeviceBuffer<std::uint64_t> combined(n * k, st, s.budget);
#if defined(DUPSCAN_ON_GPU)
      if (chunks) {
        oph_chunks_kernel<<<static_cast<unsigned>(chunks), kBlockThreads, oph_shared_bytes(k),
                            st.get()>>>(v, s.d_uh.get(), s.d_chunk_doc.get(), s.d_chunks.get(), n,
                                        s.d_shingles.get(), k, s.d_bins.get());
        DUPSCAN_CUDA_CHECK_LAUNCH("oph_chunks_kernel");
      }
#else
      for_each_index(chunks,
                     items::OphChunkSolo{v, s.d_uh.get(), s.d_chunk_doc.get(), s.d_chunks.get(), n,
                                         s.d_shingles.get(), k, s.d_bins.get()},
                     st, s.alloc);
#endif
      combine_chunks(s, s.d_bins.get(), chunks, ~std::uint64_t{0}, combined.get());
      for_each_index(n * k,
                     items::DensifyBins{combined.get(), s.d_shingles.get(), k, s.d_sig.get()}, st,
                     s.alloc);
    } else {
      switch (p_.perms.scheme) {
        case Scheme::legacy:
          minhash(s, v, chunks, kernels::LegacyScheme{a_.get(), b_.get(), p_.shingle_hash},
                  s.d_partial32, s.d_sig.get());
          break;
        case Scheme::affine32:
          minhash(s, v, chunks, kernels::Affine32Scheme{a_.get(), b_.get(), p_.shingle_hash},
                  s.d_partial32, s.d_sig.get());
          break;
        case Scheme::affine64:
          minhash(s, v, chunks, kernels::Affine64Scheme{a_.get(), b_.get(), p_.shingle_hash},
                  s.d_partial64, s.d_sig64.get());
          break;
      }
    }
    s.d_keys.reserve(std::max<std::size_t>(n * bands, 1), st, s.budget);
    if (wide()) {
      for_each_index(n * bands,
                     items::BandKeys<std::uint64_t>{s.d_sig64.get(), s.d_shingles.get(), k, bands,
                                                    rows, s.d_keys.get()},
                     st, s.alloc);
    } else {
      for_each_index(n * bands,
                     items::BandKeys<std::uint32_t>{s.d_sig.get(), s.d_shingles.get(), k, bands,
                                                    rows, s.d_keys.get()},
                     st, s.alloc);
    }
    s.h_keys.reserve(n * bands + 1);
    s.h_counts.reserve(n + 1);
    to_host(s.h_keys.get(), s.d_keys.get(), n * bands, st);
    to_host(s.h_counts.get(), s.d_shingles.get(), n, st);
    if (s.signatures && wide()) {
      s.h_sig64.reserve(n * k + 1);
      to_host(s.h_sig64.get(), s.d_sig64.get(), n * k, st);
    } else if (s.signatures) {
      s.h_sig.reserve(n * k + 1);
      to_host(s.h_sig.get(), s.d_sig.get(), n * k, st);
    }
    s.finished.record(st);
  }

  // True when signatures are 64-bit (the compat sketch with the affine64 scheme).
  bool wide() const {
    return p_.kind == SketchKind::compat && p_.perms.scheme == Scheme::affine64;
  }

  // The MinHash sketch of the slot's batch under `scheme`: per chunk the K minima into `partial`,
  // then per document the minimum over its chunks into sig[0, n * K).
  // `chunks`: chunk_bound(), the grid; the blocks past the device-side number exit.
  template <class Scheme>
  void minhash(Slot& s, const kernels::TextView& v, std::size_t chunks, const Scheme& scheme,
               DeviceBuffer<typename Scheme::Value>& partial, typename Scheme::Value* sig) {
    const std::uint32_t k = p_.num_perm();
    const Stream& st = s.stream;
    partial.reserve(std::max<std::size_t>(chunks * k, 1), st, s.budget);
#if defined(DUPSCAN_ON_GPU)
    if (chunks) {
      minhash_chunks_kernel<<<static_cast<unsigned>(chunks), kBlockThreads, 0, st.get()>>>(
          v, s.d_chunk_doc.get(), s.d_chunks.get(), s.n, s.d_shingles.get(), scheme, k,
          partial.get(), text_capacity_);
      DUPSCAN_CUDA_CHECK_LAUNCH("minhash_chunks_kernel");
    }
#else
    for_each_index(chunks,
                   items::MinhashChunkSolo<Scheme>{v, s.d_chunk_doc.get(), s.d_chunks.get(), s.n,
                                                   s.d_shingles.get(), scheme, k, partial.get(),
                                                   text_capacity_},
                   st, s.alloc);
#endif
    combine_chunks(s, partial.get(), chunks, Scheme::kEmpty, sig);
  }

  // Each document's minimum over its chunks' K partial values (partial, K per chunk: folded in
  // place) into out (K per document): the fold's passes (items::FoldChunks), as many as the most
  // chunks a document of the batch may have needs (none when none has more than one), then one
  // item per (document, position). `chunks`: chunk_bound(), the grid.
  template <class Value>
  void combine_chunks(Slot& s, Value* partial, std::size_t chunks, Value empty, Value* out) {
    const std::uint32_t k = p_.num_perm();
    for (std::uint64_t stride = 1; stride < s.most_chunks;
         stride *= items::FoldChunks<Value>::kFoldWidth) {
      for_each_index(
          chunks * k,
          items::FoldChunks<Value>{partial, s.d_chunk_doc.get(), s.d_chunks.get(), s.n, k, stride},
          s.stream, s.alloc);
    }
    for_each_index(s.n * k, items::FirstChunk<Value>{partial, s.d_chunks.get(), k, empty, out},
                   s.stream, s.alloc);
  }

  // Copies a finished batch from pinned memory to the caller's vectors.
  void deliver(Slot& s) {
    SketchBatch& out = *s.out;
    const std::size_t n = s.n, k = p_.num_perm(), bands = p_.lsh.bands;
    out.band_keys.assign(s.h_keys.get(), s.h_keys.get() + (n ? n * bands : 0));
    out.shingle_counts.assign(s.h_counts.get(), s.h_counts.get() + n);
    out.signatures.clear();
    out.signatures64.clear();
    if (s.signatures && wide()) {
      out.signatures64.assign(s.h_sig64.get(), s.h_sig64.get() + n * k);
    } else if (s.signatures) {
      out.signatures.assign(s.h_sig.get(), s.h_sig.get() + n * k);
    }
  }

  // `items_per_byte`: how many items per byte of text the batch's largest Thrust call may take
  // (1 for sketches and sets, the window classes for contam's probe).
  [[noreturn]] void throw_does_not_fit(std::size_t bytes, std::size_t items_per_byte = 1) const {
    if ((bytes + 1) * items_per_byte > item_cap()) {
      throw DocumentTooLarge("a document of " + std::to_string(bytes) +
                                 " bytes: the device path takes documents under " +
                                 std::to_string(item_cap() / items_per_byte) +
                                 " bytes here (no device call counts more items than 32-bit "
                                 "counts hold); use --backend cpu",
                             bytes);
    }
    if (bytes >= UINT32_MAX) {
      throw DocumentTooLarge("a document of " + std::to_string(bytes) +
                                 " bytes: the device path takes documents under 4 GiB (32-bit "
                                 "offsets); use --backend cpu",
                             bytes);
    }
    throw DocumentTooLarge("a document of " + std::to_string(bytes) +
                               " bytes does not fit in the device memory" +
                               (budget_.cap() ? " budget (--gpu-memory)" : "") +
                               "; give more with --gpu-memory or use --backend cpu",
                           bytes);
  }

  // The batch did not fit: halves, each on its own (recursively), appended in order.
  void sketch_split(Slot& s, const NormalizedBatch& batch) {
    const std::size_t n = batch.size();
    if (n <= 1) {
      throw_does_not_fit(batch.text.size());
    }
    SketchBatch& out = *s.out;
    SketchBatch whole;
    for (std::size_t part = 0; part < 2; ++part) {
      const std::size_t from = part == 0 ? 0 : n / 2, to = part == 0 ? n / 2 : n;
      NormalizedBatch half;
      for (std::size_t d = from; d < to; ++d)
        half.add(batch.doc(d));
      SketchBatch got;
      s.out = &got;
      try {
        enqueue(s, half);
        s.finished.sync("half a batch's sketch (pass 1)");
        deliver(s);
      } catch (const OutOfDeviceMemory&) {
        recover(s);
        sketch_split(s, half);
      }
      whole.band_keys.insert(whole.band_keys.end(), got.band_keys.begin(), got.band_keys.end());
      whole.shingle_counts.insert(whole.shingle_counts.end(), got.shingle_counts.begin(),
                                  got.shingle_counts.end());
      whole.signatures.insert(whole.signatures.end(), got.signatures.begin(), got.signatures.end());
      whole.signatures64.insert(whole.signatures64.end(), got.signatures64.begin(),
                                got.signatures64.end());
    }
    s.out = &out;
    out = std::move(whole);
  }

  // sets(), halving the batch while it does not fit.
  void sets_split(Slot& s, const NormalizedBatch& batch, FlatSets& out) {
    try {
      sets(s, batch, out);
      return;
    } catch (const OutOfDeviceMemory&) {
      recover(s);
    }
    const std::size_t n = batch.size();
    if (n <= 1) {
      throw_does_not_fit(batch.text.size());
    }
    out.values.clear();
    out.offsets.assign(1, 0);
    for (std::size_t part = 0; part < 2; ++part) {
      NormalizedBatch half;
      for (std::size_t d = part == 0 ? 0 : n / 2; d < (part == 0 ? n / 2 : n); ++d)
        half.add(batch.doc(d));
      FlatSets got;
      sets_split(s, half, got);
      const std::uint64_t base = out.values.size();
      out.values.insert(out.values.end(), got.values.begin(), got.values.end());
      for (std::size_t d = 1; d < got.offsets.size(); ++d)
        out.offsets.push_back(base + got.offsets[d]);
    }
  }

  // Verification sets of a batch (synchronous). One count comes back before the end: the number
  // of shingles, which sizes the sorts (a sort's item count is the host's argument, and sorting
  // up to a bound instead would sort several times the items for word shingles: a word
  // is about six bytes, the bound counts one in two). The
  // units' count no longer does: the unit hashes run over the bound and exit past the count.
  void sets(Slot& s, const NormalizedBatch& batch, FlatSets& out) {
    const std::size_t bytes = batch.text.size(), n = batch.size();
    out.values.clear();
    out.offsets.assign(n + 1, 0);
    if (n == 0) return;
    const Stream& st = s.stream;
    upload(s, batch);
    const std::size_t units = unit_bound(batch);
    find_units_async(s, bytes, n, units);
    check_bounds(s, n, units, SIZE_MAX);
    const kernels::TextView v = view(s);
    s.d_shingles.reserve(n + 1, st, s.budget);
    s.d_chunks.reserve(n + 1, st, s.budget);
    for_each_index(n + 1,
                   items::CountShingles{s.d_off.get(), s.d_doc_unit.get(), p_.shingle.n, n,
                                        s.d_shingles.get(), s.d_chunks.get()},
                   st, s.alloc);
    s.d_shingle_off.reserve(n + 1, st, s.budget);
    thrust::copy(policy(st, s.alloc), s.d_shingles.get(), s.d_shingles.get() + n + 1,
                 s.d_shingle_off.get());
    thrust::exclusive_scan(policy(st, s.alloc), s.d_shingle_off.get(),
                           s.d_shingle_off.get() + n + 1, s.d_shingle_off.get());
    std::uint64_t total = 0;
    to_host(&total, s.d_shingle_off.get() + n, 1, st);
    st.sync("a batch's shingle counts (verification sets)");
    const std::uint64_t* uh = nullptr;
    if (p_.kind == SketchKind::fast) {
      s.d_uh.reserve(std::max<std::size_t>(units, 1), st, s.budget);
      for_each_index(units, items::UnitHashes{v, s.d_count.get(), s.d_uh.get()}, st, s.alloc);
      uh = s.d_uh.get();
    }
    s.d_doc.reserve(total + 1, st, s.budget);
    s.d_values.reserve(total + 1, st, s.budget);
    thrust::upper_bound(policy(st, s.alloc), s.d_shingle_off.get(), s.d_shingle_off.get() + n + 1,
                        thrust::counting_iterator<std::uint64_t>(0),
                        thrust::counting_iterator<std::uint64_t>(total), s.d_doc.get());
    for_each_index(total, items::MinusOne{s.d_doc.get()}, st, s.alloc);
    for_each_index(
        total, items::ShingleValue{v, uh, s.d_shingle_off.get(), s.d_doc.get(), s.d_values.get()},
        st, s.alloc);
    // (document, value) in lexicographic order: stable sorts, least significant key first.
    thrust::stable_sort_by_key(policy(st, s.alloc), s.d_values.get(), s.d_values.get() + total,
                               s.d_doc.get());
    thrust::stable_sort_by_key(policy(st, s.alloc), s.d_doc.get(), s.d_doc.get() + total,
                               s.d_values.get());
    auto zip = thrust::make_zip_iterator(thrust::make_tuple(s.d_doc.get(), s.d_values.get()));
    const std::size_t kept =
        static_cast<std::size_t>(thrust::unique(policy(st, s.alloc), zip, zip + total) - zip);
    s.d_shingle_off.reserve(n + 1, st, s.budget);
    thrust::lower_bound(policy(st, s.alloc), s.d_doc.get(), s.d_doc.get() + kept,
                        thrust::counting_iterator<std::uint32_t>(0),
                        thrust::counting_iterator<std::uint32_t>(static_cast<std::uint32_t>(n + 1)),
                        s.d_shingle_off.get());
    out.values.resize(kept);
    to_host(out.values.data(), s.d_values.get(), kept, st);
    to_host(out.offsets.data(), s.d_shingle_off.get(), n + 1, st);
    st.sync("a batch's verification sets");
  }

  SketchParams p_;
  DeviceOptions o_;
  std::string detail_;
  mutable MemoryBudget budget_;
  TestFault fault_;
  std::uint32_t text_capacity_;  // tile_text_capacity()
  std::vector<std::unique_ptr<Slot>> slots_;
  std::shared_ptr<PinnedArenas> arenas_;  // what text_memory() lends
  std::atomic<std::uint64_t> staged_bytes_{0};
  std::mutex m_;
  std::condition_variable cv_;
  DeviceBuffer<std::uint64_t> a_, b_;
};

}  // namespace dupscan::DUPSCAN_DEVICE_NS

#include "contam_device.cuh"
