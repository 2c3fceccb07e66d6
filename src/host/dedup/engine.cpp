#include "dupscan/dedup.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/parallel.hpp"
#include "common/radix_sort.hpp"
#include "dedup/part.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/index.hpp"
#include "io/input_checks.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"
#include "io/pipeline.hpp"
#include "io/record.hpp"
#include "io/refetch.hpp"

#ifndef DUPSCAN_VERSION
#define DUPSCAN_VERSION "0.0.0"
#endif

namespace dupscan {

const char* version() noexcept {
  return DUPSCAN_VERSION;
}

const char* skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::malformed_json:
      return "malformed_json";
    case SkipReason::not_an_object:
      return "not_an_object";
    case SkipReason::missing_text_field:
      return "missing_text_field";
    case SkipReason::text_not_string:
      return "text_not_string";
    case SkipReason::invalid_utf8:
      return "invalid_utf8";
    case SkipReason::record_too_large:
      return "record_too_large";
  }
  return "unknown";
}

const char* input_format_name(InputFormat format) {
  return format == InputFormat::text ? "text" : "jsonl";
}

InputFormat parse_input_format(const std::string& name) {
  if (name == "jsonl") return InputFormat::jsonl;
  if (name == "text") return InputFormat::text;
  throw UsageError("--format must be jsonl or text, got '" + name + "'");
}

void DedupConfig::validate() const {
  expects_usage(!inputs.empty(), "no input given: name one or more JSONL files, or - for stdin");
  expects_usage(std::count(inputs.begin(), inputs.end(), std::string("-")) <= 1,
                "stdin (-) can be given only once");
  expects_usage(!output_dir.empty(), "--output-dir is required");
  expects_usage(!text_field.empty(), "--text-field must not be empty");
  RecordParser(text_field, id_field, format);  // @throw UsageError on a malformed field path
  expects_usage(max_skipped >= 0.0 && max_skipped <= 1.0,
                "--max-skipped must be a share in [0, 1] or a percentage in [0%, 100%]");
  expects_usage(num_perm >= 1 && num_perm <= 8192, "--num-perm must be in [1, 8192]");
  expects_usage(threshold > 0.0 && threshold <= 1.0, "--threshold must be in (0, 1]");
  expects_usage(shingle.n >= 1 && shingle.n <= 1024, "--shingle N must be in [1, 1024]");
  if (lsh) {
    expects_usage(lsh->bands >= 1 && lsh->rows >= 1, "--bands and --rows must be >= 1");
    expects_usage(std::uint64_t{lsh->bands} * lsh->rows <= num_perm,
                  "--bands x --rows (" + std::to_string(lsh->bands) + " x " +
                      std::to_string(lsh->rows) + ") must not exceed --num-perm (" +
                      std::to_string(num_perm) + ")");
  }
  expects_usage(lsh_fp_weight >= 0.0 && lsh_fn_weight >= 0.0 &&
                    std::fabs(lsh_fp_weight + lsh_fn_weight - 1.0) < 1e-9,
                "--lsh-weights FP,FN must be two non-negative numbers that sum to 1");
  expects_usage(batch_bytes >= 1, "batch_bytes must be >= 1");
  expects_usage(threads <= 1024, "--threads must be in [0, 1024]");
  expects_usage(backend == "auto" || backend == "cpu" || backend == "cuda",
                "--backend must be auto, cpu or cuda");
}

LshParams DedupConfig::resolved_lsh() const {
  return lsh ? *lsh : optimal_lsh_params(threshold, num_perm, lsh_fp_weight, lsh_fn_weight);
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Re-read batches (verification, deduplicated copy).
constexpr std::size_t kFetchBytes = std::size_t{16} << 20;

// Exact hashes seen so far in pass 1, shared by the workers. A document whose normalized text was
// already seen is not sketched: every member of an exact group has the same signature, so the
// group's LSH keys can come from whichever member was sketched first (exact_groups copies them),
// and the outputs do not depend on which one that was.
class SeenExact {
 public:
  /// True when h was not in the set (and now is).
  bool insert(const XXH128_hash_t& h) {
    Shard& s = shards_[h.low64 % kShards];
    std::lock_guard<std::mutex> lock(s.m);
    return s.set.insert(std::make_pair(h.low64, h.high64)).second;
  }

 private:
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const {
      return static_cast<std::size_t>(p.first ^ (p.second * 0x9E3779B97F4A7C15ULL));
    }
  };
  struct Shard {
    std::mutex m;
    std::unordered_set<std::pair<std::uint64_t, std::uint64_t>, PairHash> set;
  };
  static constexpr std::size_t kShards = 64;  // enough that workers rarely wait on each other
  Shard shards_[kShards];
};

struct DocOut {
  Locator loc;
  std::uint64_t text_len;
  XXH128_hash_t exact;
  bool empty;
  bool sketched;
  std::string id_json;
};

struct ResultBatch {
  std::uint32_t input = 0;
  std::vector<DocOut> docs;
  std::vector<BadRecord> bad;
  std::uint64_t blank = 0;
  SketchBatch sketch;
};

bool exact_less(const XXH128_hash_t& a, const XXH128_hash_t& b) {
  return a.high64 != b.high64 ? a.high64 < b.high64 : a.low64 < b.low64;
}
bool exact_equal(const XXH128_hash_t& a, const XXH128_hash_t& b) {
  return a.high64 == b.high64 && a.low64 == b.low64;
}

std::uint64_t pair_key(std::uint32_t u, std::uint32_t v) {
  return (std::uint64_t{u} << 32) | v;
}

class Engine {
 public:
  Engine(const DedupConfig& cfg, const DedupObserver& obs) : cfg_(cfg), obs_(obs) {}

  DedupResult run() {
    const auto t_start = Clock::now();
    cfg_.validate();
    res_.lsh = cfg_.resolved_lsh();
    threads_ = cfg_.threads ? cfg_.threads : std::max(1u, std::thread::hardware_concurrency());
    res_.threads = threads_;
    check_inputs();
    setup_backend();
    load_against();
    prepare_output_dir();

    auto t = Clock::now();
    pass1();
    res_.timings.read_sketch = seconds_since(t);

    t = Clock::now();
    probe_index();
    res_.timings.index = seconds_since(t);

    t = Clock::now();
    exact_groups();
    res_.timings.exact = seconds_since(t);

    t = Clock::now();
    lsh_candidates();
    res_.timings.lsh = seconds_since(t);

    t = Clock::now();
    verify_candidates();
    res_.timings.verify = seconds_since(t);

    t = Clock::now();
    cluster();
    res_.timings.cluster = seconds_since(t);

    t = Clock::now();
    write_outputs(t_start);
    return res_;
  }

