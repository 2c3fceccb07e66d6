// The backends behind one factory, and the stages every backend inherits from the CPU.
#include "dupscan/backend.hpp"

#include <atomic>
#include <cstdlib>

#include "dedup/exact_groups.hpp"
#include "dedup/lsh_pairs.hpp"
#include "dupscan/contam_probe.hpp"
#include "dupscan/errors.hpp"
#if defined(DUPSCAN_HAVE_CUDA) || defined(DUPSCAN_HAVE_CUDA_HOST)
#include "device_api.hpp"
#endif

namespace dupscan {

void Backend::exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty,
                                    std::size_t n, std::uint32_t* rep) {
  stages::exact_representatives(hashes, empty, n, rep);
}

std::vector<std::uint64_t> Backend::candidate_pairs(const std::uint64_t* keys, std::uint32_t bands,
                                                    const std::vector<std::uint32_t>& docs,
                                                    std::uint32_t first_new, unsigned threads) {
  return stages::lsh_candidate_pairs(keys, bands, docs, first_new, threads);
}

std::unique_ptr<ContamProbe> Backend::contam_probe(std::shared_ptr<const ProbeTables> tables) {
  return make_cpu_contam_probe(std::move(tables));
}

bool have_cuda_backend() {
#if defined(DUPSCAN_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

bool have_cuda_host_backend() {
#if defined(DUPSCAN_HAVE_CUDA_HOST)
  return true;
#else
  return false;
#endif
}

namespace {

#if defined(DUPSCAN_HAVE_CUDA)
// The process's rank among those on its node, as MPI launchers and Slurm tell it; -1 if none.
int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return -1;
}
#endif

}  // namespace

BackendChoice make_backend(const std::string& name, const SketchParams& params,
                           const BackendOptions& options) {
  BackendChoice c;
  if (name == "cpu") {
    c.backend = make_cpu_backend(params);
    c.note = "backend: cpu, " + c.backend->detail();
    return c;
  }
  if (name != "auto" && name != "cuda" && name != "cuda-host") {
    throw UsageError("--backend must be auto, cpu, cuda or cuda-host, not '" + name + "'");
  }
  if (name == "cuda-host") {
#if defined(DUPSCAN_HAVE_CUDA_HOST)
    c.backend = cuda_host::make_device_backend(params, options);
    c.note = "backend: cuda-host (" + c.backend->detail() + "; slow)";
    return c;
#else
    throw UsageError(
        "--backend cuda-host: this build of dupscan has no cuda-host backend (CMake found no CUDA "
        "toolkit); use --backend cpu");
#endif
  }
#if defined(DUPSCAN_HAVE_CUDA)
  // No device or no driver means zero GPUs: auto falls back to the CPU, saying so; any other
  // CUDA error is real and propagates.
  std::string why;
  if (cuda::usable_device_count(&why) == 0 && name == "auto") {
    c.backend = make_cpu_backend(params);
    c.note = "backend: cpu, " + c.backend->detail();
    // Said once per process (a library user runs many), and short: "no usable NVIDIA GPU (no
    // driver / no device)" becomes "no usable GPU (no driver / no device)".
    static std::atomic<bool> told{false};
    if (!told.exchange(true)) {
      const std::string prefix = "no usable NVIDIA GPU ";
      if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
      c.note += "; no usable GPU" + (why.empty() || why[0] == '(' ? " " + why : ": " + why);
    }
    return c;
  }
  c.backend = cuda::make_device_backend(params, options, local_rank());
  c.note = "backend: cuda (" + c.backend->detail() + ")";
  return c;
#else
  if (name != "auto") {
    throw UsageError("--backend " + name +
                     ": this build of dupscan has no CUDA backend (CMake found no nvcc); use "
                     "--backend cpu");
  }
  c.backend = make_cpu_backend(params);
  c.note = "backend: cpu, " + c.backend->detail() + "; this build has no CUDA backend";
  return c;
#endif
}

}  // namespace dupscan
