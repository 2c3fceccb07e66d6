// run_contam_distributed (distributed.hpp): contam over the ranks of a Communicator, equal in every
// output byte to one process. Rank r scans training files [first[r], first[r + 1]) with its
// documents numbered from 0; they are documents base[r] + d of the whole run (the one-process
// input order).
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "common/pack.hpp"
#include "common/parallel.hpp"
#include "common/progress_text.hpp"
#include "common/timing.hpp"
#include "contam/decontaminate.hpp"
#include "contam/engine.hpp"
#include "contam/findings.hpp"
#include "contam/outputs.hpp"
#include "contam/scan.hpp"
#include "dedup/key_spill.hpp"
#include "dist/partition.hpp"
#include "dist/shared_file.hpp"
#include "dupscan/distributed.hpp"
#include "dupscan/errors.hpp"
#include "io/commit.hpp"
#include "io/io.hpp"
#include "io/output_dir.hpp"
#include "io/parquet_copy.hpp"

namespace dupscan {
namespace contam {
namespace {

class DistContamEngine {
 public:
  DistContamEngine(const ContamConfig& cfg, Communicator& comm, const RunObserver& obs)
      : cfg_(cfg), comm_(comm), obs_(obs), ranks_(comm.size()), me_(comm.rank()) {}

  ContamResult run() {
    const auto t_start = Clock::now();
    cfg_.validate();
    for (const std::string& path : cfg_.train) {
      if (path == "-") throw UsageError("a distributed run cannot read stdin: give files");
      if (io::reads_once(path)) {
        throw UsageError("a distributed run cannot read '" + path +
                         "', a pipe or device that cannot be read twice: give files");
      }
    }
    // Every rank would read all of them.
    if (!cfg_.train_tables.empty()) throw UsageError("a distributed run reads files, not tables");
    BackendChoice choice = make_contam_backend(cfg_);
    backend_ = std::move(choice.backend);
    res_.backend = backend_->name();
    res_.backend_asked = choice.asked;
    if (obs_.info && me_ == 0) obs_.info(choice.note);
    threads_ = worker_threads(cfg_.threads);
    res_.threads = threads_;
    res_.ranks = static_cast<unsigned>(ranks_);
    res_.resume.inputs = static_cast<std::uint32_t>(cfg_.train.size());
    res_.resume.why_not = "a distributed contam run does not resume yet";
    // As one process does, on every rank alike (a usage error then ends them all in order).
    if (!cfg_.write_decontaminated.empty() &&
        copy_is_parquet(cfg_.write_decontaminated, cfg_.train, cfg_.in_place)) {
      throw UsageError("--write-decontaminated '" + cfg_.write_decontaminated +
                       "' names a Parquet file, and a distributed run writes JSON Lines copies "
                       "only: name it .jsonl (.gz, .zst), or run dupscan contam");
    }
    check_contam_inputs(cfg_);
    first_ = partition_files(cfg_.train, ranks_);
    if (me_ == 0) prepare_output_dir();

    auto t = Clock::now();
    eval_.build(cfg_, *backend_, choice.canary);
    res_.canary = eval_.canary;
    if (!eval_.fallback_note.empty()) {
      res_.backend = "cpu";
      if (obs_.info && me_ == 0) obs_.info(eval_.fallback_note);
    }
    res_.benchmarks = eval_.benchmarks.summaries;
    res_.eval_ngrams = eval_.index.groups();
    res_.seconds_index = seconds_since(t);
    check_memory();

    t = Clock::now();
    const bool decon = !cfg_.write_decontaminated.empty();
    findings_ = std::make_unique<Findings>(cfg_, eval_.benchmarks, eval_.index, decon);
    ScanOptions so;
    so.read = training_read_spec(cfg_);
    so.inputs.assign(cfg_.train.begin() + first_[me_], cfg_.train.begin() + first_[me_ + 1]);
    so.threads = threads_;
    so.tmp_dir = cfg_.tmp_dir.empty() ? cfg_.output_dir : cfg_.tmp_dir;
    so.keep_locators = decon;
    open_spill(so);
    scan_ = scan_training(so, eval_.benchmarks, eval_.index, cfg_.near ? &eval_.near : nullptr,
                          *eval_.probe, *findings_, obs_);
    res_.seconds_scan = seconds_since(t);
    number_documents();
    check_read_training(cfg_.train, base_[ranks_]);  // the whole run's count: every rank alike
    sum_group_docs();

    write_outputs(Clock::now(), t_start);
    return res_;
  }