  /// `index build|add` (run_index): pass 1 and exact groups, then every document into the index.
  IndexResult run_index(IndexAction action, const std::string& dir, index::Manifest manifest) {
    const auto t_start = Clock::now();
    cfg_.validate();
    res_.lsh = cfg_.resolved_lsh();
    threads_ = cfg_.threads ? cfg_.threads : std::max(1u, std::thread::hardware_concurrency());
    for (const std::string& path : cfg_.inputs) {
      if (path == "-") {
        throw UsageError(
            "an index cannot hold stdin: it reads its inputs again later; save the "
            "data to a file first");
      }
    }
    check_inputs();
    const bool build = action != IndexAction::add;
    if (action == IndexAction::build && index::exists(dir)) refuse_existing_index(dir);
    if (build) {
      manifest = index::Manifest{};
      manifest.params = run_params();
      manifest.threshold = cfg_.threshold;
      manifest.lsh_fp_weight = cfg_.lsh_fp_weight;
      manifest.lsh_fn_weight = cfg_.lsh_fn_weight;
      manifest.lsh_choice = cfg_.lsh ? "explicit" : "optimal";
    }
    io::remove_stale_temporaries(dir);
    manifest_ = manifest;
    adding_ = action == IndexAction::add;
    input_base_ = static_cast<std::uint32_t>(manifest_.inputs.size());
    reject_indexed_inputs();
    // Stamp the inputs now: a change while they are read is caught when they are stamped again.
    std::vector<index::Input> inputs(cfg_.inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
      inputs[i] = stamp_input(cfg_.inputs[i]);
    setup_backend();
    pass1();
    exact_groups();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const index::Input now = stamp_input(cfg_.inputs[i]);
      if (now.size != inputs[i].size || now.mtime_ns != inputs[i].mtime_ns) {
        throw Error("input '" + cfg_.inputs[i] +
                    "' changed while dupscan was reading it; index a stable copy");
      }
      inputs[i].compression = res_.inputs[i].compression;
      inputs[i].xxh3_64 = res_.inputs[i].xxh3_64;
      manifest_.inputs.push_back(inputs[i]);
    }
    // Every document gets its band keys: exact copies were not sketched, their group's were.
    const std::uint32_t bands = res_.lsh.bands;
    index::Docs out;
    out.docs.reserve(docs_.size());
    out.keys.resize(docs_.size() * std::size_t{bands});
    std::string id;
    for (std::uint32_t d = 0; d < docs_.size(); ++d) {
      index::Doc x;
      x.offset = docs_.loc[d].offset;
      x.line = docs_.loc[d].line;
      x.input = docs_.loc[d].input;
      x.length = docs_.loc[d].length;
      x.text_len = docs_.text_len[d];
      x.exact_low = docs_.exact[d].low64;
      x.exact_high = docs_.exact[d].high64;
      x.empty = docs_.empty[d];
      out.docs.push_back(x);
      if (!x.empty) {
        std::copy_n(docs_.keys.begin() + std::size_t{exact_rep_[d]} * bands, bands,
                    out.keys.begin() + std::size_t{d} * bands);
      }
      id.clear();
      append_id(id, d);
      out.ids += id;
      out.id_end.push_back(out.ids.size());
    }
    // --force: the old index goes only now that the new one is made (a failure before this
    // point leaves it as it was); a crash from here on leaves no index, never a mixed one.
    if (action == IndexAction::rebuild) index::remove(dir);
    index::append(dir, manifest_, out, threads_);
    IndexResult r;
    r.added = docs_.size();
    r.documents = manifest_.documents;
    r.segments = manifest_.segments.size();
    r.lsh = res_.lsh;
    r.inputs = res_.inputs;
    r.counts = res_.counts;
    r.seconds = seconds_since(t_start);
    return r;
  }

  /// read_part (dedup_part.hpp): pass 1 and exact groups of this engine's inputs, numbered from
  /// `first` among all inputs. The caller validated the whole configuration: the part's inputs
  /// may be none.
  Part run_part(std::uint32_t first, std::uint32_t total_inputs) {
    res_.lsh = cfg_.resolved_lsh();
    threads_ = cfg_.threads ? cfg_.threads : std::max(1u, std::thread::hardware_concurrency());
    input_base_ = first;
    check_inputs();
    setup_backend();
    pass1();
    exact_groups();
    Part part;
    part.lsh = res_.lsh;
    part.backend = res_.backend;
    part.threads = threads_;
    part.docs = std::move(docs_);
    part.exact_rep = std::move(exact_rep_);
    part.sources.resize(total_inputs);
    std::copy(pipeline_->sources().begin(), pipeline_->sources().end(),
              part.sources.begin() + first);
    part.inputs = std::move(res_.inputs);
    part.counts = res_.counts;
    return part;
  }

 private:
  // `index build` into a directory that holds an index: say what it holds and how to go on.
  [[noreturn]] static void refuse_existing_index(const std::string& dir) {
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

  index::Params run_params() const {
    index::Params p;
    p.sketch = sketch_kind_name(cfg_.sketch);
    p.num_perm = cfg_.num_perm;
    p.seed = cfg_.seed;
    p.bands = res_.lsh.bands;
    p.rows = res_.lsh.rows;
    p.shingle = cfg_.shingle.to_string();
    p.lowercase = cfg_.normalize.lowercase;
    p.strip_punctuation = cfg_.normalize.strip_punctuation;
    p.unicode = unicode_version();
    p.text_field = cfg_.text_field;
    p.id_field = cfg_.id_field;
    p.format = input_format_name(cfg_.format);
    return p;
  }

  static std::string absolute(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) io::throw_errno("resolve input path", path);
    return buf;
  }

  static index::Input stamp_input(const std::string& path) {
    index::Input in;
    in.path = absolute(path);
    struct stat st {};
    if (::stat(in.path.c_str(), &st) != 0) io::throw_errno("stat input", path);
    in.size = st.st_size;
    in.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return in;
  }

  // An input given twice, or already in the index, would match itself.
  void reject_indexed_inputs() const {
    std::unordered_set<std::string> indexed, given;
    for (const index::Input& in : manifest_.inputs)
      indexed.insert(in.path);
    for (const std::string& path : cfg_.inputs) {
      if (path == "-") continue;
      const std::string abs = absolute(path);
      if (indexed.count(abs)) throw UsageError("input '" + path + "' is already in the index");
      if (!given.insert(abs).second) throw UsageError("input '" + path + "' is given twice");
    }
  }

  // --against: the index's documents become documents 0..n_index_-1, before the new ones.
  void load_against() {
    if (cfg_.against.empty()) return;
    if (!cfg_.verify) {
      throw UsageError(
          "--no-verify cannot be used with --against: the index keeps band keys, not "
          "signatures");
    }
    manifest_ = index::read_manifest(cfg_.against);
    const std::string diff = index::mismatch(manifest_.params, run_params());
    if (!diff.empty()) {
      char t[32];
      std::snprintf(t, sizeof t, "%g", manifest_.threshold);
      throw UsageError("the index '" + cfg_.against + "' was built with other parameters (" + diff +
                       "; it was built with --threshold " + t +
                       "); leave these options out to use the index's");
    }
    index::check_inputs_unchanged(manifest_);
    reject_indexed_inputs();
    // Opening a segment reads it once for its checksum; nothing else is loaded now.
    for (std::size_t i = 0; i < manifest_.segments.size(); ++i)
      segments_.emplace_back(cfg_.against, manifest_, i);
    res_.indexed_documents = manifest_.documents;
    input_base_ = static_cast<std::uint32_t>(manifest_.inputs.size());
    for (const index::Input& in : manifest_.inputs) {
      RereadSource rs;
      rs.path = in.path;
      rs.display = in.path;
      rs.plain = io::is_plain_file(in.path);
      if (rs.plain) {
        rs.size = in.size;
        rs.mtime_ns = in.mtime_ns;
      }
      index_sources_.push_back(std::move(rs));
    }
  }

