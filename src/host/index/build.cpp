// `dupscan index build|add` (run_index): pass 1 and the exact groups of the inputs, as dedup runs
// them (src/host/dedup/), then every document -- location, id, exact hash, band keys -- into a new
// segment of the index (index.cpp's format).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "common/parallel.hpp"
#include "common/timing.hpp"
#include "dedup/against.hpp"
#include "dedup/exact_groups.hpp"
#include "dedup/pass1.hpp"
#include "dedup/resume.hpp"
#include "dedup/run_setup.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/index.hpp"
#include "dupscan/normalize.hpp"
#include "io/commit.hpp"
#include "io/dir_lock.hpp"
#include "io/input_checks.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

// `index build` into a directory that holds an index: say what it holds and how to go on.
[[noreturn]] void refuse_existing_index(const std::string& dir) {
  std::string what;
  bool usable = false;
  try {
    const index::Manifest m = index::read_manifest(dir);
    usable = m.documents > 0;
    what = usable ? "an index of " + std::to_string(m.documents) + " documents from " +
                        std::to_string(m.inputs.size()) + " files"
                  : "an empty index (0 documents)";
  } catch (const Error& e) {
    what = std::string("a damaged index (") + e.what() + ")";
  }
  if (usable) {
    throw UsageError("'" + dir + "' already holds " + what +
                     ": add to it with dupscan index add, start over with dupscan index build "
                     "--force (replaces it), or choose another directory");
  }
  throw UsageError("'" + dir + "' holds " + what +
                   ": start over with dupscan index build --force (replaces it), or remove "
                   "the directory");
}

// index build/add under --memory. What one document costs while a segment is made: its pass-1
// row twice (the table holds up to a segment's rows not yet taken and, while the input being read
// is kept for resuming, up to a segment more), its index::Docs record (56 B, keys, id end) and the
// sorted tables' buffers (an order of u32, and one entry per table made at once: up to `threads`
// of the 1 + bands tables). Ids are counted at kIdBytes each.
constexpr std::size_t kIdBytes = 32;  // a guess: a number or a short name; longer ids cost more
// Below it, a segment's fixed costs (a file, its fsync, one merge per band in every --against run)
// outweigh its documents.
constexpr std::size_t kMinSegmentDocs = 4096;

std::size_t index_bytes_per_doc(std::uint32_t bands, unsigned threads) {
  const std::size_t keys = 8 * std::size_t{bands};
  const std::size_t row = sizeof(Locator) + 8 + sizeof(XXH128_hash_t) + 8 + 2 + keys + kIdBytes;
  const std::size_t record = sizeof(index::Doc) + keys + 8 + kIdBytes;
  const std::size_t tables = 4 + std::min<std::size_t>(threads, 1 + std::size_t{bands}) * (4 + 20);
  return 2 * row + record + tables;
}

// The most documents per segment under cfg.memory (0: no limit), the process itself keeping
// kMinMemory. @throw UsageError when the budget does not hold kMinSegmentDocs.
std::size_t segment_documents(const DedupConfig& cfg, std::uint32_t bands, unsigned threads) {
  if (cfg.memory == 0) return 0;
  const std::size_t per_doc = index_bytes_per_doc(bands, threads);
  check_memory_budget(cfg.memory, kMinMemory + kMinSegmentDocs * per_doc,
                      "an index run makes segments of at least " + std::to_string(kMinSegmentDocs) +
                          " documents, ~" + std::to_string(per_doc) +
                          " bytes each while one is made (" + std::to_string(bands) + " bands, " +
                          std::to_string(threads) + " threads), beside the " +
                          std::to_string(kMinMemory >> 20) + " MiB the process itself needs");
  std::size_t n = (cfg.memory - kMinMemory) / per_doc;
  // Tests force many small segments on small inputs.
  if (const char* t = std::getenv("DUPSCAN_TEST_INDEX_SEGMENT_DOCS")) {
    n = std::max<std::size_t>(1, std::stoull(t));
  }
  return std::min<std::size_t>(n, UINT32_MAX - 1);
}

