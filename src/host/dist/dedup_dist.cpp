// run_dedup_distributed (distributed.hpp): dedup over the ranks of a Communicator, equal in every
// output byte to one process. Documents are named by their global number g (the one-process
// input order); rank r holds g in [base[r], base[r + 1]).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <type_traits>
#include <unordered_map>

#include "common/pack.hpp"
#include "common/parallel.hpp"
#include "common/progress_text.hpp"
#include "common/radix_sort.hpp"
#include "common/timing.hpp"
#include "dedup/clusters.hpp"
#include "dedup/key_spill.hpp"
#include "dedup/lsh_pairs.hpp"
#include "dedup/output_lines.hpp"
#include "dedup/part.hpp"
#include "dedup/pass1.hpp"
#include "dedup/report.hpp"
#include "dedup/resume.hpp"
#include "dedup/run_setup.hpp"
#include "dedup/verify.hpp"
#include "dist/partition.hpp"
#include "dist/shared_file.hpp"
#include "dupscan/distributed.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"
#include "io/output_dir.hpp"
#include "io/parquet_copy.hpp"
#include "io/record.hpp"

namespace dupscan {
namespace {

constexpr std::uint64_t kNone = UINT64_MAX;

using Pair = std::pair<std::uint64_t, std::uint64_t>;  // (u, v), u < v, global numbers

// ---- the engine --------------------------------------------------------------------------------

struct Cluster {
  std::uint64_t id = 0;
  std::uint64_t kept = 0;      // global number of the kept member
  std::uint64_t kept_rep = 0;  // its exact group's earliest member
  std::string kept_id;         // its id as JSON
};

class DistEngine {
 public:
  DistEngine(const DedupConfig& cfg, Communicator& comm, const RunObserver& obs)
      : cfg_(cfg), comm_(comm), obs_(obs), ranks_(comm.size()), me_(comm.rank()) {}

  DedupResult run() {
    const auto t_start = Clock::now();
    cfg_.validate();
    reject_unsupported();
    // As one process does, on every rank alike (a usage error then ends them all in order).
    check_dedup_paths(cfg_, true);
    partition_inputs();
    if (me_ == 0) prepare_output_dir();
    open_work_dir();

    auto t = Clock::now();
    const std::size_t seen_exact_cap = open_spill();
    part_ = read_part(cfg_, first_[me_], first_[me_ + 1] - first_[me_], obs_, work_.get(),
                      spill_.get(), seen_exact_cap, doc_spill_.get());
    if (docs_spilled()) {
      memory_.documents_on_disk = part_.docs.size();
    } else {
      doc_spill_.reset();  // nothing of it on disk (its directory was never made)
    }
    counts_ = part_.counts;  // the later stages add theirs
    number_documents();
    timings_.read_sketch = seconds_since(t);

    t = Clock::now();
    exact_groups();
    std::vector<XXH128_hash_t>().swap(part_.docs.exact);  // no later stage reads them
    timings_.exact = seconds_since(t);

    t = Clock::now();
    lsh_candidates();
    timings_.lsh = seconds_since(t);

    t = Clock::now();
    verify_candidates();
    timings_.verify = seconds_since(t);

    t = Clock::now();
    cluster();
    timings_.cluster = seconds_since(t);

    t = Clock::now();
    write_outputs(t, t_start);
    return res_;
  }

  // After a failure (on any rank): a work directory without a part (nothing to resume) goes;
  // rank 0 releases the lock and removes the directory it made.
  void remove_output_dir(bool failed) noexcept {
    spill_.reset();  // this rank's spills (rank 0 removes their directories if they are empty)
    doc_spill_.reset();
    if (me_ == 0) ::rmdir((cfg_.output_dir + "/.dupscan-spill").c_str());
    if (me_ == 0) ::rmdir((cfg_.output_dir + "/.dupscan-spill-docs").c_str());
    if (work_ && !work_->keep_after_failure(failed)) {
      ::rmdir(res_.resume.work_dir.c_str());  // when the other ranks' are gone too
    }
    out_dir_.remove_created();
  }

 private:
  // ---- set-up ----------------------------------------------------------------------------------

  void reject_unsupported() const {
    for (const std::string& path : cfg_.inputs) {
      if (path == "-") throw UsageError("a distributed run cannot read stdin: give files");
      if (io::reads_once(path)) {
        throw UsageError("a distributed run cannot read '" + path +
                         "', a pipe or device that cannot be read twice: give files");
      }
    }
    // Parquet inputs are copied as Parquet rows (parquet_copy) or JSON objects (deduped_piece);
    // line files as lines, into JSON Lines only (each rank's piece is part of one file).
    if (!cfg_.write_deduped.empty() &&
        copy_is_parquet(cfg_.write_deduped, cfg_.inputs, cfg_.in_place) &&
        !std::any_of(cfg_.inputs.begin(), cfg_.inputs.end(), is_parquet_file)) {
      throw UsageError("--write-deduped '" + cfg_.write_deduped +
                       "' names a Parquet file, and a distributed run copies line files into "
                       "JSON Lines only: name it .jsonl (.gz, .zst), or run dupscan dedup");
    }
    if (!cfg_.tables.empty()) throw UsageError("a distributed run reads files, not tables");
    if (!cfg_.against.empty()) {
      throw UsageError("--against is not supported in a distributed run yet; run dupscan dedup");
    }
    if (!cfg_.write_signatures.empty()) {
      throw UsageError(
          "--write-signatures is not supported in a distributed run yet; run dupscan dedup");
    }
    if (!cfg_.verify) {
      throw UsageError(
          "--no-verify is not supported in a distributed run: it would ship "
          "signatures between ranks; verification is the default");
    }
  }

  void partition_inputs() { first_ = partition_files(cfg_.inputs, ranks_); }

  // Rank 0, before reading: the output directory can take files (else fail now, not after the
  // work), and is locked until the run ends: rank 0 writes what is shared (the others write
  // pieces it joins), so its lock alone keeps a second run out, and no rank waits on another for
  // it. A run that fails removes the directory if it made it (remove_output_dir); one ended by
  // MPI_Abort leaves it, with the lock file in it (an flock on a leftover file is harmless).
  void prepare_output_dir() {
    out_dir_.claim(dedup_own_paths(cfg_), cfg_.force);
    out_dir_.prepare(cfg_.output_dir, "",
                     {cfg_.write_deduped.empty() ? "" : io::dir_of(cfg_.write_deduped)});
    // What a killed run under --memory left there (one process's, or any rank count's): before
    // open_work_dir's collective, so before any rank of this run makes its own.
    KeySpill::discard_all(cfg_.output_dir + "/.dupscan-spill");
    KeySpill::discard_all(cfg_.output_dir + "/.dupscan-spill-docs");
  }