  /**
   * --against, after pass 1: the indexed documents that matter to the new ones -- for each new
   * exact hash and band key, the earliest indexed document that has it -- become documents
   * 0..n_index_-1, before the new ones, with their records and band keys. Each new document is
   * thereby grouped and paired exactly as in a run over the indexed inputs and then the new
   * ones (pairs of two indexed documents are never formed).
   */
  void probe_index() {
    if (cfg_.against.empty()) return;
    const std::uint32_t bands = res_.lsh.bands;
    const std::size_t n_new = docs_.size();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> hashes;
    for (std::size_t d = 0; d < n_new; ++d) {
      if (!docs_.empty[d]) hashes.emplace_back(docs_.exact[d].high64, docs_.exact[d].low64);
    }
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    std::vector<std::vector<std::uint64_t>> keys(bands);
    parallel_for(bands, threads_, 1, [&](std::size_t j) {
      for (std::size_t d = 0; d < n_new; ++d) {
        if (!docs_.empty[d] && docs_.sketched[d]) keys[j].push_back(docs_.keys[d * bands + j]);
      }
      std::sort(keys[j].begin(), keys[j].end());
      keys[j].erase(std::unique(keys[j].begin(), keys[j].end()), keys[j].end());
    });
    // Segments in order: the first one that has a hash or key holds its earliest document.
    std::vector<std::uint64_t> wanted;
    std::vector<std::uint64_t> hit_exact(hashes.size(), index::kNone);
    std::vector<std::vector<std::uint64_t>> hit_band(bands);
    for (std::uint32_t j = 0; j < bands; ++j)
      hit_band[j].assign(keys[j].size(), index::kNone);
    std::uint64_t base = 0;
    for (const index::SegmentFile& seg : segments_) {
      std::vector<std::uint64_t> local(hashes.size(), index::kNone);
      seg.probe_exact(hashes, local);
      for (std::size_t i = 0; i < local.size(); ++i) {
        if (hit_exact[i] == index::kNone && local[i] != index::kNone) {
          hit_exact[i] = base + local[i];
          wanted.push_back(base + local[i]);
        }
      }
      std::vector<std::vector<std::uint64_t>> lb(bands);
      parallel_for(bands, threads_, 1, [&](std::size_t j) {
        lb[j].assign(keys[j].size(), index::kNone);
        seg.probe_band(static_cast<std::uint32_t>(j), keys[j], lb[j]);
      });
      for (std::uint32_t j = 0; j < bands; ++j) {
        for (std::size_t i = 0; i < lb[j].size(); ++i) {
          if (hit_band[j][i] == index::kNone && lb[j][i] != index::kNone) {
            hit_band[j][i] = base + lb[j][i];
            wanted.push_back(base + lb[j][i]);
          }
        }
      }
      base += seg.documents();
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (wanted.size() + n_new >= UINT32_MAX) {
      throw Error("more than 4294967294 documents in one run; split the input");
    }
    // The referenced indexed documents, then the new ones.
    DocTable t;
    const std::size_t r = wanted.size();
    t.keys.resize(r * bands);
    std::size_t seg = 0;
    std::uint64_t seg_base = 0;
    for (std::size_t i = 0; i < r; ++i) {
      while (wanted[i] >= seg_base + segments_[seg].documents()) {
        seg_base += segments_[seg].documents();
        ++seg;
      }
      const std::uint64_t local = wanted[i] - seg_base;
      const index::Doc x = segments_[seg].doc(local, t.keys.data() + i * bands);
      t.loc.push_back({x.offset, x.line, x.input, x.length});
      t.ids += segments_[seg].id(local);
      t.id_end.push_back(t.ids.size());
      t.exact.push_back(XXH128_hash_t{x.exact_low, x.exact_high});
      t.text_len.push_back(x.text_len);
      t.empty.push_back(x.empty);
      t.sketched.push_back(1);
    }
    const std::uint64_t id_shift = t.ids.size();
    t.loc.insert(t.loc.end(), docs_.loc.begin(), docs_.loc.end());
    t.ids += docs_.ids;
    for (std::uint64_t e : docs_.id_end)
      t.id_end.push_back(e + id_shift);
    t.exact.insert(t.exact.end(), docs_.exact.begin(), docs_.exact.end());
    t.text_len.insert(t.text_len.end(), docs_.text_len.begin(), docs_.text_len.end());
    t.empty.insert(t.empty.end(), docs_.empty.begin(), docs_.empty.end());
    t.sketched.insert(t.sketched.end(), docs_.sketched.begin(), docs_.sketched.end());
    t.keys.insert(t.keys.end(), docs_.keys.begin(), docs_.keys.end());
    docs_ = std::move(t);
    n_index_ = static_cast<std::uint32_t>(r);
  }

  // Sources of every input for refetch: the index's, then this run's.
  std::vector<RereadSource> all_sources() const {
    std::vector<RereadSource> all = index_sources_;
    all.insert(all.end(), pipeline_->sources().begin(), pipeline_->sources().end());
    return all;
  }

  // ---- set-up --------------------------------------------------------------------------------

  void setup_backend() {
    if (cfg_.backend == "cuda") {
      throw Error(
          "--backend cuda: this build of dupscan has no CUDA backend yet; use --backend cpu");
    }
    params_.kind = cfg_.sketch;
    params_.shingle = cfg_.shingle;
    params_.perms = make_permutations(cfg_.num_perm, cfg_.seed);
    params_.lsh = res_.lsh;
    backend_ = make_cpu_backend(params_);
    res_.backend = backend_->name();
  }

  // Fail before any work -- and before creating the output directory -- when an input is missing,
  // unreadable, a directory or given twice, or when an output would replace an input.
  void check_inputs() const {
    check_inputs_readable(cfg_.inputs);
    check_inputs_distinct(cfg_.inputs);
    const std::string dir = cfg_.output_dir + "/";
    check_outputs_not_inputs(cfg_.inputs,
                             {{cfg_.write_deduped, "--write-deduped"},
                              {cfg_.write_signatures, "--write-signatures"},
                              {dir + "duplicates.jsonl", "--output-dir"},
                              {dir + "clusters.jsonl", "--output-dir"},
                              {dir + "report.json", "--output-dir"}},
                             cfg_.in_place);
  }

  void prepare_output_dir() {
    created_dirs_ = io::make_dirs(cfg_.output_dir);
    // Fail now, not after hours of work, when the directory cannot take files.
    io::AtomicFile probe(cfg_.output_dir + "/.dupscan-write-test");
    probe.write("ok");
    probe.finish();
    tmp_dir_ = cfg_.tmp_dir.empty() ? cfg_.output_dir : cfg_.tmp_dir;
    if (!cfg_.tmp_dir.empty()) {
      const auto made = io::make_dirs(cfg_.tmp_dir);
      created_dirs_.insert(created_dirs_.end(), made.begin(), made.end());
    }
    // Temporary files of earlier runs killed with SIGKILL, wherever this run writes.
    for (const std::string& d : {cfg_.output_dir, tmp_dir_, io::dir_of(cfg_.write_deduped),
                                 io::dir_of(cfg_.write_signatures)}) {
      io::remove_stale_temporaries(d);
    }
  }

 public:
  /// After a failed run: the directories it created, if still empty, are removed again.
  void remove_created_dirs() const noexcept { io::remove_created_dirs(created_dirs_); }

 private:
  // --write-signatures wants every document's own signature.
  bool skip_seen_exact() const { return cfg_.write_signatures.empty(); }

  bool needs_reread() const { return cfg_.verify || !cfg_.write_deduped.empty(); }

  /// input: global numbering (the index's inputs first, then this run's).
  std::string display_path(std::uint32_t input) const {
    if (input < input_base_) return manifest_.inputs[input].path;
    const std::string& path = cfg_.inputs[input - input_base_];
    return path == "-" ? "<stdin>" : path;
  }

  // ---- pass 1: read, parse, normalize, sketch ------------------------------------------------

  void pass1() {
    if (!cfg_.write_signatures.empty()) {
      sig_out_ = std::make_unique<io::OutputFile>(cfg_.write_signatures);
    }
    RecordPipeline::Options po;
    po.inputs = cfg_.inputs;
    po.threads = threads_;
    po.batch_bytes = cfg_.batch_bytes;
    po.spool_stdin = needs_reread();
    po.tmp_dir = tmp_dir_;
    std::vector<RecordParser> parsers;
    parsers.reserve(threads_);
    for (unsigned w = 0; w < threads_; ++w)
      parsers.emplace_back(cfg_.text_field, cfg_.id_field, cfg_.format);
    std::vector<NormalizedBatch> batches(threads_);
    SkipPolicy skips(
        {cfg_.strict, cfg_.max_skipped, cfg_.format, adding_ ? cfg_.text_field : std::string()},
        obs_.warning);
    po.skips = &skips;
    pipeline_ = std::make_unique<RecordPipeline>(po);
    std::uint64_t processed_bytes = 0;
    Progress p;
    p.stage = "read";
    pipeline_->run<ResultBatch>(
        [&](unsigned w, const io::RawBatch& raw) {
          ResultBatch r;
          r.input = raw.input;
          NormalizedBatch& nb = batches[w];
          nb.clear();
          thread_local std::string norm;
          for_each_record(
              raw, parsers[w], r.blank,
              [&](const io::LineRef& l, std::string_view text, std::string& id) {
                normalize(text, cfg_.normalize, norm);
                DocOut d;
                d.loc = {l.stream_offset, l.line_no, raw.input + input_base_,
                         static_cast<std::uint32_t>(l.length)};
                d.text_len = text.size();
                d.empty = norm.empty();
                d.exact = d.empty ? XXH128_hash_t{0, 0} : XXH3_128bits(norm.data(), norm.size());
                d.sketched = d.empty || !skip_seen_exact() || seen_.insert(d.exact);
                d.id_json = std::move(id);
                nb.add(d.sketched ? std::string_view(norm) : std::string_view());
                r.docs.push_back(std::move(d));
              },
              [&](BadRecord b) { r.bad.push_back(std::move(b)); });
          backend_->sketch(nb, r.sketch);
          return r;
        },
        [&](ResultBatch& r, const io::RawBatch& raw) {
          InputSummary& in = pipeline_->summaries()[r.input];
          in.blank_lines += r.blank;
          for (const BadRecord& b : r.bad)
            skips.skip(display_path(r.input + input_base_), b, in);
          collect(r);
          in.records += r.docs.size();
          processed_bytes += raw.size;
          if (obs_.progress) {
            p.documents = docs_.size();
            p.bytes = processed_bytes;
            obs_.progress(p);
          }
        });
    res_.inputs = pipeline_->summaries();
    res_.counts.skipped = skips.skipped;
    std::copy(std::begin(skips.by_reason), std::end(skips.by_reason),
              std::begin(res_.counts.skipped_by_reason));
    res_.counts.documents = docs_.size() - n_index_;
  }

  void collect(const ResultBatch& r) {
    const std::uint32_t bands = res_.lsh.bands;
    const std::uint32_t k = cfg_.num_perm;
    for (const DocOut& doc : r.docs) {
      if (docs_.size() >= UINT32_MAX) {
        throw Error("more than 4294967294 documents in one run; split the input");
      }
      docs_.loc.push_back(doc.loc);
      docs_.ids += doc.id_json;
      docs_.id_end.push_back(docs_.ids.size());
      docs_.exact.push_back(doc.exact);
      docs_.text_len.push_back(doc.text_len);
      docs_.empty.push_back(doc.empty);
      docs_.sketched.push_back(doc.sketched);
      res_.counts.text_bytes += doc.text_len;
      if (doc.empty) ++res_.counts.empty;
      if (!doc.sketched) ++res_.counts.sketch_skipped;
    }
    if (sig_out_) write_signatures(r);
    docs_.keys.insert(docs_.keys.end(), r.sketch.band_keys.begin(),
                      r.sketch.band_keys.begin() + r.docs.size() * bands);
    if (!cfg_.verify) {
      docs_.sigs.insert(docs_.sigs.end(), r.sketch.signatures.begin(),
                        r.sketch.signatures.begin() + r.docs.size() * k);
    }
  }

  // Called in input order, before the batch's documents are added to docs_.
  void write_signatures(const ResultBatch& r) {
    const std::uint32_t k = cfg_.num_perm, bands = res_.lsh.bands;
    std::string line;
    for (std::size_t d = 0; d < r.docs.size(); ++d) {
      line.clear();
      line += "{\"id\":";
      if (!r.docs[d].id_json.empty()) {
        line += r.docs[d].id_json;
      } else {
        append_json_string(
            line, display_path(r.input + input_base_) + ":" + std::to_string(r.docs[d].loc.line));
      }
      line += ",\"shingles\":" + std::to_string(r.sketch.shingle_counts[d]) + ",\"signature\":[";
      for (std::uint32_t i = 0; i < k; ++i) {
        if (i) line += ',';
        line += std::to_string(r.sketch.signatures[d * k + i]);
      }
      line += "],\"band_keys\":[";
      for (std::uint32_t j = 0; j < bands && !r.docs[d].empty; ++j) {
        if (j) line += ',';
        line += std::to_string(r.sketch.band_keys[d * bands + j]);
      }
      line += "]}\n";
      sig_out_->write(line);
    }
  }

  // ---- exact duplicates ----------------------------------------------------------------------

  void exact_groups() {
    const std::size_t n = docs_.size();
    exact_rep_.resize(n);
    std::iota(exact_rep_.begin(), exact_rep_.end(), 0u);
    std::vector<std::uint32_t> order;
    order.reserve(n);
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!docs_.empty[d]) order.push_back(d);
    }
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const auto& ha = docs_.exact[a];
      const auto& hb = docs_.exact[b];
      if (!exact_equal(ha, hb)) return exact_less(ha, hb);
      return a < b;
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (exact_equal(docs_.exact[order[i]], docs_.exact[order[i - 1]])) {
        exact_rep_[order[i]] = exact_rep_[order[i - 1]];
      }
    }
    // The representative's band keys (and signature) come from the group's sketched member.
    const std::uint32_t bands = res_.lsh.bands, k = cfg_.num_perm;
    for (std::size_t i = 0; i < order.size();) {
      std::size_t e = i + 1;
      while (e < order.size() && exact_rep_[order[e]] == exact_rep_[order[i]])
        ++e;
      const std::uint32_t rep = order[i];
      if (!docs_.sketched[rep]) {
        std::size_t m = i + 1;
        while (!docs_.sketched[order[m]])
          ++m;  // the first one inserted was sketched
        const std::uint32_t from = order[m];
        ++res_.counts.keys_from_copy;
        std::copy_n(docs_.keys.begin() + std::size_t{from} * bands, bands,
                    docs_.keys.begin() + std::size_t{rep} * bands);
        if (!cfg_.verify) {
          std::copy_n(docs_.sigs.begin() + std::size_t{from} * k, k,
                      docs_.sigs.begin() + std::size_t{rep} * k);
        }
      }
      i = e;
    }
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!docs_.empty[d] && exact_rep_[d] == d) reps_.push_back(d);
    }
    res_.counts.lsh_documents = reps_.size();
  }

  // ---- LSH candidates ------------------------------------------------------------------------

  void lsh_candidates() {
    const std::uint32_t bands = res_.lsh.bands;
    std::vector<std::vector<std::uint64_t>> per_band(bands);
    report_stage("lsh", 0, bands);
    parallel_for(bands, threads_, 1, [&](std::size_t j) {
      std::vector<std::pair<std::uint64_t, std::uint32_t>> entries;
      entries.reserve(reps_.size());
      for (std::uint32_t d : reps_)
        entries.emplace_back(docs_.keys[std::size_t{d} * bands + j], d);
      // Built in document order, sorted stably by key: buckets list their members in input order.
      radix_sort_by_key(entries);
      auto& out = per_band[j];
      for (std::size_t i = 0; i < entries.size();) {
        std::size_t e = i + 1;
        while (e < entries.size() && entries[e].first == entries[i].first)
          ++e;
        for (std::size_t m = i + 1; m < e; ++m) {
          // Two indexed documents (--against) were compared when they were indexed, or never
          // need to be: only pairs with a new document count.
          if (entries[m].second < n_index_) continue;
          out.push_back(pair_key(entries[i].second, entries[m].second));
        }
        i = e;
      }
    });
    std::size_t total = 0;
    for (auto& v : per_band)
      total += v.size();
    pairs_.reserve(total);
    for (auto& v : per_band) {
      pairs_.insert(pairs_.end(), v.begin(), v.end());
      std::vector<std::uint64_t>().swap(v);
    }
    std::sort(pairs_.begin(), pairs_.end());
    pairs_.erase(std::unique(pairs_.begin(), pairs_.end()), pairs_.end());
    res_.counts.candidate_pairs = pairs_.size();
  }

  // ---- verification --------------------------------------------------------------------------

  /**
   * Exact Jaccard of each pair (u < v, both LSH documents) by reading the documents again.
   * Documents are visited in input order; the shingle set of u is kept from its visit until its
   * last partner v has been visited, so memory holds the sets of pending anchors, not the corpus.
   */
  std::vector<double> jaccard_of_pairs(const std::vector<std::uint64_t>& pairs) {
    std::vector<double> result(pairs.size(), 0.0);
    if (pairs.empty()) return result;
    // Pairs grouped by v, and the last partner of every u.
    std::vector<std::size_t> by_v(pairs.size());
    std::iota(by_v.begin(), by_v.end(), std::size_t{0});
    std::sort(by_v.begin(), by_v.end(), [&](std::size_t a, std::size_t b) {
      const std::uint32_t va = static_cast<std::uint32_t>(pairs[a]);
      const std::uint32_t vb = static_cast<std::uint32_t>(pairs[b]);
      return va != vb ? va < vb : a < b;
    });
    std::unordered_map<std::uint32_t, std::uint32_t> last_partner;
    std::vector<std::uint32_t> needed;
    needed.reserve(pairs.size() * 2);
    for (std::uint64_t p : pairs) {
      const auto u = static_cast<std::uint32_t>(p >> 32), v = static_cast<std::uint32_t>(p);
      auto& lp = last_partner[u];
      lp = std::max(lp, v);
      needed.push_back(u);
      needed.push_back(v);
    }
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());

    std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> kept_sets;
    std::size_t next_pair = 0;  // index into by_v
    std::uint64_t visited = 0;
    refetch(all_sources(), docs_.loc, needed, kFetchBytes, [&](FetchedBatch& batch) {
      check_interrupt();
      const std::size_t m = batch.items.size();
      std::vector<std::vector<std::uint64_t>> sets(m);
      parallel_for(m, threads_, 16, [&](std::size_t i) {
        thread_local std::string norm;
        const auto& it = batch.items[i];
        const Locator& loc = docs_.loc[it.doc];
        record_set(cfg_, batch.record(it), display_path(loc.input), loc.line, norm, sets[i]);
      });
      // Index of each fetched doc in this batch.
      std::unordered_map<std::uint32_t, std::size_t> in_batch;
      for (std::size_t i = 0; i < m; ++i)
        in_batch.emplace(batch.items[i].doc, i);
      auto set_of = [&](std::uint32_t d) -> const std::vector<std::uint64_t>& {
        auto b = in_batch.find(d);
        if (b != in_batch.end()) return sets[b->second];
        return kept_sets.at(d);
      };
      const std::uint32_t last_doc = batch.items.back().doc;
      std::size_t end_pair = next_pair;
      while (end_pair < by_v.size() &&
             static_cast<std::uint32_t>(pairs[by_v[end_pair]]) <= last_doc) {
        ++end_pair;
      }
      parallel_for(end_pair - next_pair, threads_, 64, [&](std::size_t i) {
        const std::size_t pi = by_v[next_pair + i];
        const auto u = static_cast<std::uint32_t>(pairs[pi] >> 32);
        const auto v = static_cast<std::uint32_t>(pairs[pi]);
        result[pi] = jaccard(set_of(u), set_of(v));
      });
      next_pair = end_pair;
      // Keep the sets still needed by later partners; drop those whose last partner is done.
      for (auto it = kept_sets.begin(); it != kept_sets.end();) {
        it = last_partner[it->first] <= last_doc ? kept_sets.erase(it) : std::next(it);
      }
      for (std::size_t i = 0; i < m; ++i) {
        auto lp = last_partner.find(batch.items[i].doc);
        if (lp != last_partner.end() && lp->second > last_doc) {
          kept_sets.emplace(batch.items[i].doc, std::move(sets[i]));
        }
      }
      visited += m;
      report_stage("verify", visited, needed.size());
    });
    return result;
  }

  void verify_candidates() {
    if (!cfg_.verify) {
      edges_ = pairs_;
      res_.counts.verified_pairs = pairs_.size();
      return;
    }
    const std::vector<double> j = jaccard_of_pairs(pairs_);
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      known_jaccard_.emplace(pairs_[i], j[i]);
      if (j[i] >= cfg_.threshold) edges_.push_back(pairs_[i]);
    }
    res_.counts.verified_pairs = edges_.size();
    res_.counts.rejected_pairs = pairs_.size() - edges_.size();
  }

  // ---- clusters ------------------------------------------------------------------------------

  std::uint32_t find(std::uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }

  void cluster() {
    report_stage("cluster", 0, 0);
    const std::size_t n = docs_.size();
    parent_.resize(n);
    std::iota(parent_.begin(), parent_.end(), 0u);
    for (std::uint64_t e : edges_) {
      // The smaller index becomes the root: the result does not depend on edge order.
      std::uint32_t a = find(static_cast<std::uint32_t>(e >> 32));
      std::uint32_t b = find(static_cast<std::uint32_t>(e));
      if (a == b) continue;
      if (b < a) std::swap(a, b);
      parent_[b] = a;
    }
    // root[d]: the cluster of doc d, identified by its smallest member; kUnset for empty docs.
    root_.assign(n, kUnset);
    std::vector<std::uint32_t> size(n, 0);
    std::vector<std::uint8_t> has_new(n, 0);  // with --against: clusters of indexed docs only
    for (std::uint32_t d = 0; d < n; ++d) {
      if (docs_.empty[d]) continue;
      root_[d] = find(exact_rep_[d]);
      ++size[root_[d]];
      if (d >= n_index_) has_new[root_[d]] = 1;
    }
    // Kept member and cluster id of every cluster of >= 2 documents, ids in order of first member.
    kept_.assign(n, kUnset);
    cluster_id_.assign(n, kUnset);
    std::uint32_t next_id = 0;
    for (std::uint32_t d = 0; d < n; ++d) {
      const std::uint32_t r = root_[d];
      if (r == kUnset || size[r] < 2 || !has_new[r]) continue;
      if (cluster_id_[r] == kUnset) {
        cluster_id_[r] = next_id++;
        kept_[r] = d;  // an indexed document when the cluster has one: they come first
      } else if (cfg_.keep == KeepPolicy::longest && docs_.text_len[d] > docs_.text_len[kept_[r]] &&
                 (d < n_index_ || kept_[r] >= n_index_)) {
        kept_[r] = d;
      }
    }
    res_.counts.clusters = next_id;
    // Jaccard of each removed member with its kept document.
    std::vector<std::uint64_t> missing;
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!removed(d)) continue;
      const std::uint32_t r = root_[d];
      const std::uint32_t a = exact_rep_[d], b = exact_rep_[kept_[r]];
      if (a == b) {
        ++res_.counts.exact_duplicates;
        continue;
      }
      ++res_.counts.near_duplicates;
      if (cfg_.verify && !known_jaccard_.count(pair_key(std::min(a, b), std::max(a, b)))) {
        missing.push_back(pair_key(std::min(a, b), std::max(a, b)));
      }
    }
    res_.counts.kept =
        res_.counts.documents - res_.counts.exact_duplicates - res_.counts.near_duplicates;
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    res_.counts.jaccard_extra_pairs = missing.size();
    const std::vector<double> j = jaccard_of_pairs(missing);
    for (std::size_t i = 0; i < missing.size(); ++i)
      known_jaccard_.emplace(missing[i], j[i]);
  }

  double jaccard_with_kept(std::uint32_t d, std::uint32_t kept) const {
    const std::uint32_t a = exact_rep_[d], b = exact_rep_[kept];
    if (a == b) return 1.0;
    if (!cfg_.verify) {
      const std::uint32_t k = cfg_.num_perm;
      return estimate_jaccard(docs_.sigs.data() + std::size_t{a} * k,
                              docs_.sigs.data() + std::size_t{b} * k, k);
    }
    return known_jaccard_.at(pair_key(std::min(a, b), std::max(a, b)));
  }

  // ---- outputs -------------------------------------------------------------------------------

  void append_id(std::string& out, std::uint32_t d) const {
    docs_.append_id(out, d, [&] { return display_path(docs_.loc[d].input); });
  }

  /// Indexed documents (--against) are never removed.
  bool removed(std::uint32_t d) const {
    const std::uint32_t r = root_[d];
    return d >= n_index_ && r != kUnset && cluster_id_[r] != kUnset && kept_[r] != d;
  }

  void write_outputs(Clock::time_point t_start) {
    const auto t_write = Clock::now();
    const std::string dir = cfg_.output_dir + "/";
    std::unique_ptr<io::OutputFile> deduped;
    if (!cfg_.write_deduped.empty()) {
      deduped = std::make_unique<io::OutputFile>(cfg_.write_deduped);
      write_deduped(*deduped);
      deduped->finish();
    }
    report_stage("write", 0, 0);
    const std::size_t n = docs_.size();
    io::AtomicFile dups(dir + "duplicates.jsonl");
    io::AtomicFile clusters(dir + "clusters.jsonl");
    std::string line;
    for (std::uint32_t d = 0; d < n; ++d) {
      if (!removed(d)) continue;
      const std::uint32_t r = root_[d];
      const std::uint32_t kept = kept_[r];
      const bool exact = exact_rep_[d] == exact_rep_[kept];
      line.clear();
      line += "{\"id\":";
      append_id(line, d);
      line += ",\"duplicate_of\":";
      append_id(line, kept);
      line += ",\"cluster\":" + std::to_string(cluster_id_[r]);
      line += exact ? ",\"kind\":\"exact\"" : ",\"kind\":\"near\"";
      line += ",\"jaccard\":";
      append_double(line, jaccard_with_kept(d, kept));
      line += "}\n";
      dups.write(line);
    }
    // Members of each cluster in input order, clusters by id (= order of their first member).
    std::vector<std::uint32_t> count(res_.counts.clusters + 1, 0);
    for (std::uint32_t d = 0; d < n; ++d) {
      const std::uint32_t r = root_[d];
      if (r != kUnset && cluster_id_[r] != kUnset) ++count[cluster_id_[r] + 1];
    }
    std::partial_sum(count.begin(), count.end(), count.begin());
    std::vector<std::uint32_t> members(count.back());
    {
      std::vector<std::uint32_t> fill(count.begin(), count.end() - 1);
      for (std::uint32_t d = 0; d < n; ++d) {
        const std::uint32_t r = root_[d];
        if (r != kUnset && cluster_id_[r] != kUnset) members[fill[cluster_id_[r]]++] = d;
      }
    }
    for (std::uint32_t c = 0; c < res_.counts.clusters; ++c) {
      const std::uint32_t first = members[count[c]];
      line.clear();
      line += "{\"cluster\":" + std::to_string(c) + ",\"kept\":";
      append_id(line, kept_[root_[first]]);
      line += ",\"members\":[";
      for (std::uint32_t i = count[c]; i < count[c + 1]; ++i) {
        if (i != count[c]) line += ',';
        append_id(line, members[i]);
      }
      line += "]}\n";
      clusters.write(line);
    }
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
    io::AtomicFile report(dir + "report.json");
    report.write(report_json());
    report.finish();
    // Everything is complete on disk: only now do the outputs replace earlier ones.
    if (deduped) deduped->commit();
    if (sig_out_) sig_out_->commit();
    dups.commit();
    clusters.commit();
    report.commit();
  }

  void write_deduped(io::OutputFile& out) {
    std::vector<std::uint32_t> kept_docs;
    kept_docs.reserve(docs_.size());
    for (std::uint32_t d = n_index_; d < docs_.size(); ++d) {
      if (!removed(d)) kept_docs.push_back(d);
    }
    std::uint64_t written = 0;
    refetch(all_sources(), docs_.loc, kept_docs, kFetchBytes, [&](FetchedBatch& batch) {
      check_interrupt();
      for (const auto& it : batch.items) {
        out.write(batch.record(it));
        out.write("\n");
      }
      written += batch.items.size();
      report_stage("write", written, kept_docs.size());
    });
  }

  std::string report_json() const {
    AgainstSummary against;
    if (!cfg_.against.empty()) {
      against.index = cfg_.against;
      against.documents = manifest_.documents;
      against.referenced = n_index_;
      against.segments = manifest_.segments.size();
      against.inputs = manifest_.inputs.size();
    }
    return dupscan::report_json(cfg_, res_, cfg_.against.empty() ? nullptr : &against);
  }

  void report_stage(const char* stage, std::uint64_t done, std::uint64_t total) {
    if (!obs_.progress) return;
    Progress p;
    p.stage = stage;
    p.documents = docs_.size();
    p.done = done;
    p.total = total;
    obs_.progress(p);
  }

  static constexpr std::uint32_t kUnset = UINT32_MAX;

  const DedupConfig& cfg_;
  const DedupObserver& obs_;
  DedupResult res_;
  unsigned threads_ = 1;
  SketchParams params_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<io::OutputFile> sig_out_;
  SeenExact seen_;
  std::string tmp_dir_;
  std::unique_ptr<RecordPipeline> pipeline_;
  std::vector<std::string> created_dirs_;  // by prepare_output_dir
  bool adding_ = false;                    // index add: the fields are the index's
  // --against / index build|add
  index::Manifest manifest_;
  std::vector<RereadSource> index_sources_;
  std::vector<index::SegmentFile> segments_;
  std::uint32_t n_index_ = 0;     // indexed documents, docs 0..n_index_-1
  std::uint32_t input_base_ = 0;  // the index's inputs, numbered before this run's

  DocTable docs_;
  std::vector<std::uint32_t> exact_rep_;  // earliest doc with the same normalized text
  std::vector<std::uint32_t> reps_;       // LSH documents, ascending
  std::vector<std::uint64_t> pairs_;      // candidate pairs u << 32 | v, u < v, sorted
  std::vector<std::uint64_t> edges_;      // verified pairs
  std::unordered_map<std::uint64_t, double> known_jaccard_;
  std::vector<std::uint32_t> parent_, root_, kept_, cluster_id_;
};

}  // namespace

