// Pass 1's per-document columns under a memory budget (--memory): where each document is
// (Locator), its id, its exact hash and its text's length -- about 60 bytes a document plus its
// id, the largest share of what a run held until its end. Whenever the band keys are spilled
// (key_spill.hpp), the same rows of these columns go to disk and are dropped from the DocTable,
// and after pass 1 the rest follows, so that the later stages hold only the flat arrays they
// compute on (flags, representatives, clusters). The exact hashes go as sorted runs, and the
// exact groups come from their merge (exact_groups()); the other columns are appended to files
// in document order and read back in that order for the documents a stage needs: verification
// the Locators of the candidates, the outputs the ids of the clustered documents, the
// deduplicated copy every Locator, a piece at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dedup/doc_table.hpp"
#include "dedup/exact_groups.hpp"
#include "dedup/locator_spill.hpp"

namespace dupscan {

class DocSpill {
 public:
  /// Spills to `dir` (created with the first spill; emptied first of what a killed run left,
  /// removed with its files by the destructor).
  explicit DocSpill(std::string dir);
  ~DocSpill();
  DocSpill(const DocSpill&) = delete;
  DocSpill& operator=(const DocSpill&) = delete;

  /**
   * @brief Appends rows [docs.cold_first, until) of loc, id_end, ids and text_len to the files
   * and drops them from `docs` (docs.cold_first = until).
   * @throw Error when a file cannot be written (naming it: a full disk says so).
   */
  void spill(DocTable& docs, std::size_t until);
  /// After pass 1: when anything was spilled, the rest is too (every row is then on disk).
  void finish(DocTable& docs);
  /**
   * @brief After finish(), for --against: the rows of `prefix` (its loc, id_end, ids, exact,
   * text_len and empty; cold_first 0) become documents 0..r-1, held in memory, and the spilled
   * rows are documents r on, in every read below and in exact_groups().
   */
  void prepend(DocTable prefix);
  /// Whether any row was written to disk.
  bool spilled() const { return rows_ > 0; }
  /// Rows written to disk (documents base() to base() + rows() - 1).
  std::uint64_t rows() const { return rows_; }
  /// The documents held before the spilled ones (prepend()); 0 otherwise.
  std::uint32_t base() const { return base_; }
  /**
   * @brief After finish(), before prepend(): fn(high, low) for each spilled document's exact
   * hash (not empty), ascending, repeats included.
   */
  void exact_hashes(const std::function<void(std::uint64_t, std::uint64_t)>& fn);
  std::uint64_t bytes_written() const;

  /// Every spilled document's Locator in order (then none: finish() spills them all), numbered
  /// from base() on; not the held ones prepend() put before them.
  std::unique_ptr<DocCursor> locators() const { return loc_.read(base_); }
  /// The Locators of documents `docs` (ascending, spilled or held), in that order.
  std::vector<Locator> locators_of(const std::vector<std::uint32_t>& docs) const;
  /// Document d's Locator (spilled or held): one read, for messages.
  Locator locator(std::uint32_t d) const;
  /// Every document's text length, in order: the held ones, then the spilled ones.
  std::vector<std::uint64_t> text_lengths() const;
  /// fn(d, id) for each document d in order, the held ones first; id is empty when it had none.
  void for_each_id(const std::function<void(std::uint32_t, std::string_view)>& fn) const;
  /**
   * @brief The rows of documents `docs` (ascending, spilled or held) as a DocTable of their
   * Locators and ids (row i: docs[i]), for DocTable::append_id.
   */
  DocTable ids_of(const std::vector<std::uint32_t>& docs) const;
  /**
   * @brief After finish(): stages::group_exact_copies of `docs` from the merge of the exact
   * hashes' runs -- the same representatives, LSH documents and count, and the same signatures
   * copied when docs.sigs or docs.sigs64 holds them (K = k values each); keys are on disk.
   */
  stages::ExactGroups exact_groups(DocTable& docs, std::uint32_t k);
  /**
   * @brief After exact_groups(): fn(hash, d) for the first document d of each group of spilled
   * documents with the same exact hash (those that are not empty), in order of hash -- the
   * documents with exact_groups().rep[d] == d, for a distributed run's exchange of hashes.
   * Not after prepend() (which only --against calls, and a distributed run has none): it reads
   * the spilled runs alone, numbered from 0.
   */
  void for_each_group_first(
      const std::function<void(const XXH128_hash_t&, std::uint32_t)>& fn) const;

 private:
  struct File {
    std::string path;
    int fd = -1;
    std::uint64_t size = 0;
    void append(const char* p, std::size_t n);
    void read(std::uint64_t at, std::size_t n, char* out) const;
  };
  template <class T>
  void read_rows(const File& f, std::uint64_t first, std::size_t n, std::vector<T>& out) const;

  std::string dir_;
  LocatorSpill loc_;  // its file, locators, is in dir_ too
  File id_end_, ids_, text_len_;
  std::vector<std::string> exact_runs_;  // in the order written
  std::uint64_t exact_bytes_ = 0;
  std::size_t fan_in_;
  std::uint64_t rows_ = 0;
  // prepend()'s rows, documents 0..base_-1, and their exact hashes' entries, sorted.
  DocTable prefix_;
  std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, std::uint32_t>> prefix_exact_;
  std::uint32_t base_ = 0;
};

/**
 * @brief Every document of a run from `first` on, in order, with its Locator: read back from
 * `spill`'s file when it spilled them (its documents from its base() on; `first` must be that
 * base), else from docs.loc -- what the outputs that copy the inputs walk (reread_lines).
 */
std::unique_ptr<DocCursor> document_locators(const DocTable& docs, const DocSpill* spill,
                                             std::uint32_t first);

}  // namespace dupscan
