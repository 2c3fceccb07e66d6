// dupscan contam in one process: the eval side becomes an n-gram index (and a near-duplicate
// index); the training data streams through the shared pipeline and the backend's probe; the
// findings become contamination.jsonl, clean/, report.json and, when asked, the decontaminated
// corpus. A run that can resume keeps the scan's findings per finished training input in a work
// directory (contam/scan.hpp, dedup/resume.hpp). A run in memory (ContamOutputs, the Python
// package's) gives the outputs' bytes instead: no output or work directory, no commit.
#include <algorithm>
#include <cstdlib>

#include "common/parallel.hpp"
#include "common/progress_text.hpp"
#include "common/timing.hpp"
#include "contam/benchmarks.hpp"
#include "contam/canary.hpp"
#include "contam/decontaminate.hpp"
#include "contam/engine.hpp"
#include "contam/findings.hpp"
#include "contam/near_index.hpp"
#include "contam/ngram_index.hpp"
#include "contam/outputs.hpp"
#include "contam/scan.hpp"
#include "dedup/key_spill.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/errors.hpp"
#include "io/commit.hpp"
#include "io/documents.hpp"
#include "io/input_checks.hpp"
#include "io/io.hpp"
#include "io/output_dir.hpp"
#include "io/parquet_copy.hpp"

namespace dupscan {
namespace contam {

BackendChoice make_contam_backend(const ContamConfig& cfg) {
  BackendOptions options;
  options.gpu_memory = cfg.gpu_memory;
  return make_backend(cfg.backend, near_sketch_params(cfg.near_threshold), options);
}

std::vector<NamedOutput> contam_outputs(const ContamConfig& cfg) {
  const std::string dir = cfg.output_dir + "/";
  std::vector<NamedOutput> outputs = {{dir + "contamination.jsonl", "--output-dir"},
                                      {dir + "report.json", "--output-dir"},
                                      {dir + "removed.jsonl", "--output-dir"}};
  for (const auto& e : cfg.evals)
    outputs.push_back({dir + "clean/" + e.name + ".jsonl", "--output-dir"});
  return outputs;
}

std::vector<std::string> contam_inputs(const ContamConfig& cfg) {
  std::vector<std::string> all = cfg.train;
  for (const auto& e : cfg.evals) {
    if (!e.data) all.push_back(e.path);  // a benchmark given as bytes is no file
  }
  return all;
}

void check_contam_inputs(const ContamConfig& cfg) {
  const std::vector<std::string> all = contam_inputs(cfg);
  const std::vector<std::string> evals(all.begin() + cfg.train.size(), all.end());
  check_inputs_readable(all);
  check_inputs_distinct(cfg.train);
  // --in-place lets the decontaminated corpus replace a training input, and nothing else: not a
  // benchmark, and no other output any input.
  check_outputs_not_inputs(cfg.train, {{cfg.write_decontaminated, "--write-decontaminated", true}},
                           cfg.in_place);
  check_outputs_not_inputs(evals, {{cfg.write_decontaminated, "--write-decontaminated"}}, false);
  check_outputs_not_inputs(all, contam_outputs(cfg), false);
  // Before any work (and on every rank alike, before any collective): the rank that opens the
  // file would be the only one to fail.
  if (!cfg.write_decontaminated.empty()) {
    // Parquet rows are cut as JSON objects, whatever the copy's format: every column needs a
    // JSON form (checked first: check_record_copy's message for a JSON Lines copy would suggest
    // a .parquet name, which does not help here).
    check_rows_as_json(cfg.train, "--write-decontaminated '" + cfg.write_decontaminated +
                                      "' cuts Parquet rows as JSON objects");
    // The copy's name decides its format: JSON Lines (plain, .gz, .zst) or Parquet (.parquet).
    check_record_copy(cfg.write_decontaminated, "--write-decontaminated", cfg.train, cfg.format,
                      cfg.in_place);
  }
  // Files no dupscan run wrote in the output directory: refused now, before any work.
  io::check_output_dir_is_ours(cfg.output_dir, contam_own_paths(cfg), cfg.force);
}

std::vector<std::string> contam_own_paths(const ContamConfig& cfg) {
  std::vector<std::string> own = contam_inputs(cfg);
  for (const NamedOutput& o : contam_outputs(cfg))
    own.push_back(o.path);
  for (const std::string& p : {cfg.write_decontaminated, cfg.tmp_dir, cfg.work_dir}) {
    if (!p.empty()) own.push_back(p);
  }
  return own;
}

std::vector<std::string> contam_output_dir_files(const ContamConfig& cfg,
                                                 const std::vector<std::string>& outputs,
                                                 const io::OutputDir& dir) {
  std::vector<std::string> files = outputs;
  files.push_back(cfg.output_dir + "/clean");  // a directory: "clean/"
  if (cfg.html) files.push_back(cfg.output_dir + "/report.html");
  return dir.files_listed(files, contam_inputs(cfg));
}

std::vector<std::string> contam_kept_paths(const ContamConfig& cfg,
                                           const std::vector<std::string>& outputs) {
  std::vector<std::string> keep = outputs;
  const auto inputs = contam_inputs(cfg);
  keep.insert(keep.end(), inputs.begin(), inputs.end());
  keep.push_back(cfg.output_dir + "/clean");
  if (!cfg.tmp_dir.empty()) keep.push_back(cfg.tmp_dir);
  return keep;
}

void check_read_training(const std::vector<std::string>& inputs, std::uint64_t documents) {
  if (documents > 0) return;
  std::string names;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i == 4 && inputs.size() > 5) {
      names += " and " + std::to_string(inputs.size() - i) + " more";
      break;
    }
    names += (i ? ", '" : "'") + inputs[i] + "'";
  }
  throw Error("no training document read from " + names +
              " (empty, or only blank lines); check the files and --text-field");
}