// Rows of pass 1's table as a segment's documents. With `rep` (a whole run's exact groups) each
// takes its representative's band keys, exact copies not being sketched; without it, its own
// (every document sketched): the same keys, equal texts having equal keys.
index::Docs index_docs(const DocTable& docs, const std::vector<std::uint32_t>* rep,
                       std::uint32_t bands, const std::vector<std::string>& inputs,
                       std::uint32_t input_base) {
  index::Docs out;
  out.docs.reserve(docs.size());
  out.keys.resize(docs.size() * std::size_t{bands});
  out.id_end.reserve(docs.size());
  std::string id;
  for (std::uint32_t d = 0; d < docs.size(); ++d) {
    index::Doc x;
    x.offset = docs.loc[d].offset;
    x.line = docs.loc[d].line;
    x.input = docs.loc[d].input;
    x.length = docs.loc[d].length;
    x.text_len = docs.text_len[d];
    x.exact_low = docs.exact[d].low64;
    x.exact_high = docs.exact[d].high64;
    x.empty = docs.empty[d];
    out.docs.push_back(x);
    if (!x.empty) {
      const std::size_t from = rep ? (*rep)[d] : d;
      std::copy_n(docs.keys.begin() + from * bands, bands,
                  out.keys.begin() + std::size_t{d} * bands);
    }
    id.clear();
    docs.append_id(id, d, [&] { return inputs[docs.loc[d].input - input_base]; });
    out.ids += id;
    out.id_end.push_back(out.ids.size());
  }
  return out;
}

// The segments of one index run, written as they are filled (index::write_segment), and removed
// again when the run stops before a manifest names them: a failure or a signal leaves the
// directory as it was. A kill leaves them to the next run's remove_unnamed_segments.
class SegmentWriter {
 public:
  SegmentWriter(std::string dir, index::Manifest& m, unsigned threads, bool beside_existing)
      : dir_(std::move(dir)), m_(m), threads_(threads), beside_(beside_existing) {}
  ~SegmentWriter() {
    if (committed_) return;
    for (const std::string& f : written_)
      ::unlink((dir_ + "/" + f).c_str());
  }
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  void write(const index::Docs& docs) {
    index::write_segment(dir_, m_, docs, threads_, beside_);
    written_.push_back(m_.segments.back().file);
    // For the tests of a kill between segments: the old manifest names none of them.
    io::fault_point("index-after-segment");
  }
  std::size_t written() const { return written_.size(); }
  /// The manifest naming them is in place: they stay.
  void committed() { committed_ = true; }

 private:
  std::string dir_;
  index::Manifest& m_;
  unsigned threads_;
  bool beside_;
  std::vector<std::string> written_;
  bool committed_ = false;
};

