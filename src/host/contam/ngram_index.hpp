// The benchmarks' n-gram index (contam.hpp "N-grams"): every n-gram of every judged example,
// grouped by hash. The probe (contam_probe.hpp) proposes (training words, group) candidates from
// its tables; confirm() keeps those whose words equal an entry's.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "contam/benchmarks.hpp"
#include "dupscan/contam_probe.hpp"

namespace dupscan::contam {

/// One n-gram of an example: words [pos, pos + length(example)).
struct NgramEntry {
  std::uint32_t example;
  std::uint32_t pos;
};

/// A confirmed match in one training document.
struct Hit {
  std::uint32_t entry;               ///< NgramIndex::entry
  std::uint32_t group;               ///< its hash's group
  std::uint32_t word;                ///< first matched word of the training document
  std::uint32_t raw_begin, raw_end;  ///< the matched words' bytes in the training text
};

class NgramIndex {
 public:
  /**
   * @brief Indexes every judged example: its n-grams of min(words, n) words (one, the whole
   * example, when it is shorter than n), with the seed filter over their first m words.
   * @throw Error when the benchmarks hold 2^32 - 1 n-grams or more.
   */
  void build(const std::vector<EvalExample>& examples, std::uint32_t n, std::uint32_t m);

  /// Moves the probe's exact-match tables (seed filter, lengths, hashes) into `t`: the index
  /// keeps only what confirm() needs.
  void fill_tables(ProbeTables& t);

  /**
   * @brief The candidates of document d of `batch` whose words equal an entry's, in candidate
   * order (entries of a group in their order), appended to `hits`; `raw_begin` / `raw_end` are the
   * batch's words' input ranges. Candidates of equal hash and other words count in `rejected`.
   */
  void confirm(const ProbeBatch& batch, const std::uint32_t* raw_begin,
               const std::uint32_t* raw_end, const std::vector<EvalExample>& examples,
               const ProbeCandidate* candidates, std::size_t count, std::vector<Hit>& hits,
               std::uint64_t& rejected) const;

  const NgramEntry& entry(std::size_t i) const { return entries_[i]; }
  /// Words of an example's n-grams: min(words, n), 0 when not judged.
  std::uint32_t length(std::uint32_t example) const { return len_[example]; }
  /// The entries of group g: [group_begin(g), group_begin(g + 1)).
  std::uint32_t group_begin(std::size_t g) const { return group_begin_[g]; }
  /// Distinct n-gram hashes.
  std::size_t groups() const { return group_begin_.empty() ? 0 : group_begin_.size() - 1; }

 private:
  std::uint32_t m_ = 0;
  std::vector<NgramEntry> entries_;         // ascending (hash, example, pos)
  std::vector<std::uint32_t> group_begin_;  // groups() + 1: group g's entries
  std::vector<std::uint64_t> hashes_;       // ascending: group g's hash (until fill_tables)
  std::vector<std::uint32_t> len_;          // per example
  std::vector<std::uint32_t> lengths_;      // distinct lengths, ascending
  unsigned bits_ = 16;
  std::vector<std::uint64_t> filter_;
};

}  // namespace dupscan::contam