std::size_t contam_minimum_memory(const ContamConfig& cfg, unsigned threads,
                                  const ContamProbe& probe) {
  // Batch sizes of memory per worker: the batches read and waiting to be collected, their
  // normalized copies, the probe's buffers and what the allocator keeps of them. Measured: a
  // 2-thread scan of 2.5 M short documents (1.5 GB) peaks ~50 MB above the process with its
  // indexes built, at 1 MiB batches.
  constexpr std::size_t kBatchesPerThread = 16;
  const std::size_t batches =
      kBatchesPerThread * threads * std::max(cfg.batch_bytes, probe.batch_bytes());
  // The decontaminated copy reads the corpus again a batch at a time (kRefetchBytes), into a
  // batch of lines as large.
  const std::size_t copy = cfg.write_decontaminated.empty() ? 0 : 2 * kRefetchBytes;
  return std::max<std::size_t>(kMinMemory, resident_bytes() + batches + copy);
}

std::size_t check_contam_memory(const ContamConfig& cfg, unsigned threads,
                                const ContamProbe& probe) {
  if (cfg.memory == 0) return 0;
  const std::size_t minimum = contam_minimum_memory(cfg, threads, probe);
  check_memory_budget(cfg.memory, minimum,
                      "the process with the benchmarks' indexes built, the pipeline's batches "
                      "of " +
                          std::to_string(threads) + " thread(s)" +
                          (cfg.write_decontaminated.empty() ? "" : " and the copy's read buffers") +
                          " need that much");
  return minimum;
}

std::size_t contam_spill_window(std::size_t memory, std::size_t minimum) {
  // Half of what the minimum leaves: the Locators held, and as much again for the pieces read
  // back and what grows beside them (the findings of matched documents); at least 1 MiB.
  constexpr std::size_t kLeastWindow = std::size_t{1} << 20;
  std::size_t window = std::max(kLeastWindow, memory > minimum ? (memory - minimum) / 2 : 0);
  // Tests force the spill on small inputs (dedup's knob, in bytes of Locators here).
  if (const char* w = std::getenv("DUPSCAN_TEST_SPILL_WINDOW")) window = std::stoull(w);
  return window;
}

void EvalSide::build(const ContamConfig& cfg, ProbeFactory& backend,
                     const CanaryReport& sketch_canary) {
  benchmarks = load_benchmarks(cfg);
  index.build(benchmarks.examples, cfg.ngram, cfg.min_ngram);
  auto tables = std::make_shared<ProbeTables>();
  index.fill_tables(*tables);
  if (cfg.near) {
    near.build(benchmarks.examples, cfg.near_threshold);
    near.fill_tables(*tables);
  }
  std::shared_ptr<const ProbeTables> shared = std::move(tables);
  probe = backend.contam_probe(shared);
  canary = sketch_canary;
  // The sketch's check ran (and passed) when the backend is a device: the probe's comes next.
  if (canary.status != "passed") return;
  check_probe(*probe, shared, benchmarks.examples, canary);
  if (!canary.failed()) return;
  if (cfg.backend != "auto") {
    throw Error("--backend " + cfg.backend + ": " + canary.failure() +
                "; its results cannot be trusted. Use --backend cpu, and please report this "
                "with the GPU, driver and dupscan version");
  }
  probe = make_cpu_contam_probe(shared);
  fallback_note = "backend: cpu; " + canary.failure() + ": running on the CPU";
}

