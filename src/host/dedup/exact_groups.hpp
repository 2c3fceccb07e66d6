// Stage: exact groups (dedup.hpp step 2). exact_representatives is the contract over flat arrays
// (the CUDA backend has a device twin with it, src/kernels/stages_device.cuh); group_exact_copies
// applies it to a pass's DocTable, as the one-process engine, index build and each rank of a
// distributed run do.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dedup/doc_table.hpp"
#include "dupscan/backend.hpp"

namespace dupscan::stages {

/**
 * @brief rep[d] = the smallest document whose exact hash (XXH3-128 of the normalized text) equals
 * document d's -- d itself for the first of its group. An empty document (empty[d] != 0) is never
 * grouped: rep[d] = d.
 */
void exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty, std::size_t n,
                           std::uint32_t* rep);

/// What group_exact_copies leaves.
struct ExactGroups {
  std::vector<std::uint32_t> rep;       ///< exact_representatives of every document
  std::vector<std::uint32_t> lsh_docs;  ///< non-empty representatives, ascending: LSH's documents
  std::uint64_t keys_from_copy = 0;     ///< representatives not sketched themselves
};

/// Document `from`'s signature (K = k values) to document `to`, when docs.sigs or docs.sigs64
/// holds signatures (--no-verify); nothing otherwise.
void copy_signature(DocTable& docs, std::uint32_t from, std::uint32_t to, std::uint32_t k);

/**
 * @brief The exact groups of `docs` (representatives by the backend). A representative that was
 * not sketched (pass 1 skips texts it sketched already) gets the band keys -- and, when
 * docs.sigs or docs.sigs64 holds signatures of K values, the signature -- of its group's earliest
 * sketched member, which are the same bits.
 */
ExactGroups group_exact_copies(DocTable& docs, DedupStages& backend, std::uint32_t bands,
                               std::uint32_t k);

}  // namespace dupscan::stages
