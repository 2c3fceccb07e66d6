// The backends behind one factory. The stages every backend inherits from the CPU are defined
// beside those stages (dedup/exact_groups.cpp, dedup/lsh_pairs.cpp), which this layer does not see.
#include "dupscan/backend.hpp"
#include "dupscan/choices.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "dupscan/contam_probe.hpp"
#include "dupscan/errors.hpp"
#include "sketch/canary.hpp"
#if defined(DUPSCAN_HAVE_CUDA) || defined(DUPSCAN_HAVE_CUDA_HOST)
#include "device_api.hpp"
#endif

namespace dupscan {

std::unique_ptr<ContamProbe> ProbeFactory::contam_probe(std::shared_ptr<const ProbeTables> tables) {
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

// The canary check before a device backend is trusted (backend.hpp, make_backend): on a
// difference "auto" runs on the CPU and a device asked for by name is an Error.
void trust_device(BackendChoice& c, const SketchParams& params) {
  c.canary.device = c.backend->name();
  if (canary::disabled()) {
    c.canary.status = "off";
    c.note += "; canary check off (DUPSCAN_CANARY=off: results unchecked)";
    return;
  }
  try {
    c.canary = canary::check_backend(*c.backend, params);
  } catch (const Interrupted&) {
    throw;
  } catch (const DocumentTooLarge&) {
    throw;  // a budget that holds none of its documents: the run's own error, not the device's
  } catch (const std::exception& e) {
    // A device that fails outright (a CUDA or Thrust error in the check) is a failed check too:
    // auto goes on on the CPU rather than dying on the device's first batch.
    c.canary.status = "failed";
    c.canary.stage = "its device calls";
    c.canary.difference = e.what();
  }
  if (!c.canary.failed()) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", c.canary.milliseconds);
    c.note += std::string("; canary passed in ") + ms + " ms";
    return;
  }
  if (c.asked != "auto") {
    throw Error("--backend " + c.asked + ": " + c.canary.failure() +
                "; its results cannot be trusted. Use --backend cpu, and please report this "
                "with the GPU, driver and dupscan version");
  }
  c.backend = make_cpu_backend(params);
  c.note =
      "backend: cpu, " + c.backend->detail() + "; " + c.canary.failure() + ": running on the CPU";
}

#if defined(DUPSCAN_HAVE_CUDA)
// The process's rank among those on its node, as MPI launchers and Slurm tell it; -1 if none.
int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return -1;
}
#endif

#if defined(DUPSCAN_HAVE_CUDA_HOST)
// cuda-host into `c`, checked by the canary; `why` ends its note.
void use_cuda_host(const SketchParams& params, const BackendOptions& options, const char* why,
                   BackendChoice& c) {
  c.backend = cuda_host::make_device_backend(params, options);
  c.note = "backend: cuda-host (" + c.backend->detail() + "; " + why + ")";
  trust_device(c, params);
}
#endif

// The test hook DUPSCAN_TEST_AUTO_DEVICE=cuda-host: "auto" takes cuda-host as its device where
// no GPU is usable, so that what auto does with a device (the canary, its fallback) is tested
// without one. False when the hook is not set (or this build has no cuda-host).
bool auto_takes_cuda_host(const SketchParams& params, const BackendOptions& options,
                          BackendChoice& c) {
  const char* hook = std::getenv("DUPSCAN_TEST_AUTO_DEVICE");
  if (!hook || std::string(hook) != "cuda-host") return false;
#if defined(DUPSCAN_HAVE_CUDA_HOST)
  use_cuda_host(params, options, "slow; DUPSCAN_TEST_AUTO_DEVICE", c);
  return true;
#else
  (void)params;
  (void)options;
  (void)c;
  return false;
#endif
}

}  // namespace

Choices backend_choices() {
  return {"auto", "cpu", "cuda", "cuda-host"};
}

BackendChoice make_backend(const std::string& name, const SketchParams& params,
                           const BackendOptions& options) {
  expect_choice("--backend", name, backend_choices());
  BackendChoice c;
  c.asked = name;
  if (name == "cpu") {
    c.backend = make_cpu_backend(params);
    c.note = "backend: cpu, " + c.backend->detail();
    return c;
  }
  if (name == "cuda-host") {
#if defined(DUPSCAN_HAVE_CUDA_HOST)
    use_cuda_host(params, options, "slow", c);
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
    if (auto_takes_cuda_host(params, options, c)) return c;
    c.backend = make_cpu_backend(params);
    c.note = "backend: cpu, " + c.backend->detail();
    // A driver too old for this build is said every time, with what to do. No GPU at all is said
    // once per process (a library user runs many), and short: "no usable NVIDIA GPU (no driver /
    // no device)" becomes "no usable GPU (no driver / no device)".
    static std::atomic<bool> told{false};
    if (why.rfind("the NVIDIA driver is too old", 0) == 0) {
      c.note += "; " + why;
    } else if (!told.exchange(true)) {
      const std::string prefix = "no usable NVIDIA GPU ";
      if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
      c.note += "; no usable GPU" + (why.empty() || why[0] == '(' ? " " + why : ": " + why);
    }
    return c;
  }
  c.backend = cuda::make_device_backend(params, options, local_rank());
  c.note = "backend: cuda (" + c.backend->detail() + ")";
  trust_device(c, params);
  return c;
#else
  if (name != "auto") {
    throw UsageError("--backend " + name +
                     ": this build of dupscan has no CUDA backend (CMake found no nvcc); use "
                     "--backend cpu");
  }
  if (auto_takes_cuda_host(params, options, c)) return c;
  c.backend = make_cpu_backend(params);
  c.note = "backend: cpu, " + c.backend->detail() + "; this build has no CUDA backend";
  return c;
#endif
}

}  // namespace dupscan