  // --memory, per rank, as one process takes it (engine.cpp's open_spill): the rank's band keys
  // go to disk past a quarter of the budget, into OUT/.dupscan-spill/rank-R-of-N or, under
  // --tmp-dir, a temporary directory named by host, process and rank; the texts remembered to
  // sketch each once are bounded to an eighth of it. @return that bound (SIZE_MAX: none).
  std::size_t open_spill() {
    if (cfg_.memory == 0) return SIZE_MAX;
    comm_.all_gather({});  // rank 0 has cleared OUT/.dupscan-spill (prepare_output_dir)
    std::size_t window = cfg_.memory / 4;
    // Tests force the spill's paths on small inputs (many runs, cascaded merges).
    if (const char* w = std::getenv("DUPSCAN_TEST_SPILL_WINDOW")) window = std::stoull(w);
    const std::string rank = std::to_string(me_) + "-of-" + std::to_string(ranks_);
    std::string dir = cfg_.output_dir + "/.dupscan-spill/rank-" + rank;
    if (!cfg_.tmp_dir.empty()) {
      io::make_dirs(cfg_.tmp_dir);
      io::remove_stale_temporaries(cfg_.tmp_dir);  // a killed run's, of this host
      dir = io::temp_path(cfg_.tmp_dir + "/dupscan-spill", "keys-rank-" + rank);
    }
    spill_ = std::make_unique<KeySpill>(dir, cfg_.resolved_lsh().bands, window);
    // With the keys, the same documents' Locators, ids and lengths (doc_spill.hpp), in
    // OUT/.dupscan-spill-docs/rank-R-of-N (as one process's OUT/.dupscan-spill-docs).
    doc_spill_ = std::make_unique<DocSpill>(
        cfg_.tmp_dir.empty() ? cfg_.output_dir + "/.dupscan-spill-docs/rank-" + rank
                             : io::temp_path(cfg_.tmp_dir + "/dupscan-spill", "docs-rank-" + rank));
    // Tests bound the texts remembered to a few, so that exact copies are sketched again and
    // their keys spilled more than once per group.
    if (const char* c = std::getenv("DUPSCAN_TEST_SEEN_EXACT_CAP")) return std::stoull(c);
    return std::max<std::size_t>(cfg_.memory / 8 / 64, 1);
  }

  // Each rank keeps its pass 1 in its own work directory, ROOT/rank-R-of-N (resume.hpp), ROOT
  // being --work-dir or OUT/.dupscan-work; a run of the same command (and rank count) resumes
  // from them. Whether a rank refuses (other options, a changed input of its share) is decided
  // together, so that all ranks leave at the same point.
  void open_work_dir() {
    ResumeSummary& r = res_.resume;
    r.inputs = static_cast<std::uint32_t>(cfg_.inputs.size());
    if (!cfg_.resume) {
      r.why_not = "--no-resume";
      return;
    }
    const std::string root =
        cfg_.work_dir.empty() ? cfg_.output_dir + "/.dupscan-work" : cfg_.work_dir;
    char name[48];
    std::snprintf(name, sizeof name, "rank-%d-of-%d", me_, ranks_);
    std::string refusal;
    try {
      const std::string other = other_rank_count(root);
      if (!other.empty() && !cfg_.restart) {
        throw UsageError("the work directory " + root + " holds an interrupted run of " + other +
                         ", this one has " + std::to_string(ranks_) +
                         ": run it with that many ranks to resume it, or pass --restart to "
                         "discard it and start over");
      }
      DedupConfig share = cfg_;
      share.inputs.assign(cfg_.inputs.begin() + first_[me_], cfg_.inputs.begin() + first_[me_ + 1]);
      work_ = std::make_unique<WorkDir>(
          root + "/" + name,
          WorkDir::dedup_identity(
              share, cfg_.resolved_lsh(), first_[me_],
              "dupscan-mpi dedup, rank " + std::to_string(me_) + " of " + std::to_string(ranks_)),
          cfg_.restart);
    } catch (const UsageError& e) {
      refusal = e.what();
    }
    for (const std::string& m : comm_.all_gather(refusal)) {
      if (!m.empty()) throw UsageError(m);
    }
    r.work_dir = root;
    r.inputs_loaded = work_->parts_done();
    if (!work_->discarded().empty() && obs_.info) obs_.info(work_->discarded());
    if (r.inputs_loaded > 0 && obs_.info) obs_.info(work_->resuming_note());
  }

  // "a one-process dupscan dedup" or "N ranks" when ROOT holds another kind of run's work;
  // empty when none. With --restart rank 0 removes it.
  std::string other_rank_count(const std::string& root) const {
    std::string other;
    const std::string suffix = "-of-" + std::to_string(ranks_);
    std::vector<std::string> stale;
    for (const std::string& n : WorkDir::entries(root)) {
      const bool ours = n.compare(0, 5, "rank-") == 0 && n.size() > suffix.size() &&
                        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (ours) continue;
      if (n == "run.json") other = "a one-process dupscan dedup";
      if (n.compare(0, 5, "rank-") == 0) other = n.substr(n.rfind("-of-") + 4) + " ranks";
      stale.push_back(root + "/" + n);
    }
    if (cfg_.restart && me_ == 0) {
      for (const std::string& path : stale) {
        WorkDir::discard(path);  // another rank count's directory
        ::unlink(path.c_str());  // or a file: a one-process run's run.json, its parts
      }
    }
    return other;
  }

  void number_documents() {
    Packer p;
    p.put<std::uint64_t>(part_.docs.size());
    const auto all = comm_.all_gather(p.str());
    base_.assign(ranks_ + 1, 0);
    for (int r = 0; r < ranks_; ++r)
      base_[r + 1] = base_[r] + Unpacker(all[r]).get<std::uint64_t>();
    my_base_ = base_[me_];
    display_.assign(cfg_.inputs.begin(), cfg_.inputs.end());
  }

  int rank_of(std::uint64_t g) const {
    return static_cast<int>(std::upper_bound(base_.begin(), base_.end(), g) - base_.begin()) - 1;
  }
  std::uint32_t local(std::uint64_t g) const { return static_cast<std::uint32_t>(g - my_base_); }

  void stage(const char* name) {
    check_interrupt();
    if (!obs_.progress) return;
    Progress p;
    p.stage = name;
    p.documents = part_.docs.size();
    obs_.progress(p);
  }

  // ---- exact groups ----------------------------------------------------------------------------

