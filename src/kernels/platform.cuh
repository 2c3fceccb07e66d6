// What the CUDA backend's source needs from the machine it runs on, in one place, so that the same
// source compiles twice:
//  - by nvcc (DUPSCAN_ON_GPU): device memory, streams, Thrust's CUDA system, __global__ kernels;
//  - by g++ as the `cuda-host` testing backend: host memory, Thrust's CPP system, the kernels'
//    per-item functions called by thrust::for_each on the CPU.
// Everything above this header (the per-item maths, the orchestration) is written once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <thrust/binary_search.h>
#include <thrust/copy.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/unique.h>

#if defined(__CUDACC__)
#define DUPSCAN_ON_GPU 1
#include <cuda_runtime.h>
#include <thrust/system/cuda/execution_policy.h>
#include <cub/device/device_select.cuh>
#else
#include <thrust/system/cpp/execution_policy.h>
#endif

#include "dupscan/batch_text.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/spec.hpp"

// The namespace of this compilation: dupscan::cuda (nvcc) or dupscan::cuda_host (g++). The two
// builds can be linked into one program.
#if defined(DUPSCAN_ON_GPU)
#define DUPSCAN_DEVICE_NS cuda
#else
#define DUPSCAN_DEVICE_NS cuda_host
#endif

#if defined(DUPSCAN_ON_GPU)
/// Throws dupscan::Error naming file:line and the CUDA error when `call` fails.
#define DUPSCAN_CUDA_TRY(call)                                                          \
  do {                                                                                  \
    const cudaError_t dupscan_err_ = (call);                                            \
    if (dupscan_err_ != cudaSuccess) {                                                  \
      ::dupscan::DUPSCAN_DEVICE_NS::throw_cuda_error(dupscan_err_, __FILE__, __LINE__); \
    }                                                                                   \
  } while (0)
#endif

namespace dupscan::DUPSCAN_DEVICE_NS {

/// A device allocation failed: the caller splits its batch and tries again.
struct OutOfDeviceMemory : Error {
  using Error::Error;
};

/// The most items one Thrust or CUB call of this backend takes, by default: Thrust and CUB count
/// the items of some algorithms in 32-bit ints (CCCL 3.0's thrust::unique: `using size_type =
/// int`), so every call stays far below 2^31 and larger work is cut into calls of at most this
/// many items (docs/architecture.md lists every call and its bound).
constexpr std::size_t kDefaultItemCap = std::size_t{1} << 30;

/// kDefaultItemCap, or the test hook DUPSCAN_TEST_DEVICE_ITEM_CAP (at least 64): a small cap
/// forces every chunked path on small inputs, so that tests compare their bits with the CPU's.
inline std::size_t item_cap() {
  if (const char* v = std::getenv("DUPSCAN_TEST_DEVICE_ITEM_CAP")) {
    const unsigned long long c = std::strtoull(v, nullptr, 10);
    if (c >= 64 && c < kDefaultItemCap) return static_cast<std::size_t>(c);
  }
  return kDefaultItemCap;
}

#if defined(DUPSCAN_ON_GPU)
/// `during`: what was in flight when the error was found (a kernel's name, a stage), if known.
[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* file, int line,
                                          const char* during = nullptr) {
  std::string what = std::string(file) + ":" + std::to_string(line) + ": " + cudaGetErrorName(err) +
                     ": " + cudaGetErrorString(err);
  if (during) what += " (during " + std::string(during) + ")";
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky-free error so that a smaller batch can try again
    throw OutOfDeviceMemory(what);
  }
  throw Error(what);
}
/// After every kernel launch: a failed launch names the kernel.
#define DUPSCAN_CUDA_CHECK_LAUNCH(kernel)                                              \
  do {                                                                                 \
    const cudaError_t dupscan_err_ = cudaGetLastError();                               \
    if (dupscan_err_ != cudaSuccess) {                                                 \
      ::dupscan::DUPSCAN_DEVICE_NS::throw_cuda_error(dupscan_err_, __FILE__, __LINE__, \
                                                     "the launch of " kernel);         \
    }                                                                                  \
  } while (0)
#endif

/// A stream of work; on the host build every call completes before it returns.
class Stream {
 public:
#if defined(DUPSCAN_ON_GPU)
  Stream() {
    DUPSCAN_CUDA_TRY(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking));
  }
  ~Stream() {
    if (s_) cudaStreamDestroy(s_);
  }
  cudaStream_t get() const {
    return s_;
  }
  /// Waits for the stream's work; an error found here (a fault of any kernel queued earlier)
  /// names `stage`, the work that was in flight, when given.
  void sync(const char* stage = nullptr) const {
    const cudaError_t err = cudaStreamSynchronize(s_);
    if (err != cudaSuccess) throw_cuda_error(err, __FILE__, __LINE__, stage);
  }