namespace {

class Engine {
 public:
  Engine(const ContamConfig& cfg, const RunObserver& obs, ContamOutputs* memory)
      : cfg_(cfg), obs_(obs), memory_(memory) {}

  ContamResult run() {
    const auto t_start = Clock::now();
    validate();
    BackendChoice choice = make_contam_backend(cfg_);
    backend_ = std::move(choice.backend);
    res_.backend = backend_->name();
    res_.backend_asked = choice.asked;
    if (obs_.info) obs_.info(choice.note);
    const unsigned threads = worker_threads(cfg_.threads);
    res_.threads = threads;
    check_inputs();
    auto t = Clock::now();
    eval_.build(cfg_, *backend_, choice.canary);
    res_.canary = eval_.canary;
    if (!eval_.fallback_note.empty()) {
      res_.backend = "cpu";
      if (obs_.info) obs_.info(eval_.fallback_note);
    }
    res_.benchmarks = eval_.benchmarks.summaries;
    res_.eval_ngrams = eval_.index.groups();
    res_.seconds_index = seconds_since(t);
    // Before anything is created: a budget the benchmarks leave no room in is refused.
    min_memory_ = check_contam_memory(cfg_, threads, *eval_.probe);
    if (!memory_) {
      dirs_.claim(contam_own_paths(cfg_), cfg_.force);
      dirs_.prepare(cfg_.output_dir, cfg_.tmp_dir,
                    {cfg_.output_dir + "/clean", io::dir_of(cfg_.write_decontaminated)});
    }
    open_work_dir();
    t = Clock::now();
    const bool decon = !cfg_.write_decontaminated.empty();
    findings_ = std::make_unique<Findings>(cfg_, eval_.benchmarks, eval_.index, decon);
    ScanOptions so;
    so.read = training_read_spec(cfg_);
    so.inputs = cfg_.train;
    so.tables = cfg_.train_tables;
    so.threads = threads;
    so.tmp_dir = dirs_.tmp_dir();
    so.keep_locators = decon;
    so.work = work_.get();
    open_spill(so);
    scan_ = scan_training(so, eval_.benchmarks, eval_.index, cfg_.near ? &eval_.near : nullptr,
                          *eval_.probe, *findings_, obs_);
    std::vector<std::string> names;
    for (const InputSummary& in : scan_.inputs)
      names.push_back(in.path);
    if (scan_.documents == 0 && work_) {
      // Nothing read, nothing to resume from: the failure below leaves the output directory as
      // it was.
      work_->remove();
      work_.reset();
    }
    check_read_training(names, scan_.documents);
    record_scan();
    res_.seconds_scan = seconds_since(t);
    if (memory_) {
      write_outputs_to_memory(t_start);
    } else {
      write_outputs(t_start);
    }
    return res_;
  }

  /// After a failed run: the directories it created, if still empty, are removed again.
  /// `failed`: by an error, not a signal. @return whether inputs read are kept to resume from.
  bool remove_created_dirs(bool failed) noexcept {
    const bool kept = work_ && work_->keep_after_failure(failed);
    dirs_.remove_created();
    return kept;
  }

  const std::string& work_dir() const { return res_.resume.work_dir; }

 private:
  void validate() const {
    if (!memory_) {
      cfg_.validate();
      return;
    }
    // Nothing is written: no output directory is needed, and no file can be asked for.
    ContamConfig check = cfg_;
    check.output_dir = "-";
    check.validate();
    expects_usage(cfg_.write_decontaminated.empty(),
                  "a run whose outputs stay in memory writes no files");
  }

  // Before any work: the inputs (and, writing files, the outputs and the output directory).
  void check_inputs() const {
    if (!memory_) {
      check_contam_inputs(cfg_);
      return;
    }
    check_inputs_readable(contam_inputs(cfg_));
    check_inputs_distinct(cfg_.train);
  }

