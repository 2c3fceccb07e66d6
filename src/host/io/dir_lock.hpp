// One writer per directory: an index (`index build|add`) or a run's output directory (`dedup`,
// `contam`) is written by one dupscan run at a time. Two at once would each write their files
// under the same names (segment-000001.bin, duplicates.jsonl, ...) and the last rename would win:
// both succeed, and one run's work is silently lost or the directory holds a mix of the two.
#pragma once

#include <functional>
#include <string>

namespace dupscan::io {

/**
 * An exclusive flock(2) on `DIR/.dupscan.lock`, held for the life of the object. Once taken, the
 * file holds who took it ("pid 123 on host h, started 2024-05-01T10:00:00Z"), which the error of
 * a run that finds it taken quotes.
 *
 * The file is removed when the lock is released (a directory made for a run that failed can then
 * be removed again, and a finished run leaves nothing but its outputs). Removing a lock file is
 * safe because a taker checks, once it holds the lock, that the file it locked is still the one
 * at that path, and starts over when not. A run killed with SIGKILL leaves the file; the kernel
 * has dropped its lock, so the next run takes it as usual.
 */
class DirLock {
 public:
  static constexpr const char* kFileName = ".dupscan.lock";

  DirLock() = default;
  /**
   * @brief Takes the lock of directory `dir` (which must exist).
   * @param what how the error names the directory ("the index"), `hint` what it then says to do.
   * @param wait false: fail at once when another process holds it; true: wait for it (checking
   * for SIGINT/SIGTERM every 0.1 s), calling `on_wait` once with the holder's description.
   * @throw Error naming the directory and the holder when it is held and `wait` is false;
   * Interrupted when interrupted while waiting; Error when the lock file cannot be opened.
   */
  DirLock(const std::string& dir, const std::string& what, const std::string& hint, bool wait,
          const std::function<void(const std::string&)>& on_wait = {});
  ~DirLock() { release(); }
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  bool held() const { return fd_ >= 0; }
  /// Removes the lock file and releases the lock (nothing when not held).
  void release() noexcept;

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace dupscan::io
