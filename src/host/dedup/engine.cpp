// The one-process dedup engine (run_dedup): it checks the configuration, sets up the backend and
// the output directory, and sequences the stages of this folder, each a function over flat
// arrays -- pass 1 (pass1.hpp), --against (against.hpp), exact groups (exact_groups.hpp), LSH
// candidate pairs (lsh_pairs.hpp, through the backend), verification (verify.hpp), clusters
// (clusters.hpp) -- then writes the outputs (output_lines.hpp, report.hpp).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <unordered_map>

#include "common/parallel.hpp"
#include "common/progress_text.hpp"
#include "common/timing.hpp"
#include "dedup/against.hpp"
#include "dedup/clusters.hpp"
#include "dedup/doc_spill.hpp"
#include "dedup/exact_groups.hpp"
#include "dedup/key_spill.hpp"
#include "dedup/lsh_pairs.hpp"
#include "dedup/output_lines.hpp"
#include "dedup/pass1.hpp"
#include "dedup/report.hpp"
#include "dedup/resume.hpp"
#include "dedup/run_setup.hpp"
#include "dedup/verify.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/output_dir.hpp"
#include "io/parquet_copy.hpp"

namespace dupscan {
namespace {

using stages::pair_key;

class Engine {
 public:
  Engine(const DedupConfig& cfg, const RunObserver& obs, DedupOutputs* memory)
      : cfg_(cfg), obs_(obs), memory_(memory) {}

  DedupResult run() {
    const auto t_start = Clock::now();
    prepare();

    auto t = Clock::now();
    pass1();
    res_.timings.read_sketch = seconds_since(t);

    t = Clock::now();
    if (against_) prepend_indexed();
    res_.timings.index = seconds_since(t);

    t = Clock::now();
    // From the exact hashes' runs when they are on disk (doc_spill.hpp), on the CPU.
    groups_ = docs_spilled()
                  ? doc_spill_->exact_groups(docs_, cfg_.num_perm)
                  : stages::group_exact_copies(docs_, *backend_, res_.lsh.bands, cfg_.num_perm);
    res_.counts.keys_from_copy = groups_.keys_from_copy;
    res_.counts.lsh_documents = groups_.lsh_docs.size();
    std::vector<XXH128_hash_t>().swap(docs_.exact);  // no later stage reads them
    res_.timings.exact = seconds_since(t);

    t = Clock::now();
    find_pairs();
    res_.timings.lsh = seconds_since(t);

    t = Clock::now();
    verify_candidates();
    res_.timings.verify = seconds_since(t);

    t = Clock::now();
    cluster();
    kept_jaccards();
    res_.timings.cluster = seconds_since(t);

    if (memory_) {
      keep_mask();
      write_outputs_to_memory(t_start);
    } else {
      write_outputs(t_start);
    }
    return res_;
  }

  // Before any input is read: the configuration checked, the backend made, the index opened,
  // the output directory claimed and the work directory opened.
  void prepare() {
    if (memory_) {
      // Nothing is written: no output directory is needed, and no file can be asked for.
      DedupConfig check = cfg_;
      check.output_dir = "-";
      check.validate();
      expects_usage(cfg_.write_deduped.empty() && cfg_.write_signatures.empty(),
                    "a run whose outputs stay in memory writes no files");
    } else {
      cfg_.validate();
    }
    res_.lsh = cfg_.resolved_lsh();
    threads_ = worker_threads(cfg_.threads);
    res_.threads = threads_;
    check_dedup_paths(cfg_, !memory_);
    setup_backend();
    if (!cfg_.against.empty()) {
      against_ = std::make_unique<AgainstIndex>(cfg_, res_.lsh);
      res_.indexed_documents = against_->manifest().documents;
      input_base_ = against_->inputs();
    }
    if (!memory_) {
      dirs_.claim(dedup_own_paths(cfg_), cfg_.force);
      dirs_.prepare(cfg_.output_dir, cfg_.tmp_dir,
                    {cfg_.write_deduped.empty() ? "" : io::dir_of(cfg_.write_deduped),
                     cfg_.write_signatures.empty() ? "" : io::dir_of(cfg_.write_signatures)});
      open_work_dir();
    }
  }