std::string report_json(const DedupConfig& cfg, const DedupResult& res,
                        const AgainstSummary* against) {
  JsonWriter w(2);
  w.begin_object();
  w.field("dupscan_version", version());
  w.field("command", "dedup");
  w.key("parameters").begin_object();
  w.field("threshold", cfg.threshold);
  w.field("num_perm", cfg.num_perm);
  w.field("seed", cfg.seed);
  w.field("bands", res.lsh.bands);
  w.field("rows", res.lsh.rows);
  w.field("lsh_params", cfg.lsh ? "explicit (--bands, --rows)"
                                : "datasketch optimal_param(threshold, num_perm, weights)");
  w.key("lsh_weights").begin_array().value(cfg.lsh_fp_weight).value(cfg.lsh_fn_weight).end_array();
  w.field("shingle", cfg.shingle.to_string());
  w.field("shingle_hash", "low 32 bits of XXH64(seed 0)");
  w.field("sketch", sketch_kind_name(cfg.sketch));
  w.field("minhash", cfg.sketch == SketchKind::fast
                         ? "one-permutation hashing, optimal densification (fast_sketch.hpp)"
                         : "datasketch legacy: ((a*h+b) mod 2^64) mod (2^61-1) & (2^32-1)");
  w.key("normalization").begin_object();
  w.field("lowercase", cfg.normalize.lowercase);
  w.field("strip_punctuation", cfg.normalize.strip_punctuation);
  w.field("unicode", unicode_version());
  w.end_object();
  w.field("exact_hash", "XXH3-128 of normalized text");
  w.field("verify", cfg.verify);
  w.field("keep", cfg.keep == KeepPolicy::first ? "first" : "longest");
  w.field("format", input_format_name(cfg.format));
  w.field("text_field", cfg.text_field);
  w.field("id_field", cfg.id_field);
  w.field("strict", cfg.strict);
  w.field("max_skipped", cfg.max_skipped);
  w.end_object();
  if (against) {
    w.key("against").begin_object();
    w.field("index", against->index);
    w.key("parameters_from_index").begin_array();
    for (const std::string& o : cfg.from_index)
      w.value(o);
    w.end_array();
    w.field("documents", against->documents);
    w.field("referenced", against->referenced);
    w.field("segments", against->segments);
    w.field("inputs", against->inputs);
    w.end_object();
  }
  w.field("backend", res.backend);
  w.field("threads", res.threads);
  w.field("ranks", res.ranks);
  w.key("inputs");
  write_input_summaries(w, res.inputs);
  const DedupCounts& c = res.counts;
  w.key("counts").begin_object();
  w.field("documents", c.documents);
  w.field("empty", c.empty);
  w.field("exact_duplicates", c.exact_duplicates);
  w.field("near_duplicates", c.near_duplicates);
  w.field("removed", c.exact_duplicates + c.near_duplicates);
  w.field("kept", c.kept);
  w.field("clusters", c.clusters);
  w.field("skipped", c.skipped);
  w.key("skipped_by_reason").begin_object();
  for (int r = 0; r < kSkipReasonCount; ++r) {
    w.field(skip_reason_name(static_cast<SkipReason>(r)), c.skipped_by_reason[r]);
  }
  w.end_object();
  w.field("lsh_documents", c.lsh_documents);
  w.field("sketch_skipped", c.sketch_skipped);
  w.field("candidate_pairs", c.candidate_pairs);
  w.field("verified_pairs", c.verified_pairs);
  w.field("rejected_pairs", c.rejected_pairs);
  w.field("jaccard_extra_pairs", c.jaccard_extra_pairs);
  w.field("text_bytes", c.text_bytes);
  w.end_object();
  const DedupTimings& t = res.timings;
  w.key("timings_s").begin_object();
  w.field("read_sketch", t.read_sketch);
  if (against) w.field("index", t.index);
  w.field("exact", t.exact);
  w.field("lsh", t.lsh);
  w.field("verify", t.verify);
  w.field("cluster", t.cluster);
  w.field("write", t.write);
  w.field("total", t.total);
  w.end_object();
  w.key("outputs").begin_array();
  for (const auto& o : res.outputs)
    w.value(o);
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

Part read_part(const DedupConfig& cfg, std::uint32_t first, std::uint32_t count,
               const DedupObserver& observer) {
  DedupConfig part = cfg;
  part.inputs.assign(cfg.inputs.begin() + first, cfg.inputs.begin() + first + count);
  Engine engine(part, observer);
  return engine.run_part(first, static_cast<std::uint32_t>(cfg.inputs.size()));
}

void Part::append_id(std::string& out, std::uint32_t d,
                     const std::vector<std::string>& inputs) const {
  docs.append_id(out, d, [&] { return inputs[docs.loc[d].input]; });
}

void record_set(const DedupConfig& cfg, std::string_view record, const std::string& display,
                std::uint64_t line, std::string& norm, std::vector<std::uint64_t>& out) {
  thread_local RecordParser parser("", "");
  parser.set_fields(cfg.text_field, cfg.id_field, cfg.format);
  std::string_view text;
  std::string id, detail;
  SkipReason reason{};
  if (!parser.parse(record.data(), record.size(), text, id, reason, detail)) {
    throw Error("input '" + display + "' changed while dupscan was running (line " +
                std::to_string(line) + " no longer parses)");
  }
  normalize(text, cfg.normalize, norm);
  verification_set(norm, cfg.shingle, cfg.sketch, out);
}

void adopt_index_parameters(DedupConfig& cfg, const std::vector<std::string>& given_options) {
  if (cfg.against.empty()) return;
  const std::set<std::string> given(given_options.begin(), given_options.end());
  auto is_given = [&](const char* option) { return given.count(option) > 0; };
  const index::Manifest m = index::read_manifest(cfg.against);
  const index::Params& p = m.params;
  std::vector<std::string> taken, diffs;
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  // An option with a value: taken when not given, compared when given.
  auto value = [&](const char* option, const std::string& mine, const std::string& theirs,
                   const std::function<void()>& take) {
    if (mine == theirs) return;
    if (is_given(option)) {
      diffs.push_back(std::string(option) + " " + mine + " (the index: " + theirs + ")");
    } else {
      take();
      taken.push_back(std::string(option) + " " + theirs);
    }
  };
  // A flag that turns a default off (--keep-case: lowercase = false).
  auto flag = [&](const char* option, bool& mine, bool theirs) {
    if (mine == theirs) return;
    if (is_given(option)) {
      diffs.push_back(std::string(option) + " (the index was built without it)");
    } else {
      mine = theirs;
      taken.push_back(option);
    }
  };
  value("--format", input_format_name(cfg.format), p.format,
        [&] { cfg.format = parse_input_format(p.format); });
  value("--text-field", cfg.text_field, p.text_field, [&] { cfg.text_field = p.text_field; });
  value("--id-field", cfg.id_field, p.id_field, [&] { cfg.id_field = p.id_field; });
  value("--sketch", sketch_kind_name(cfg.sketch), p.sketch,
        [&] { cfg.sketch = p.sketch == "fast" ? SketchKind::fast : SketchKind::compat; });
  value("--shingle", cfg.shingle.to_string(), p.shingle,
        [&] { cfg.shingle = ShingleSpec::parse(p.shingle); });
  value("--num-perm", std::to_string(cfg.num_perm), std::to_string(p.num_perm),
        [&] { cfg.num_perm = p.num_perm; });
  value("--seed", std::to_string(cfg.seed), std::to_string(p.seed), [&] { cfg.seed = p.seed; });
  flag("--keep-case", cfg.normalize.lowercase, p.lowercase);
  flag("--keep-punct", cfg.normalize.strip_punctuation, p.strip_punctuation);
  if (p.unicode != unicode_version()) {
    diffs.push_back("Unicode " + p.unicode + " tables (this dupscan has " + unicode_version() +
                    ": rebuild the index)");
  }
  // The verification threshold may differ from the index's as long as bands x rows, which made
  // its keys, stay the same; given no --threshold, a run uses the index's.
  if (!is_given("--threshold") && cfg.threshold != m.threshold) {
    cfg.threshold = m.threshold;
    taken.push_back("--threshold " + num(m.threshold));
  }
  if (!is_given("--lsh-weights") && !m.lsh_choice.empty() &&
      (cfg.lsh_fp_weight != m.lsh_fp_weight || cfg.lsh_fn_weight != m.lsh_fn_weight)) {
    cfg.lsh_fp_weight = m.lsh_fp_weight;
    cfg.lsh_fn_weight = m.lsh_fn_weight;
    taken.push_back("--lsh-weights " + num(m.lsh_fp_weight) + "," + num(m.lsh_fn_weight));
  }
  const std::string index_lsh = std::to_string(p.bands) + " x " + std::to_string(p.rows);
  const std::string keep_lsh =
      "--bands " + std::to_string(p.bands) + " --rows " + std::to_string(p.rows);
  if (is_given("--bands") || is_given("--rows")) {
    if (!cfg.lsh || cfg.lsh->bands != p.bands || cfg.lsh->rows != p.rows) {
      const LshParams l = cfg.resolved_lsh();
      diffs.push_back("--bands " + std::to_string(l.bands) + " --rows " + std::to_string(l.rows) +
                      " (the index: " + index_lsh + ")");
    }
  } else if (m.lsh_choice == "explicit") {
    cfg.lsh = LshParams{p.bands, p.rows};
    taken.push_back(keep_lsh);
  } else {
    const LshParams l = cfg.resolved_lsh();
    if (l.bands != p.bands || l.rows != p.rows) {
      if (is_given("--threshold") || is_given("--lsh-weights") || is_given("--num-perm")) {
        diffs.push_back("bands x rows " + std::to_string(l.bands) + " x " + std::to_string(l.rows) +
                        " from --threshold " + num(cfg.threshold) + " (the index: " + index_lsh +
                        ", built with --threshold " + num(m.threshold) + "; add " + keep_lsh +
                        " to verify at " + num(cfg.threshold) + " with the index's bands)");
      } else {
        cfg.lsh = LshParams{p.bands, p.rows};
        taken.push_back(keep_lsh);
      }
    }
  }
  if (!diffs.empty()) {
    std::string msg = "the index '" + cfg.against + "' was built with other parameters: ";
    for (std::size_t i = 0; i < diffs.size(); ++i)
      msg += (i ? "; " : "") + diffs[i];
    throw UsageError(msg + ". Leave these options out to use the index's");
  }
  cfg.from_index = std::move(taken);
}

DedupResult run_dedup(const DedupConfig& config, const DedupObserver& observer) {
  Engine engine(config, observer);
  try {
    return engine.run();
  } catch (...) {
    engine.remove_created_dirs();
    throw;
  }
}

IndexResult run_index(const DedupConfig& config, IndexAction action, const std::string& dir,
                      const DedupObserver& observer) {
  DedupConfig cfg = config;
  cfg.output_dir = dir;  // nothing but the index is written
  if (action != IndexAction::add) {
    Engine engine(cfg, observer);
    return engine.run_index(action, dir, {});
  }
  // add: the index's parameters, whatever the configuration says.
  const index::Manifest m = index::read_manifest(dir);
  cfg.sketch = m.params.sketch == "fast" ? SketchKind::fast : SketchKind::compat;
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
  Engine engine(cfg, observer);
  return engine.run_index(action, dir, m);
}

}  // namespace dupscan