  // After a failure (on any rank): this rank's spill goes; rank 0 releases the lock and removes
  // the directories it made.
  void remove_output_dir() noexcept {
    scan_.locators.reset();
    if (me_ == 0) ::rmdir((cfg_.output_dir + "/.dupscan-spill").c_str());
    out_dir_.remove_created();
  }

 private:
  // Rank 0, before reading: the output directory can take files (else fail now, not after the
  // work), and is locked until the run ends: rank 0 writes what is shared (the others write
  // pieces it joins), so its lock alone keeps a second run out, and no rank waits on another for
  // it. A run that fails removes the directory if it made it (remove_output_dir); one ended by
  // MPI_Abort leaves it, with the lock file in it (an flock on a leftover file is harmless).
  void prepare_output_dir() {
    out_dir_.claim(contam_own_paths(cfg_), cfg_.force);
    out_dir_.prepare(cfg_.output_dir, "",
                     {cfg_.output_dir + "/clean", io::dir_of(cfg_.write_decontaminated)});
    // What a killed run under --memory left there (one process's, or any rank count's).
    KeySpill::discard_all(cfg_.output_dir + "/.dupscan-spill");
  }

  // --memory, per rank, as one process takes it (check_contam_memory): a budget below what a
  // rank needs with the benchmarks' indexes built is refused, on every rank when on one. This
  // collective also comes after rank 0 cleared OUT/.dupscan-spill (prepare_output_dir).
  void check_memory() {
    if (cfg_.memory == 0) return;
    std::string refusal;
    try {
      min_memory_ = check_contam_memory(cfg_, threads_, *eval_.probe);
    } catch (const UsageError& e) {
      refusal = e.what();
    }
    for (const std::string& m : comm_.all_gather(refusal)) {
      if (!m.empty()) throw UsageError(m);
    }
  }

  // --memory with --write-decontaminated: the rank's Locators past its window go to a file in
  // OUT/.dupscan-spill/rank-R-of-N or, under --tmp-dir, a temporary directory named by host,
  // process and rank (contam/engine.cpp's open_spill, per rank).
  void open_spill(ScanOptions& so) {
    if (cfg_.memory == 0 || !so.keep_locators) return;
    const std::string rank = std::to_string(me_) + "-of-" + std::to_string(ranks_);
    so.spill_dir = cfg_.output_dir + "/.dupscan-spill/rank-" + rank;
    if (!cfg_.tmp_dir.empty()) {
      io::make_dirs(cfg_.tmp_dir);
      io::remove_stale_temporaries(cfg_.tmp_dir);  // a killed run's, of this host
      so.spill_dir = io::temp_path(cfg_.tmp_dir + "/dupscan-spill", "locators-rank-" + rank);
    }
    so.spill_window = contam_spill_window(cfg_.memory, min_memory_);
  }

  // base_[r]: the number of rank r's first document in the whole run.
  void number_documents() {
    Packer p;
    p.put<std::uint64_t>(scan_.documents);
    const auto all = comm_.all_gather(p.str());
    base_.assign(ranks_ + 1, 0);
    for (int r = 0; r < ranks_; ++r)
      base_[r + 1] = base_[r] + Unpacker(all[r]).get<std::uint64_t>();
    if (base_[ranks_] >= UINT32_MAX) {
      throw Error("more than 4294967294 training documents in one run; split the input");
    }
  }

  // The documents each n-gram group matched in, over all ranks (every rank cuts with them).
  void sum_group_docs() {
    const std::vector<std::uint32_t>& mine = findings_->group_docs();
    Packer p;
    std::vector<std::uint32_t> groups, counts;
    for (std::uint32_t g = 0; g < mine.size(); ++g) {
      if (mine[g]) {
        groups.push_back(g);
        counts.push_back(mine[g]);
      }
    }
    p.put_array(groups.data(), groups.size());
    p.put_array(counts.data(), counts.size());
    std::vector<std::uint32_t> total(mine.size(), 0);
    for (const std::string& s : comm_.all_gather(p.str())) {
      Unpacker u(s);
      u.get_array(groups);
      u.get_array(counts);
      for (std::size_t i = 0; i < groups.size(); ++i) {
        if (groups[i] >= total.size()) throw Error("distributed run: a group out of range");
        total[groups[i]] += counts[i];
      }
    }
    group_docs_ = std::move(total);
  }