  // rep_[d]: global number of the earliest document with d's normalized text (kNone: empty).
  // The part's earliest member of each group asks the rank owning the hash for the global one.
  void exact_groups() {
    stage("exact");
    const DocTable& docs = part_.docs;
    const std::size_t n = docs.size();
    std::vector<Packer> out(ranks_);
    auto send = [&](const XXH128_hash_t& h, std::uint32_t d) {
      Packer& p = out[h.low64 % static_cast<std::uint64_t>(ranks_)];
      p.put(h.high64);
      p.put(h.low64);
      p.put<std::uint64_t>(my_base_ + d);
    };
    if (docs_spilled()) {
      doc_spill_->for_each_group_first(send);  // the receivers sort what they get
    } else {
      for (std::uint32_t d = 0; d < n; ++d) {
        if (!docs.empty[d] && part_.exact_rep[d] == d) send(docs.exact[d], d);
      }
    }
    const auto in = comm_.all_to_all(strings_of(out));
    struct Entry {
      std::uint64_t high, low, g;
      bool operator<(const Entry& o) const {
        return high != o.high ? high < o.high : low != o.low ? low < o.low : g < o.g;
      }
    };
    std::vector<Entry> entries;
    for (const std::string& s : in) {
      Unpacker u(s);
      while (u.more()) {
        Entry e;
        e.high = u.get<std::uint64_t>();
        e.low = u.get<std::uint64_t>();
        e.g = u.get<std::uint64_t>();
        entries.push_back(e);
      }
    }
    std::sort(entries.begin(), entries.end());
    std::vector<Packer> answer(ranks_);
    // Every member but the first learns the first; the first learns (g, g) that the group spans
    // ranks.
    for (std::size_t i = 0; i < entries.size();) {
      std::size_t e = i + 1;
      while (e < entries.size() && entries[e].high == entries[i].high &&
             entries[e].low == entries[i].low) {
        Packer& p = answer[rank_of(entries[e].g)];
        p.put(entries[e].g);
        p.put(entries[i].g);
        ++e;
      }
      if (e > i + 1) {
        Packer& p = answer[rank_of(entries[i].g)];
        p.put(entries[i].g);
        p.put(entries[i].g);
      }
      i = e;
    }
    std::vector<std::uint64_t> global(n);
    std::vector<std::uint8_t> spans(n, 0);
    for (std::uint32_t d = 0; d < n; ++d)
      global[d] = my_base_ + d;
    for (const std::string& s : comm_.all_to_all(strings_of(answer))) {
      Unpacker u(s);
      while (u.more()) {
        const auto g = u.get<std::uint64_t>();
        global[local(g)] = u.get<std::uint64_t>();
        spans[local(g)] = 1;
      }
    }
    std::vector<std::uint32_t> here(n, 0);  // members here, per local group
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!docs.empty[d]) ++here[part_.exact_rep[d]];
    }
    rep_.assign(n, kNone);
    grouped_.assign(n, 0);
    for (std::uint32_t d = 0; d < n; ++d) {
      if (docs.empty[d]) continue;
      const std::uint32_t lr = part_.exact_rep[d];
      rep_[d] = global[lr];
      grouped_[d] = here[lr] >= 2 || spans[lr];
      if (rep_[d] == my_base_ + d) lsh_docs_.push_back(d);
    }
    counts_.lsh_documents = lsh_docs_.size();
  }

  // ---- LSH -------------------------------------------------------------------------------------

  // One round per band: (key, g) to the key's rank, which pairs each bucket member with the
  // bucket's first; each pair (u, v) goes to v's rank.
  void lsh_candidates() {
    const std::uint32_t bands = part_.lsh.bands;
    const bool spilled = spill_ && spill_->spilled();
    for (std::uint32_t j = 0; j < bands; ++j) {
      stage("lsh");
      std::vector<Packer> out(ranks_);
      auto send = [&](std::uint64_t key, std::uint32_t d) {
        Packer& p = out[key_owner(key)];
        p.put(key);
        p.put<std::uint64_t>(my_base_ + d);
      };
      if (spilled) {
        send_spilled_band(j, send);
      } else {
        for (std::uint32_t d : lsh_docs_)
          send(part_.docs.keys[std::size_t{d} * bands + j], d);
      }
      // Ranks in order, each sending its documents in order of document (from memory) or of
      // (key, document) (from the spill): either way the entries of one key arrive in document
      // order (rank r's documents all precede rank r + 1's), and a stable sort by key orders
      // them by (key, document).
      std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
      const auto in = comm_.all_to_all(strings_of(out));
      std::size_t total = 0;
      for (const std::string& s : in)
        total += s.size() / 16;
      entries.reserve(total);
      for (const std::string& s : in) {
        Unpacker u(s);
        while (u.more()) {
          const auto key = u.get<std::uint64_t>();
          entries.emplace_back(key, u.get<std::uint64_t>());
        }
      }
      radix_sort_by_key(entries);
      std::vector<Packer> pairs(ranks_);
      stages::pair_with_bucket_heads(entries.data(), entries.size(),
                                     [&](std::uint64_t first, std::uint64_t member) {
                                       Packer& p = pairs[rank_of(member)];
                                       p.put(first);
                                       p.put(member);
                                     });
      for (const std::string& s : comm_.all_to_all(strings_of(pairs))) {
        Unpacker u(s);
        while (u.more()) {
          const auto a = u.get<std::uint64_t>();
          pairs_.emplace_back(a, u.get<std::uint64_t>());
        }
      }
    }
    std::sort(pairs_.begin(), pairs_.end());
    pairs_.erase(std::unique(pairs_.begin(), pairs_.end()), pairs_.end());
    counts_.candidate_pairs = pairs_.size();
    if (spill_) {
      memory_.spilled_bytes =
          spill_->bytes_written() + (doc_spill_ ? doc_spill_->bytes_written() : 0);
      memory_.spill_runs = spill_->runs();
      spill_.reset();  // its files are not needed any more
    }
    std::vector<std::uint64_t>().swap(part_.docs.keys);  // nor the keys (verification's memory)
  }

  // Band j's entries from the spill's runs, as lsh_candidates takes them from memory: one per
  // document of lsh_docs_ with its group's key. A spilled entry of document d (sketched, not
  // empty) counts for d's group's first here, part_.exact_rep[d], when that is the group's first
  // of all ranks (in lsh_docs_); members sketched more than once (past the seen-exact cap) give
  // it once. send(key, d) in (key, d) order.
  template <class Send>
  void send_spilled_band(std::uint32_t j, Send&& send) {
    spill_->for_each_bucket(
        j,
        [&](std::uint32_t d) {
          const std::uint32_t first = part_.exact_rep[d];
          return part_.docs.empty[d] || rep_[first] != my_base_ + first ? KeySpill::kLeftOut
                                                                        : first;
        },
        [&](std::uint64_t key, const std::vector<std::uint32_t>& firsts) {
          for (std::uint32_t d : firsts)
            send(key, d);
        });
  }

  int key_owner(std::uint64_t key) const {
    return static_cast<int>(((key * 0x9E3779B97F4A7C15ULL) >> 32) %
                            static_cast<std::uint64_t>(ranks_));
  }

  // ---- verification ----------------------------------------------------------------------------

