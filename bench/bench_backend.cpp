// Throughput of a backend's pass-1 sketch (signatures and band keys) -- the GPU figure of the GPU
// pack (gpu-pack/run.sh) -- or, with --probe, whether a backend can run here:
//
//   dupscan_bench_backend CORPUS.jsonl[.gz|.zst] [--backend cuda] [--sketch compat|fast]
//       [--scheme affine32|affine64|legacy] [--num-perm 128] [--shingle word:5] [--threads 4]
//       [--repeat 3] [--signatures] [--max-mb 0]
//   dupscan_bench_backend --probe [--backend cuda]
//
// The records' text fields are read and normalized first (not timed) and cut into batches of the
// backend's batch size; then --threads threads submit them all (as pass 1's workers do), best of
// --repeat. Band keys and shingle counts always come back, signatures with --signatures. Prints
// one JSON object: GB/s of the records' text and of normalized text, documents/s, and the peak
// device memory the backend held.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
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

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s CORPUS [--backend B] [--sketch compat|fast] [--scheme S] [--num-perm K] "
               "[--shingle word:N] [--threads T] [--repeat R] [--signatures] [--max-mb M]\n"
               "       %s --probe [--backend B]\n",
               argv0, argv0);
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
  bool signatures = false, probe = false;
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
