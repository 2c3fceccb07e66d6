// The directories a run writes to, set up the same way by every command: created (remembering
// which, so that a failed run removes them again), checked to take files before any work, and
// cleared of the temporaries that runs killed earlier left there (io::remove_stale_temporaries),
// and locked (DirLock) for the run: a second run into the same directory fails at once.
#pragma once

#include <string>
#include <vector>

#include "io/commit.hpp"
#include "io/dir_lock.hpp"
#include "io/io.hpp"

namespace dupscan::io {

class OutputDir {
 public:
  /**
   * @brief Creates `dir` (and `tmp_dir` when not empty), writes and removes a probe file in
   * `dir`, locks `dir` until remove_created() or the end of this object, and removes stale
   * temporaries from both and from `also` (other outputs' directories) -- after finishing the
   * commit of a run killed past its commit point (recover_commit), whose journal names some.
   * @throw Error naming the directory that cannot be created or written, or naming the run that
   * holds its lock.
   */
  void prepare(const std::string& dir, const std::string& tmp_dir,
               const std::vector<std::string>& also) {
    created_ = make_dirs(dir);
    // Fail now, not after hours of work, when the directory cannot take files.
    AtomicFile probe(dir + "/.dupscan-write-test");
    probe.write("ok");
    probe.finish();
    // After the probe: an unwritable directory is reported as such, not as a lock file error.
    lock_ = DirLock(dir, "the output directory",
                    "wait for it to finish, or choose another directory", false);
    // Before anything else: a killed run's commit is finished, before its temporaries (which
    // its journal names) look stale.
    recover_commit(dir);
    tmp_ = tmp_dir.empty() ? dir : tmp_dir;
    if (!tmp_dir.empty()) {
      const auto made = make_dirs(tmp_dir);
      created_.insert(created_.end(), made.begin(), made.end());
    }
    remove_stale_temporaries(dir);
    if (tmp_ != dir) remove_stale_temporaries(tmp_);
    for (const std::string& d : also) {
      if (!d.empty()) remove_stale_temporaries(d);
    }
  }
  /// Creates a directory the run writes into later (say a subdirectory of the output), removed
  /// again as prepare()'s are.
  void make_dir(const std::string& dir) {
    const auto made = make_dirs(dir);
    created_.insert(created_.end(), made.begin(), made.end());
  }
  /// Where spool files go: tmp_dir, or the output directory.
  const std::string& tmp_dir() const { return tmp_; }
  /// After a failed run (or once checked, when the run creates it later): the directories
  /// prepare() created, if still empty, are removed again.
  /// The lock is released first (its file would keep the directory from being empty).
  void remove_created() const noexcept {
    lock_.release();
    remove_created_dirs(created_);
  }

 private:
  std::vector<std::string> created_;
  std::string tmp_;
  mutable DirLock lock_;  // mutable: remove_created() (const, as its callers) releases it
};

}  // namespace dupscan::io