  // --against: the indexed documents the new ones reference, numbered before them; from the
  // spills' runs when pass 1 wrote the new ones to disk (then KeySpill and DocSpill hold them).
  void prepend_indexed() {
    if (docs_spilled()) {
      n_index_ =
          against_->prepend_referenced(docs_, res_.lsh.bands, threads_, *spill_, *doc_spill_);
    } else {
      n_index_ = against_->prepend_referenced(docs_, res_.lsh.bands, threads_);
    }
  }

  // The LSH stage: from the spill's runs when the keys went to disk, else by the backend.
  void find_pairs() {
    report_stage("lsh", 0, res_.lsh.bands);
    if (spill_ && spill_->spilled()) {
      // The keys are on disk: each band's sorted runs merged (key_spill.hpp), on the CPU.
      pairs_ = spill_->candidate_pairs(groups_.rep, docs_.empty, docs_.sketched, threads_);
    } else {
      pairs_ = backend_->candidate_pairs(docs_.keys.data(), res_.lsh.bands, groups_.lsh_docs,
                                         n_index_, threads_);
    }
    if (spill_) {
      res_.memory.spilled_bytes = spill_->bytes_written() + doc_spill_->bytes_written();
      res_.memory.documents_on_disk = doc_spill_->rows();  // not the indexed ones held
      res_.memory.spill_runs = spill_->runs();
      spill_.reset();  // its files are not needed any more
    }
    // Nor the keys and who was sketched, once the pairs are found (the later stages' memory).
    std::vector<std::uint64_t>().swap(docs_.keys);
    std::vector<std::uint8_t>().swap(docs_.sketched);
    std::vector<std::uint32_t>().swap(groups_.lsh_docs);
    res_.counts.candidate_pairs = pairs_.size();
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
  void setup_backend() {
    BackendChoice choice = make_dedup_backend(cfg_, res_.lsh, obs_);
    backend_ = std::move(choice.backend);
    res_.backend = backend_->name();
    res_.backend_note = choice.note;
    res_.backend_asked = choice.asked;
    res_.canary = choice.canary;
  }

  // The work directory of a run that can resume (resume.hpp): the inputs an earlier run of the
  // same command completed are loaded from it instead of read.
  void open_work_dir() {
    ResumeSummary& r = res_.resume;
    r.inputs = static_cast<std::uint32_t>(cfg_.inputs.size());
    r.why_not = why_no_resume(!cfg_.resume ? "--no-resume"
                              : !cfg_.write_signatures.empty()
                                  ? "--write-signatures is written while the inputs are read"
                              : !cfg_.tables.empty() ? "it reads tables in memory"
                                                     : "",
                              cfg_.inputs);
    if (!r.why_not.empty()) return;
    work_ =
        WorkDir::open(r, cfg_.work_dir.empty() ? cfg_.output_dir + "/.dupscan-work" : cfg_.work_dir,
                      WorkDir::dedup_identity(cfg_, res_.lsh, input_base_), cfg_.restart, obs_);
  }

  /// input: global numbering (the index's inputs first, then this run's files and tables).
  std::string display_path(std::uint32_t input) const {
    if (input < input_base_) return against_->manifest().inputs[input].path;
    const std::size_t i = input - input_base_;
    if (i >= cfg_.inputs.size()) return cfg_.tables[i - cfg_.inputs.size()]->name();
    const std::string& path = cfg_.inputs[i];
    return path == "-" ? "<stdin>" : path;
  }

  // Every input, to read documents again: the index's, then this run's.
  DocumentInputs all_inputs() const {
    DocumentInputs all;
    if (against_) all = against_->documents();
    all.insert(all.end(), pass_.pipeline->documents().begin(), pass_.pipeline->documents().end());
    return all;
  }

  void pass1() {
    if (!cfg_.write_signatures.empty()) {
      sig_out_ = std::make_unique<io::OutputFile>(cfg_.write_signatures);
    }
    PassOneOptions o;
    o.lsh = res_.lsh;
    o.input_base = input_base_;
    o.spool_stdin = cfg_.verify || !cfg_.write_deduped.empty();
    o.tmp_dir = dirs_.tmp_dir();
    o.keep_signatures = !cfg_.verify;
    // --write-signatures wants every document's own signature.
    o.skip_seen_exact = cfg_.write_signatures.empty();
    o.signatures = sig_out_ != nullptr;
    if (sig_out_ || memory_) {
      o.on_batch = [this](const PassOneBatch& b, std::size_t first_doc) {
        if (sig_out_) write_signature_lines(b);
        if (memory_) note_records(b, first_doc);
      };
    }
    o.work = work_.get();
    open_spill(o);
    pass_ = read_and_sketch(pass_one_spec(cfg_), *backend_, threads_, o, obs_);
    docs_ = std::move(pass_.docs);
    if (spill_) spill_->finish(docs_);
    if (doc_spill_) doc_spill_->finish(docs_);
    res_.inputs = pass_.inputs;
    res_.counts = pass_.counts;
  }

  // --write-signatures: the lines of a batch of pass 1, in input order.
  void write_signature_lines(const PassOneBatch& b) {
    const std::uint32_t bands = res_.lsh.bands, k = cfg_.num_perm;
    const bool wide = cfg_.sketch == SketchKind::compat && cfg_.scheme == Scheme::affine64;
    std::string line, id;
    for (std::size_t i = 0; i < b.docs.size(); ++i) {
      const PassOneDoc& doc = b.docs[i];
      id = doc.id_json;
      if (id.empty()) {
        append_json_string(
            id, display_path(b.input + input_base_) + ":" + std::to_string(doc.loc.line));
      }
      line.clear();
      const std::uint64_t* keys = b.sketch.band_keys.data() + i * bands;
      const std::uint32_t shingles = b.sketch.shingle_counts[i];
      const std::uint32_t doc_bands = doc.empty ? 0 : bands;
      if (wide) {
        append_signature_line(line, id, shingles, b.sketch.signatures64.data() + i * k, k, keys,
                              doc_bands);
      } else {
        append_signature_line(line, id, shingles, b.sketch.signatures.data() + i * k, k, keys,
                              doc_bands);
      }
      sig_out_->write(line);
    }
  }

  // The Python package's keep mask: for each record of a batch (documents and skipped records;
  // not blank lines), in input order, its document number, or kSkippedRecord.
  void note_records(const PassOneBatch& b, std::size_t first_doc) {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < b.docs.size(); ++i) {
      for (; bad < b.bad.size() && b.bad[bad].line < b.docs[i].loc.line; ++bad)
        records_.push_back(kSkippedRecord);
      records_.push_back(static_cast<std::uint32_t>(first_doc + i));
    }
    for (; bad < b.bad.size(); ++bad)
      records_.push_back(kSkippedRecord);
  }