  // Verification sets of the part's documents `docs` (ascending), read again.
  std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> local_sets(
      const std::vector<std::uint32_t>& docs) {
    std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> sets;
    if (docs.empty()) return sets;
    fetch_sets(part_.documents, part_.docs.loc, doc_spill_.get(), docs, dedup_read_spec(cfg_),
               cfg_.normalize, *part_.sketcher, part_.threads,
               [&](const std::vector<std::uint32_t>& got, const FlatSets& flat) {
                 for (std::size_t i = 0; i < got.size(); ++i) {
                   sets.emplace(got[i], std::vector<std::uint64_t>(
                                            flat.values.begin() + flat.offsets[i],
                                            flat.values.begin() + flat.offsets[i + 1]));
                 }
               });
    return sets;
  }

  /**
   * Collective: the exact Jaccard of each pair (u, v), v held here. The sets of partners held by
   * other ranks are computed there and sent here.
   */
  std::vector<double> jaccards(const std::vector<Pair>& pairs) {
    std::vector<std::uint64_t> remote;
    std::vector<std::uint32_t> mine;
    for (const Pair& p : pairs) {
      if (rank_of(p.first) == me_) {
        mine.push_back(local(p.first));
      } else {
        remote.push_back(p.first);
      }
      mine.push_back(local(p.second));
    }
    std::sort(remote.begin(), remote.end());
    remote.erase(std::unique(remote.begin(), remote.end()), remote.end());
    std::vector<Packer> ask(ranks_);
    for (std::uint64_t g : remote)
      ask[rank_of(g)].put(g);
    const auto asked = comm_.all_to_all(strings_of(ask));
    for (const std::string& s : asked) {
      Unpacker u(s);
      while (u.more())
        mine.push_back(local(u.get<std::uint64_t>()));
    }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    const auto sets = local_sets(mine);
    std::vector<Packer> answer(ranks_);
    for (int r = 0; r < ranks_; ++r) {
      Unpacker u(asked[r]);
      while (u.more()) {
        const auto g = u.get<std::uint64_t>();
        const std::vector<std::uint64_t>& set = sets.at(local(g));
        answer[r].put(g);
        answer[r].put<std::uint64_t>(set.size());
        answer[r].str().append(reinterpret_cast<const char*>(set.data()),
                               set.size() * sizeof(std::uint64_t));
      }
    }
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> received;
    for (const std::string& s : comm_.all_to_all(strings_of(answer))) {
      Unpacker u(s);
      while (u.more()) {
        const auto g = u.get<std::uint64_t>();
        std::vector<std::uint64_t> set(u.get<std::uint64_t>());
        for (std::uint64_t& h : set)
          h = u.get<std::uint64_t>();
        received.emplace(g, std::move(set));
      }
    }
    auto set_of = [&](std::uint64_t g) -> const std::vector<std::uint64_t>& {
      return rank_of(g) == me_ ? sets.at(local(g)) : received.at(g);
    };
    std::vector<double> result(pairs.size());
    parallel_for(pairs.size(), part_.threads, 64, [&](std::size_t i) {
      result[i] = jaccard(set_of(pairs[i].first), set_of(pairs[i].second));
    });
    return result;
  }

  /**
   * Collective: jaccards() over at most cfg.verify_round_pairs pairs at a time, the same number
   * of rounds on every rank, so that the partners' sets held at once stay bounded.
   */
  std::vector<double> jaccards_in_rounds(const std::vector<Pair>& pairs) {
    Packer p;
    p.put<std::uint64_t>(pairs.size());
    std::uint64_t most = 0;
    for (const std::string& s : comm_.all_gather(p.str()))
      most = std::max(most, Unpacker(s).get<std::uint64_t>());
    const std::uint64_t round = std::max<std::uint64_t>(1, cfg_.verify_round_pairs);
    std::vector<double> result;
    result.reserve(pairs.size());
    for (std::uint64_t from = 0; from < most; from += round) {
      const std::size_t b = static_cast<std::size_t>(std::min<std::uint64_t>(from, pairs.size()));
      const std::size_t e =
          static_cast<std::size_t>(std::min<std::uint64_t>(from + round, pairs.size()));
      const std::vector<double> j =
          jaccards(std::vector<Pair>(pairs.begin() + b, pairs.begin() + e));
      result.insert(result.end(), j.begin(), j.end());
    }
    return result;
  }

