// The CUDA backend, compiled by nvcc for the GPU. The code is device_backend.cuh's, shared with
// the cuda-host build (cuda_host_backend.cpp).
#include <cstdio>

#include "device_api.hpp"
#include "device_backend.cuh"
#include "spec_check.hpp"

namespace dupscan::cuda {

int usable_device_count(std::string* why) {
  return usable_devices(why);
}

std::unique_ptr<Backend> make_device_backend(const SketchParams& params,
                                             const BackendOptions& options, int local_rank) {
  std::string why;
  const int count = usable_devices(&why);
  if (count == 0) {
    throw Error("--backend cuda: " + why + "; use --backend cpu");
  }
  DeviceOptions o;
  o.device = options.device >= 0 ? options.device : (local_rank >= 0 ? local_rank % count : 0);
  if (o.device >= count) {
    throw Error("GPU " + std::to_string(o.device) + " asked for, but only " +
                std::to_string(count) + " usable");
  }
  DUPSCAN_CUDA_TRY(cudaSetDevice(o.device));
  cudaDeviceProp prop{};
  DUPSCAN_CUDA_TRY(cudaGetDeviceProperties(&prop, o.device));
  std::size_t free = 0, total = 0;
  DUPSCAN_CUDA_TRY(cudaMemGetInfo(&free, &total));
  o.gpu_memory = options.gpu_memory;
  const std::size_t usable = o.gpu_memory ? std::min(o.gpu_memory, free) : free;
  // A slot holds up to about 10x its batch's text on the device (text and flags, unit starts
  // and ends at 4 bytes per text byte, each reserved with 1.5x headroom; unit hashes, chunk
  // minima, signatures): the cuda-host build, whose allocations are these, peaked at 14 MB
  // (affine32), 17 MB (affine64 with signatures) and 20 MB (fast) over two slots of 1 MiB
  // batches of the example corpus (bench_backend, 2026-11-29). Since then unit and chunk
  // buffers are sized from host-known bounds (no count read back mid-batch; for words, one in
  // two bytes): less for unit starts (they took the bytes), more for word ends, the fast
  // sketch's unit hashes and long documents' chunk minima (docs/architecture.md).
  // DeviceOptions::kDefaultSlots (4) slots in flight: a 64th of the memory per batch, at most 64
  // MiB (a host-side pool of 2 x threads + 2 batches of JSONL is held too). To be checked on the
  // first GPU (gpu-pack/run.sh prints peak device bytes); a batch that does not fit is split, never
  // fatal.
  o.batch_bytes = std::max<std::size_t>(std::size_t{1} << 20,
                                        std::min<std::size_t>(std::size_t{64} << 20, usable / 64));
  o.slots = DeviceOptions::kDefaultSlots;
  char detail[256];
  std::snprintf(detail, sizeof detail, "GPU %d: %s (sm_%d%d, %.1f GiB, %.1f GiB free)", o.device,
                prop.name, prop.major, prop.minor, total / 1073741824.0, free / 1073741824.0);
  return std::make_unique<DeviceBackend>(params, o, detail);
}

}  // namespace dupscan::cuda
