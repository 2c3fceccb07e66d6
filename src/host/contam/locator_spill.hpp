// The training documents' Locators that --write-decontaminated reads the corpus again by, under a
// memory budget (--memory): past their share of the budget the Locators held are appended to a
// file and dropped from memory; the decontaminated copy reads them back in order, a piece at a
// time (a DocCursor), so that 24 bytes per training document are not held until the end. Without
// a budget every Locator stays in memory, reserved once per doubling as any vector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/refetch.hpp"

namespace dupscan::contam {

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
  ~LocatorSpill();
  LocatorSpill(const LocatorSpill&) = delete;
  LocatorSpill& operator=(const LocatorSpill&) = delete;

  /// Appends n Locators (their bytes, possibly unaligned). @throw Error when the file cannot be
  /// written (naming it: a full disk says so).
  void add_bytes(const char* bytes, std::size_t n);
  void add(const Locator* l, std::size_t n) { add_bytes(reinterpret_cast<const char*>(l), n); }
  /// Locators added.
  std::uint64_t size() const { return spilled_ + held_.size(); }
  /// Appends the bytes of Locators [first, end) to `out` (a work directory's part), read back
  /// from the file where they were spilled. @throw Error when it cannot be read.
  void append_bytes(std::uint64_t first, std::uint64_t end, std::string& out) const;

  /// The Locators in order, from `first` on (a rank's documents are numbered from there).
  std::unique_ptr<DocCursor> read(std::uint32_t first) const;

  std::uint64_t bytes_written() const { return spilled_ * sizeof(Locator); }
  /// Times the held Locators were written out.
  std::uint64_t spills() const { return spills_; }

 private:
  class Reader;
  void spill();
  void read_at(std::uint64_t first, std::uint64_t n, char* out) const;

  std::string dir_, path_;
  std::size_t window_ = 0;  // 0: no budget
  int fd_ = -1;
  std::vector<Locator> held_;  // Locators [spilled_, size())
  std::uint64_t spilled_ = 0;
  std::uint64_t spills_ = 0;
};

}  // namespace dupscan::contam
