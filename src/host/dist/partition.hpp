// How a distributed run splits its input files over the ranks, and what it says of their
// memory.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "io/io.hpp"

namespace dupscan {

/**
 * @brief Whole files, contiguous, about the same bytes per rank: file i goes to the rank in whose
 * share (total / ranks, rounded up) its first byte falls. Rank r reads files [first[r],
 * first[r + 1]) of the returned ranks + 1 numbers (a rank may get none).
 * @throw Error when a file cannot be stat()ed.
 */
inline std::vector<std::uint32_t> partition_files(const std::vector<std::string>& inputs,
                                                  int ranks) {
  const std::size_t n = inputs.size();
  std::vector<std::uint64_t> size(n);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    struct stat st {};
    if (::stat(inputs[i].c_str(), &st) != 0) io::throw_errno("open input", inputs[i]);
    size[i] = static_cast<std::uint64_t>(st.st_size);
    total += size[i];
  }
  const std::uint64_t share = std::max<std::uint64_t>(1, (total + ranks - 1) / ranks);
  std::vector<int> owner(n, 0);
  std::uint64_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    owner[i] = static_cast<int>(std::min<std::uint64_t>(start / share, ranks - 1));
    start += size[i];
  }
  std::vector<std::uint32_t> first(ranks + 1, static_cast<std::uint32_t>(n));
  for (int r = ranks - 1; r >= 0; --r) {
    first[r] = first[r + 1];
    while (first[r] > 0 && owner[first[r] - 1] >= r)
      --first[r];
  }
  return first;
}

/// report.json's memory.note of a run of several ranks (`budget`: under --memory).
inline std::string per_rank_memory_note(bool budget) {
  return budget ? "per rank: the budget is each rank's, the peak resident set the largest "
                  "rank's; spilled bytes and runs are the ranks' together"
                : "the peak resident set is the largest rank's";
}

}  // namespace dupscan
