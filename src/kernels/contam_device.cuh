// The contam probe (contam_probe.hpp) on the CUDA backend: the same ProbeResult as the CPU probe,
// bit for bit, with the batch's words found, hashed and probed on the device. Included at the end
// of device_backend.cuh (it uses the backend's slots, staging and unit finder).
//
// One batch on the device:
//   text + offsets -> words (DeviceBackend::find_units_async) -> unit hashes -> per word: seed
//   filter, then each n-gram length's hash looked up in the sorted table of benchmark hashes
//   (count, scan, write) -> candidates;
//   per document: its word 5-gram values (filter bit each, scanned) -> per (document, class): its
//   windows (scan) -> per window: the filter's verdict (select, the count on the device) -> per
//   passing window: its OPH bins, densified signature and band keys.
// Nothing is read back in the middle of a batch: every grid and buffer is sized by bounds the host
// knows from the batch's offsets (bounds_of), the exact counts stay on the device and the items
// past them exit. The two counts the results need come back behind the kernels; then exactly
// that many candidates, windows and keys come back through pinned memory (finish).
#pragma once

#include <algorithm>

#include "contam_items.cuh"

namespace dupscan::DUPSCAN_DEVICE_NS {

#if defined(DUPSCAN_ON_GPU)
// ---- GPU only: a passing window per warp (listed in docs/architecture.md) -----------------------

/// The 32 threads of one warp as a team.
struct WarpTeam {
  __device__ unsigned rank() const { return threadIdx.x % 32; }
  __device__ unsigned size() const { return 32; }
  __device__ void sync() const { __syncwarp(); }
  __device__ void atomic_min(std::uint64_t* p, std::uint64_t v) const {
    atomicMin(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  }
};

/// Windows per block of the window sketch: one per warp, each with its k bins in shared memory.
constexpr unsigned kWindowWarps = 4;

/// The shared memory of a window-sketch block (kWindowWarps x k bins), up to the 48 KiB a launch
/// gets without opting in (k <= 1536); 0 above, and the one-thread items run instead.
__host__ __device__ inline std::size_t window_shared_bytes(std::uint32_t k) {
  const std::size_t bytes = std::size_t{kWindowWarps} * k * sizeof(std::uint64_t);
  return bytes <= 48 * 1024 ? bytes : 0;
}

// The grid is a bound on the passing windows (the host's); *s.count is their number, and the
// warps past it exit.
__global__ void sketch_windows_kernel(kernels::contam::SketchWindow s) {
  extern __shared__ unsigned long long window_bins[];
  const unsigned warp = threadIdx.x / 32;
  const std::size_t i = std::size_t{blockIdx.x} * kWindowWarps + warp;
  if (i >= *s.count) return;  // the whole warp (the team never waits on a block barrier)
  s.sketch(WarpTeam{}, i, reinterpret_cast<std::uint64_t*>(window_bins) + std::size_t{warp} * s.k);
}
#endif

class DeviceContamProbe final : public ContamProbe {
 public:
  DeviceContamProbe(DeviceBackend& backend, std::shared_ptr<const ProbeTables> tables)
      : b_(backend), t_(std::move(tables)) {
    if (b_.p_.shingle.kind != ShingleKind::word) {
      throw Error("internal error: the contam probe needs a backend made for word shingles");
    }
    if (!t_->windows.empty() && t_->near_lsh.bands * t_->near_lsh.rows > t_->near_k) {
      throw Error("internal error: the near-duplicate bands need more than near_k values");
    }
    b_.select_device();
    auto copy = [&](auto& d, const auto& h) {
      d = std::remove_reference_t<decltype(d)>(std::max<std::size_t>(h.size(), 1), stream_,
                                               &b_.budget_);
      to_device(d.get(), h.data(), h.size(), stream_);
    };
    try {
      copy(seed_filter_, t_->seed_filter);
      copy(lengths_, t_->lengths);
      copy(hashes_, t_->hashes);
      copy(windows_, t_->windows);
      copy(near_filter_, t_->near_filter);
      stream_.sync();
    } catch (const OutOfDeviceMemory&) {
      throw Error("the benchmarks' n-gram tables (" +
                  std::to_string(
                      8 * (t_->hashes.size() + t_->seed_filter.size() + t_->near_filter.size())) +
                  " bytes) do not fit in the device memory" +
                  (b_.budget_.cap() ? " budget (--gpu-memory)" : "") + "; use --backend cpu");
    }
    for (std::size_t i = 0; i < b_.slots_.size(); ++i) {
      slots_.push_back(std::make_unique<ProbeSlot>());
      slots_.back()->h_counts.reserve(2);  // pinned once, here (cudaMallocHost synchronizes)
    }
  }

