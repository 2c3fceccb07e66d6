// The CUDA backend as the rest of dupscan sees it: factories, no CUDA types, for both builds (the
// GPU's with nvcc, DUPSCAN_HAVE_CUDA; cuda-host's with g++); src/host/sketch/backend.cpp's
// make_backend calls these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dupscan/backend.hpp"

namespace dupscan {

namespace cuda {
/// Usable CUDA devices; no device and no (or too old a) driver count as 0, with *why set.
/// @throw Error for any other CUDA error.
int usable_device_count(std::string* why);

/**
 * @brief The CUDA backend on GPU number `local_rank` modulo the usable GPUs (options.device when
 * >= 0). @throw Error saying why when no GPU is usable.
 */
std::unique_ptr<Backend> make_device_backend(const SketchParams& params,
                                             const BackendOptions& options, int local_rank);
}  // namespace cuda

namespace cuda_host {
/// The same backend's source compiled for the CPU (Thrust's host system): the testing backend.
std::unique_ptr<Backend> make_device_backend(const SketchParams& params,
                                             const BackendOptions& options);
/// The most items one of its Thrust calls takes (platform.cuh item_cap: the default, or the
/// test hook DUPSCAN_TEST_DEVICE_ITEM_CAP).
std::size_t device_item_cap();
/// The bytes of a tile's text its MinHash chunks copy before hashing (device_backend.cuh
/// tile_text_capacity: 4 KiB, or less under the test hook DUPSCAN_TEST_TILE_TEXT_BYTES).
std::uint32_t device_tile_text_capacity();
}  // namespace cuda_host

}  // namespace dupscan
