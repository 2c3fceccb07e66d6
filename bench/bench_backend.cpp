// Throughput of a backend's pass-1 sketch (signatures and band keys) -- the GPU figure of the GPU
// pack (gpu-pack/run.sh) -- or, with --probe, whether a backend can run here:
//
//   dupscan_bench_backend CORPUS.jsonl[.gz|.zst] [--backend cuda] [--sketch compat|fast]
//       [--scheme affine32|affine64|legacy] [--num-perm 128] [--shingle word:5] [--threads 4]
//       [--repeat 3] [--signatures] [--max-mb 0]
//   dupscan_bench_backend --probe [--backend cuda]
//   dupscan_bench_backend CORPUS --backend null [--threads 2] [--repeat 3] [--max-mb 0] [--staged]
//
// The records' text fields are read and normalized first (not timed) and cut into batches of the
// backend's batch size; then --threads threads submit them all (as pass 1's workers do), best of
// --repeat. Band keys and shingle counts always come back, signatures with --signatures. Prints
// one JSON object: GB/s of the records' text and of normalized text, documents/s, and the peak
// device memory the backend held.
//
// --backend null measures the other side: the host's feed. A backend that sketches nothing (band
// keys, shingle counts and signatures all zeros) takes 64 MiB batches (a large GPU's batch), and
// what is timed is what pass 1's workers do before a device gets a batch: read the file, find
// the lines, parse the JSON, normalize, hash the normalized text (XXH3-128, the exact pass) and
// batch it, straight into the memory the backend lends as pass 1 does (--staged: normalized
// apart, then copied into a batch and by the backend into its staging, as pass 1 did before the
// CUDA backend lent its pinned arenas). Each of --threads threads does all of it over the whole
// corpus (up to --max-mb) on its own (read from the page cache after the first pass; decompression
// included for .gz/.zst). It prints MB/s of JSONL per core two ways: over the wall time with every
// thread busy (what a dedicated machine gives) and per CPU-second the threads used (fair on a
// shared machine), and the cores 40 GB/s would take at the better of the two.
#include <sys/resource.h>
#include <xxhash.h>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/normalize.hpp"
#include "io/io.hpp"
#include "io/record.hpp"

using namespace dupscan;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// CPU seconds (user + system) this process has used, all threads together.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/// Ordinary memory, lent as a device lends its pinned arenas.
class PlainMemory final : public TextMemory {
 public:
  char* allocate(std::size_t& bytes) override { return static_cast<char*>(::operator new(bytes)); }
  void deallocate(char* p, std::size_t) noexcept override { ::operator delete(p); }
};

/// Sketches nothing: what the host's feed runs against when the device is infinitely fast. As the
/// CUDA backend does, it lends memory to build batches in (text_memory()) and copies a batch
/// built anywhere else into staging of its own (per thread) before its "upload".
class NullBackend final : public Backend {
 public:
  explicit NullBackend(const SketchParams& params)
      : params_(params), memory_(std::make_shared<PlainMemory>()) {}
  std::string name() const override { return "null"; }
  std::string detail() const override { return "no sketch (zeros): the host feed only"; }
  // A large GPU's batch (cuda_backend.cu: a 32nd of the usable memory, at most 64 MiB).
  std::size_t batch_bytes() const override { return std::size_t{64} << 20; }
  std::shared_ptr<TextMemory> text_memory() override { return memory_; }
  std::uint64_t staged_bytes() const override { return staged_.load(); }
  Ticket submit(const NormalizedBatch& batch, bool signatures, SketchBatch& out) override {
    if (batch.text.memory() != memory_.get()) {
      thread_local std::vector<char> staging;
      if (staging.size() < batch.text.size()) staging.resize(batch.text.size());
      std::memcpy(staging.data(), batch.text.data(), batch.text.size());
      staged_ += batch.text.size();
    }
    out.band_keys.assign(batch.size() * params_.lsh.bands, 0);
    out.shingle_counts.assign(batch.size(), 0);
    out.signatures.clear();
    out.signatures64.clear();
    if (signatures) out.signatures.assign(batch.size() * params_.num_perm(), 0);
    return 0;
  }
  void wait(Ticket) override {}
  void verification_sets(const NormalizedBatch& batch, FlatSets& out) override {
    out.values.clear();
    out.offsets.assign(batch.size() + 1, 0);
  }

 private:
  SketchParams params_;
  std::shared_ptr<TextMemory> memory_;
  std::atomic<std::uint64_t> staged_{0};
};

struct FeedCounts {
  std::uint64_t docs = 0, text_bytes = 0, norm_bytes = 0, file_bytes = 0, batches = 0;
};