  // The tables are freed on stream_, the probes that read them ran on the slots' streams: a
  // batch still in flight (a run that failed between submit and wait) must end first.
  ~DeviceContamProbe() override {
    for (const auto& slot : b_.slots_) {
      try {
        slot->stream.sync();
      } catch (...) {  // an error of that batch was or will be reported by its wait()
      }
    }
  }

  Ticket submit(const ProbeBatch& batch, ProbeResult& out) override {
    b_.select_device();
    const std::size_t i = b_.acquire();
    try {
      ProbeSlot& ps = *slots_[i];
      ps.out = &out;
      ps.batch = &batch;
      ps.done = false;
      try {
        enqueue(i, batch);
      } catch (const OutOfDeviceMemory&) {
        b_.recover(*b_.slots_[i]);
        ps.release_buffers();
        probe_split(i, batch, out);
        ps.done = true;
      }
    } catch (...) {
      b_.release(i);
      throw;
    }
    return i + 1;
  }

  void wait(Ticket ticket) override {
    b_.select_device();
    const std::size_t i = static_cast<std::size_t>(ticket - 1);
    try {
      ProbeSlot& ps = *slots_[i];
      if (!ps.done) {
        try {
          finish(i, *ps.batch);
        } catch (const OutOfDeviceMemory&) {  // a run again (finish()) that did not fit
          b_.recover(*b_.slots_[i]);
          ps.release_buffers();
          probe_split(i, *ps.batch, *ps.out);
        }
      }
      if (b_.fault_ == TestFault::probe) break_probe(*ps.out);
    } catch (...) {
      b_.release(i);
      throw;
    }
    b_.release(i);
  }

  std::size_t batch_bytes() const override { return b_.batch_bytes(); }
  // The backend's pinned arenas: a batch built there is copied to the device without staging.
  std::shared_ptr<TextMemory> text_memory() override { return b_.text_memory(); }

  // The most items per byte of a batch that one of its Thrust calls may count.
  std::size_t items_per_byte() const { return std::max<std::size_t>(1, t_->windows.size()); }

 private:
  // The test hook's "probe" fault (TestFault, device_backend.cuh) on one delivered batch.
  static void break_probe(ProbeResult& out) {
    if (!out.candidates.empty()) {
      out.candidates.erase(out.candidates.begin());
    } else if (!out.windows.empty()) {
      const std::size_t bands = out.window_keys.size() / out.windows.size();
      out.windows.erase(out.windows.begin());
      out.window_keys.erase(out.window_keys.begin(), out.window_keys.begin() + bands);
    }
  }

 private:
  // How many candidates and passing windows a batch's result buffers hold (Room{}: none).
  struct Room {
    std::size_t candidates, windows;
  };

  // What a batch in flight needs beside the backend slot's buffers (same index, held while the
  // slot is).
  struct ProbeSlot {
    ProbeResult* out = nullptr;
    const ProbeBatch* batch = nullptr;  // alive until wait() returns (ContamProbe's contract)
    bool done = false;
    std::size_t candidates = 0, windows = 0;
    Room room{};  // the candidates and passing windows its buffers hold
    std::uint32_t bands = 0;
    // The counts that come back behind the kernels: [0] candidates, [1] passing windows.
    PinnedBuffer<std::uint32_t> h_counts;
    PinnedBuffer<ProbeCandidate> h_cand;
    PinnedBuffer<ProbeWindow> h_win;
    PinnedBuffer<std::uint64_t> h_keys;
    DeviceBuffer<std::uint32_t> d_unit_doc, d_count, d_value_off, d_value_doc, d_hits, d_pair_off,
        d_pair_of, d_passing, d_passing_count, d_sig;
    DeviceBuffer<std::uint64_t> d_values, d_bins, d_keys;
    DeviceBuffer<ProbeCandidate> d_cand;
    DeviceBuffer<ProbeWindow> d_win;

