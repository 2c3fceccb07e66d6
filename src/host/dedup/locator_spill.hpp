// The training documents' Locators that --write-decontaminated reads the corpus again by, under a
// memory budget (--memory): past their share of the budget the Locators held are appended to a
// file and dropped from memory; the decontaminated copy reads them back in order, a piece at a
// time (a DocCursor), so that 24 bytes per training document are not held until the end. Without
// a budget every Locator stays in memory, reserved once per doubling as any vector -- except in
// a run that can resume, whose Locators go to a file of its work directory at the end of each
// training input, before the input's part is saved (the part records only how many it has).
// dedup's per-document table on disk (doc_spill.hpp) keeps its Locators in one too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dedup/resume.hpp"
#include "io/refetch.hpp"

namespace dupscan {

class LocatorSpill {
 public:
  /// Every Locator held in memory (no budget).
  LocatorSpill() = default;
  /**
   * @brief Spills to a file in `dir` (created with the first spill; the directory, emptied first
   * of what a killed run left, is removed with its file by the destructor) once more than
   * `window_bytes` of Locators are held.
   */
  LocatorSpill(std::string dir, std::size_t window_bytes);
  /**
   * @brief Spills to the file `name` of the work directory `work` (WorkDir::own_file: it stays
   * there, removed with the directory), and writes every Locator held at each flush(), so that a
   * part saved after it finds its input's Locators in the file. The file's first `kept` Locators
   * are an earlier run's (the parts loaded): they count as spilled, and what follows them (an
   * input that run did not finish) is cut off. @throw Error when the file holds fewer.
   */
  LocatorSpill(const WorkDir& work, const std::string& name, std::size_t window_bytes,
               std::uint64_t kept);
  ~LocatorSpill();
  LocatorSpill(const LocatorSpill&) = delete;
  LocatorSpill& operator=(const LocatorSpill&) = delete;

  /// Appends n Locators (their bytes, possibly unaligned). @throw Error when the file cannot be
  /// written (naming it: a full disk says so).
  void add_bytes(const char* bytes, std::size_t n);
  void add(const Locator* l, std::size_t n) { add_bytes(reinterpret_cast<const char*>(l), n); }
  /// Writes every Locator held to the file, and waits until it is on disk (a work
  /// directory's, before a part is saved). @throw Error when it cannot be written.
  void flush();
  /// Locators added.
  std::uint64_t size() const { return spilled_ + held_.size(); }
  /// The Locators in order, from `first` on (a rank's documents are numbered from there).
  std::unique_ptr<DocCursor> read(std::uint32_t first) const;

  std::uint64_t bytes_written() const { return spilled_ * sizeof(Locator); }
  /// Times the held Locators were written out.
  std::uint64_t spills() const { return spills_; }

 private:
  class Reader;
  void spill();
  void open_file(int flags);
  void read_at(std::uint64_t first, std::uint64_t n, char* out) const;

  std::string dir_, path_;         // dir_: the temporary directory, removed by the destructor
  const WorkDir* work_ = nullptr;  // or the work directory the file is in
  std::string name_;
  std::size_t window_ = 0;  // 0: no budget
  int fd_ = -1;
  std::vector<Locator> held_;  // Locators [spilled_, size())
  std::uint64_t spilled_ = 0;
  std::uint64_t spills_ = 0;
};

}  // namespace dupscan
