// Pass 1's band keys under a memory budget (--memory): when the keys kept in DocTable::keys
// outgrow their share of the budget, each band's entries (key, document) of the rows held are
// sorted and written to disk as a run, and the rows are dropped from memory. The LSH stage then
// merges each band's runs (a k-way merge, in cascades of at most kMaxFanIn runs) and pairs the
// members of each bucket as stages::lsh_candidate_pairs does from memory: the same pairs, bit for
// bit (tested against it), with memory bounded by the runs' read buffers instead of 16 bytes per
// document per band being sorted, and no 8 bytes per band per document kept until the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dedup/doc_table.hpp"

namespace dupscan {

class KeySpill {
 public:
  /// Runs merged at once; more are merged in cascades (so that open files stay few). Tests
  /// force the cascades on a few runs with DUPSCAN_TEST_SPILL_FAN_IN (at least 2).
  static constexpr std::size_t kMaxFanIn = 64;

  /**
   * @brief Spills to `dir` (created now, removed with its files by the destructor; a directory
   * left there by a killed run is emptied first) once more than `window_bytes` of keys are held.
   */
  KeySpill(std::string dir, std::uint32_t bands, std::size_t window_bytes);
  ~KeySpill();
  KeySpill(const KeySpill&) = delete;
  KeySpill& operator=(const KeySpill&) = delete;

  /// Whether the keys held in `docs` -- and the rows of its other columns held, when those are
  /// spilled with them (`with_rows`: doc_spill.hpp) -- are over the window.
  bool over(const DocTable& docs, bool with_rows = false) const;
  /**
   * @brief Writes the keys of rows [docs.keys_first, until) -- the documents sketched and not
   * empty -- as one run per band and drops those rows from docs.keys (docs.keys_first = until).
   * @throw Error when a run cannot be written (naming the file: a full disk says so).
   */
  void spill(DocTable& docs, std::size_t until);
  /// After pass 1: when anything was spilled, the rest is too (every key is then on disk).
  void finish(DocTable& docs);
  /// Whether any key was written to disk (the LSH stage then reads them from there).
  bool spilled() const { return runs_ > 0; }
  /**
   * @brief After finish(), for --against: the rows of `prefix` (keys, empty and sketched of
   * indexed documents) become documents 0..r-1, their keys written as one more run per band, and
   * the spilled documents are numbered from r on. candidate_pairs() then drops the pairs of two
   * of them, as stages::lsh_candidate_pairs does below its first_new.
   */
  void prepend(const DocTable& prefix);

  /**
   * @brief The candidate pairs of the run, as stages::lsh_candidate_pairs gives them for the
   * documents that are not empty and the first of their exact group (`rep[d] == d`): each
   * spilled entry of document d counts for rep[d] (every member of an exact group has the
   * group's keys). `empty` and `sketched` are pass 1's flags. Sorted, without repeats.
   */
  std::vector<std::uint64_t> candidate_pairs(const std::vector<std::uint32_t>& rep,
                                             const std::vector<std::uint8_t>& empty,
                                             const std::vector<std::uint8_t>& sketched,
                                             unsigned threads);

  /**
   * @brief Band `band`'s spilled entries to emit(key, document), in (key, document) order: its
   * runs merged (in cascades of at most the fan-in first). Each document appears as it was
   * spilled -- sketched and not empty -- so that members of an exact group come each with the
   * group's keys; the caller maps them (a distributed run's ranks send them to the key's owner).
   * Call it once per band, after finish().
   */
  void merge_band(std::uint32_t band,
                  const std::function<void(std::uint64_t key, std::uint32_t doc)>& emit);

  /// for_each_bucket's first_of: the entry is left out.
  static constexpr std::uint32_t kLeftOut = UINT32_MAX;
  /**
   * @brief Band `band`'s buckets, from merge_band's entries: for each key, fn(key, firsts) with
   * first_of(d) of its entries' documents (the first of each one's exact group, or kLeftOut),
   * ascending and once each -- every sketched member of a group has the group's keys, and a
   * member sketched more than once (past the seen-exact cap) counts once. Call it once per band.
   */
  void for_each_bucket(
      std::uint32_t band, const std::function<std::uint32_t(std::uint32_t doc)>& first_of,
      const std::function<void(std::uint64_t key, const std::vector<std::uint32_t>& firsts)>& fn);

  /// Removes what runs killed under --memory left in `root` (OUT/.dupscan-spill): its files, and
  /// its subdirectories with their files (a distributed run's per-rank spills).
  static void discard_all(const std::string& root) noexcept;

  std::uint64_t bytes_written() const { return bytes_written_; }
  std::uint64_t runs() const { return runs_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string run_path(std::uint32_t band, std::size_t run) const;
  /// Merges band `band`'s first runs into one until at most the fan-in are left.
  void cascade(std::uint32_t band);
  /// Band `band`'s entries in (key, document) order: its prepend() run's, then its runs' merged,
  /// numbered from base_ on. Call cascade(band) first.
  template <class Emit>
  void merge_entries(std::uint32_t band, Emit&& emit) const;

  std::string dir_;
  std::uint32_t bands_;
  std::size_t window_bytes_;
  std::size_t fan_in_ = kMaxFanIn;
  std::vector<std::vector<std::string>> band_runs_;  // per band, its run files in order
  std::uint64_t runs_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::size_t next_name_ = 0;
  std::vector<std::string> prefix_runs_;  // per band, prepend()'s run, or none
  std::uint32_t base_ = 0;                // documents prepend() put before the spilled ones
};

}  // namespace dupscan