    void release_buffers() {
      d_unit_doc.release();
      d_count.release();
      d_value_off.release();
      d_value_doc.release();
      d_hits.release();
      d_pair_off.release();
      d_pair_of.release();
      d_passing.release();
      d_passing_count.release();
      d_sig.release();
      d_values.release();
      d_bins.release();
      d_keys.release();
      d_cand.release();
      d_win.release();
    }
  };

  /// The passing windows a batch's buffers hold: one in this many of the windows bound. Measured
  /// on cuda-host: the example corpus's GSM8K and HumanEval problems against the rest of it pass
  /// 0.3 to 0.45% of the bound (270 to 450 windows of about 102000 in batches of about 0.8 MB),
  /// the canary's batch (crafted to match) 5%; at 8 a batch's window buffers take about as much
  /// as its candidates' (about a dozen bytes per word at near K = 64).
  static constexpr std::size_t kWindowRoomShare = 8;

  // Bounds on a batch's counts that the host knows from its offsets alone. A document of len
  // bytes has at most W = (len + 1) / 2 words (DeviceBackend::unit_bound), and each count below
  // grows with a document's words, so its formula over W bounds it.
  struct Bounds {
    std::size_t units = 0;       // words
    std::size_t candidates = 0;  // per length L: the words i with i + max(L, seed_len) <= W
    std::size_t values = 0;      // near shingles (probe::near_values)
    std::size_t windows = 0;     // over the length classes (probe::near_window_count)
  };

  Bounds bounds_of(const ProbeBatch& batch) const {
    Bounds b;
    const bool exact = !t_->hashes.empty() && t_->seed_len > 0;
    for (std::size_t d = 0; d < batch.size(); ++d) {
      const std::uint64_t words = (batch.docs.offsets[d + 1] - batch.docs.offsets[d] + 1) / 2;
      b.units += words;
      if (words == 0) continue;
      const auto w = static_cast<std::uint32_t>(words);  // a batch is under 4 GiB (upload)
      b.values += probe::near_values(w, t_->near_n);
      for (std::uint32_t len : t_->windows)
        b.windows += probe::near_window_count(w, len);
      for (std::uint32_t len : t_->lengths) {
        const std::uint32_t span = std::max(len, t_->seed_len);
        if (exact && w >= span) b.candidates += w - span + 1;
      }
    }
    return b;
  }

  // The host build proves a bound: its "device" count is host memory, read here at no cost (the
  // GPU build reads nothing back). A count over its bound would have written past a buffer.
  static void check_count(const std::uint32_t* d, std::size_t bound, const char* what) {
#if defined(DUPSCAN_ON_GPU)
    (void)d, (void)bound, (void)what;
#else
    if (*d > bound) {
      throw Error(std::string("cuda-host: a contam probe's device-side count passed the bound "
                              "the host sized it by (") +
                  what + " " + std::to_string(*d) + " of " + std::to_string(bound) + ")");
    }
#endif
  }