// Long: an index run's one sequence -- checks, the manifest, pass 1 with its work directory,
// the exact groups, the segment and the commit -- whose steps share the manifest, the inputs'
// stamps and the work directory.
IndexResult build_or_add(const DedupConfig& cfg, IndexAction action, const std::string& dir,
                         index::Manifest manifest, const RunObserver& obs) {
  const auto t_start = Clock::now();
  cfg.validate();
  const LshParams lsh = cfg.resolved_lsh();
  const unsigned threads = worker_threads(cfg.threads);
  expects_usage(cfg.tables.empty(),
                "an index cannot hold tables in memory: it reads its inputs again later; save "
                "them to files (Parquet or JSONL) first");
  for (const std::string& path : cfg.inputs) {
    if (path == "-") {
      throw UsageError(
          "an index cannot hold stdin: it reads its inputs again later; save the "
          "data to a file first");
    }
    if (io::reads_once(path)) {
      throw UsageError("an index cannot hold '" + path +
                       "', a pipe or device that cannot be read twice: it reads its inputs "
                       "again later; save the data to a file first");
    }
  }
  check_inputs_readable(cfg.inputs);
  check_inputs_distinct(cfg.inputs);
  const bool build = action != IndexAction::add;
  if (action == IndexAction::build && index::exists(dir)) refuse_existing_index(dir);
  if (build) {
    manifest = index::Manifest{};
    manifest.params = index_params_of(cfg, lsh);
    manifest.threshold = cfg.threshold;
    manifest.lsh_fp_weight = cfg.lsh_fp_weight;
    manifest.lsh_fn_weight = cfg.lsh_fn_weight;
    manifest.lsh_choice = cfg.lsh ? "explicit" : "optimal";
  }
  io::remove_stale_temporaries(dir);
  const std::uint32_t input_base = static_cast<std::uint32_t>(manifest.inputs.size());
  reject_indexed_inputs(manifest, cfg.inputs);
  // Stamp the inputs now: a change while they are read is caught when they are stamped again.
  std::vector<index::Input> inputs(cfg.inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    inputs[i] = stamp_input(cfg.inputs[i]);

  const std::size_t per_segment = segment_documents(cfg, lsh.bands, threads);
  BackendChoice choice = make_dedup_backend(cfg, lsh, obs);
  Backend& backend = *choice.backend;

  SegmentWriter writer(dir, manifest, threads, action == IndexAction::rebuild);
  PassOneOptions o;
  o.lsh = lsh;
  o.input_base = input_base;
  o.hint_text_field = action == IndexAction::add ? cfg.text_field : std::string();
  if (per_segment != 0) {
    // --memory: pass 1 hands its table over a segment at a time, each written at once. Every
    // document is sketched: the first of its exact group may be in a segment written already.
    o.skip_seen_exact = false;
    o.take_rows_every = per_segment;
    o.take_rows = [&](DocTable&& rows) {
      const index::Docs out = index_docs(rows, nullptr, lsh.bands, cfg.inputs, input_base);
      { const DocTable taken = std::move(rows); }  // freed before the segment's tables are made
      writer.write(out);
    };
  }
  // Pass 1's results per finished input, in the index's directory, for a run of the same command
  // after a crash (dedup/resume.hpp): an add records the index's size, which another add changes.
  std::unique_ptr<WorkDir> work;
  if (cfg.resume) {
    WorkDir::Identity id = WorkDir::dedup_identity(
        cfg, lsh, input_base, action == IndexAction::add ? "index add" : "index build");
    id.emplace_back("index_documents", std::to_string(manifest.documents));
    // Its parts hold every document's own keys; an unbounded run's hold an exact copy's none.
    if (per_segment != 0) id.emplace_back("every_document_sketched", "yes (--memory)");
    ResumeSummary resumed;  // an index run reports none: its notes say it
    work = WorkDir::open(resumed, dir + "/.dupscan-work", std::move(id), cfg.restart, obs);
    o.work = work.get();
  }
  PassOne pass;
  try {
    pass = read_and_sketch(pass_one_spec(cfg), backend, threads, o, obs);
  } catch (const Interrupted&) {
    if (work) work->keep_after_failure(false);  // removed when there is nothing to resume from
    throw;
  } catch (...) {
    if (work) work->keep_after_failure(true);
    throw;
  }
  DocTable& docs = pass.docs;
  stages::ExactGroups groups;
  if (per_segment == 0) groups = stages::group_exact_copies(docs, backend, lsh.bands, 0);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const index::Input now = stamp_input(cfg.inputs[i]);
    if (now.size != inputs[i].size || now.mtime_ns != inputs[i].mtime_ns) {
      throw Error("input '" + cfg.inputs[i] +
                  "' changed while dupscan was reading it; index a stable copy");
    }
    inputs[i].compression = pass.inputs[i].compression;
    inputs[i].xxh3_64 = pass.inputs[i].xxh3_64;
    manifest.inputs.push_back(inputs[i]);
  }
  check_interrupt();
  // The last segment (the only one without --memory; one, maybe empty, whatever the count).
  if (docs.size() != 0 || writer.written() == 0) {
    writer.write(index_docs(docs, per_segment == 0 ? &groups.rep : nullptr, lsh.bands, cfg.inputs,
                            input_base));
  }
  // --force: the new index is written beside the old one, whose manifest stays in place until the
  // new one replaces it (a rename: the commit point); only then do the old segments go. A
  // failure, a kill or a signal at any point leaves the old index or the new one, whole.
  // Before the commit point: a run of the same command after it would add the inputs twice.
  if (work) work->remove();
  index::commit_manifest(dir, manifest);
  writer.committed();
  // The old index's segments, and any a killed append left: no manifest names them now.
  io::fault_point("index-before-cleanup");
  index::remove_unnamed_segments(dir, manifest);
  if (interrupt_requested()) throw Interrupted(io::kInterruptedAfterCommit);
  IndexResult r;
  r.added = pass.rows_taken + docs.size();
  r.documents = manifest.documents;
  r.segments = manifest.segments.size();
  r.segments_written = writer.written();
  r.segment_documents = per_segment;
  r.lsh = lsh;
  r.inputs = pass.inputs;
  r.counts = pass.counts;
  r.counts.keys_from_copy = groups.keys_from_copy;
  r.counts.lsh_documents = groups.lsh_docs.size();
  r.seconds = seconds_since(t_start);
  return r;
}

