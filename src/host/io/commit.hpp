// A run's outputs replace earlier ones in one step. Each output is written complete under a
// temporary name first; then a journal naming every temporary -> final rename is written (and
// fsynced) in the output directory: that is the commit point. The renames follow, and the journal
// is removed. A run killed before the commit point leaves the earlier outputs as they were (its
// temporaries are removed by the next run as stale); a run killed after it leaves the journal,
// and the next run into that directory finishes the renames (recover_commit) before it does
// anything else, so the directory never holds one run's outputs beside another's. The outputs of
// an earlier run that the new one does not write (OutputDir::remove_earlier) are removed in the
// same step: the journal names them after the renames.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dupscan::io {

/**
 * @brief A named point for the crash tests. With DUPSCAN_TEST_FAULT=NAME the process kills itself
 * there (SIGKILL, as a preempted node would); with DUPSCAN_TEST_FAULT=sigterm@NAME it raises
 * SIGTERM there and goes on, as if the signal had arrived at that moment. Nothing otherwise.
 */
void fault_point(const std::string& name);

/// What Interrupted says when the signal came after the commit point: the commit was finished.
extern const char* const kInterruptedAfterCommit;

class Commit {
 public:
  static constexpr const char* kJournal = ".dupscan-commit";

  /// `dir`: where the journal goes (the run's output directory, which the run has locked).
  explicit Commit(std::string dir) : dir_(std::move(dir)) {}
  /// Not run (a failed or interrupted run): the temporaries added are removed.
  ~Commit();
  Commit(const Commit&) = delete;
  Commit& operator=(const Commit&) = delete;

  /// A complete, fsynced temporary file `tmp` to be renamed to `path`; renames run in the order
  /// added (an input replaced with --in-place goes last).
  void add(std::string tmp, std::string path);

  /// A file (or, when `path` ends in '/', a directory, removed if empty) to remove after the
  /// renames: an earlier run's output that this run does not write. Removed in the order added.
  void remove(std::string path);

  /**
   * @brief Commits: checks for an interrupt (the last point where the run rolls back), writes
   * the journal, renames, removes the journal.
   * @throw Interrupted when interrupted before the commit point (nothing replaced), or after it
   * (everything replaced; kInterruptedAfterCommit). Error when a file cannot be renamed (the
   * journal stays: the next run finishes the commit).
   */
  void run();

 private:
  std::string dir_;
  // (temporary, path) to rename; (empty, path) to remove.
  std::vector<std::pair<std::string, std::string>> renames_;
  bool started_ = false;
};

/**
 * @brief Finishes the commit of a run killed after its commit point: renames each temporary its
 * journal in `dir` names that is still there, removes the earlier outputs it names that are
 * still there, then removes the journal. Call it with `dir`
 * locked, before anything removes stale temporaries. @return whether there was a journal.
 * @throw Error when the journal is unreadable or a rename fails (the journal then stays).
 */
bool recover_commit(const std::string& dir);

/// What report.json lists as the entries a run leaves in its output directory.
constexpr const char* kOutputDirFilesKey = "output_dir_files";

/**
 * @brief `paths` that lie in the directory `dir` (directly or below), as names relative to it,
 * with each directory between ending in '/' ("clean/", "clean/b.jsonl"), sorted, once each.
 * Paths are compared by their real directories, so "./out/x" is in "out". Paths whose directory
 * does not exist are left out.
 */
std::vector<std::string> names_in_dir(const std::string& dir,
                                      const std::vector<std::string>& paths);

/**
 * @brief The entries of the output directory `dir` that dupscan runs wrote: those the last run's
 * report.json lists (output_dir_files; from a report.json of an older dupscan, its "outputs" in
 * `dir`), and the files dupscan writes under fixed names (duplicates.jsonl, clusters.jsonl,
 * contamination.jsonl, removed.jsonl, report.json, report.html) that are there. Relative names
 * as names_in_dir. @throw Error when report.json is there and cannot be read as JSON.
 */
std::vector<std::string> earlier_outputs(const std::string& dir);

/**
 * @brief Refuses an output directory that holds entries no dupscan run wrote there: anything
 * but earlier_outputs, hidden files (dupscan's lock, journal and temporaries among them) and `own`
 * (paths this run names: its inputs and outputs, which the user chose). Nothing when `dir` does
 * not exist, is empty, or `force`; skipped while a killed run's commit journal is there (checked
 * again once OutputDir::prepare has finished it).
 * @throw UsageError naming a few of the foreign entries and what to do.
 */
void check_output_dir_is_ours(const std::string& dir, const std::vector<std::string>& own,
                              bool force);

}  // namespace dupscan::io