  // --memory: pass 1's band keys go to disk past a quarter of the budget, and the texts it
  // remembers to sketch each only once are bounded to an eighth of it (at ~64 B each).
  void open_spill(PassOneOptions& o) {
    MemorySummary& m = res_.memory;
    m.budget = cfg_.memory;
    // What a killed run under --memory left in the output directory (a distributed one's too).
    if (!memory_) {
      KeySpill::discard_all(cfg_.output_dir + "/.dupscan-spill");
      WorkDir::discard(cfg_.output_dir + "/.dupscan-spill-docs");
    }
    if (cfg_.memory == 0) return;
    o.seen_exact_cap = std::max<std::size_t>(cfg_.memory / 8 / 64, 1);
    if (memory_) {
      m.note = "band keys are not spilled in a run whose outputs stay in memory";
    } else if (!cfg_.verify) {
      m.note = "the signatures kept for --no-verify (K values per document) stay in memory";
    }
    if (memory_) return;
    std::size_t window = cfg_.memory / 4;
    // Tests force the spill's paths on small inputs (many runs, cascaded merges).
    if (const char* w = std::getenv("DUPSCAN_TEST_SPILL_WINDOW")) window = std::stoull(w);
    // Under --tmp-dir, which runs may share: named by host and process, as a temporary file,
    // so that the next run there removes what a killed one left (io::remove_stale_temporaries).
    const std::string dir = cfg_.tmp_dir.empty()
                                ? cfg_.output_dir + "/.dupscan-spill"
                                : io::temp_path(cfg_.tmp_dir + "/dupscan-spill", "keys");
    spill_ = std::make_unique<KeySpill>(dir, res_.lsh.bands, window);
    o.spill = spill_.get();
    // With the keys, the same documents' Locators, ids and lengths (doc_spill.hpp).
    doc_spill_ = std::make_unique<DocSpill>(
        cfg_.tmp_dir.empty() ? cfg_.output_dir + "/.dupscan-spill-docs"
                             : io::temp_path(cfg_.tmp_dir + "/dupscan-spill", "docs"));
    o.doc_spill = doc_spill_.get();
  }