  // Queues one batch's probe on slot i's stream and returns without waiting for the device: every
  // grid and buffer is sized by bounds_of(), the exact counts stay on the device (the items past
  // them exit), and the two counts the results need (candidates, passing windows) are copied to
  // pinned memory behind the kernels; finish() reads them. The result buffers hold less than
  // their bounds (candidates(), sketch_windows()); `at_least`: room to make at least (finish(): a
  // batch that had more results than its buffers held).
  void enqueue(std::size_t i, const ProbeBatch& batch, Room at_least = Room{}) {
    DeviceBackend::Slot& s = *b_.slots_[i];
    ProbeSlot& ps = *slots_[i];
    const Stream& st = s.stream;
    MemoryBudget* budget = s.budget;
    ps.h_counts.get()[0] = ps.h_counts.get()[1] = 0;
    ps.room = Room{};
    ps.bands = t_->near_lsh.bands;
    const std::size_t n = batch.size(), bytes = batch.docs.text.size();
    if (n == 0) return;
    // Every Thrust call of a probe counts at most (bytes + 1) x the window classes items (words,
    // values and windows per class are each at most a batch's bytes).
    if ((std::max(bytes, n) + 1) * items_per_byte() > item_cap()) {
      throw OutOfDeviceMemory("probe batch over the device calls' item cap");
    }
    b_.upload(s, batch.docs);
    const Bounds bound = bounds_of(batch);
    const std::size_t units = bound.units;
    if (units == 0) return;
    // Their counts and offsets are 32-bit.
    if (std::max({units, bound.candidates, bound.values, bound.windows}) >= UINT32_MAX) {
      throw OutOfDeviceMemory("batch of 2^32 words, candidates, values or windows or more");
    }
    b_.find_units_async(s, bytes, n, units);
    b_.check_bounds(s, n, units, SIZE_MAX);
    const kernels::TextView v = b_.view(s);
    s.d_uh.reserve(units, st, budget);
    for_each_index(units, items::UnitHashes{v, s.d_count.get(), s.d_uh.get()}, st, s.alloc);
    // Each word's document (the items past the words get n: never read).
    ps.d_unit_doc.reserve(units, st, budget);
    thrust::upper_bound(policy(st, s.alloc), s.d_doc_unit.get(), s.d_doc_unit.get() + n + 1,
                        thrust::counting_iterator<std::uint32_t>(0),
                        thrust::counting_iterator<std::uint32_t>(static_cast<std::uint32_t>(units)),
                        ps.d_unit_doc.get());
    for_each_index(units, items::MinusOne{ps.d_unit_doc.get()}, st, s.alloc);
    const bool exact = !t_->hashes.empty() && t_->seed_len > 0, near = !t_->windows.empty();
    if (exact) candidates(s, ps, bound, at_least.candidates);
    if (near) near_windows(s, ps, n, bound, at_least.windows);
    // Behind every kernel: the two counts finish() reads.
    if (exact) to_host(ps.h_counts.get(), ps.d_count.get() + units, 1, st);
    if (near) to_host(ps.h_counts.get() + 1, ps.d_passing_count.get(), 1, st);
  }

  // The candidates of slot s's batch (its words and unit hashes on the device): count per word,
  // scan, write. Their buffer holds min(bound, words bound) (or `at_least`): the bound counts
  // every n-gram length at every word, a real batch has a few candidates, and a batch with more
  // than one per word bound (benchmark text matched at several lengths) runs again (finish()).
  void candidates(DeviceBackend::Slot& s, ProbeSlot& ps, const Bounds& bound,
                  std::size_t at_least) {
    const Stream& st = s.stream;
    const std::size_t units = bound.units;
    const kernels::contam::SeedTables tables{seed_filter_.get(),
                                             64 - t_->seed_bits,
                                             t_->seed_len,
                                             lengths_.get(),
                                             static_cast<std::uint32_t>(t_->lengths.size()),
                                             hashes_.get(),
                                             t_->hashes.size()};
    ps.d_count.reserve(units + 1, st, s.budget);
    for_each_index(
        units + 1,
        kernels::contam::CountCandidates{tables, s.d_uh.get(), s.d_doc_unit.get(),
                                         ps.d_unit_doc.get(), s.d_count.get(), ps.d_count.get()},
        st, s.alloc);
    thrust::exclusive_scan(policy(st, s.alloc), ps.d_count.get(), ps.d_count.get() + units + 1,
                           ps.d_count.get());
    check_count(ps.d_count.get() + units, bound.candidates, "candidates");
    ps.room.candidates = std::max(std::min(bound.candidates, units), at_least);
    ps.d_cand.reserve(std::max<std::size_t>(ps.room.candidates, 1), st, s.budget);
    for_each_index(units,
                   kernels::contam::WriteCandidates{tables, s.d_uh.get(), s.d_doc_unit.get(),
                                                    ps.d_unit_doc.get(), ps.d_count.get(),
                                                    ps.room.candidates, ps.d_cand.get()},
                   st, s.alloc);
  }