  // --write-decontaminated: this rank's share into a piece beside the output (its removed.jsonl
  // lines in memory), then both shared files written in rank order.
  void write_decontaminated_share(std::unique_ptr<SharedFile>& decon,
                                  std::unique_ptr<SharedFile>& removed) {
    const std::string dir = cfg_.output_dir + "/";
    const std::string piece = rank_piece_path(cfg_.write_decontaminated, me_);
    struct Unlink {
      const std::string& path;
      ~Unlink() { ::unlink(path.c_str()); }
    } unlink_piece{piece};
    std::string removed_lines;
    {
      io::OutputFile out(piece);
      const DecontaminationInput in = decontamination_input(*scan_.pipeline, *scan_.locators);
      write_decontaminated(
          cfg_, in, eval_.benchmarks, eval_.index, *findings_, group_docs_,
          [&](std::string_view s) { out.write(s); },
          [&](std::string_view s) { removed_lines.append(s); }, res_.decontaminated_cut,
          res_.decontaminated_dropped, res_.skipped_passed_through);
      out.commit();
    }
    if (cfg_.memory) {
      spilled_bytes_ = scan_.locators->bytes_written();
      spills_ = scan_.locators->spills();
    }
    scan_.locators.reset();  // read: its file goes (rank 0 removes their directory later)
    decon = std::make_unique<SharedFile>(comm_, cfg_.write_decontaminated);
    decon->write_piece({}, piece);
    removed = std::make_unique<SharedFile>(comm_, dir + "removed.jsonl");
    removed->write_piece(removed_lines);
  }

  void write_outputs(Clock::time_point t_write, Clock::time_point t_start) {
    const std::string dir = cfg_.output_dir + "/";
    if (me_ == 0) {
      io::make_dirs(cfg_.output_dir);
      io::make_dirs(dir + "clean");
    }
    comm_.all_gather({});  // the directories are there before any rank writes into them
    std::unique_ptr<SharedFile> decon, removed;
    if (!cfg_.write_decontaminated.empty()) write_decontaminated_share(decon, removed);
    // Every rank's findings to rank 0, merged there in rank order.
    std::vector<std::string> send(ranks_);
    send[0] = findings_->pack();
    const std::vector<std::string> parts = comm_.all_to_all(send);
    if (me_ == 0) ::rmdir((cfg_.output_dir + "/.dupscan-spill").c_str());  // the ranks' spills
    res_.seconds_write = seconds_since(t_write);
    res_.seconds_total = seconds_since(t_start);
    gather_result();
    std::unique_ptr<io::AtomicFile> contamination, report;
    std::vector<std::unique_ptr<io::AtomicFile>> clean;
    if (me_ == 0) {
      Findings all(cfg_, eval_.benchmarks, eval_.index, false);
      for (int r = 0; r < ranks_; ++r)
        all.merge(parts[r], base_[r]);
      all.set_group_docs(group_docs_);
      contamination = std::make_unique<io::AtomicFile>(dir + "contamination.jsonl");
      for (const auto& b : cfg_.evals)
        clean.push_back(std::make_unique<io::AtomicFile>(dir + "clean/" + b.name + ".jsonl"));
      tally_examples(cfg_, eval_.benchmarks, all, res_.benchmarks);
      write_examples(cfg_, eval_.benchmarks, all, *contamination, clean);
      warn_boilerplate(cfg_, res_.benchmarks, obs_.warning);
      contamination->finish();
      for (auto& c : clean)
        c->finish();
      res_.outputs = {dir + "contamination.jsonl", dir + "report.json"};
      for (const auto& b : cfg_.evals)
        res_.outputs.push_back(dir + "clean/" + b.name + ".jsonl");
      if (decon) {
        res_.outputs.push_back(cfg_.write_decontaminated);
        res_.outputs.push_back(dir + "removed.jsonl");
      }
      report = std::make_unique<io::AtomicFile>(dir + "report.json");
      res_.output_dir_files = contam_output_dir_files(cfg_, res_.outputs, out_dir_);
      report->write(report_json(cfg_, res_));
      report->finish();
    }
    comm_.all_gather({});  // nothing failed anywhere: the outputs replace earlier ones
    if (me_ == 0) {
      // In one step (io::Commit), the decontaminated copy last (as in contam/engine.cpp).
      io::Commit commit(cfg_.output_dir);
      commit.add(contamination->release(), contamination->path());
      for (auto& c : clean)
        commit.add(c->release(), c->path());
      if (removed) commit.add(removed->release(), removed->path());
      commit.add(report->release(), report->path());
      if (decon) commit.add(decon->release(), decon->path());
      out_dir_.remove_earlier(commit, contam_kept_paths(cfg_, res_.outputs));
      commit.run();
    }
  }