#else
  Stream() = default;
  void sync(const char* stage = nullptr) const {
    (void)stage;
  }
#endif
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

 private:
#if defined(DUPSCAN_ON_GPU)
  cudaStream_t s_ = nullptr;
#endif
};

/// Marks a point in a stream's work: the host waits for a batch by its event, not its stream.
/// On the host build the work is done when it is queued, so an event is always complete.
class Event {
 public:
#if defined(DUPSCAN_ON_GPU)
  Event() {
    DUPSCAN_CUDA_TRY(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming));
  }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  /// Marks the end of the work queued on `s` so far.
  void record(const Stream& s) {
    DUPSCAN_CUDA_TRY(cudaEventRecord(e_, s.get()));
  }
  /// Whether the marked work is done (never blocks); a fault in it throws, naming `stage`.
  bool ready(const char* stage = nullptr) const {
    const cudaError_t err = cudaEventQuery(e_);
    if (err == cudaErrorNotReady) return false;
    if (err != cudaSuccess) throw_cuda_error(err, __FILE__, __LINE__, stage);
    return true;
  }
  /// Waits for the marked work; an error found here names `stage`, when given.
  void sync(const char* stage = nullptr) const {
    const cudaError_t err = cudaEventSynchronize(e_);
    if (err != cudaSuccess) throw_cuda_error(err, __FILE__, __LINE__, stage);
  }
#else
  Event() = default;
  void record(const Stream&) {}
  bool ready(const char* = nullptr) const {
    return true;
  }
  void sync(const char* = nullptr) const {}
#endif
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

 private:
#if defined(DUPSCAN_ON_GPU)
  cudaEvent_t e_ = nullptr;
#endif
};

/// Device memory a backend may hold (--gpu-memory): an allocation past it fails as if the device
/// were full, so that the same split-and-retry path runs (and is tested on the host build).
class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t cap = 0) : cap_(cap) {}
  void take(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(m_);
    if (cap_ && used_ + bytes > cap_) {
      throw OutOfDeviceMemory("device memory budget of " + std::to_string(cap_) +
                              " bytes exceeded (" + std::to_string(used_ + bytes) + " wanted)");
    }
    used_ += bytes;
    peak_ = used_ > peak_ ? used_ : peak_;
  }
  void give(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(m_);
    used_ -= bytes;
  }
  std::size_t cap() const { return cap_; }
  /// The most held at once.
  std::size_t peak() {
    std::lock_guard<std::mutex> lock(m_);
    return peak_;
  }

 private:
  std::mutex m_;
  std::size_t cap_;
  std::size_t used_ = 0, peak_ = 0;
};

namespace detail {
inline void* device_alloc(std::size_t bytes, const Stream& s, MemoryBudget* budget) {
  if (bytes == 0) return nullptr;
  if (budget) budget->take(bytes);
#if defined(DUPSCAN_ON_GPU)
  void* p = nullptr;
  const cudaError_t err = cudaMallocAsync(&p, bytes, s.get());
  if (err != cudaSuccess) {
    if (budget) budget->give(bytes);
    throw_cuda_error(err, __FILE__, __LINE__);
  }
  return p;
#else
  (void)s;
  void* p = std::malloc(bytes);
  if (!p) {
    if (budget) budget->give(bytes);
    throw OutOfDeviceMemory("out of host memory for " + std::to_string(bytes) + " bytes");
  }
  return p;
#endif
}
inline void device_free(void* p, std::size_t bytes, const Stream* s, MemoryBudget* budget) {
  if (!p) return;
  if (budget) budget->give(bytes);
#if defined(DUPSCAN_ON_GPU)
  if (s) {
    cudaFreeAsync(p, s->get());
  } else {
    cudaFree(p);
  }
#else
  (void)s;
  std::free(p);
#endif
}
}  // namespace detail

/// Move-only owner of `size()` elements of device memory (host memory in the host build),
/// allocated and freed in stream order.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t n, const Stream& s, MemoryBudget* budget = nullptr) {
    reserve_exact(n, s, budget);
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)),
        n_(std::exchange(o.n_, 0)),
        s_(o.s_),
        budget_(o.budget_) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
      s_ = o.s_;
      budget_ = o.budget_;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// At least n elements; contents are lost when it grows (by half again, to amortize).
  void reserve(std::size_t n, const Stream& s, MemoryBudget* budget) {
    if (n > n_) reserve_exact(n + n / 2, s, budget);
  }
  void release() {
    detail::device_free(p_, n_ * sizeof(T), s_, budget_);
    p_ = nullptr;
    n_ = 0;
  }
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  void reserve_exact(std::size_t n, const Stream& s, MemoryBudget* budget) {
    release();
    p_ = static_cast<T*>(detail::device_alloc(n * sizeof(T), s, budget));
    n_ = n;
    s_ = &s;
    budget_ = budget;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
  const Stream* s_ = nullptr;
  MemoryBudget* budget_ = nullptr;
};