  /// Whether the Locators, ids and lengths are on disk (doc_spill.hpp), not in docs_.
  bool docs_spilled() const { return doc_spill_ && doc_spill_->spilled(); }

  void fetch(const std::vector<std::uint32_t>& docs, const SetsConsumer& consume) {
    fetch_sets(all_inputs(), docs_.loc, doc_spill_.get(), docs, dedup_read_spec(cfg_),
               cfg_.normalize, *backend_, threads_, consume);
  }

  std::vector<double> jaccards(const std::vector<std::uint64_t>& pairs) {
    return jaccard_of_pairs(
        pairs, threads_,
        [this](const std::vector<std::uint32_t>& docs, const SetsConsumer& consume) {
          fetch(docs, consume);
        },
        [this](std::uint64_t done, std::uint64_t total) { report_stage("verify", done, total); });
  }

  void verify_candidates() {
    if (!cfg_.verify) {
      edges_ = pairs_;
      res_.counts.verified_pairs = pairs_.size();
      return;
    }
    const std::vector<double> j = jaccards(pairs_);
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      known_jaccard_.emplace(pairs_[i], j[i]);
      if (j[i] >= cfg_.threshold) edges_.push_back(pairs_[i]);
    }
    res_.counts.verified_pairs = edges_.size();
    res_.counts.rejected_pairs = pairs_.size() - edges_.size();
  }

  // Clusters, and the verdict of each removed document; the near duplicates' pairs with their
  // kept members that verification did not see go to missing_kept_.
  void cluster() {
    report_stage("cluster", 0, 0);
    // The lengths only where the keep policy compares them.
    std::vector<std::uint64_t> spilled_len;
    if (docs_spilled() && cfg_.keep == KeepPolicy::longest) {
      spilled_len = doc_spill_->text_lengths();
    }
    clusters_ = stages::cluster_documents(docs_.size(), edges_, groups_.rep, docs_.empty,
                                          docs_spilled() ? spilled_len : docs_.text_len, n_index_,
                                          cfg_.keep);
    res_.counts.clusters = clusters_.count;
    const auto& rep = groups_.rep;
    for (std::uint32_t d = 0; d < docs_.size(); ++d) {
      if (!clusters_.removed(d, n_index_)) continue;
      tally_removed(rep[d], rep[clusters_.kept[clusters_.root[d]]], res_.counts,
                    [&](std::uint32_t a, std::uint32_t b) {
                      if (cfg_.verify && !known_jaccard_.count(pair_key(a, b))) {
                        missing_kept_.push_back(pair_key(a, b));
                      }
                    });
    }
    res_.counts.kept =
        res_.counts.documents - res_.counts.exact_duplicates - res_.counts.near_duplicates;
  }

  // Jaccard of each removed member with its kept document, where verification did not compute
  // it (members joined through others): those documents read again.
  void kept_jaccards() {
    res_.counts.jaccard_extra_pairs = add_kept_jaccards(
        std::move(missing_kept_), known_jaccard_,
        [this](const std::vector<std::uint64_t>& pairs) { return jaccards(pairs); });
  }

  double jaccard_with_kept(std::uint32_t d, std::uint32_t kept) const {
    const std::uint32_t a = groups_.rep[d], b = groups_.rep[kept];
    if (a == b) return 1.0;
    if (!cfg_.verify) {
      const std::uint32_t k = cfg_.num_perm;
      if (!docs_.sigs64.empty()) {  // affine64
        return estimate_jaccard(docs_.sigs64.data() + std::size_t{a} * k,
                                docs_.sigs64.data() + std::size_t{b} * k, k);
      }
      return estimate_jaccard(docs_.sigs.data() + std::size_t{a} * k,
                              docs_.sigs.data() + std::size_t{b} * k, k);
    }
    return known_jaccard_.at(pair_key(std::min(a, b), std::max(a, b)));
  }