IndexResult locked_build_or_add(const DedupConfig& config, IndexAction action,
                                const std::string& dir, const RunObserver& observer) {
  DedupConfig cfg = config;
  cfg.output_dir = dir;  // nothing but the index is written
  if (action != IndexAction::add) return build_or_add(cfg, action, dir, {}, observer);
  // add: the index's parameters, whatever the configuration says.
  const index::Manifest m = index::read_manifest(dir);
  cfg.sketch = m.params.sketch == "fast" ? SketchKind::fast : SketchKind::compat;
  // read_manifest checked the name; a compat index without one is legacy, a fast one has none.
  if (cfg.sketch == SketchKind::compat) {
    cfg.scheme = *parse_scheme(m.params.scheme);
    cfg.shingle_hash = *parse_shingle_hash(m.params.shingle_hash);  // checked, or xxh64
  }
  cfg.num_perm = m.params.num_perm;
  cfg.seed = m.params.seed;
  cfg.lsh = LshParams{m.params.bands, m.params.rows};
  cfg.shingle = ShingleSpec::parse(m.params.shingle);
  cfg.normalize.lowercase = m.params.lowercase;
  cfg.normalize.strip_punctuation = m.params.strip_punctuation;
  cfg.text_field = m.params.text_field;
  cfg.id_field = m.params.id_field;
  cfg.format = parse_input_format(m.params.format);
  cfg.threshold = m.threshold;
  if (m.params.unicode != unicode_version()) {
    throw UsageError("the index '" + dir + "' was built with Unicode " + m.params.unicode +
                     " tables, this dupscan has " + unicode_version() + "; rebuild the index");
  }
  return build_or_add(cfg, action, dir, m, observer);
}

}  // namespace

IndexResult run_index(const DedupConfig& config, IndexAction action, const std::string& dir,
                      const RunObserver& observer, bool wait) {
  // One writer at a time, from before the manifest is read (an add appends to what the previous
  // writer left) until the new one is in place. Readers (dedup --against) take no lock: a
  // manifest is replaced by a rename, and names only segments written before it.
  if (action == IndexAction::add && !index::exists(dir)) index::read_manifest(dir);  // says why
  const std::vector<std::string> created = io::make_dirs(dir);
  io::DirLock lock;
  try {
    lock = io::DirLock(dir, "the index", "wait for it to finish, or pass --wait", wait,
                       [&](const std::string& holder) {
                         if (observer.info) {
                           observer.info("waiting for the index '" + dir +
                                         "', in use by another dupscan run (" + holder + ")");
                         }
                       });
    return locked_build_or_add(config, action, dir, observer);
  } catch (...) {
    // Not left behind by a failed run: the lock file, then the directory if this run made it.
    lock.release();
    io::remove_created_dirs(created);
    throw;
  }
}

}  // namespace dupscan