namespace detail {

/// `bytes` of page-locked host memory (plain memory in the host build). A failure is the host's,
/// not the device's: not an OutOfDeviceMemory (which would split the batch down to one document
/// and blame the GPU).
inline void* pinned_alloc(std::size_t bytes) {
#if defined(DUPSCAN_ON_GPU)
  void* p = nullptr;
  const cudaError_t err = cudaMallocHost(&p, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error("cannot allocate " + std::to_string(bytes) +
                " bytes of page-locked host memory for the GPU's staging (" +
                cudaGetErrorString(err) +
                "): the host is short of memory, or of locked memory (ulimit -l)");
  }
  return p;
#else
  void* p = std::malloc(bytes);
  if (!p) throw std::bad_alloc();
  return p;
#endif
}

/// Frees pinned_alloc()'s memory; throws on a failed free unless `quiet` (a destructor's: a
/// sticky error of the context, after a device fault, cannot be thrown from there and is left
/// for the next CUDA call of the run to report).
inline void pinned_free(void* p, bool quiet) {
  if (!p) return;
#if defined(DUPSCAN_ON_GPU)
  const cudaError_t err = cudaFreeHost(p);
  if (err != cudaSuccess && !quiet) {
    throw_cuda_error(err, __FILE__, __LINE__, "freeing page-locked staging memory");
  }
#else
  (void)quiet;
  std::free(p);
#endif
}

}  // namespace detail

/// Page-locked host memory (plain memory in the host build): the staging of copies.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { detail::pinned_free(p_, true); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void reserve(std::size_t n) {
    if (n <= n_) return;
    T* old = std::exchange(p_, nullptr);
    n_ = 0;
    detail::pinned_free(old, false);
    const std::size_t want = n + n / 2;
    p_ = static_cast<T*>(detail::pinned_alloc(want * sizeof(T)));
    n_ = want;
  }
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

/**
 * Page-locked host memory for batches' text (Sketcher::text_memory()): the workers normalize
 * into it and the device copies from it, with no staging copy between. `arenas` blocks of
 * `arena_bytes` are allocated when it is made (cudaMallocHost synchronizes the device: never on
 * the hot path), lent to the workers' batches and taken back when a batch's text is freed; a
 * worker past those, or a batch larger than a block, gets a block of its own once, which its
 * thread keeps (a worker's batch lives as long as the worker).
 */
class PinnedArenas final : public TextMemory {
 public:
  PinnedArenas(std::size_t arena_bytes, unsigned arenas) : arena_bytes_(arena_bytes) {
    try {
      for (unsigned i = 0; i < arenas; ++i)
        free_.push_back(static_cast<char*>(detail::pinned_alloc(arena_bytes_)));
    } catch (...) {
      release_all();
      throw;
    }
  }
  ~PinnedArenas() override { release_all(); }
  PinnedArenas(const PinnedArenas&) = delete;
  PinnedArenas& operator=(const PinnedArenas&) = delete;

  char* allocate(std::size_t& bytes) override {
    if (bytes <= arena_bytes_) {
      {
        std::lock_guard<std::mutex> lock(m_);
        if (!free_.empty()) {
          char* p = free_.back();
          free_.pop_back();
          bytes = arena_bytes_;
          return p;
        }
      }
      bytes = arena_bytes_;
    }
    return static_cast<char*>(detail::pinned_alloc(bytes));
  }
  void deallocate(char* p, std::size_t bytes) noexcept override {
    if (bytes == arena_bytes_) {
      std::lock_guard<std::mutex> lock(m_);
      try {
        free_.push_back(p);
        return;
      } catch (...) {  // no room to keep it: freed below
      }
    }
    detail::pinned_free(p, true);
  }

 private:
  void release_all() noexcept {
    for (char* p : free_)
      detail::pinned_free(p, true);
    free_.clear();
  }
  std::mutex m_;
  std::vector<char*> free_;
  std::size_t arena_bytes_;
};

/// Host -> device copy of n elements, in stream order.
template <class T>
void to_device(T* d, const T* h, std::size_t n, const Stream& s) {
  if (n == 0) return;
#if defined(DUPSCAN_ON_GPU)
  DUPSCAN_CUDA_TRY(cudaMemcpyAsync(d, h, n * sizeof(T), cudaMemcpyHostToDevice, s.get()));
#else
  (void)s;
  std::memcpy(d, h, n * sizeof(T));
#endif
}

