// Stage: verification (dedup.hpp step 4). Candidate documents are read again, their verification
// sets (spec.hpp step 7) computed by the backend, and each candidate pair's exact Jaccard taken.
// fetch_sets is the part every runner shares (the distributed engine ships the sets between
// ranks); jaccard_of_pairs is the one-process way of streaming them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dedup/doc_spill.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/normalize.hpp"
#include "io/documents.hpp"
#include "io/read_spec.hpp"
#include "io/refetch.hpp"

namespace dupscan {

/// Called per batch of documents read again: their numbers (ascending) and their sets, in order.
using SetsConsumer = std::function<void(const std::vector<std::uint32_t>& docs, const FlatSets&)>;

/**
 * @brief Reads documents `docs` (ascending numbers into `loc`) again from `inputs` (by
 * Locator::input), parses them as `read` says and normalizes them as `normalization` says on
 * `threads` threads (as pass 1 did: dedup_read_spec and the run's NormalizeOptions), and has the
 * backend compute
 * their verification sets; calls `consume` once per batch of about kRefetchBytes of records.
 * @throw Error naming the input when a record no longer parses: the file changed.
 */
void fetch_sets(const DocumentInputs& inputs, const std::vector<Locator>& loc,
                const std::vector<std::uint32_t>& docs, const ReadSpec& read,
                const NormalizeOptions& normalization, Sketcher& backend, unsigned threads,
                const SetsConsumer& consume);

/**
 * @brief fetch_sets of documents `docs` (ascending) whose Locators are `spill`'s when it spilled
 * them (doc_spill.hpp: those of `docs` are read back, once, in order), else `loc`; `consume`
 * sees document numbers either way.
 */
void fetch_sets(const DocumentInputs& inputs, const std::vector<Locator>& loc,
                const DocSpill* spill, const std::vector<std::uint32_t>& docs, const ReadSpec& read,
                const NormalizeOptions& normalization, Sketcher& backend, unsigned threads,
                const SetsConsumer& consume);

/**
 * @brief The exact Jaccard of each pair (u << 32 | v, u < v; any order) with the sets that
 * `fetch(docs, consume)` delivers (fetch_sets with the run's inputs). Documents are visited in
 * input order; u's set is kept from its visit until its last partner v has been visited, so
 * memory holds the sets of pending anchors, not the corpus. progress(done, total) after each batch.
 */
std::vector<double> jaccard_of_pairs(
    const std::vector<std::uint64_t>& pairs, unsigned threads,
    const std::function<void(const std::vector<std::uint32_t>&, const SetsConsumer&)>& fetch,
    const std::function<void(std::uint64_t, std::uint64_t)>& progress);

}  // namespace dupscan
