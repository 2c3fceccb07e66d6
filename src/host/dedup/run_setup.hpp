// What every dedup runner does alike around the stages -- the one-process engine (engine.cpp),
// each rank of an MPI run (dist/dedup_dist.cpp, part.cpp) and index build/add (index/build.cpp):
// the backend set up from the configuration, the checks of inputs and outputs before any work,
// the verdict of each removed document, and the commit of the outputs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "io/output_dir.hpp"

namespace dupscan {

/// The run's backend: make_backend with cfg's backend name and gpu_memory over
/// cfg.sketch_params(lsh); its note (which backend runs, and why) told through observer.info.
/// @throw as make_backend.
BackendChoice make_dedup_backend(const DedupConfig& cfg, LshParams lsh,
                                 const RunObserver& observer);

/// The paths a dedup run names, its inputs and outputs: not foreign to its output directory
/// (io::check_output_dir_is_ours, io::OutputDir::claim).
std::vector<std::string> dedup_own_paths(const DedupConfig& cfg);

/**
 * @brief Fails before any work -- and before the output directory is made -- when an input is
 * missing, unreadable, a directory or given twice, when the --write-deduped copy cannot hold the
 * inputs' records, or when an output would replace an input; with `to_files`, also when the
 * output directory holds files no dupscan run wrote (unless cfg.force).
 * @throw UsageError, or Error naming an input that cannot be read.
 */
void check_dedup_paths(const DedupConfig& cfg, bool to_files);

/**
 * @brief The verdict of one removed document: an exact duplicate when its exact group's earliest
 * member `rep` is its kept member's (`kept_rep`), else a near one, whose pair (the smaller number
 * first) `near(a, b)` receives. Counted in `counts`. Document numbers of any width (the one
 * process's, an MPI run's global ones).
 */
template <class T, class Near>
void tally_removed(T rep, T kept_rep, DedupCounts& counts, Near&& near) {
  if (rep == kept_rep) {
    ++counts.exact_duplicates;
    return;
  }
  ++counts.near_duplicates;
  near(std::min(rep, kept_rep), std::max(rep, kept_rep));
}

/**
 * @brief The Jaccard of removed near duplicates with their kept members where verification did
 * not compute it (members joined through others): the pairs of `missing` (any order, repeats
 * allowed) get `jaccards(pairs)` (sorted, each once) and join `known`.
 * @return how many pairs were computed (DedupCounts::jaccard_extra_pairs).
 */
template <class Pair, class Known, class Jaccards>
std::uint64_t add_kept_jaccards(std::vector<Pair> missing, Known& known, Jaccards&& jaccards) {
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  const std::vector<double> j = jaccards(missing);
  for (std::size_t i = 0; i < missing.size(); ++i)
    known.emplace(missing[i], j[i]);
  return missing.size();
}

/// An output complete under its temporary name (`tmp`), to be renamed to `path`.
struct StagedOutput {
  std::string tmp, path;
};

/**
 * @brief A dedup run's outputs replace earlier ones in one step (io::Commit): `staged` renamed in
 * the order given -- the deduplicated copy last: with --in-place it replaces the input, and the
 * record of what it lacks (duplicates.jsonl, report.json) is then in place already -- and the
 * earlier run's outputs this one does not write (`outputs`) removed with them (not its inputs,
 * nor cfg.tmp_dir). `before_commit` runs just before the commit point (the work directory goes
 * there: after it, the inputs may have been replaced).
 * @throw as io::Commit::run.
 */
void commit_dedup_outputs(const DedupConfig& cfg, const io::OutputDir& dirs,
                          const std::vector<std::string>& outputs,
                          const std::vector<StagedOutput>& staged,
                          const std::function<void()>& before_commit);

}  // namespace dupscan