  // Rank 0: the counts of all ranks, every input, the slowest rank's time per stage. The others
  // keep their own part.
  void gather_result() {
    Packer p;
    for (std::uint64_t v :
         {scan_.documents, scan_.text_bytes, scan_.rejected, scan_.skipped, findings_->matches,
          findings_->documents_matched, res_.decontaminated_cut, res_.decontaminated_dropped,
          res_.skipped_passed_through, spilled_bytes_, spills_, peak_resident_bytes()}) {
      p.put(v);
    }
    for (std::uint64_t v : scan_.skipped_by_reason)
      p.put(v);
    for (double v : {res_.seconds_index, res_.seconds_scan, res_.seconds_write, res_.seconds_total})
      p.put(v);
    put_inputs(p, scan_.inputs);
    const auto all = comm_.all_gather(p.str());
    res_.memory.budget = cfg_.memory;
    if (ranks_ > 1) res_.memory.note = per_rank_memory_note(cfg_.memory != 0);
    if (me_ != 0) {
      res_.memory.spilled_bytes = spilled_bytes_;
      res_.memory.spill_runs = spills_;
      res_.memory.peak_resident = peak_resident_bytes();
      res_.train_inputs = scan_.inputs;
      res_.train_documents = scan_.documents;
      res_.train_text_bytes = scan_.text_bytes;
      res_.train_skipped = scan_.skipped;
      res_.hash_hits_rejected = scan_.rejected;
      res_.matches = findings_->matches;
      res_.train_docs_matched = findings_->documents_matched;
      return;
    }
    ContamResult& t = res_;
    t.decontaminated_cut = t.decontaminated_dropped = t.skipped_passed_through = 0;
    for (const std::string& s : all) {
      Unpacker u(s);
      for (std::uint64_t* v :
           {&t.train_documents, &t.train_text_bytes, &t.hash_hits_rejected, &t.train_skipped,
            &t.matches, &t.train_docs_matched, &t.decontaminated_cut, &t.decontaminated_dropped,
            &t.skipped_passed_through, &t.memory.spilled_bytes, &t.memory.spill_runs}) {
        *v += u.get<std::uint64_t>();
      }
      t.memory.peak_resident = std::max(t.memory.peak_resident, u.get<std::uint64_t>());
      for (std::uint64_t& v : t.skipped_by_reason)
        v += u.get<std::uint64_t>();
      for (double* v : {&t.seconds_index, &t.seconds_scan, &t.seconds_write, &t.seconds_total})
        *v = std::max(*v, u.get<double>());
      get_inputs(u, t.train_inputs);
    }
    for (std::uint32_t c : group_docs_)
      t.boilerplate_ngrams += cfg_.boilerplate(c);
  }

  const ContamConfig& cfg_;
  Communicator& comm_;
  io::OutputDir out_dir_;  // rank 0: the output directory, locked for the run
  const RunObserver& obs_;
  const int ranks_, me_;
  unsigned threads_ = 1;
  ContamResult res_;
  std::unique_ptr<Backend> backend_;
  EvalSide eval_;
  std::unique_ptr<Findings> findings_;
  ScanResult scan_;
  std::vector<std::uint32_t> first_;       // rank r reads training files [first_[r], first_[r + 1])
  std::vector<std::uint64_t> base_;        // rank r's documents are [base_[r], base_[r + 1])
  std::vector<std::uint32_t> group_docs_;  // per n-gram group: documents matched, all ranks
  std::size_t min_memory_ = 0;             // --memory: check_contam_memory's minimum
  std::uint64_t spilled_bytes_ = 0;        // --memory: this rank's Locators spilled
  std::uint64_t spills_ = 0;               // and how many times
};

}  // namespace
}  // namespace contam

ContamResult run_contam_distributed(const ContamConfig& config, Communicator& comm,
                                    const RunObserver& observer) {
  contam::DistContamEngine engine(config, comm, observer);
  try {
    return engine.run();
  } catch (...) {
    engine.remove_output_dir();
    throw;
  }
}

}  // namespace dupscan
