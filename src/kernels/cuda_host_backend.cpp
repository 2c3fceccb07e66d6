// The CUDA backend's own source (device_backend.cuh) compiled by g++ for the CPU: Thrust's
// sequential host system runs the orchestration and the sorts, and every kernel's per-item
// function runs in a loop. Slow; it exists so that CI, which has no GPU, runs the device code's
// logic and checks its bytes against the CPU backend (--backend cuda-host).
#include "device_api.hpp"
#include "device_backend.cuh"

namespace dupscan::cuda_host {

std::unique_ptr<Backend> make_device_backend(const SketchParams& params,
                                             const BackendOptions& options) {
  DeviceOptions o;
  o.gpu_memory = options.gpu_memory;
  o.batch_bytes = std::size_t{1} << 20;
  o.slots = DeviceOptions::kDefaultSlots;
  return std::make_unique<DeviceBackend>(
      params, o, "the CUDA backend's source on Thrust's host system (for testing)");
}

std::size_t device_item_cap() {
  return item_cap();
}

std::uint32_t device_tile_text_capacity() {
  return tile_text_capacity();
}

}  // namespace dupscan::cuda_host