  // The near-duplicate values of slot s's batch (its words and unit hashes on the device), then
  // its windows (near_windows_pass).
  void near_windows(DeviceBackend::Slot& s, ProbeSlot& ps, std::size_t n, const Bounds& bound,
                    std::size_t at_least) {
    const Stream& st = s.stream;
    MemoryBudget* budget = s.budget;
    const std::uint32_t nn = t_->near_n;
    // Values: per document their count, scanned; per value its document, value and filter bit.
    ps.d_value_off.reserve(n + 1, st, budget);
    for_each_index(
        n + 1, kernels::contam::CountNearValues{s.d_doc_unit.get(), n, nn, ps.d_value_off.get()},
        st, s.alloc);
    thrust::exclusive_scan(policy(st, s.alloc), ps.d_value_off.get(), ps.d_value_off.get() + n + 1,
                           ps.d_value_off.get());
    check_count(ps.d_value_off.get() + n, bound.values, "near values");
    const std::size_t values = bound.values;
    ps.d_value_doc.reserve(std::max<std::size_t>(values, 1), st, budget);
    thrust::upper_bound(
        policy(st, s.alloc), ps.d_value_off.get(), ps.d_value_off.get() + n + 1,
        thrust::counting_iterator<std::uint32_t>(0),
        thrust::counting_iterator<std::uint32_t>(static_cast<std::uint32_t>(values)),
        ps.d_value_doc.get());
    for_each_index(values, items::MinusOne{ps.d_value_doc.get()}, st, s.alloc);
    ps.d_values.reserve(std::max<std::size_t>(values, 1), st, budget);
    ps.d_hits.reserve(values + 1, st, budget);
    for_each_index(values + 1,
                   kernels::contam::NearValue{
                       s.d_uh.get(), s.d_doc_unit.get(), ps.d_value_off.get(), ps.d_value_doc.get(),
                       nn, ps.d_value_off.get() + n, near_filter_.get(), 64 - t_->near_bits,
                       ps.d_values.get(), ps.d_hits.get()},
                   st, s.alloc);
    thrust::exclusive_scan(policy(st, s.alloc), ps.d_hits.get(), ps.d_hits.get() + values + 1,
                           ps.d_hits.get());
    near_windows_pass(s, ps, n, bound.windows, at_least);
  }

  // The windows of slot s's batch (its near values and their hits scanned on the device): per
  // (document, class) their count, scanned; per window its pair; those that pass the filter,
  // selected (the count stays on the device); their sketches.
  void near_windows_pass(DeviceBackend::Slot& s, ProbeSlot& ps, std::size_t n, std::size_t bound,
                         std::size_t at_least) {
    const Stream& st = s.stream;
    MemoryBudget* budget = s.budget;
    const auto classes = static_cast<std::uint32_t>(t_->windows.size());
    const std::size_t pairs = n * classes;
    ps.d_pair_off.reserve(pairs + 1, st, budget);
    for_each_index(pairs + 1,
                   kernels::contam::CountWindows{s.d_doc_unit.get(), windows_.get(), classes, pairs,
                                                 ps.d_pair_off.get()},
                   st, s.alloc);
    thrust::exclusive_scan(policy(st, s.alloc), ps.d_pair_off.get(),
                           ps.d_pair_off.get() + pairs + 1, ps.d_pair_off.get());
    check_count(ps.d_pair_off.get() + pairs, bound, "windows");
    ps.d_pair_of.reserve(std::max<std::size_t>(bound, 1), st, budget);
    thrust::upper_bound(policy(st, s.alloc), ps.d_pair_off.get(), ps.d_pair_off.get() + pairs + 1,
                        thrust::counting_iterator<std::uint32_t>(0),
                        thrust::counting_iterator<std::uint32_t>(static_cast<std::uint32_t>(bound)),
                        ps.d_pair_of.get());
    for_each_index(bound, items::MinusOne{ps.d_pair_of.get()}, st, s.alloc);
    // The windows that pass the filter, in order; their number stays on the device.
    ps.d_passing.reserve(std::max<std::size_t>(bound, 1), st, budget);
    ps.d_passing_count.reserve(1, st, budget);
    select_indices(0, bound, ps.d_passing.get(), ps.d_passing_count.get(),
                   kernels::contam::WindowPasses{ps.d_pair_off.get(), ps.d_pair_of.get(),
                                                 s.d_doc_unit.get(), windows_.get(), classes,
                                                 t_->near_n, ps.d_value_off.get(), ps.d_hits.get(),
                                                 t_->near_threshold, ps.d_pair_off.get() + pairs},
                   st, s.alloc);
    // Room for one window in kWindowRoomShare of the bound, and at least one per (document,
    // class), or `at_least`: the bound counts every window, a batch passes a few, and one that
    // passes more runs again (finish()).
    ps.room.windows =
        std::max(std::min(bound, std::max(pairs, bound / kWindowRoomShare)), at_least);
    sketch_windows(s, ps, ps.room.windows);
  }