  void append_id(std::string& out, std::uint32_t d) const {
    if (!docs_spilled()) {
      docs_.append_id(out, d, [&] { return display_path(docs_.loc[d].input); });
      return;
    }
    const auto row = static_cast<std::uint32_t>(
        std::lower_bound(clustered_.begin(), clustered_.end(), d) - clustered_.begin());
    clustered_ids_.append_id(out, row, [&] { return display_path(clustered_ids_.loc[row].input); });
  }

  // Spilled: the ids and Locators of the documents of the numbered clusters, the only ones the
  // lines name, read back (clustered_ids_ row i: document clustered_[i]).
  void read_clustered_ids() {
    if (!docs_spilled()) return;
    for (std::uint32_t d = 0; d < docs_.size(); ++d) {
      const std::uint32_t r = clusters_.root[d];
      if (r != stages::kNoCluster && clusters_.id[r] != stages::kNoCluster) clustered_.push_back(d);
    }
    clustered_ids_ = doc_spill_->ids_of(clustered_);
  }

  // duplicates.jsonl's lines to dup(line), then clusters.jsonl's to cluster(line).
  template <class Dup, class Cluster>
  void emit_lines(Dup&& dup, Cluster&& cluster) {
    read_clustered_ids();
    const std::size_t n = docs_.size();
    std::string line, id, kept_id;
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!clusters_.removed(d, n_index_)) continue;
      const std::uint32_t r = clusters_.root[d];
      const std::uint32_t kept = clusters_.kept[r];
      id.clear();
      append_id(id, d);
      kept_id.clear();
      append_id(kept_id, kept);
      line.clear();
      append_duplicate_line(line, id, kept_id, clusters_.id[r], groups_.rep[d] == groups_.rep[kept],
                            jaccard_with_kept(d, kept));
      dup(line);
    }
    // Members of each cluster in input order, clusters by id (= order of their first member).
    const stages::ClusterMembers m = stages::cluster_members(clusters_);
    for (std::uint32_t c = 0; c < clusters_.count; ++c) {
      kept_id.clear();
      append_id(kept_id, clusters_.kept[clusters_.root[m.members[m.begin[c]]]]);
      line.clear();
      append_cluster_line(line, c, kept_id, [&](std::string& out) {
        for (std::uint32_t i = m.begin[c]; i < m.begin[c + 1]; ++i) {
          if (i != m.begin[c]) out += ',';
          append_id(out, m.members[i]);
        }
      });
      cluster(line);
    }
  }

  void write_outputs(Clock::time_point t_start) {
    const auto t_write = Clock::now();
    const std::string dir = cfg_.output_dir + "/";
    std::unique_ptr<RecordCopy> deduped;
    if (!cfg_.write_deduped.empty()) {
      const bool parquet_in =
          !pass_.pipeline->documents().empty() && pass_.pipeline->documents().front()->parquet();
      deduped = std::make_unique<RecordCopy>(
          cfg_.write_deduped, parquet_in, cfg_.text_field,
          copy_is_parquet(cfg_.write_deduped, cfg_.inputs, cfg_.in_place));
      if (parquet_in) {
        write_deduped_parquet(*deduped);
      } else {
        write_deduped(*deduped);
      }
      const std::uint64_t left_out = deduped->finish();
      if (left_out > 0 && obs_.warning) {
        obs_.warning(std::to_string(left_out) + " record(s) copied through unread (not JSON " +
                     "objects) have no place in the Parquet copy '" + cfg_.write_deduped +
                     "' and were left out; name it .jsonl to keep them");
      }
    }
    report_stage("write", 0, 0);
    io::AtomicFile dups(dir + "duplicates.jsonl");
    io::AtomicFile clusters(dir + "clusters.jsonl");
    emit_lines([&](const std::string& line) { dups.write(line); },
               [&](const std::string& line) { clusters.write(line); });
    dups.finish();
    clusters.finish();

    res_.outputs = {dir + "duplicates.jsonl", dir + "clusters.jsonl", dir + "report.json"};
    if (deduped) res_.outputs.push_back(cfg_.write_deduped);
    if (sig_out_) {
      sig_out_->finish();
      res_.outputs.push_back(cfg_.write_signatures);
    }
    res_.timings.write = seconds_since(t_write);
    res_.timings.total = seconds_since(t_start);
    res_.memory.peak_resident = peak_resident_bytes();
    {
      std::vector<std::string> files = res_.outputs;
      if (cfg_.html) files.push_back(dir + "report.html");
      res_.output_dir_files = dirs_.files_listed(files, cfg_.inputs);
    }
    io::AtomicFile report(dir + "report.json");
    report.write(report_json());
    report.finish();
    // Everything is complete on disk: only now do the outputs replace earlier ones.
    std::vector<StagedOutput> staged = {{dups.release(), dups.path()},
                                        {clusters.release(), clusters.path()}};
    if (sig_out_) staged.push_back({sig_out_->release(), sig_out_->path()});
    staged.push_back({report.release(), report.path()});
    if (deduped) staged.push_back({deduped->release(), deduped->path()});
    // The work directory goes just before the commit point: after it, the inputs may have been
    // replaced (--in-place), and a run of the same command must not take them for changed ones.
    commit_dedup_outputs(cfg_, dirs_, res_.outputs, staged, [this] {
      check_interrupt();
      if (work_) work_->remove();
    });
  }

  void write_outputs_to_memory(Clock::time_point t_start) {
    const auto t_write = Clock::now();
    report_stage("write", 0, 0);
    emit_lines([&](const std::string& line) { memory_->duplicates += line; },
               [&](const std::string& line) { memory_->clusters += line; });
    res_.timings.write = seconds_since(t_write);
    res_.timings.total = seconds_since(t_start);
    res_.memory.peak_resident = peak_resident_bytes();
    // What DedupOutputs' files are when written out (Python's DedupResult.write).
    res_.output_dir_files = {"clusters.jsonl", "duplicates.jsonl", "report.json"};
    memory_->report = report_json();
  }

  // One flag per record of the run's inputs, in input order: 0 for the duplicates removed, 1 for
  // every other record -- a record that could not be read too, as --write-deduped copies it
  // through: it is a duplicate of nothing we know, and selecting by the mask must not lose it.
  void keep_mask() {
    memory_->keep.assign(records_.size(), 1);
    for (std::size_t i = 0; i < records_.size(); ++i) {
      if (records_[i] == kSkippedRecord) continue;
      const std::uint32_t d = records_[i] + n_index_;
      memory_->keep[i] = clusters_.removed(d, n_index_) ? 0 : 1;
    }
  }

  // Every line of this run's inputs but blank ones and those of removed documents, as read: a
  // record pass 1 skipped is no duplicate of anything, so it is copied through, not lost.
  void write_deduped(RecordCopy& out) {
    std::vector<RereadSource> sources(input_base_);
    for (const RereadSource& s : pass_.pipeline->sources())
      sources.push_back(s);
    const std::size_t total = docs_.size() - n_index_;
    std::uint64_t done = 0;
    auto copy = [&](const io::RawBatch& batch, const std::vector<std::uint32_t>& line_docs) {
      for (std::size_t k = 0; k < batch.lines.size(); ++k) {
        const std::string_view line = batch.line(batch.lines[k]);
        const std::uint32_t d = line_docs[k];
        if (d != kNotADocument) {
          ++done;
          if (clusters_.removed(d, n_index_)) continue;
        } else if (is_blank(line)) {
          continue;
        } else {
          ++res_.skipped_passed_through;
        }
        out.write(line);
        out.write("\n");
      }
      report_stage("write", done, total);
    };
    const auto docs = document_locators(docs_, doc_spill_.get(), n_index_);
    reread_lines(sources, input_base_, static_cast<std::uint32_t>(sources.size()), *docs,
                 kRefetchBytes, copy);
  }

  // Parquet inputs: every row of every input but those of removed documents, all their columns,
  // into one Parquet file (or as JSON objects into a JSON Lines copy). Rows pass 1 skipped (text
  // null or not UTF-8) are copied through.
  void write_deduped_parquet(RecordCopy& out) {
    std::vector<std::vector<std::int64_t>> dropped(cfg_.inputs.size());
    std::vector<std::uint64_t> docs_of(cfg_.inputs.size(), 0);
    auto note = [&](std::uint32_t d, const Locator& l) {
      const std::uint32_t i = l.input - input_base_;
      ++docs_of[i];
      if (clusters_.removed(d, n_index_)) dropped[i].push_back(static_cast<std::int64_t>(l.line));
    };
    for (auto c = document_locators(docs_, doc_spill_.get(), n_index_); c->peek(); c->advance())
      note(c->doc(), *c->peek());
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i < cfg_.inputs.size(); ++i) {
      check_interrupt();
      const auto total = static_cast<std::int64_t>(pass_.pipeline->summaries()[i].lines);
      rows.clear();
      std::size_t k = 0;
      for (std::int64_t row = 0; row < total; ++row) {
        if (k < dropped[i].size() && dropped[i][k] == row) {
          ++k;
          continue;
        }
        rows.push_back(row);
      }
      res_.skipped_passed_through += static_cast<std::uint64_t>(total) - docs_of[i];
      out.add_rows(cfg_.inputs[i], rows);
      report_stage("write", i + 1, cfg_.inputs.size());
    }
  }

  std::string report_json() const {
    if (!against_) return dupscan::report_json(cfg_, res_, nullptr);
    AgainstSummary against;
    against.index = cfg_.against;
    against.documents = against_->manifest().documents;
    against.referenced = n_index_;
    against.segments = against_->manifest().segments.size();
    against.inputs = against_->manifest().inputs.size();
    return dupscan::report_json(cfg_, res_, &against);
  }

  void report_stage(const char* stage, std::uint64_t done, std::uint64_t total) {
    if (!obs_.progress) return;
    Progress p;
    p.stage = stage;
    p.documents = docs_.size();
    p.done = done;
    p.total = total;
    p.spilled =
        spill_ ? spill_->bytes_written() + doc_spill_->bytes_written() : res_.memory.spilled_bytes;
    obs_.progress(p);
  }

  const DedupConfig& cfg_;
  const RunObserver& obs_;
  DedupOutputs* memory_;  // outputs in memory instead of files, or null
  static constexpr std::uint32_t kSkippedRecord = UINT32_MAX;
  std::vector<std::uint32_t> records_;  // memory_: document of each record (note_records)
  DedupResult res_;
  unsigned threads_ = 1;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<io::OutputFile> sig_out_;
  io::OutputDir dirs_;
  std::unique_ptr<AgainstIndex> against_;
  std::unique_ptr<WorkDir> work_;         // a resumable run's (resume.hpp), or null
  std::unique_ptr<KeySpill> spill_;       // --memory's spilled band keys, until the LSH stage
  std::unique_ptr<DocSpill> doc_spill_;   // --memory's spilled Locators, ids and lengths
  std::vector<std::uint32_t> clustered_;  // spilled: read_clustered_ids()
  DocTable clustered_ids_;
  std::uint32_t n_index_ = 0;     // indexed documents, docs 0..n_index_-1
  std::uint32_t input_base_ = 0;  // the index's inputs, numbered before this run's

  PassOne pass_;
  DocTable docs_;
  stages::ExactGroups groups_;
  std::vector<std::uint64_t> pairs_;         // candidate pairs u << 32 | v, u < v, sorted
  std::vector<std::uint64_t> edges_;         // verified pairs
  std::vector<std::uint64_t> missing_kept_;  // cluster(): pairs for kept_jaccards()
  std::unordered_map<std::uint64_t, double> known_jaccard_;
  stages::Clusters clusters_;
};

}  // namespace

DedupResult run_dedup(const DedupConfig& config, const RunObserver& observer) {
  Engine engine(config, observer, nullptr);
  return run_keeping_work(engine);
}

DedupResult run_dedup(const DedupConfig& config, const RunObserver& observer,
                      DedupOutputs& outputs) {
  outputs = DedupOutputs{};
  Engine engine(config, observer, &outputs);
  return engine.run();
}

}  // namespace dupscan
