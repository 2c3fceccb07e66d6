// Stage: exact groups (dedup.hpp step 2) over flat arrays. The one-process engine calls it; the
// CUDA backend has a device twin (src/kernels/lsh_device.cuh) with the same contract.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>

namespace dupscan::stages {

/**
 * @brief rep[d] = the smallest document whose exact hash (XXH3-128 of the normalized text) equals
 * document d's -- d itself for the first of its group. An empty document (empty[d] != 0) is never
 * grouped: rep[d] = d.
 */
void exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty, std::size_t n,
                           std::uint32_t* rep);

}  // namespace dupscan::stages