  // The OPH signature and band keys of the passing windows of slot s's batch, over `room` windows
  // (the items past the device-side count exit; a count over `room` runs again, finish()).
  void sketch_windows(DeviceBackend::Slot& s, ProbeSlot& ps, std::size_t room) {
    const Stream& st = s.stream;
    MemoryBudget* budget = s.budget;
    const std::uint32_t k = t_->near_k, bands = t_->near_lsh.bands, rows = t_->near_lsh.rows;
    const auto classes = static_cast<std::uint32_t>(t_->windows.size());
    ps.d_win.reserve(std::max<std::size_t>(room, 1), st, budget);
    ps.d_sig.reserve(std::max<std::size_t>(room * k, 1), st, budget);
    ps.d_keys.reserve(std::max<std::size_t>(room * bands, 1), st, budget);
    kernels::contam::SketchWindow sketch{ps.d_passing.get(),
                                         ps.d_passing_count.get(),
                                         ps.d_pair_off.get(),
                                         ps.d_pair_of.get(),
                                         s.d_doc_unit.get(),
                                         windows_.get(),
                                         classes,
                                         t_->near_n,
                                         ps.d_value_off.get(),
                                         ps.d_values.get(),
                                         k,
                                         nullptr,
                                         ps.d_sig.get(),
                                         ps.d_win.get()};
#if defined(DUPSCAN_ON_GPU)
    if (const std::size_t shared = window_shared_bytes(k)) {
      const std::size_t blocks = (room + kWindowWarps - 1) / kWindowWarps;
      if (blocks) {
        sketch_windows_kernel<<<static_cast<unsigned>(blocks), kWindowWarps * 32, shared,
                                st.get()>>>(sketch);
        DUPSCAN_CUDA_CHECK_LAUNCH("sketch_windows_kernel");
      }
    } else
#endif
    {
      ps.d_bins.reserve(std::max<std::size_t>(room * k, 1), st, budget);
      sketch.bins = ps.d_bins.get();
      for_each_index(room, sketch, st, s.alloc);
    }
    for_each_index(room * bands,
                   kernels::contam::WindowBandKey{ps.d_sig.get(), ps.d_passing_count.get(), k,
                                                  bands, rows, ps.d_keys.get()},
                   st, s.alloc);
  }

  // Slot i's batch once its kernels are queued: waits for the device, reads the counts that came
  // back behind the kernels, then copies exactly that many results and waits for the copies. (The
  // result buffers are several times a batch's results -- a candidate per word, a window per
  // document and class -- so they are not copied whole.) A batch with more results than its
  // buffers held runs again (enqueue), its buffers sized by the counts it now knows.
  void finish(std::size_t i, const ProbeBatch& batch) {
    ProbeSlot& ps = *slots_[i];
    const Stream& st = b_.slots_[i]->stream;
    st.sync("a batch's contam probe");
    if (!fits(ps)) {
      enqueue(i, batch, Room{ps.h_counts.get()[0], ps.h_counts.get()[1]});
      st.sync("a contam probe batch with more results than room, again");
      if (!fits(ps)) {
        throw Error("internal error: a contam probe batch's counts changed on a second run");
      }
    }
    ps.candidates = ps.h_counts.get()[0];
    ps.windows = ps.h_counts.get()[1];
    ps.h_cand.reserve(ps.candidates);
    ps.h_win.reserve(ps.windows);
    ps.h_keys.reserve(ps.windows * ps.bands);
    to_host(ps.h_cand.get(), ps.d_cand.get(), ps.candidates, st);
    to_host(ps.h_win.get(), ps.d_win.get(), ps.windows, st);
    to_host(ps.h_keys.get(), ps.d_keys.get(), ps.windows * ps.bands, st);
    st.sync("a contam probe batch's results");
    deliver(ps);
  }