/// One worker's feed: read, parse, normalize, hash and batch `path` (up to max_bytes of text),
/// each batch handed to `backend` once it holds the backend's batch size. `nb` and `out` are the
/// worker's own, kept from one repeat to the next (pass 1's workers keep theirs: their memory
/// stays mapped). As pass 1 does, the text is normalized straight into the backend's memory;
/// `staged`: as pass 1 did before, normalized apart, added to a batch in ordinary memory, and
/// staged by the backend.
FeedCounts feed(const std::string& path, std::size_t max_bytes, Backend& backend, bool signatures,
                bool staged, NormalizedBatch& nb, SketchBatch& out) {
  FeedCounts c;
  auto src = io::open_source(path);
  io::LineReader reader(*src);
  io::RawBatch raw;
  RecordParser parser("text", "");
  std::string_view text;
  std::string id, detail, norm;
  SkipReason reason{};
  nb.clear();
  nb.text.use(staged ? nullptr : backend.text_memory());
  std::uint64_t exact_mix = 0;
  auto flush = [&] {
    backend.sketch(nb, out, signatures);
    ++c.batches;
    nb.clear();
  };
  while (reader.next(raw, std::size_t{16} << 20)) {
    for (const io::LineRef& l : raw.lines) {
      const std::string_view line = raw.line(l);
      if (is_blank(line) || !parser.parse(line.data(), line.size(), text, id, reason, detail)) {
        continue;
      }
      std::string_view normalized;
      if (staged) {
        normalize(text, {}, norm);
        normalized = norm;
        nb.add(norm);
      } else {
        normalized = nb.normalize_pending(text, {});
        nb.add_pending(true);
      }
      exact_mix ^= XXH3_128bits(normalized.data(), normalized.size()).low64;
      ++c.docs;
      c.text_bytes += text.size();
      c.norm_bytes += normalized.size();
      if (nb.text.size() >= backend.batch_bytes()) flush();
    }
    if (max_bytes && c.text_bytes >= max_bytes) break;
  }
  if (nb.size() > 0) flush();
  c.file_bytes = reader.bytes();
  // Keeps the hashes from being optimized away.
  if (exact_mix == 0x5eed) std::fprintf(stderr, " ");
  return c;
}

int usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s CORPUS [--backend B] [--sketch compat|fast] [--scheme S] [--num-perm K] "
      "[--shingle word:N] [--threads T] [--repeat R] [--signatures] [--max-mb M]\n"
      "       %s CORPUS --backend null [--threads T] [--repeat R] [--max-mb M] [--staged]\n"
      "       %s --probe [--backend B]\n",
      argv0, argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(argv[0]);
  std::string path, backend_name = "cuda", sketch = "compat", scheme = "affine32",
                    shingle = "word:5";
  std::uint32_t k = 128;
  unsigned threads = 4;
  int repeat = 3;
  bool signatures = false, probe = false, staged = false;
  std::size_t max_bytes = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--backend") {
      backend_name = value();
    } else if (a == "--sketch") {
      sketch = value();
    } else if (a == "--scheme") {
      scheme = value();
    } else if (a == "--num-perm") {
      k = static_cast<std::uint32_t>(std::stoul(value()));
    } else if (a == "--shingle") {
      shingle = value();
    } else if (a == "--threads") {
      threads = static_cast<unsigned>(std::stoul(value()));
    } else if (a == "--repeat") {
      repeat = std::stoi(value());
    } else if (a == "--max-mb") {
      max_bytes = std::stoull(value()) << 20;
    } else if (a == "--signatures") {
      signatures = true;
    } else if (a == "--staged") {
      staged = true;
    } else if (a == "--probe") {
      probe = true;
    } else if (a[0] == '-') {
      return usage(argv[0]);
    } else {
      path = a;
    }
  }
  try {
    SketchParams params;
    params.kind = sketch == "fast" ? SketchKind::fast : SketchKind::compat;
    const auto s = parse_scheme(scheme);
    if (!s) throw UsageError("--scheme must be affine32, affine64 or legacy");
    params.shingle = ShingleSpec::parse(shingle);
    params.perms = make_permutations(k, 1, *s);
    params.lsh = optimal_lsh_params(0.8, k);
    if (backend_name == "null") {
      if (path.empty()) return usage(argv[0]);
      NullBackend null_backend(params);
      std::vector<FeedCounts> counts(threads);
      std::vector<NormalizedBatch> nbs(threads);
      std::vector<SketchBatch> outs(threads);
      double best = 1e300, best_cpu = 1e300;
      for (int r = 0; r < repeat; ++r) {
        std::vector<std::thread> pool;
        std::exception_ptr error;
        std::atomic<bool> failed{false};
        const double t0 = now(), c0 = cpu_seconds();
        for (unsigned t = 0; t < threads; ++t) {
          pool.emplace_back([&, t] {
            try {
              counts[t] = feed(path, max_bytes, null_backend, signatures, staged, nbs[t], outs[t]);
            } catch (...) {
              if (!failed.exchange(true)) error = std::current_exception();
            }
          });
        }
        for (auto& th : pool)
          th.join();
        if (error) std::rethrow_exception(error);
        best = std::min(best, now() - t0);
        best_cpu = std::min(best_cpu, cpu_seconds() - c0);
      }
      FeedCounts all;
      for (const FeedCounts& c : counts) {
        all.docs += c.docs;
        all.text_bytes += c.text_bytes;
        all.norm_bytes += c.norm_bytes;
        all.file_bytes += c.file_bytes;
        all.batches += c.batches;
      }
      // Per core: over the wall time with every thread busy (what a dedicated machine gives),
      // and over the CPU time the threads used (what a shared one still measures fairly).
      const double per_core = all.file_bytes / best / 1e6 / threads;
      const double per_cpu_s = all.file_bytes / best_cpu / 1e6;
      std::printf(
          "{\"backend\":\"null\",\"detail\":\"%s\",\"batches_built\":\"%s\",\"threads\":%u,"
          "\"documents\":%llu,"
          "\"jsonl_bytes\":%llu,\"text_bytes\":%llu,\"normalized_bytes\":%llu,\"batches\":%llu,"
          "\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"jsonl_mb_per_s\":%.1f,"
          "\"jsonl_mb_per_s_per_core\":%.1f,\"jsonl_mb_per_cpu_s\":%.1f,"
          "\"cores_for_40_gb_per_s\":%.0f}\n",
          null_backend.detail().c_str(), staged ? "apart, then staged" : "in the backend's memory",
          threads, static_cast<unsigned long long>(all.docs),
          static_cast<unsigned long long>(all.file_bytes),
          static_cast<unsigned long long>(all.text_bytes),
          static_cast<unsigned long long>(all.norm_bytes),
          static_cast<unsigned long long>(all.batches), best, best_cpu, all.file_bytes / best / 1e6,
          per_core, per_cpu_s, std::ceil(40e3 / std::max(per_core, per_cpu_s)));
      std::fprintf(stderr,
                   "bench_backend: host feed %.1f MB/s of JSONL per core (%u threads, %.1f MB/s "
                   "per CPU-second): %.0f cores for 40 GB/s\n",
                   per_core, threads, per_cpu_s, std::ceil(40e3 / std::max(per_core, per_cpu_s)));
      return 0;
    }
    BackendChoice choice = make_backend(backend_name, params);
    Backend& backend = *choice.backend;
    if (probe) {
      std::printf("%s\n", choice.note.c_str());
      return backend.name() == backend_name || backend_name == "auto" ? 0 : 1;
    }
    if (path.empty()) return usage(argv[0]);

    // Read and normalize (not timed), cut into the backend's batches.
    std::vector<NormalizedBatch> batches(1);
    std::uint64_t docs = 0, text_bytes = 0, norm_bytes = 0;
    {
      auto src = io::open_source(path);
      io::LineReader reader(*src);
      io::RawBatch raw;
      RecordParser parser("text", "");
      std::string_view text;
      std::string id, detail, norm;
      SkipReason reason{};
      while (reader.next(raw, std::size_t{16} << 20)) {
        for (const io::LineRef& l : raw.lines) {
          const std::string_view line = raw.line(l);
          if (is_blank(line) || !parser.parse(line.data(), line.size(), text, id, reason, detail)) {
            continue;
          }
          normalize(text, {}, norm);
          if (batches.back().text.size() + norm.size() > backend.batch_bytes() &&
              batches.back().size() > 0) {
            batches.emplace_back();
          }
          batches.back().add(norm);
          ++docs;
          text_bytes += text.size();
          norm_bytes += norm.size();
        }
        if (max_bytes && text_bytes >= max_bytes) break;
      }
    }
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      std::atomic<std::size_t> next{0};
      const double t0 = now();
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
          SketchBatch out;
          for (std::size_t b = next++; b < batches.size(); b = next++)
            backend.sketch(batches[b], out, signatures);
        });
      }
      for (auto& th : pool)
        th.join();
      best = std::min(best, now() - t0);
    }
    std::printf(
        "{\"backend\":\"%s\",\"detail\":\"%s\",\"sketch\":\"%s\",\"scheme\":\"%s\",\"num_perm\":%u,"
        "\"shingle\":\"%s\",\"signatures\":%s,\"threads\":%u,\"documents\":%llu,"
        "\"text_bytes\":%llu,\"normalized_bytes\":%llu,\"batches\":%zu,\"seconds\":%.4f,"
        "\"text_gb_per_s\":%.3f,\"normalized_gb_per_s\":%.3f,\"docs_per_s\":%.0f,"
        "\"peak_device_bytes\":%zu}\n",
        backend.name().c_str(), backend.detail().c_str(), sketch.c_str(), scheme.c_str(), k,
        shingle.c_str(), signatures ? "true" : "false", threads,
        static_cast<unsigned long long>(docs), static_cast<unsigned long long>(text_bytes),
        static_cast<unsigned long long>(norm_bytes), batches.size(), best, text_bytes / best / 1e9,
        norm_bytes / best / 1e9, docs / best, backend.peak_device_bytes());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_backend: %s\n", e.what());
    return 1;
  }
}