  void verify_candidates() {
    stage("verify");
    const std::vector<double> j = jaccards_in_rounds(pairs_);
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      known_.emplace(pairs_[i], j[i]);
      if (j[i] >= cfg_.threshold) edges_.push_back(pairs_[i]);
    }
    counts_.verified_pairs = edges_.size();
    counts_.rejected_pairs = pairs_.size() - edges_.size();
  }

  // ---- clusters --------------------------------------------------------------------------------

  /// Collective: OR of every rank's `mine`.
  bool any_rank(bool mine) {
    for (const std::string& s : comm_.all_gather(std::string(1, mine ? '1' : '0'))) {
      if (s == "1") return true;
    }
    return false;
  }

  /// Collective: the label of each document in `gs`, asked of the rank holding it; kNone for a
  /// document in no verified pair.
  std::unordered_map<std::uint64_t, std::uint64_t> labels_of(std::vector<std::uint64_t> gs) {
    std::sort(gs.begin(), gs.end());
    gs.erase(std::unique(gs.begin(), gs.end()), gs.end());
    std::vector<Packer> ask(ranks_);
    for (std::uint64_t g : gs)
      ask[rank_of(g)].put(g);
    const auto asked = comm_.all_to_all(strings_of(ask));
    std::vector<Packer> answer(ranks_);
    for (int r = 0; r < ranks_; ++r) {
      Unpacker u(asked[r]);
      while (u.more()) {
        const auto g = u.get<std::uint64_t>();
        const auto it = label_.find(g);
        answer[r].put(g);
        answer[r].put(it == label_.end() ? kNone : it->second);
      }
    }
    std::unordered_map<std::uint64_t, std::uint64_t> labels;
    labels.reserve(gs.size());
    for (const std::string& s : comm_.all_to_all(strings_of(answer))) {
      Unpacker u(s);
      while (u.more()) {
        const auto g = u.get<std::uint64_t>();
        labels.emplace(g, u.get<std::uint64_t>());
      }
    }
    return labels;
  }

  /**
   * Connected components of the verified pairs, without gathering them: every document in a pair
   * has a label, kept by the rank holding it, first itself. Each round, every pair proposes the
   * smaller of its ends' labels to both ends and to both labels (hooking); then labels jump to
   * their label's label until none moves (pointer jumping). Rounds end when no proposal lowered
   * a label: then both ends of every pair have one label. Labels only fall and never leave their
   * component, so each ends as the component's smallest document -- the root the one-process
   * union-find (smaller index wins) picks.
   */
  void join_edges() {
    std::vector<Packer> out(ranks_);
    for (const Pair& e : edges_) {
      label_.emplace(e.second, e.second);
      out[rank_of(e.first)].put(e.first);
    }
    for (const std::string& s : comm_.all_to_all(strings_of(out))) {
      Unpacker u(s);
      while (u.more()) {
        const auto g = u.get<std::uint64_t>();
        label_.emplace(g, g);
      }
    }
    for (;;) {
      std::vector<std::uint64_t> ends;
      ends.reserve(edges_.size() * 2);
      for (const Pair& e : edges_) {
        ends.push_back(e.first);
        ends.push_back(e.second);
      }
      const auto lab = labels_of(std::move(ends));
      std::unordered_map<std::uint64_t, std::uint64_t> proposal;  // smallest per document
      auto propose = [&](std::uint64_t target, std::uint64_t m) {
        const auto [it, fresh] = proposal.emplace(target, m);
        if (!fresh && m < it->second) it->second = m;
      };
      for (const Pair& e : edges_) {
        const std::uint64_t a = lab.at(e.first), b = lab.at(e.second);
        if (a == b) continue;
        const std::uint64_t m = std::min(a, b);
        propose(e.first, m);
        propose(e.second, m);
        propose(std::max(a, b), m);
      }
      std::vector<Packer> send(ranks_);
      for (const auto& [target, m] : proposal) {
        send[rank_of(target)].put(target);
        send[rank_of(target)].put(m);
      }
      bool moved = false;
      for (const std::string& s : comm_.all_to_all(strings_of(send))) {
        Unpacker u(s);
        while (u.more()) {
          const auto target = u.get<std::uint64_t>();
          const auto m = u.get<std::uint64_t>();
          std::uint64_t& l = label_.at(target);
          if (m < l) {
            l = m;
            moved = true;
          }
        }
      }
      for (;;) {
        std::vector<std::uint64_t> parents;
        for (const auto& [g, l] : label_) {
          if (l != g) parents.push_back(l);
        }
        const auto up = labels_of(std::move(parents));
        bool jumped = false;
        for (auto& [g, l] : label_) {
          if (l == g) continue;
          const std::uint64_t next = up.at(l);
          if (next < l) {
            l = next;
            jumped = true;
          }
        }
        if (!any_rank(jumped)) break;
      }
      if (!any_rank(moved)) break;
    }
  }

  // Is candidate (len, g) a better kept member than the current best?
  bool better(std::uint64_t len, std::uint64_t g, std::uint64_t best_len,
              std::uint64_t best) const {
    return stages::better_kept(cfg_.keep, len, g, best_len, best);
  }

  void cluster() {
    stage("cluster");
    join_edges();
    number_clusters(merge_candidates(root_candidates()));
    jaccard_with_kept();
  }

  // A cluster's members on one rank, and the best kept candidate among them.
  struct Agg {
    std::uint64_t count = 0, best_len = 0, best = kNone, best_rep = 0;
  };
  // A cluster's members on every rank, on the rank that holds its root.
  struct Merged {
    Agg agg;
    std::string best_id;
    std::vector<int> from;
  };

  // Each document's cluster root (root_), and per root the members here and their best kept
  // candidate.
  std::unordered_map<std::uint64_t, Agg> root_candidates() {
    const DocTable& docs = part_.docs;
    const std::size_t n = docs.size();
    root_.assign(n, kNone);
    // Under a spill --keep longest reads the lengths back (8 bytes a document); first needs none.
    std::vector<std::uint64_t> spilled_len;
    if (docs_spilled() && cfg_.keep == KeepPolicy::longest)
      spilled_len = doc_spill_->text_lengths();
    auto text_len = [&](std::uint32_t d) -> std::uint64_t {
      if (!docs_spilled()) return docs.text_len[d];
      return spilled_len.empty() ? 0 : spilled_len[d];
    };
    // The label of each exact group's first member, where the group has other members (its first
    // may be on another rank); a document alone with its text is its own first member.
    std::vector<std::uint64_t> firsts;
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!docs.empty[d] && grouped_[d]) firsts.push_back(rep_[d]);
    }
    const auto group_label = labels_of(std::move(firsts));
    std::unordered_map<std::uint64_t, Agg> mine;
    for (std::uint32_t d = 0; d < n; ++d) {
      if (docs.empty[d]) continue;
      // The cluster's root: the label of the group's first member, or that member when it is in
      // no verified pair. Alone in its cluster (most documents): in no pair, alone with its text.
      if (grouped_[d]) {
        const std::uint64_t l = group_label.at(rep_[d]);
        root_[d] = l == kNone ? rep_[d] : l;
      } else {
        const auto it = label_.find(rep_[d]);
        if (it == label_.end()) continue;
        root_[d] = it->second;
      }
      Agg& a = mine[root_[d]];
      ++a.count;
      const std::uint64_t g = my_base_ + d;
      if (a.best == kNone || better(text_len(d), g, a.best_len, a.best)) {
        a.best_len = text_len(d);
        a.best = g;
        a.best_rep = rep_[d];
      }
    }
    if (docs_spilled()) read_clustered_ids();
    return mine;
  }

  // Every rank's candidates sent to the rank of their root, merged there.
  std::map<std::uint64_t, Merged> merge_candidates(
      const std::unordered_map<std::uint64_t, Agg>& mine) {
    std::vector<Packer> out(ranks_);
    std::string id;
    for (const auto& [root, a] : mine) {
      Packer& p = out[rank_of(root)];
      p.put(root);
      p.put(a.count);
      p.put(a.best_len);
      p.put(a.best);
      p.put(a.best_rep);
      id.clear();
      append_id(id, local(a.best));
      p.put_str(id);
    }
    // Roots held here: the parts of every rank merged.
    std::map<std::uint64_t, Merged> merged;
    const auto in = comm_.all_to_all(strings_of(out));
    for (int r = 0; r < ranks_; ++r) {
      Unpacker u(in[r]);
      while (u.more()) {
        const auto root = u.get<std::uint64_t>();
        Agg a;
        a.count = u.get<std::uint64_t>();
        a.best_len = u.get<std::uint64_t>();
        a.best = u.get<std::uint64_t>();
        a.best_rep = u.get<std::uint64_t>();
        const std::string_view best_id = u.get_str();
        Merged& m = merged[root];
        m.agg.count += a.count;
        if (m.agg.best == kNone || better(a.best_len, a.best, m.agg.best_len, m.agg.best)) {
          m.agg.best_len = a.best_len;
          m.agg.best = a.best;
          m.agg.best_rep = a.best_rep;
          m.best_id.assign(best_id);
        }
        m.from.push_back(r);
      }
    }
    return merged;
  }

  // The clusters of >= 2 members numbered in root order across ranks, and each rank told the
  // number, kept member and kept id of the clusters it has members of (clusters_).
  void number_clusters(const std::map<std::uint64_t, Merged>& merged) {
    std::uint64_t numbered = 0;
    for (const auto& [root, m] : merged)
      numbered += m.agg.count >= 2;
    Packer p;
    p.put(numbered);
    const auto per_rank = comm_.all_gather(p.str());
    std::uint64_t next_id = 0;
    for (int r = 0; r < ranks_; ++r) {
      const auto c = Unpacker(per_rank[r]).get<std::uint64_t>();
      if (r < me_) next_id += c;
      counts_.clusters += c;
    }
    std::vector<Packer> answer(ranks_);
    for (const auto& [root, m] : merged) {
      if (m.agg.count < 2) continue;
      for (int r : m.from) {
        answer[r].put(root);
        answer[r].put(next_id);
        answer[r].put(m.agg.best);
        answer[r].put(m.agg.best_rep);
        answer[r].put_str(m.best_id);
      }
      owned_.push_back(root);
      ++next_id;
    }
    for (const std::string& s : comm_.all_to_all(strings_of(answer))) {
      Unpacker u(s);
      while (u.more()) {
        const auto root = u.get<std::uint64_t>();
        Cluster c;
        c.id = u.get<std::uint64_t>();
        c.kept = u.get<std::uint64_t>();
        c.kept_rep = u.get<std::uint64_t>();
        c.kept_id.assign(u.get_str());
        clusters_.emplace(root, std::move(c));
      }
    }
  }

  const Cluster* cluster_of(std::uint32_t d) const {
    if (root_[d] == kNone) return nullptr;
    const auto it = clusters_.find(root_[d]);
    return it == clusters_.end() ? nullptr : &it->second;
  }

  /// Whether this rank's Locators, ids and lengths are on disk (doc_spill.hpp), not in part_.docs.
  bool docs_spilled() const { return doc_spill_ && doc_spill_->spilled(); }

  // Under the spill, the ids of the documents with a cluster root, the only ones the outputs name,
  // read back once (clustered_ids_ row i is clustered_[i]).
  void read_clustered_ids() {
    clustered_.clear();
    for (std::uint32_t d = 0; d < root_.size(); ++d) {
      if (root_[d] != kNone) clustered_.push_back(d);
    }
    clustered_ids_ = doc_spill_->ids_of(clustered_);
  }

  /// Document d's id as JSON (Part::append_id), from the ids read back under the spill.
  void append_id(std::string& out, std::uint32_t d) const {
    if (!docs_spilled()) {
      part_.append_id(out, d, display_);
      return;
    }
    const auto it = std::lower_bound(clustered_.begin(), clustered_.end(), d);
    if (it == clustered_.end() || *it != d) {
      throw Error("internal: the id of document " + std::to_string(d) + " was not read back");
    }
    const auto row = static_cast<std::uint32_t>(it - clustered_.begin());
    clustered_ids_.append_id(out, row, [&] { return display_[clustered_ids_.loc[row].input]; });
  }

  bool removed(std::uint32_t d) const {
    const Cluster* c = cluster_of(d);
    return c && c->kept != my_base_ + d;
  }

  // The Jaccard of each removed near duplicate with its kept document: known at v's rank when the
  // pair was a candidate, computed there otherwise.
  void jaccard_with_kept() {
    std::vector<Packer> ask(ranks_);
    for (std::uint32_t d = 0; d < part_.docs.size(); ++d) {
      if (!removed(d)) continue;
      tally_removed(rep_[d], cluster_of(d)->kept_rep, counts_,
                    [&](std::uint64_t a, std::uint64_t b) { ask[rank_of(b)].put(Pair(a, b)); });
    }
    const auto asked = comm_.all_to_all(strings_of(ask));
    std::vector<Pair> missing;
    for (const std::string& s : asked) {
      Unpacker u(s);
      while (u.more()) {
        const auto p = u.get_pair();
        if (!known_.count(p)) missing.push_back(p);
      }
    }
    counts_.jaccard_extra_pairs = add_kept_jaccards(
        std::move(missing), known_,
        [this](const std::vector<Pair>& pairs) { return jaccards_in_rounds(pairs); });
    std::vector<Packer> answer(ranks_);
    for (int r = 0; r < ranks_; ++r) {
      Unpacker u(asked[r]);
      while (u.more()) {
        const auto p = u.get_pair();
        answer[r].put(p);
        answer[r].put(known_.at(p));
      }
    }
    for (const std::string& s : comm_.all_to_all(strings_of(answer))) {
      Unpacker u(s);
      while (u.more()) {
        const auto p = u.get_pair();
        kept_jaccard_[p] = u.get<double>();
      }
    }
  }

  // ---- outputs ---------------------------------------------------------------------------------

  std::string duplicate_lines() {
    std::string lines, id;
    for (std::uint32_t d = 0; d < part_.docs.size(); ++d) {
      if (!removed(d)) continue;
      const Cluster& c = *cluster_of(d);
      const bool exact = rep_[d] == c.kept_rep;
      id.clear();
      append_id(id, d);
      const Pair p(std::min(rep_[d], c.kept_rep), std::max(rep_[d], c.kept_rep));
      append_duplicate_line(lines, id, c.kept_id, static_cast<std::uint32_t>(c.id), exact,
                            exact ? 1.0 : kept_jaccard_.at(p));
    }
    return lines;
  }

  // Every member of a cluster reports its id to the rank that numbered the cluster, which writes
  // the clusters' lines in their order.
  std::string cluster_lines() {
    std::vector<Packer> out(ranks_);
    std::string id;
    for (std::uint32_t d = 0; d < part_.docs.size(); ++d) {
      if (!cluster_of(d)) continue;
      Packer& p = out[rank_of(root_[d])];
      p.put(root_[d]);
      p.put<std::uint64_t>(my_base_ + d);
      id.clear();
      append_id(id, d);
      p.put_str(id);
    }
    std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::string>>> members;
    for (const std::string& s : comm_.all_to_all(strings_of(out))) {
      Unpacker u(s);
      while (u.more()) {
        const auto root = u.get<std::uint64_t>();
        const auto g = u.get<std::uint64_t>();
        members[root].emplace_back(g, std::string(u.get_str()));
      }
    }
    std::string lines;
    for (std::uint64_t root : owned_) {
      auto& m = members.at(root);
      std::sort(m.begin(), m.end());
      const Cluster& c = clusters_.at(root);
      append_cluster_line(lines, static_cast<std::uint32_t>(c.id), c.kept_id,
                          [&](std::string& out) {
                            for (std::size_t i = 0; i < m.size(); ++i) {
                              if (i) out += ',';
                              out += m[i].second;
                            }
                          });
    }
    return lines;
  }

  // This rank's inputs into a file beside the output (compressed by its name): every line but
  // blank ones and those of removed documents, as read, so that skipped records are copied
  // through (as the one-process engine's write_deduped); Parquet inputs' kept rows as JSON
  // objects (as its write_deduped_parquet into a JSON Lines copy).
  std::string deduped_piece() {
    const std::string piece = rank_piece_path(cfg_.write_deduped, me_);
    io::OutputFile out(piece);
    if (parquet_inputs()) {
      const std::vector<RowsOfInput> mine = rows_of_my_inputs();
      std::vector<std::int64_t> rows;
      for (std::uint32_t i = first_[me_]; i < first_[me_ + 1]; ++i) {
        check_interrupt();
        kept_rows(mine[i - first_[me_]], rows);
        rows_as_json_lines(cfg_.inputs[i], rows, [&](std::string_view s) { out.write(s); });
      }
      out.commit();
      return piece;
    }
    auto copy = [&](const io::RawBatch& batch, const std::vector<std::uint32_t>& line_docs) {
      for (std::size_t k = 0; k < batch.lines.size(); ++k) {
        const std::string_view line = batch.line(batch.lines[k]);
        const std::uint32_t d = line_docs[k];
        if (d != kNotADocument) {
          if (removed(d)) continue;
        } else if (is_blank(line)) {
          continue;
        } else {
          ++passed_through_;
        }
        out.write(line);
        out.write("\n");
      }
    };
    const auto docs = document_locators(part_.docs, doc_spill_.get(), 0);
    reread_lines(part_.sources, first_[me_], first_[me_ + 1], *docs, kRefetchBytes, copy);
    out.commit();
    return piece;
  }

  // The inputs are Parquet files (check_record_copy has refused Parquet and line files together).
  bool parquet_inputs() const { return !cfg_.inputs.empty() && is_parquet_file(cfg_.inputs[0]); }

  // A Parquet input's rows: how many pass 1 read, and those of its removed documents (ascending).
  struct RowsOfInput {
    std::uint64_t total = 0;
    std::vector<std::int64_t> removed;
  };

  // Per input of this rank: its rows, the removed ones marked. Counts the rows pass 1 skipped
  // (text null or not UTF-8), which the copy keeps, as passed through.
  std::vector<RowsOfInput> rows_of_my_inputs() {
    const std::uint32_t first = first_[me_];
    std::vector<RowsOfInput> mine(first_[me_ + 1] - first);
    std::vector<std::uint64_t> docs_of(mine.size(), 0);
    auto note = [&](std::uint32_t d, const Locator& l) {
      ++docs_of[l.input - first];
      if (removed(d)) mine[l.input - first].removed.push_back(static_cast<std::int64_t>(l.line));
    };
    for (auto c = document_locators(part_.docs, doc_spill_.get(), 0); c->peek(); c->advance())
      note(c->doc(), *c->peek());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      mine[i].total = part_.inputs[i].lines;
      passed_through_ += mine[i].total - docs_of[i];
    }
    return mine;
  }

  // Every row of `in` but the removed ones, into `rows`.
  static void kept_rows(const RowsOfInput& in, std::vector<std::int64_t>& rows) {
    rows.clear();
    std::size_t k = 0;
    for (std::int64_t row = 0; row < static_cast<std::int64_t>(in.total); ++row) {
      if (k < in.removed.size() && in.removed[k] == row) {
        ++k;
        continue;
      }
      rows.push_back(row);
    }
  }

  // A Parquet copy of Parquet inputs, written by rank 0 alone from the kept rows of every input
  // (the removed rows of each gathered from the rank that read it). Why not pieces, as for JSON
  // Lines: a Parquet file is row groups and one footer describing them all, so pieces cannot be
  // joined by appending bytes, and joining them as Parquet would decode and encode every row
  // again. Rank 0 copies the row groups' rows once, with the one-process engine's writer
  // (ParquetRowWriter), in input order: the same file. It reads every input, which the ranks see
  // on the shared file system the output is written to; the other ranks wait in the collective
  // after it. @return rank 0's copy, complete under its temporary name; null on the other ranks.
  std::unique_ptr<RecordCopy> parquet_copy() {
    Packer p;
    for (const RowsOfInput& in : rows_of_my_inputs()) {
      p.put<std::uint64_t>(in.total);
      p.put_array(in.removed.data(), in.removed.size());
    }
    const std::vector<std::string> all = comm_.all_gather(p.str());
    if (me_ != 0) return nullptr;
    auto copy = std::make_unique<RecordCopy>(cfg_.write_deduped, true, cfg_.text_field, true);
    std::vector<std::int64_t> rows;
    for (int r = 0; r < ranks_; ++r) {
      Unpacker u(all[r]);
      for (std::uint32_t i = first_[r]; i < first_[r + 1]; ++i) {
        check_interrupt();
        RowsOfInput in;
        in.total = u.get<std::uint64_t>();
        u.get_array(in.removed);
        kept_rows(in, rows);
        copy->add_rows(cfg_.inputs[i], rows);
      }
    }
    copy->finish();
    return copy;
  }

  void write_outputs(Clock::time_point t_write, Clock::time_point t_start) {
    stage("write");
    const std::string dir = cfg_.output_dir + "/";
    if (me_ == 0) io::make_dirs(cfg_.output_dir);
    comm_.all_gather({});  // the directory is there before any rank writes into it
    // Every rank's spill went after the LSH stage: their directory goes too (when there).
    if (me_ == 0) ::rmdir((cfg_.output_dir + "/.dupscan-spill").c_str());
    std::unique_ptr<SharedFile> deduped;
    std::unique_ptr<RecordCopy> deduped_parquet;  // rank 0's, of Parquet inputs
    if (!cfg_.write_deduped.empty() &&
        copy_is_parquet(cfg_.write_deduped, cfg_.inputs, cfg_.in_place)) {
      deduped_parquet = parquet_copy();
    } else if (!cfg_.write_deduped.empty()) {
      const std::string piece = deduped_piece();
      struct Unlink {
        const std::string& path;
        ~Unlink() { ::unlink(path.c_str()); }
      } unlink_piece{piece};
      deduped = std::make_unique<SharedFile>(comm_, cfg_.write_deduped);
      deduped->write_piece({}, piece);
    }
    SharedFile dups(comm_, dir + "duplicates.jsonl");
    dups.write_piece(duplicate_lines());
    SharedFile clusters(comm_, dir + "clusters.jsonl");
    clusters.write_piece(cluster_lines());
    timings_.write = seconds_since(t_write);
    timings_.total = seconds_since(t_start);
    gather_result();
    std::unique_ptr<io::AtomicFile> report;
    if (me_ == 0) {
      res_.outputs = {dir + "duplicates.jsonl", dir + "clusters.jsonl", dir + "report.json"};
      if (!cfg_.write_deduped.empty()) res_.outputs.push_back(cfg_.write_deduped);
      {
        std::vector<std::string> files = res_.outputs;
        if (cfg_.html) files.push_back(dir + "report.html");
        res_.output_dir_files = out_dir_.files_listed(files, cfg_.inputs);
      }
      report = std::make_unique<io::AtomicFile>(dir + "report.json");
      report->write(report_json(cfg_, res_, nullptr));
      report->finish();
    }
    comm_.all_gather({});  // nothing failed anywhere: the outputs replace earlier ones
    // The work directories go just before the commit point (as in one process).
    check_interrupt();
    if (work_) work_->remove();
    doc_spill_.reset();  // its files are read no more
    comm_.all_gather({});
    if (me_ == 0 && work_) ::rmdir(res_.resume.work_dir.c_str());
    if (me_ == 0) ::rmdir((cfg_.output_dir + "/.dupscan-spill-docs").c_str());
    if (me_ == 0) {
      std::vector<StagedOutput> staged = {{dups.release(), dups.path()},
                                          {clusters.release(), clusters.path()},
                                          {report->release(), report->path()}};
      if (deduped) staged.push_back({deduped->release(), deduped->path()});
      if (deduped_parquet) staged.push_back({deduped_parquet->release(), deduped_parquet->path()});
      commit_dedup_outputs(cfg_, out_dir_, res_.outputs, staged, nullptr);
    }
  }

  // The counts rank 0 adds up, in the one order they are packed and unpacked in.
  static std::vector<std::uint64_t*> summed(DedupCounts& c, std::uint64_t& passed_through,
                                            std::uint64_t& inputs_loaded, MemorySummary& m) {
    std::vector<std::uint64_t*> v;
    for (std::uint64_t* f :
         {&c.documents, &c.empty, &c.skipped, &c.text_bytes, &c.sketch_skipped, &c.keys_from_copy,
          &c.lsh_documents, &c.candidate_pairs, &c.verified_pairs, &c.rejected_pairs,
          &c.jaccard_extra_pairs, &c.exact_duplicates, &c.near_duplicates, &passed_through,
          &inputs_loaded, &m.spilled_bytes, &m.spill_runs, &m.documents_on_disk}) {
      v.push_back(f);
    }
    for (std::uint64_t& r : c.skipped_by_reason)
      v.push_back(&r);
    return v;
  }
  // The stage times of which rank 0 reports the slowest rank's, likewise.
  static std::vector<double*> slowest(DedupTimings& t) {
    return {&t.read_sketch, &t.exact, &t.lsh, &t.verify, &t.cluster, &t.write, &t.total};
  }

  // Rank 0: counts of all ranks, every input, the slowest rank's time per stage.
  void gather_result() {
    const DedupCounts& c = part_.counts;
    Packer p;
    {
      DedupCounts mine = counts_;  // pass 1's counts (part_.counts) and the later stages'
      std::uint64_t passed = passed_through_, loaded = res_.resume.inputs_loaded;
      MemorySummary memory = memory_;
      for (const std::uint64_t* v : summed(mine, passed, loaded, memory))
        p.put(*v);
      p.put<std::uint64_t>(peak_resident_bytes());
      DedupTimings times = timings_;
      for (const double* v : slowest(times))
        p.put(*v);
    }
    put_inputs(p, part_.inputs);
    const auto all = comm_.all_gather(p.str());
    res_.lsh = part_.lsh;
    res_.backend = part_.backend;
    res_.backend_note = part_.backend_note;
    res_.backend_asked = part_.backend_asked;
    res_.canary = part_.canary;
    res_.threads = part_.threads;
    res_.ranks = static_cast<unsigned>(ranks_);
    res_.memory.budget = cfg_.memory;
    if (ranks_ > 1) res_.memory.note = per_rank_memory_note(cfg_.memory != 0);
    if (me_ != 0) {
      res_.inputs = part_.inputs;
      res_.counts = c;
      res_.skipped_passed_through = passed_through_;
      res_.memory.spilled_bytes = memory_.spilled_bytes;
      res_.memory.spill_runs = memory_.spill_runs;
      res_.memory.documents_on_disk = memory_.documents_on_disk;
      res_.memory.peak_resident = peak_resident_bytes();
      return;
    }
    DedupCounts& t = res_.counts;
    std::uint64_t loaded = 0;  // inputs loaded from the ranks' work directories
    for (const std::string& s : all) {
      Unpacker u(s);
      for (std::uint64_t* v : summed(t, res_.skipped_passed_through, loaded, res_.memory))
        *v += u.get<std::uint64_t>();
      res_.memory.peak_resident = std::max(res_.memory.peak_resident, u.get<std::uint64_t>());
      for (double* v : slowest(res_.timings))
        *v = std::max(*v, u.get<double>());
      get_inputs(u, res_.inputs);
    }
    res_.resume.inputs_loaded = static_cast<std::uint32_t>(loaded);
    t.clusters = counts_.clusters;
    t.kept = t.documents - t.exact_duplicates - t.near_duplicates;
  }

  const DedupConfig& cfg_;
  Communicator& comm_;
  io::OutputDir out_dir_;  // rank 0: the output directory, locked for the run
  const RunObserver& obs_;
  const int ranks_, me_;
  DedupResult res_;
  DedupTimings timings_;
  DedupCounts counts_;  // this rank's counts: pass 1's (part_.counts), then the later stages'
  std::uint64_t passed_through_ = 0;  // skipped records this rank copied into --write-deduped
  std::vector<std::uint32_t> first_;  // rank r reads inputs [first_[r], first_[r + 1])
  std::vector<std::uint64_t> base_;   // rank r holds documents [base_[r], base_[r + 1])
  std::uint64_t my_base_ = 0;
  std::vector<std::string> display_;     // input names, by input number
  std::unique_ptr<WorkDir> work_;        // this rank's work directory, or null (resume.hpp)
  std::unique_ptr<KeySpill> spill_;      // --memory's spill of this rank's band keys, until LSH
  std::unique_ptr<DocSpill> doc_spill_;  // with it, this rank's Locators, ids, lengths
  MemorySummary memory_;                 // this rank's spill: bytes and runs
  Part part_;
  std::vector<std::uint64_t> rep_;       // per local doc: its exact group's earliest member
  std::vector<std::uint8_t> grouped_;    // per local doc: its exact group has other members
  std::vector<std::uint32_t> lsh_docs_;  // local docs that are their group's earliest member
  std::vector<Pair> pairs_;              // candidate pairs (u, v) with v here, sorted
  std::unordered_map<Pair, double, PairHash> known_;  // Jaccard of pairs with v here
  std::vector<Pair> edges_;                           // verified pairs with v here
  // Documents here that are in a verified pair -> their component's label (join_edges).
  std::unordered_map<std::uint64_t, std::uint64_t> label_;
  std::vector<std::uint64_t> root_;       // per local doc: its cluster's root
  std::vector<std::uint32_t> clustered_;  // under the doc spill: the local docs with a root
  DocTable clustered_ids_;                // their ids and Locators, row i of clustered_[i]
  std::unordered_map<std::uint64_t, Cluster> clusters_;  // clusters of local docs, by root
  std::vector<std::uint64_t> owned_;     // roots of the clusters numbered here, ascending
  std::map<Pair, double> kept_jaccard_;  // (rep, kept rep) of removed near duplicates
};

}  // namespace

DedupResult run_dedup_distributed(const DedupConfig& config, Communicator& comm,
                                  const RunObserver& observer) {
  DistEngine engine(config, comm, observer);
  try {
    return engine.run();
  } catch (const Interrupted&) {
    engine.remove_output_dir(false);
    throw;
  } catch (...) {
    engine.remove_output_dir(true);
    throw;
  }
}

}  // namespace dupscan