  // Whether slot ps's batch had room for its results (counts back in pinned memory).
  static bool fits(const ProbeSlot& ps) {
    return ps.h_counts.get()[0] <= ps.room.candidates && ps.h_counts.get()[1] <= ps.room.windows;
  }

  // Copies a finished batch from pinned memory to the caller's vectors.
  static void deliver(ProbeSlot& ps) {
    ProbeResult& out = *ps.out;
    out.candidates.assign(ps.h_cand.get(), ps.h_cand.get() + ps.candidates);
    out.windows.assign(ps.h_win.get(), ps.h_win.get() + ps.windows);
    out.window_keys.assign(ps.h_keys.get(), ps.h_keys.get() + ps.windows * ps.bands);
  }

  // Documents [from, to) of a batch as a batch of their own.
  static ProbeBatch slice(const ProbeBatch& b, std::size_t from, std::size_t to) {
    ProbeBatch part;
    const std::uint64_t base = b.docs.offsets[from];
    for (std::size_t d = from; d < to; ++d) {
      part.docs.add(b.docs.doc(d));
      for (std::uint64_t w = b.doc_word[d]; w < b.doc_word[d + 1]; ++w)
        part.word_start.push_back(static_cast<std::uint32_t>(b.word_start[w] - base));
      part.doc_word.push_back(part.word_start.size());
    }
    return part;
  }

  // The batch did not fit: halves, each on its own (recursively), appended in order.
  void probe_split(std::size_t i, const ProbeBatch& batch, ProbeResult& out) {
    const std::size_t n = batch.size();
    if (n <= 1) b_.throw_does_not_fit(batch.docs.text.size(), items_per_byte());
    ProbeResult whole;
    for (std::size_t part = 0; part < 2; ++part) {
      const std::size_t from = part == 0 ? 0 : n / 2, to = part == 0 ? n / 2 : n;
      const ProbeBatch half = slice(batch, from, to);
      ProbeResult got;
      slots_[i]->out = &got;
      try {
        enqueue(i, half);
        finish(i, half);
      } catch (const OutOfDeviceMemory&) {
        b_.recover(*b_.slots_[i]);
        slots_[i]->release_buffers();
        probe_split(i, half, got);
      }
      for (ProbeCandidate c : got.candidates) {
        c.doc += static_cast<std::uint32_t>(from);
        whole.candidates.push_back(c);
      }
      for (ProbeWindow w : got.windows) {
        w.doc += static_cast<std::uint32_t>(from);
        whole.windows.push_back(w);
      }
      whole.window_keys.insert(whole.window_keys.end(), got.window_keys.begin(),
                               got.window_keys.end());
    }
    slots_[i]->out = &out;
    out = std::move(whole);
  }

  DeviceBackend& b_;
  std::shared_ptr<const ProbeTables> t_;
  Stream stream_;  // of the tables
  DeviceBuffer<std::uint64_t> seed_filter_, hashes_, near_filter_;
  DeviceBuffer<std::uint32_t> lengths_, windows_;
  std::vector<std::unique_ptr<ProbeSlot>> slots_;
};

inline std::unique_ptr<ContamProbe> DeviceBackend::contam_probe(
    std::shared_ptr<const ProbeTables> tables) {
  return std::make_unique<DeviceContamProbe>(*this, std::move(tables));
}

}  // namespace dupscan::DUPSCAN_DEVICE_NS