/// Device -> host copy of n elements, in stream order (complete after s.sync()).
template <class T>
void to_host(T* h, const T* d, std::size_t n, const Stream& s) {
  if (n == 0) return;
#if defined(DUPSCAN_ON_GPU)
  DUPSCAN_CUDA_TRY(cudaMemcpyAsync(h, d, n * sizeof(T), cudaMemcpyDeviceToHost, s.get()));
#else
  (void)s;
  std::memcpy(h, d, n * sizeof(T));
#endif
}

/// Thrust's temporary storage on the device, from the stream-ordered pool: what a sort or scan
/// asks for is allocated once per size and kept for the next batch.
class TempAllocator {
 public:
  using value_type = char;
  TempAllocator(const Stream& s, MemoryBudget* budget) : s_(&s), budget_(budget) {}
  ~TempAllocator() { trim(); }
  TempAllocator(const TempAllocator&) = delete;
  TempAllocator& operator=(const TempAllocator&) = delete;

  char* allocate(std::ptrdiff_t bytes) {
    const std::size_t want = static_cast<std::size_t>(bytes);
    auto it = free_.lower_bound(want);
    char* p;
    std::size_t size;
    if (it != free_.end()) {
      p = it->second;
      size = it->first;
      free_.erase(it);
    } else {
      size = want;
      p = static_cast<char*>(detail::device_alloc(size, *s_, budget_));
    }
    used_.emplace(p, size);
    return p;
  }
  void deallocate(char* p, std::size_t) {
    auto it = used_.find(p);
    if (it == used_.end()) return;
    free_.emplace(it->second, p);
    used_.erase(it);
  }
  /// Frees the blocks kept for reuse (before a retry with a smaller batch).
  void trim() {
    for (auto& kv : free_)
      detail::device_free(kv.second, kv.first, s_, budget_);
    free_.clear();
  }

 private:
  const Stream* s_;
  MemoryBudget* budget_;
  std::multimap<std::size_t, char*> free_;
  std::map<char*, std::size_t> used_;
};

/// The Thrust execution policy of a stream: CUDA's on the GPU (no synchronization beyond what
/// the algorithm's result needs), the sequential host system otherwise.
#if defined(DUPSCAN_ON_GPU)
inline auto policy(const Stream& s, TempAllocator& alloc) {
  return thrust::cuda::par_nosync(alloc).on(s.get());
}
#else
inline auto policy(const Stream&, TempAllocator&) {
  return thrust::cpp::par;
}
#endif

/**
 * copy_if over the indices [first, first + n) whose count stays on the device: out[0, *d_count)
 * are the i with pred(i), in order. Nothing is read back (thrust::copy_if returns its end, so it
 * waits for the device; CUB's DeviceSelect writes the count to device memory instead), so later
 * work sized by a bound the host knows can be queued behind it. n < 2^31 (item_cap()); indices
 * below 2^32.
 */
template <class Pred>
void select_indices(std::uint32_t first, std::size_t n, std::uint32_t* out, std::uint32_t* d_count,
                    Pred pred, const Stream& s, TempAllocator& alloc) {
#if defined(DUPSCAN_ON_GPU)
  if (n == 0) {
    DUPSCAN_CUDA_TRY(cudaMemsetAsync(d_count, 0, sizeof *d_count, s.get()));
    return;
  }
  const thrust::counting_iterator<std::uint32_t> in(first);
  const int items = static_cast<int>(n);
  std::size_t temp_bytes = 0;
  DUPSCAN_CUDA_TRY(
      cub::DeviceSelect::If(nullptr, temp_bytes, in, out, d_count, items, pred, s.get()));
  char* temp = alloc.allocate(static_cast<std::ptrdiff_t>(temp_bytes > 0 ? temp_bytes : 1));
  const cudaError_t err =
      cub::DeviceSelect::If(temp, temp_bytes, in, out, d_count, items, pred, s.get());
  alloc.deallocate(temp, temp_bytes);
  if (err != cudaSuccess) throw_cuda_error(err, __FILE__, __LINE__, "a select (copy_if)");
#else
  (void)s;
  (void)alloc;
  std::uint32_t count = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t i = first + static_cast<std::uint32_t>(j);
    if (pred(i)) out[count++] = i;
  }
  *d_count = count;
#endif
}

/// Calls f(i) for i in [0, n): one GPU thread per item, or a loop on the host.
template <class F>
void for_each_index(std::size_t n, F f, const Stream& s, TempAllocator& alloc) {
  if (n == 0) return;
  thrust::for_each_n(policy(s, alloc), thrust::counting_iterator<std::size_t>(0), n, f);
}

}  // namespace dupscan::DUPSCAN_DEVICE_NS