  // The work directory of a run that can resume (dedup/resume.hpp): the training inputs an
  // earlier run of the same command finished are loaded from it instead of read.
  void open_work_dir() {
    ResumeSummary& r = res_.resume;
    r.inputs = static_cast<std::uint32_t>(cfg_.train.size() + cfg_.train_tables.size());
    r.why_not = why_no_resume(!cfg_.resume                 ? "--no-resume"
                              : !cfg_.train_tables.empty() ? "it reads tables in memory"
                              : memory_                    ? "its outputs stay in memory"
                                                           : "",
                              cfg_.train);
    if (!r.why_not.empty()) return;
    work_ =
        WorkDir::open(r, cfg_.work_dir.empty() ? cfg_.output_dir + "/.dupscan-work" : cfg_.work_dir,
                      scan_identity(cfg_), cfg_.restart, obs_);
  }

  // --memory: the Locators kept for --write-decontaminated go to a file past their share of the
  // budget (contam_spill_window). Under --tmp-dir, which runs may share, the spill is named by
  // host and process as a temporary file, so that the next run there removes what a killed one
  // left (io::remove_stale_temporaries); in the output directory, the next run removes it here.
  void open_spill(ScanOptions& so) {
    MemorySummary& m = res_.memory;
    m.budget = cfg_.memory;
    // What a killed run under --memory left (a distributed one's per-rank directories too).
    if (!memory_) KeySpill::discard_all(cfg_.output_dir + "/.dupscan-spill");
    if (cfg_.memory == 0) return;
    m.note = "the findings of matched training documents (ids and matches) stay in memory";
    if (!so.keep_locators || memory_) return;
    so.spill_dir = cfg_.tmp_dir.empty()
                       ? cfg_.output_dir + "/.dupscan-spill"
                       : io::temp_path(cfg_.tmp_dir + "/dupscan-spill", "locators");
    so.spill_window = contam_spill_window(cfg_.memory, min_memory_);
  }

  void record_scan() {
    res_.train_inputs = scan_.inputs;
    res_.train_documents = scan_.documents;
    res_.train_text_bytes = scan_.text_bytes;
    res_.hash_hits_rejected = scan_.rejected;
    res_.train_skipped = scan_.skipped;
    std::copy(std::begin(scan_.skipped_by_reason), std::end(scan_.skipped_by_reason),
              std::begin(res_.skipped_by_reason));
    if (scan_.locators && cfg_.memory) {  // (a resumable run writes them at each input's end)
      res_.memory.spilled_bytes = scan_.locators->bytes_written();
      res_.memory.spill_runs = scan_.locators->spills();
    }
    res_.matches = findings_->matches;
    res_.train_docs_matched = findings_->documents_matched;
    for (std::uint32_t c : findings_->group_docs())
      res_.boilerplate_ngrams += cfg_.boilerplate(c);
  }

