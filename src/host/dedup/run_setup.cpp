#include "dedup/run_setup.hpp"

#include "dupscan/errors.hpp"
#include "io/input_checks.hpp"
#include "io/parquet_copy.hpp"

namespace dupscan {

BackendChoice make_dedup_backend(const DedupConfig& cfg, LshParams lsh,
                                 const RunObserver& observer) {
  BackendOptions options;
  options.gpu_memory = cfg.gpu_memory;
  BackendChoice choice = make_backend(cfg.backend, cfg.sketch_params(lsh), options);
  if (observer.info) observer.info(choice.note);
  return choice;
}

std::vector<std::string> dedup_own_paths(const DedupConfig& cfg) {
  std::vector<std::string> own = cfg.inputs;
  const std::string dir = cfg.output_dir + "/";
  for (const std::string& p :
       {cfg.write_deduped, cfg.write_signatures, cfg.tmp_dir, cfg.work_dir,
        dir + "duplicates.jsonl", dir + "clusters.jsonl", dir + "report.json"}) {
    if (!p.empty()) own.push_back(p);
  }
  return own;
}

void check_dedup_paths(const DedupConfig& cfg, bool to_files) {
  if (!cfg.write_deduped.empty()) {
    expects_usage(cfg.tables.empty(), "--write-deduped copies files, not tables in memory");
  }
  check_inputs_readable(cfg.inputs);
  check_inputs_distinct(cfg.inputs);
  // The copy's name decides its format (JSON Lines or Parquet): it must be able to hold the
  // inputs' records.
  check_record_copy(cfg.write_deduped, "--write-deduped", cfg.inputs, cfg.format, cfg.in_place);
  const std::string dir = cfg.output_dir + "/";
  check_outputs_not_inputs(cfg.inputs,
                           {{cfg.write_deduped, "--write-deduped", true},
                            {cfg.write_signatures, "--write-signatures"},
                            {dir + "duplicates.jsonl", "--output-dir"},
                            {dir + "clusters.jsonl", "--output-dir"},
                            {dir + "report.json", "--output-dir"}},
                           cfg.in_place);
  if (to_files) io::check_output_dir_is_ours(cfg.output_dir, dedup_own_paths(cfg), cfg.force);
}

void commit_dedup_outputs(const DedupConfig& cfg, const io::OutputDir& dirs,
                          const std::vector<std::string>& outputs,
                          const std::vector<StagedOutput>& staged,
                          const std::function<void()>& before_commit) {
  io::Commit commit(cfg.output_dir);
  for (const StagedOutput& s : staged)
    commit.add(s.tmp, s.path);
  std::vector<std::string> keep = outputs;
  keep.insert(keep.end(), cfg.inputs.begin(), cfg.inputs.end());
  if (!cfg.tmp_dir.empty()) keep.push_back(cfg.tmp_dir);
  dirs.remove_earlier(commit, keep);
  if (before_commit) before_commit();
  commit.run();
}

}  // namespace dupscan
