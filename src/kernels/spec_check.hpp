// Device-side evaluation of the spec header (spec.hpp), for the golden tests that prove the device
// port of the hash maths equals the host's. Host-callable; no CUDA types leak out of this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dupscan::cuda {

/**
 * @brief Number of usable CUDA devices. No device and a driver too old for this runtime count as
 * zero (FAISS's rule) and set *why: "no usable NVIDIA GPU (no driver / no device)" when there is
 * no driver or no device node, else the runtime's message with both CUDA versions. Any other CUDA
 * error throws dupscan::Error with file:line.
 */
int usable_devices(std::string* why = nullptr);

/// XXH64(bytes[offsets[i], offsets[i+1]), seeds[i]) for every i, computed in a kernel.
std::vector<std::uint64_t> xxh64_on_device(const std::string& bytes,
                                           const std::vector<std::uint64_t>& offsets,
                                           const std::vector<std::uint64_t>& seeds);

/// spec::sha1_prefix64(bytes[offsets[i], offsets[i+1])) for every i (datasketch's sha1_hash64;
/// `--shingle-hash sha1`), computed in a kernel.
std::vector<std::uint64_t> sha1_on_device(const std::string& bytes,
                                          const std::vector<std::uint64_t>& offsets);

/// spec::permute(a[i], b[i], hv) folded over `hashes` (a MinHash signature), in a kernel.
std::vector<std::uint32_t> minhash_on_device(const std::vector<std::uint32_t>& hashes,
                                             const std::vector<std::uint64_t>& a,
                                             const std::vector<std::uint64_t>& b);

/// spec::band_key of each band of `sig`, in a kernel.
std::vector<std::uint64_t> band_keys_on_device(const std::vector<std::uint32_t>& sig,
                                               std::uint32_t bands, std::uint32_t rows);

}  // namespace dupscan::cuda
