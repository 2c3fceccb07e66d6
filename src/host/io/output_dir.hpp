// The directories a run writes to, set up the same way by every command: created (remembering
// which, so that a failed run removes them again), checked to take files before any work, and
// cleared of the temporaries that runs killed earlier left there (io::remove_stale_temporaries),
// and locked (DirLock) for the run: a second run into the same directory fails at once. An output
// directory holds the outputs of one run: files no dupscan run wrote make a run refuse it (unless
// --force), and the earlier run's outputs that the new run does not write are removed in its
// commit (remove_earlier).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "io/commit.hpp"
#include "io/dir_lock.hpp"
#include "io/io.hpp"

namespace dupscan::io {

class OutputDir {
 public:
  /// Before prepare(): the paths this run names (inputs and outputs: not foreign to the
  /// directory, see check_output_dir_is_ours) and --force.
  void claim(std::vector<std::string> own, bool force) {
    own_ = std::move(own);
    force_ = force;
  }
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
    // With the directory locked and a killed run's commit finished: what is there now is what
    // the commit replaces.
    check_output_dir_is_ours(dir, own_, force_);
    dir_ = dir;
    earlier_ = earlier_outputs(dir);
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
  /**
   * @brief Adds to `commit` the removal of the earlier run's outputs (earlier_outputs, as
   * prepare() found them) that this run does not write: all but report.json and `keep` (this
   * run's outputs and inputs, paths). report.html goes whatever `keep` says: it describes the
   * earlier run (--html writes this run's page after the commit). Directories go last, if empty.
   */
  void remove_earlier(Commit& commit, const std::vector<std::string>& keep) const {
    if (dir_.empty()) return;
    const std::vector<std::string> kept = names_in_dir(dir_, keep);
    std::vector<std::string> dirs;
    for (const std::string& name : earlier_) {
      if (name == "report.json") continue;
      if (name != "report.html" && std::binary_search(kept.begin(), kept.end(), name)) continue;
      if (name.back() == '/') {
        dirs.push_back(name);
      } else {
        commit.remove(dir_ + "/" + name);
      }
    }
    std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
      return a.size() > b.size();  // deepest first
    });
    for (const std::string& d : dirs)
      commit.remove(dir_ + "/" + d);
  }
  /**
   * @brief report.json's output_dir_files of this run: `files` (what it writes in the
   * directory, paths) and the earlier run's outputs it keeps as its inputs (`inputs`), which stay
   * dupscan's for the next run. Names as names_in_dir.
   */
  std::vector<std::string> files_listed(const std::vector<std::string>& files,
                                        const std::vector<std::string>& inputs) const {
    std::vector<std::string> out = names_in_dir(dir_.empty() ? "." : dir_, files);
    if (!dir_.empty()) {
      for (const std::string& name : names_in_dir(dir_, inputs)) {
        if (std::binary_search(earlier_.begin(), earlier_.end(), name)) out.push_back(name);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
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
  std::string tmp_, dir_;
  std::vector<std::string> own_, earlier_;
  bool force_ = false;
  mutable DirLock lock_;  // mutable: remove_created() (const, as its callers) releases it
};

}  // namespace dupscan::io