  void write_outputs(Clock::time_point t_start) {
    const auto t_write = Clock::now();
    const std::string dir = cfg_.output_dir + "/";
    std::unique_ptr<RecordCopy> decon;
    std::unique_ptr<io::AtomicFile> removed;
    if (!cfg_.write_decontaminated.empty()) {
      decon = std::make_unique<RecordCopy>(
          cfg_.write_decontaminated, false, cfg_.text_field,
          copy_is_parquet(cfg_.write_decontaminated, cfg_.train, cfg_.in_place));
      removed = std::make_unique<io::AtomicFile>(dir + "removed.jsonl");
      const DecontaminationInput in = decontamination_input(*scan_.pipeline, *scan_.locators);
      write_decontaminated(
          cfg_, in, eval_.benchmarks, eval_.index, *findings_, findings_->group_docs(),
          [&](std::string_view s) { decon->write(s); },
          [&](std::string_view s) { removed->write(s); }, res_.decontaminated_cut,
          res_.decontaminated_dropped, res_.skipped_passed_through);
      const std::uint64_t left_out = decon->finish();
      if (left_out > 0 && obs_.warning) {
        obs_.warning(std::to_string(left_out) + " record(s) copied through unread (not JSON " +
                     "objects) have no place in the Parquet copy '" + cfg_.write_decontaminated +
                     "' and were left out; name it .jsonl to keep them");
      }
      removed->finish();
    }
    dirs_.make_dir(dir + "clean");
    io::AtomicFile contamination(dir + "contamination.jsonl");
    std::vector<std::unique_ptr<io::AtomicFile>> clean;
    for (const auto& b : cfg_.evals) {
      clean.push_back(std::make_unique<io::AtomicFile>(dir + "clean/" + b.name + ".jsonl"));
    }
    tally_examples(cfg_, eval_.benchmarks, *findings_, res_.benchmarks);
    write_examples(cfg_, eval_.benchmarks, *findings_, contamination, clean);
    warn_boilerplate(cfg_, res_.benchmarks, obs_.warning);
    contamination.finish();
    for (auto& c : clean)
      c->finish();
    res_.outputs = {dir + "contamination.jsonl", dir + "report.json"};
    for (const auto& b : cfg_.evals)
      res_.outputs.push_back(dir + "clean/" + b.name + ".jsonl");
    if (decon) {
      res_.outputs.push_back(cfg_.write_decontaminated);
      res_.outputs.push_back(dir + "removed.jsonl");
    }
    res_.seconds_write = seconds_since(t_write);
    res_.seconds_total = seconds_since(t_start);
    res_.output_dir_files = contam_output_dir_files(cfg_, res_.outputs, dirs_);
    res_.memory.peak_resident = peak_resident_bytes();
    io::AtomicFile report(dir + "report.json");
    report.write(report_json(cfg_, res_));
    report.finish();
    // Everything is complete on disk: only now do the outputs replace earlier ones, in one step
    // (io::Commit). The decontaminated copy goes last: with --in-place it replaces the input, and
    // the record of what it lacks (removed.jsonl, report.json) is then in place already.
    io::Commit commit(cfg_.output_dir);
    commit.add(contamination.release(), contamination.path());
    for (auto& c : clean)
      commit.add(c->release(), c->path());
    if (removed) commit.add(removed->release(), removed->path());
    commit.add(report.release(), report.path());
    if (decon) commit.add(decon->release(), decon->path());
    // The earlier run's outputs this one does not write go in the same step (not its inputs).
    dirs_.remove_earlier(commit, contam_kept_paths(cfg_, res_.outputs));
    // The work directory goes just before the commit point: after it, a training input may have
    // been replaced (--in-place), and a run of the same command must not take it for a changed one.
    check_interrupt();
    if (work_) work_->remove();
    commit.run();
  }

  // ContamOutputs: the files' bytes, without an output directory or a commit.
  void write_outputs_to_memory(Clock::time_point t_start) {
    const auto t_write = Clock::now();
    ContamOutputs& out = *memory_;
    out.clean.assign(cfg_.evals.size(), std::string());
    std::vector<io::Sink> clean;
    for (std::string& c : out.clean)
      clean.push_back([&c](std::string_view s) { c += s; });
    tally_examples(cfg_, eval_.benchmarks, *findings_, res_.benchmarks);
    write_examples(
        cfg_, eval_.benchmarks, *findings_, [&out](std::string_view s) { out.contamination += s; },
        clean);
    res_.seconds_write = seconds_since(t_write);
    res_.seconds_total = seconds_since(t_start);
    // What ContamOutputs' files are when written out (as dedup's run in memory names its own).
    res_.output_dir_files = {"clean/", "contamination.jsonl", "report.json"};
    for (const auto& b : cfg_.evals)
      res_.output_dir_files.push_back("clean/" + b.name + ".jsonl");
    std::sort(res_.output_dir_files.begin(), res_.output_dir_files.end());
    res_.memory.peak_resident = peak_resident_bytes();
    out.report = report_json(cfg_, res_);
  }

  const ContamConfig& cfg_;
  const RunObserver& obs_;
  ContamOutputs* memory_;  // outputs in memory instead of files, or null
  ContamResult res_;
  std::unique_ptr<Backend> backend_;
  io::OutputDir dirs_;
  EvalSide eval_;
  std::unique_ptr<WorkDir> work_;  // a resumable run's, or null
  std::size_t min_memory_ = 0;     // the least --memory of this run (check_contam_memory)
  std::unique_ptr<Findings> findings_;
  ScanResult scan_;
};

}  // namespace
}  // namespace contam

ContamResult run_contam(const ContamConfig& config, const RunObserver& observer) {
  contam::Engine engine(config, observer, nullptr);
  return run_keeping_work(engine);
}

ContamResult run_contam(const ContamConfig& config, const RunObserver& observer,
                        ContamOutputs& outputs) {
  outputs = ContamOutputs{};
  contam::Engine engine(config, observer, &outputs);
  return engine.run();
}

}  // namespace dupscan
