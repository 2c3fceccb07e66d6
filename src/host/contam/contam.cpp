// dupscan contam: the eval side becomes an n-gram index; the training data streams through the
// shared pipeline and is probed against it; confirmed matches become verdicts, coverage, tables.
#include "dupscan/contam.hpp"

#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/minhash.hpp"
#include "io/input_checks.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"
#include "io/pipeline.hpp"
#include "io/record.hpp"
#include "io/refetch.hpp"
#include "text/utf8.hpp"

namespace dupscan {

EvalSpec EvalSpec::parse(std::string_view arg) {
  const std::string usage =
      "--eval must be NAME=PATH[:FIELD[+FIELD...]], got '" + std::string(arg) + "'";
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == arg.size()) throw UsageError(usage);
  EvalSpec s;
  s.name = std::string(arg.substr(0, eq));
  for (char c : s.name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      throw UsageError(
          "--eval NAME may hold letters, digits, '_', '-' and '.' (it names "
          "clean/NAME.jsonl), got '" +
          s.name + "'");
    }
  }
  std::string_view rest = arg.substr(eq + 1);
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.substr(colon).find('/') == std::string_view::npos) {
    s.fields = FieldSpec::split(rest.substr(colon + 1), usage);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw UsageError(usage);
  s.path = std::string(rest);
  return s;
}

std::string EvalSpec::field_label() const {
  std::string l;
  for (const auto& f : fields)
    l += (l.empty() ? "" : "+") + f;
  return l;
}

void ContamConfig::validate() const {
  expects_usage(!train.empty() || !train_tables.empty(),
                "no training input given: --train FILE...");
  expects_usage(std::count(train.begin(), train.end(), std::string("-")) <= 1,
                "stdin (-) can be given only once");
  expects_usage(!evals.empty(), "no benchmark given: --eval NAME=PATH[:FIELD]");
  expects_usage(!output_dir.empty(), "--output-dir is required");
  for (std::size_t i = 0; i < evals.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      expects_usage(evals[i].name != evals[j].name,
                    "two --eval share the name '" + evals[i].name + "'");
    }
  }
  expects_usage(ngram >= 1 && ngram <= 64, "--ngram must be in [1, 64]");
  expects_usage(min_ngram >= 1 && min_ngram <= ngram, "--min-ngram must be in [1, --ngram]");
  expects_usage(clean_below > 0 && clean_below <= 1 && dirty_at > 0 && dirty_at <= 1,
                "--coverage-clean and --coverage-dirty must be in (0, 1]");
  if (clean_below > dirty_at) {
    char b[160];
    std::snprintf(b, sizeof b,
                  "--coverage-clean (%g) must not exceed --coverage-dirty (%g): an example "
                  "would be both clean and dirty",
                  clean_below, dirty_at);
    throw UsageError(b);
  }
  expects_usage(!text_field.empty(), "--text-field must not be empty");
  RecordParser(text_field, id_field, format);  // @throw UsageError on a malformed field path
  RecordParser("text", eval_id_field);
  expects_usage(max_skipped >= 0.0 && max_skipped <= 1.0,
                "--max-skipped must be a share in [0, 1] or a percentage in [0%, 100%]");
  expects_usage(write_decontaminated.empty() || format == InputFormat::text ||
                    FieldSpec::split(text_field, "--text-field").size() == 1,
                "--write-decontaminated needs one --text-field, not several joined by '+': the "
                "cut text replaces that field");
  expects_usage(near_threshold > 0 && near_threshold <= 1, "--near-threshold must be in (0, 1]");
  expects_usage(threads <= 1024, "--threads must be in [0, 1024]");
  expects_usage(
      backend == "auto" || backend == "cpu" || backend == "cuda" || backend == "cuda-host",
      "--backend must be auto, cpu, cuda or cuda-host");
  expects_usage(batch_bytes >= 1, "batch_bytes must be >= 1");
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Hash of words [i, i + n) from their unit hashes (fast_sketch.hpp step 2).
std::uint64_t ngram_hash(const std::uint64_t* u, std::size_t n) {
  std::uint64_t s = 0;
  for (std::size_t k = 0; k < n; ++k)
    s = s * fast::kBase + u[k];
  return fast::fmix64(s);
}

void unit_hashes(const JanitorWords& w, std::vector<std::uint64_t>& u) {
  u.resize(w.size());
  word_hashes(w.text, w.start.data(), w.size(), u.data());
}

struct EvalExample {
  std::uint32_t bench = 0;
  std::string id_json;   // the id as JSON
  std::string raw_line;  // the record as read, for clean/NAME.jsonl
  JanitorWords words;
  bool judged = false;
  bool dirty = false;
  std::vector<std::uint8_t> covered;  // per word: inside a matched n-gram
  struct Match {
    std::uint32_t train_doc;  // global training document index
    std::uint64_t train_offset;
    std::uint32_t pos, len;  // the matched words of this example
  };
  std::vector<Match> matches;  // the first max_matches
  std::uint64_t more_matches = 0;
  struct Near {
    std::uint32_t train_doc;
    double jaccard;
  };
  std::vector<Near> near;
};

// One n-gram of an example: the index's unit of matching (its length is the example's,
// EvalIndex::len; its group, the range of entries with its hash, EvalIndex::group_of).
struct Entry {
  std::uint64_t hash;
  std::uint32_t example;
  std::uint32_t pos;
};

class EvalIndex {
 public:
  void build(std::vector<EvalExample>& examples, std::uint32_t n, std::uint32_t m) {
    n_ = n;
    m_ = m;
    std::vector<std::uint64_t> u;
    // Sizes first: the entries, and the seed filter (the first m words of every entry) behind a
    // bitset sized for ~3% false positives: most training positions stop at one bit test that
    // stays in cache.
    std::size_t count = 0;
    len_.resize(examples.size(), 0);
    for (std::uint32_t e = 0; e < examples.size(); ++e) {
      const std::size_t w = examples[e].words.size();
      if (w < m) continue;
      len_[e] = static_cast<std::uint32_t>(std::min<std::size_t>(w, n));
      count += w - len_[e] + 1;
    }
    entries_.reserve(count);
    bits_ = 16;
    while ((std::size_t{1} << bits_) < 32 * std::max<std::size_t>(count, 1))
      ++bits_;
    filter_.assign((std::size_t{1} << bits_) / 64, 0);
    for (std::uint32_t e = 0; e < examples.size(); ++e) {
      EvalExample& ex = examples[e];
      const std::size_t w = ex.words.size();
      ex.judged = w >= m;
      if (!ex.judged) continue;
      ex.covered.assign(w, 0);
      unit_hashes(ex.words, u);
      const std::uint32_t len = len_[e];
      for (std::uint32_t pos = 0; pos + len <= w; ++pos) {
        entries_.push_back({ngram_hash(u.data() + pos, len), e, pos});
        const std::uint64_t b = ngram_hash(u.data() + pos, m) >> (64 - bits_);
        filter_[b >> 6] |= std::uint64_t{1} << (b & 63);
      }
      lengths_.push_back(len);
    }
    std::sort(lengths_.begin(), lengths_.end());
    lengths_.erase(std::unique(lengths_.begin(), lengths_.end()), lengths_.end());
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      if (a.hash != b.hash) return a.hash < b.hash;
      return a.example != b.example ? a.example < b.example : a.pos < b.pos;
    });
    // Distinct hashes: groups, each a range of entries, found through an open-addressing table.
    if (entries_.size() >= UINT32_MAX) {
      throw Error("the benchmarks hold more than 4294967294 n-grams; check fewer at a time");
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (i == 0 || entries_[i].hash != entries_[i - 1].hash) {
        group_begin_.push_back(static_cast<std::uint32_t>(i));
      }
    }
    group_begin_.push_back(static_cast<std::uint32_t>(entries_.size()));
    std::size_t cap = 16;
    while (cap < 2 * groups())
      cap <<= 1;
    slots_.assign(cap, 0);
    mask_ = cap - 1;
    for (std::uint32_t g = 0; g < groups(); ++g) {
      std::size_t s = entries_[group_begin_[g]].hash & mask_;
      while (slots_[s])
        s = (s + 1) & mask_;
      slots_[s] = g + 1;
    }
  }

  bool maybe_seed(std::uint64_t h) const {
    const std::uint64_t b = h >> (64 - bits_);
    return (filter_[b >> 6] >> (b & 63)) & 1;
  }
  /// Entries with hash h: [first, last).
  std::pair<std::size_t, std::size_t> find(std::uint64_t h) const {
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const std::uint32_t g = slots_[s];
      if (!g) return {0, 0};
      if (entries_[group_begin_[g - 1]].hash == h) return {group_begin_[g - 1], group_begin_[g]};
    }
  }
  const Entry& entry(std::size_t i) const { return entries_[i]; }
  /// Words of an entry: its example's n-gram length.
  std::uint32_t len(const Entry& e) const { return len_[e.example]; }
  /// The group (distinct hash) of entry i, for the boilerplate counts.
  std::uint32_t group_of(std::size_t i) const {
    return static_cast<std::uint32_t>(
        std::upper_bound(group_begin_.begin(), group_begin_.end(), i) - group_begin_.begin() - 1);
  }
  std::size_t groups() const { return group_begin_.empty() ? 0 : group_begin_.size() - 1; }
  const std::vector<std::uint32_t>& lengths() const { return lengths_; }
  std::uint32_t seed_len() const { return m_; }

 private:
  std::uint32_t n_ = 0, m_ = 0;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> len_;          // per example: its n-gram length (0: not judged)
  std::vector<std::uint32_t> group_begin_;  // entries < 2^32 (checked)
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
  std::vector<std::uint32_t> lengths_;
  unsigned bits_ = 16;
  std::vector<std::uint64_t> filter_;
};

// A confirmed match in one training document.
struct Hit {
  std::uint32_t entry;
  std::uint32_t word;  // first matched word of the training document
  std::uint32_t raw_begin, raw_end;
};

// A near duplicate found in one training document: the best Jaccard over its windows.
struct NearHit {
  std::uint32_t example;
  double jaccard;
};

struct DocHits {
  std::uint32_t doc_in_batch;
  std::string id_json;
  std::uint64_t line;
  std::vector<Hit> hits;
  std::vector<NearHit> near;
};

// Near duplicates: examples grouped by length class; each class's band keys index its examples.
// A training document is cut into windows of the class length (stride: half of it), each window
// sketched (fast OPH sketch over the window's word 5-grams) and its band keys looked up.
struct NearClass {
  std::uint32_t words;  // window length
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_key;
};

// K of the near-duplicate sketches: 64 rather than dedup's 128, since every training window is
// sketched and densified; the estimate only picks candidates, which the exact Jaccard confirms.
constexpr std::uint32_t kNearK = 64;
constexpr ShingleSpec kNearShingle{ShingleKind::word, 5};

struct ScanBatch {
  std::uint32_t input = 0;
  std::uint64_t blank = 0;
  std::vector<BadRecord> bad;
  std::uint32_t docs = 0;
  std::uint64_t text_bytes = 0;
  std::uint64_t rejected = 0;
  std::vector<DocHits> dirty;
  std::vector<Locator> locators;  // every document's, when the corpus is written again
};

// Per training document kept for the decontaminated copy.
struct DirtyDoc {
  std::uint32_t doc;
  std::vector<Hit> hits;
};

class ContamEngine {
 public:
  ContamEngine(const ContamConfig& cfg, const DedupObserver& obs) : cfg_(cfg), obs_(obs) {}

  ContamResult run() {
    const auto t_start = Clock::now();
    cfg_.validate();
    if (cfg_.backend == "cuda" || cfg_.backend == "cuda-host") {
      throw Error("--backend " + cfg_.backend +
                  ": contam runs on the CPU only so far; use --backend cpu");
    }
    res_.backend = "cpu";
    threads_ = cfg_.threads ? cfg_.threads : std::max(1u, std::thread::hardware_concurrency());
    res_.threads = threads_;
    check_inputs();
    auto t = Clock::now();
    load_evals();
    index_.build(examples_, cfg_.ngram, cfg_.min_ngram);
    res_.eval_ngrams = index_.groups();
    if (cfg_.near) build_near_index();
    res_.seconds_index = seconds_since(t);
    prepare_output_dir();
    t = Clock::now();
    scan();
    res_.seconds_scan = seconds_since(t);
    t = Clock::now();
    write_outputs(t_start);
    return res_;
  }

 private:
  // As dedup: every input readable, no training file twice, no output replacing an input.
  void check_inputs() const {
    std::vector<std::string> all = cfg_.train;
    for (const auto& e : cfg_.evals)
      all.push_back(e.path);
    check_inputs_readable(all);
    check_inputs_distinct(cfg_.train);
    const std::string dir = cfg_.output_dir + "/";
    std::vector<NamedOutput> outputs = {{cfg_.write_decontaminated, "--write-decontaminated"},
                                        {dir + "contamination.jsonl", "--output-dir"},
                                        {dir + "report.json", "--output-dir"},
                                        {dir + "removed.jsonl", "--output-dir"}};
    for (const auto& e : cfg_.evals)
      outputs.push_back({dir + "clean/" + e.name + ".jsonl", "--output-dir"});
    check_outputs_not_inputs(all, outputs, cfg_.in_place);
  }

  void prepare_output_dir() {
    created_dirs_ = io::make_dirs(cfg_.output_dir);
    io::AtomicFile probe(cfg_.output_dir + "/.dupscan-write-test");
    probe.write("ok");
    probe.finish();
    tmp_dir_ = cfg_.tmp_dir.empty() ? cfg_.output_dir : cfg_.tmp_dir;
    if (!cfg_.tmp_dir.empty()) {
      const auto made = io::make_dirs(cfg_.tmp_dir);
      created_dirs_.insert(created_dirs_.end(), made.begin(), made.end());
    }
    for (const std::string& d : {cfg_.output_dir, cfg_.output_dir + "/clean", tmp_dir_,
                                 io::dir_of(cfg_.write_decontaminated)}) {
      io::remove_stale_temporaries(d);
    }
  }

 public:
  /// After a failed run: the directories it created, if still empty, are removed again.
  void remove_created_dirs() const noexcept { io::remove_created_dirs(created_dirs_); }

 private:
  // ---- the eval side ---------------------------------------------------------------------------

  // A benchmark record that cannot be used, as an error message: what is wrong and what to do.
  static std::string eval_problem(const BadRecord& b, const EvalSpec& spec) {
    switch (b.reason) {
      case SkipReason::invalid_utf8:
        return "invalid UTF-8 in a benchmark record";
      case SkipReason::malformed_json:
        return "malformed JSON in a benchmark record" +
               std::string(b.plain_text
                               ? "; this looks like plain text: benchmarks are read as JSON Lines, "
                                 "one object per line"
                               : "");
      case SkipReason::not_an_object:
        return "a benchmark record is JSON but not an object";
      case SkipReason::missing_text_field:
      case SkipReason::text_not_string: {
        std::string m = "benchmark record without a string field \"" + b.field + "\"";
        if (!b.fields.empty()) m += "; records have fields: " + b.fields;
        if (!b.suggestion.empty()) {
          m += "; use --eval " + spec.name + "=" + spec.path + ":" + b.suggestion;
        }
        return m;
      }
      case SkipReason::record_too_large:
        break;
    }
    return b.detail + " in a benchmark record";
  }

  void load_evals() {
    for (std::uint32_t b = 0; b < cfg_.evals.size(); ++b) {
      const EvalSpec& spec = cfg_.evals[b];
      BenchmarkSummary sum;
      sum.name = spec.name;
      sum.path = spec.path;
      sum.fields = spec.field_label();
      // The shared record parser: fields joined by '\n' as they always were here.
      RecordParser parser(spec.field_label(), cfg_.eval_id_field);
      auto src = io::open_source(spec.path);
      io::LineReader reader(*src);
      io::RawBatch batch;
      std::string_view text;
      std::string id, detail;
      SkipReason reason{};
      while (reader.next(batch, std::size_t{4} << 20)) {
        for (const io::LineRef& l : batch.lines) {
          const std::string_view line = batch.line(l);
          if (is_blank(line)) continue;
          const std::string where = spec.path + ":" + std::to_string(l.line_no);
          if (!parser.parse(line.data(), line.size(), text, id, reason, detail)) {
            BadRecord bad;
            bad.line = l.line_no;
            bad.reason = reason;
            bad.detail = detail;
            parser.explain(line, bad);
            throw Error(where + ": " + eval_problem(bad, spec));
          }
          EvalExample ex;
          ex.bench = b;
          ex.raw_line = std::string(line);
          if (!id.empty()) {
            ex.id_json = std::move(id);
          } else {
            append_json_string(ex.id_json, spec.path + ":" + std::to_string(l.line_no));
          }
          janitor_words(text, ex.words);
          // Examples keep their words without slack and without input offsets (only training
          // matches need those): 100 k examples must not cost gigabytes.
          ex.words.text.shrink_to_fit();
          ex.words.start.shrink_to_fit();
          std::vector<std::uint32_t>().swap(ex.words.raw_begin);
          std::vector<std::uint32_t>().swap(ex.words.raw_end);
          examples_.push_back(std::move(ex));
          ++sum.examples;
        }
      }
      res_.benchmarks.push_back(sum);
    }
  }

  // ---- near duplicates ------------------------------------------------------------------------

  static std::uint32_t window_words(std::size_t words) {
    std::uint32_t l = 16;
    while (l < words)
      l <<= 1;
    return l;
  }

  void build_near_index() {
    near_lsh_ = optimal_lsh_params(cfg_.near_threshold, kNearK);
    near_sets_.resize(examples_.size());
    std::vector<std::uint64_t> near_values;
    std::vector<std::uint64_t> values;
    std::vector<std::uint32_t> sig(kNearK);
    std::vector<std::uint64_t> keys(near_lsh_.bands);
    for (std::uint32_t e = 0; e < examples_.size(); ++e) {
      const EvalExample& ex = examples_[e];
      if (!ex.judged) continue;
      fast_shingle_values(ex.words.text, kNearShingle, values);
      oph_signature(values.data(), values.size(), kNearK, sig.data());
      band_keys(sig.data(), near_lsh_, keys.data());
      const std::uint32_t len = window_words(ex.words.size());
      auto c = std::find_if(near_classes_.begin(), near_classes_.end(),
                            [&](const NearClass& nc) { return nc.words == len; });
      if (c == near_classes_.end()) c = near_classes_.insert(near_classes_.end(), {len, {}});
      for (std::uint64_t k : keys)
        c->by_key[k].push_back(e);
      for (std::uint64_t v : values)
        near_values.push_back(v);
      near_sets_[e] = values;
      std::sort(near_sets_[e].begin(), near_sets_[e].end());
      near_sets_[e].erase(std::unique(near_sets_[e].begin(), near_sets_[e].end()),
                          near_sets_[e].end());
    }
    std::sort(near_classes_.begin(), near_classes_.end(),
              [](const NearClass& a, const NearClass& b) { return a.words < b.words; });
    // Every benchmark shingle behind a bitset (~3% false positives), to skip windows early.
    near_bits_ = 16;
    while ((std::size_t{1} << near_bits_) < 32 * std::max<std::size_t>(near_values.size(), 1)) {
      ++near_bits_;
    }
    near_filter_.assign((std::size_t{1} << near_bits_) / 64, 0);
    for (std::uint64_t v : near_values) {
      const std::uint64_t b = v >> (64 - near_bits_);
      near_filter_[b >> 6] |= std::uint64_t{1} << (b & 63);
    }
  }

  // The near duplicates of every example in one training document (best Jaccard per example).
  void near_probe(const JanitorWords& w, std::vector<NearHit>& out) const {
    out.clear();
    if (w.size() == 0 || near_classes_.empty()) return;
    thread_local std::vector<std::uint64_t> values, window;
    thread_local std::vector<std::uint32_t> sig;
    thread_local std::vector<std::uint64_t> keys;
    thread_local std::vector<std::uint32_t> seen;
    fast_shingle_values(w.text, kNearShingle, values);
    // hits[k]: shingles among the first k that may occur in a benchmark. A window of P shingle
    // positions with fewer than T * P such hits is not sketched: it cannot reach Jaccard T with
    // any example unless it repeats its own 5-grams (documented in the README).
    thread_local std::vector<std::uint32_t> hits;
    hits.resize(values.size() + 1);
    hits[0] = 0;
    for (std::size_t k = 0; k < values.size(); ++k) {
      const std::uint64_t b = values[k] >> (64 - near_bits_);
      hits[k + 1] = hits[k] + static_cast<std::uint32_t>((near_filter_[b >> 6] >> (b & 63)) & 1);
    }
    if (hits.back() == 0) return;
    sig.resize(kNearK);
    keys.resize(near_lsh_.bands);
    const std::size_t words = w.size();
    const std::size_t n = kNearShingle.n;
    std::size_t sketched_first = SIZE_MAX, sketched_last = 0;  // the window `keys` belong to
    for (const NearClass& c : near_classes_) {
      const std::size_t step = c.words / 2;
      for (std::size_t a = 0;; a += step) {
        // Window [a, a + c.words) of the words holds shingles [a, a + c.words - n] (one shingle,
        // the whole text, when the document has fewer than n words).
        const std::size_t first = std::min(a, values.size() - 1);
        const std::size_t last =
            words < n ? values.size() : std::min(values.size(), a + c.words - n + 1);
        if (hits[last] - hits[first] < cfg_.near_threshold * static_cast<double>(last - first)) {
          if (a + c.words >= words) break;
          continue;
        }
        if (first != sketched_first || last != sketched_last) {  // a short document: the same
          oph_signature(values.data() + first, last - first, kNearK, sig.data());  // window for
          band_keys(sig.data(), near_lsh_, keys.data());  // every class longer than it
          sketched_first = first;
          sketched_last = last;
        }
        seen.clear();
        for (std::uint64_t k : keys) {
          const auto it = c.by_key.find(k);
          if (it != c.by_key.end()) seen.insert(seen.end(), it->second.begin(), it->second.end());
        }
        if (!seen.empty()) {
          std::sort(seen.begin(), seen.end());
          seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
          window.assign(values.begin() + first, values.begin() + last);
          std::sort(window.begin(), window.end());
          window.erase(std::unique(window.begin(), window.end()), window.end());
          for (std::uint32_t e : seen) {
            const double j = jaccard(window, near_sets_[e]);
            if (j < cfg_.near_threshold) continue;
            auto hit = std::find_if(out.begin(), out.end(),
                                    [&](const NearHit& h) { return h.example == e; });
            if (hit == out.end()) {
              out.push_back({e, j});
            } else {
              hit->jaccard = std::max(hit->jaccard, j);
            }
          }
        }
        if (a + c.words >= words) break;
      }
    }
    std::sort(out.begin(), out.end(),
              [](const NearHit& x, const NearHit& y) { return x.example < y.example; });
  }

  // ---- the training side ----------------------------------------------------------------------

  // Finds every confirmed match of one training document's words.
  void probe(const JanitorWords& w, const std::vector<std::uint64_t>& u, std::vector<Hit>& hits,
             std::uint64_t& rejected) const {
    hits.clear();
    const std::size_t words = w.size();
    const std::size_t m = index_.seed_len();
    if (words < m) return;
    // Rolling hash of the seed window [i, i + m).
    const std::uint64_t top = fast::base_pow(static_cast<std::uint32_t>(m));
    std::uint64_t s = 0;
    for (std::size_t k = 0; k < m; ++k)
      s = s * fast::kBase + u[k];
    for (std::size_t i = 0;; ++i) {
      if (index_.maybe_seed(fast::fmix64(s))) {
        for (std::uint32_t len : index_.lengths()) {
          if (i + len > words) break;
          const auto [first, last] = index_.find(ngram_hash(u.data() + i, len));
          for (std::size_t e = first; e < last; ++e) {
            const Entry& en = index_.entry(e);
            if (index_.len(en) != len) continue;
            const EvalExample& ex = examples_[en.example];
            if (w.span(i, len) != ex.words.span(en.pos, len)) {
              ++rejected;  // equal hashes, different words
              continue;
            }
            hits.push_back({static_cast<std::uint32_t>(e), static_cast<std::uint32_t>(i),
                            w.raw_begin[i], w.raw_end[i + len - 1]});
          }
        }
      }
      if (i + m >= words) break;
      s = s * fast::kBase + u[i + m] - u[i] * top;
    }
  }

  void scan() {
    RecordPipeline::Options po;
    OpenOptions oo;
    oo.text_field = cfg_.text_field;
    oo.id_field = cfg_.id_field;
    oo.format = cfg_.format;
    oo.spool_stdin = !cfg_.write_decontaminated.empty();
    oo.tmp_dir = tmp_dir_;
    po.documents = open_inputs(cfg_.train, cfg_.train_tables, oo);
    for (const auto& d : po.documents) {
      if (d->columnar() && !cfg_.write_decontaminated.empty()) {
        throw UsageError("--write-decontaminated rewrites JSON records and cannot rewrite '" +
                         d->display() + "', a Parquet file");
      }
    }
    po.threads = threads_;
    po.batch_bytes = cfg_.batch_bytes;
    po.spool_stdin = !cfg_.write_decontaminated.empty();
    po.tmp_dir = tmp_dir_;
    std::vector<DocReader> readers;
    readers.reserve(threads_);
    for (unsigned i = 0; i < threads_; ++i)
      readers.emplace_back(cfg_.text_field, cfg_.id_field, cfg_.format);
    SkipPolicy skips({cfg_.strict, cfg_.max_skipped, cfg_.format, {}}, obs_.warning);
    po.skips = &skips;
    pipeline_ = std::make_unique<RecordPipeline>(po);
    const bool keep_locators = !cfg_.write_decontaminated.empty();
    group_docs_.assign(index_.groups(), 0);
    std::vector<std::uint32_t> group_seen(index_.groups(), UINT32_MAX);  // last doc counted
    std::uint64_t processed = 0;
    Progress p;
    p.stage = "scan";
    pipeline_->run<ScanBatch>(
        [&](unsigned worker, const DocBatch& raw) {
          ScanBatch r;
          r.input = raw.input;
          thread_local JanitorWords words;
          thread_local std::vector<std::uint64_t> u;
          thread_local std::vector<Hit> hits;
          thread_local std::vector<NearHit> near;
          for_each_document(
              raw, 0, raw.records(), raw.input, readers[worker], r.blank,
              [&](const Locator& l, std::string_view text, std::string& id) {
                if (keep_locators) r.locators.push_back(l);
                r.text_bytes += text.size();
                janitor_words(text, words);
                unit_hashes(words, u);
                probe(words, u, hits, r.rejected);
                if (cfg_.near) near_probe(words, near);
                if (!hits.empty() || !near.empty()) {
                  r.dirty.push_back({r.docs, std::move(id), l.line, hits, near});
                }
                ++r.docs;
              },
              [&](BadRecord b) { r.bad.push_back(std::move(b)); });
          return r;
        },
        [&](ScanBatch& r, const io::RawBatch& raw) {
          InputSummary& in = pipeline_->summaries()[r.input];
          in.blank_lines += r.blank;
          for (const BadRecord& b : r.bad)
            skips.skip(pipeline_->display(r.input), b, in);
          for (DocHits& d : r.dirty) {
            const std::uint32_t doc =
                static_cast<std::uint32_t>(res_.train_documents + d.doc_in_batch);
            std::string id = d.id_json;
            if (id.empty())
              append_json_string(id, pipeline_->display(r.input) + ":" + std::to_string(d.line));
            train_ids_.emplace(doc, std::move(id));
            if (!d.hits.empty()) ++res_.train_docs_matched;
            for (const Hit& h : d.hits) {
              const Entry& en = index_.entry(h.entry);
              EvalExample& ex = examples_[en.example];
              ex.dirty = true;
              const std::uint32_t len = index_.len(en);
              std::fill(ex.covered.begin() + en.pos, ex.covered.begin() + en.pos + len, 1);
              if (ex.matches.size() < cfg_.max_matches) {
                ex.matches.push_back({doc, h.raw_begin, en.pos, len});
              } else {
                ++ex.more_matches;
              }
              const std::uint32_t group = index_.group_of(h.entry);
              if (group_seen[group] != doc) {
                group_seen[group] = doc;
                ++group_docs_[group];
              }
              ++res_.matches;
            }
            for (const NearHit& n : d.near) {
              EvalExample& ex = examples_[n.example];
              if (ex.near.size() < cfg_.max_matches) ex.near.push_back({doc, n.jaccard});
            }
            if (keep_locators && !d.hits.empty()) dirty_.push_back({doc, std::move(d.hits)});
          }
          if (keep_locators)
            locators_.insert(locators_.end(), r.locators.begin(), r.locators.end());
          res_.train_documents += r.docs;
          res_.train_text_bytes += r.text_bytes;
          res_.hash_hits_rejected += r.rejected;
          in.records += r.docs;
          processed += raw.size;
          if (obs_.progress) {
            p.documents = res_.train_documents;
            p.bytes = processed;
            obs_.progress(p);
          }
        });
    res_.train_inputs = pipeline_->summaries();
    res_.train_skipped = skips.skipped;
    std::copy(std::begin(skips.by_reason), std::end(skips.by_reason),
              std::begin(res_.skipped_by_reason));
    for (std::uint32_t c : group_docs_)
      res_.boilerplate_ngrams += c > cfg_.max_train_docs;
  }

  // ---- outputs --------------------------------------------------------------------------------

  std::string train_id(std::uint32_t doc) const { return train_ids_.at(doc); }

  void write_outputs(Clock::time_point t_start) {
    const auto t_write = Clock::now();
    const std::string dir = cfg_.output_dir + "/";
    std::unique_ptr<io::OutputFile> decon;
    std::unique_ptr<io::AtomicFile> removed;
    if (!cfg_.write_decontaminated.empty()) {
      decon = std::make_unique<io::OutputFile>(cfg_.write_decontaminated);
      removed = std::make_unique<io::AtomicFile>(dir + "removed.jsonl");
      write_decontaminated(*decon, *removed);
      decon->finish();
      removed->finish();
    }
    {
      const auto made = io::make_dirs(dir + "clean");
      created_dirs_.insert(created_dirs_.end(), made.begin(), made.end());
    }
    io::AtomicFile contamination(dir + "contamination.jsonl");
    std::vector<std::unique_ptr<io::AtomicFile>> clean;
    for (const auto& b : cfg_.evals) {
      clean.push_back(std::make_unique<io::AtomicFile>(dir + "clean/" + b.name + ".jsonl"));
    }
    std::string line;
    for (const EvalExample& ex : examples_) {
      BenchmarkSummary& sum = res_.benchmarks[ex.bench];
      const std::size_t w = ex.words.size();
      const std::size_t covered =
          std::accumulate(ex.covered.begin(), ex.covered.end(), std::size_t{0});
      const double coverage = w ? static_cast<double>(covered) / static_cast<double>(w) : 0.0;
      if (ex.judged) {
        ++sum.judged;
        if (coverage < cfg_.clean_below)
          ++sum.llama_clean;
        else
          ++sum.llama_not_clean;
        if (coverage < cfg_.dirty_at)
          ++sum.llama_not_dirty;
        else
          ++sum.llama_dirty;
      } else {
        ++sum.too_short;
      }
      if (ex.dirty) {
        ++sum.dirty;
      } else {
        ++sum.clean;
        clean[ex.bench]->write(ex.raw_line);
        clean[ex.bench]->write("\n");
      }
      if (!ex.near.empty()) ++sum.near_duplicate_examples;
      line.clear();
      line += "{\"benchmark\":";
      append_json_string(line, cfg_.evals[ex.bench].name);
      line += ",\"id\":" + ex.id_json + ",\"words\":" + std::to_string(w);
      line += ex.judged ? ",\"judged\":true" : ",\"judged\":false";
      line += ex.dirty ? ",\"dirty\":true" : ",\"dirty\":false";
      line += ",\"coverage\":";
      append_double(line, coverage);
      line += ",\"matches\":[";
      for (std::size_t i = 0; i < ex.matches.size(); ++i) {
        const auto& m = ex.matches[i];
        if (i) line += ',';
        line += "{\"train_id\":" + train_id(m.train_doc) +
                ",\"train_offset\":" + std::to_string(m.train_offset) + ",\"ngram\":";
        append_json_string(line, ex.words.span(m.pos, m.len));
        line += '}';
      }
      line += "],\"more_matches\":" + std::to_string(ex.more_matches) + ",\"near_duplicates\":[";
      for (std::size_t i = 0; i < ex.near.size(); ++i) {
        if (i) line += ',';
        line += "{\"train_id\":" + train_id(ex.near[i].train_doc) + ",\"jaccard\":";
        append_double(line, ex.near[i].jaccard);
        line += '}';
      }
      line += "]}\n";
      contamination.write(line);
    }
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
    io::AtomicFile report(dir + "report.json");
    report.write(report_json());
    report.finish();
    // Everything is complete on disk: only now do the outputs replace earlier ones.
    if (decon) {
      decon->commit();
      removed->commit();
    }
    contamination.commit();
    for (auto& c : clean)
      c->commit();
    report.commit();
  }

  // lm-eval's Janitor cut, in characters (code points) of the training text: each matched n-gram
  // widened by `window` on both sides is removed; pieces of `min_piece` characters or fewer are
  // dropped; a document with more than `max_cuts` matched n-grams is dropped whole. Boilerplate
  // n-grams (in more than max_train_docs documents) are not cut.
  void write_decontaminated(io::OutputFile& out, io::AtomicFile& removed) {
    std::unordered_map<std::uint32_t, const DirtyDoc*> dirty;
    for (const DirtyDoc& d : dirty_)
      dirty.emplace(d.doc, &d);
    std::vector<std::uint32_t> all(locators_.size());
    std::iota(all.begin(), all.end(), 0u);
    RecordParser parser(cfg_.text_field, cfg_.id_field, cfg_.format);
    std::string buf, line;
    refetch(pipeline_->sources(), locators_, all, std::size_t{16} << 20, [&](FetchedBatch& b) {
      check_interrupt();
      for (const auto& it : b.items) {
        const std::string_view rec = b.record(it);
        const auto d = dirty.find(it.doc);
        std::vector<const Hit*> cuts;
        if (d != dirty.end()) {
          for (const Hit& h : d->second->hits) {
            if (group_docs_[index_.group_of(h.entry)] <= cfg_.max_train_docs) cuts.push_back(&h);
          }
        }
        if (cuts.empty()) {
          out.write(rec);
          out.write("\n");
          continue;
        }
        std::string_view text;
        std::string id, detail;
        SkipReason reason{};
        if (!parser.parse(rec.data(), rec.size(), text, id, reason, detail)) {
          throw Error("input '" + pipeline_->display(locators_[it.doc].input) +
                      "' changed while dupscan was running (line " +
                      std::to_string(locators_[it.doc].line) + " no longer parses)");
        }
        cut_document(rec, text, cuts, it.doc, out, removed, line, buf);
      }
    });
  }

  // `obj` minified, with the string at `path` (from key `depth` on; its whole key first, as
  // find_field looks it up) replaced by `text`.
  static void write_replacing(std::string& out, simdjson::dom::object obj,
                              const FieldSpec::Path& path, std::size_t depth,
                              std::string_view text) {
    simdjson::dom::element whole;
    const bool by_whole = depth == 0 && !obj.at_key(path.whole).get(whole);
    const std::string& key = by_whole ? path.whole : path.keys[depth];
    const bool last = by_whole || depth + 1 == path.keys.size();
    out += '{';
    bool first = true;
    for (auto f : obj) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, f.key);
      out += ':';
      simdjson::dom::object inner;
      if (f.key != key) {
        out += simdjson::minify(f.value);
      } else if (last) {
        append_json_string(out, text);
      } else if (!f.value.get_object().get(inner)) {
        write_replacing(out, inner, path, depth + 1, text);
      } else {
        out += simdjson::minify(f.value);
      }
    }
    out += '}';
  }

  void cut_document(std::string_view rec, std::string_view text, std::vector<const Hit*>& cuts,
                    std::uint32_t doc, io::OutputFile& out, io::AtomicFile& removed,
                    std::string& line, std::string& buf) {
    std::sort(cuts.begin(), cuts.end(),
              [](const Hit* a, const Hit* b) { return a->raw_begin < b->raw_begin; });
    // Code point index of byte offsets: starts[i] = byte offset of code point i.
    std::vector<std::uint32_t> starts;
    for (std::uint32_t i = 0; i < text.size(); ++i) {
      if (utf8::is_lead(static_cast<unsigned char>(text[i]))) starts.push_back(i);
    }
    const auto chars = static_cast<std::uint32_t>(starts.size());
    auto cp_of = [&](std::uint32_t byte) {
      return static_cast<std::uint32_t>(std::upper_bound(starts.begin(), starts.end(), byte) -
                                        starts.begin() - 1);
    };
    auto byte_of = [&](std::uint32_t cp) { return cp >= chars ? text.size() : starts[cp]; };
    std::vector<std::pair<std::size_t, std::size_t>> pieces;  // byte ranges kept
    const bool drop = cuts.size() > cfg_.max_cuts;
    if (!drop) {
      std::uint32_t splice = 0;  // code point where the next kept piece would start
      for (const Hit* h : cuts) {
        const std::uint32_t b = cp_of(h->raw_begin), e = cp_of(h->raw_end - 1) + 1;
        const std::uint32_t from = b > cfg_.window ? b - cfg_.window : 0;
        const std::uint32_t to = std::min(chars, e + cfg_.window);
        if (from > splice && from - splice > cfg_.min_piece) {
          pieces.emplace_back(byte_of(splice), byte_of(from));
        }
        splice = std::max(splice, to);
      }
      if (chars > splice && chars - splice > cfg_.min_piece) {
        pieces.emplace_back(byte_of(splice), text.size());
      }
    }
    // The kept pieces, each as the original record (minified) with its text replaced; plain
    // text (--format text): each piece on a line of its own.
    simdjson::dom::parser p;
    simdjson::dom::object obj;
    const bool plain = cfg_.format == InputFormat::text;
    if (!plain && !pieces.empty() && p.parse(rec.data(), rec.size()).get_object().get(obj)) {
      throw Error("internal error: a training record no longer parses as an object");
    }
    const FieldSpec field = FieldSpec::parse(cfg_.text_field, "--text-field");
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      const std::string_view piece =
          text.substr(pieces[k].first, pieces[k].second - pieces[k].first);
      if (plain) {
        line.assign(piece);
        line += '\n';
        out.write(line);
        continue;
      }
      line.clear();
      write_replacing(line, obj, field.paths[0], 0, piece);
      line.pop_back();  // '}'
      line += ",\"decontam_piece\":" + std::to_string(k) +
              ",\"decontam_pieces\":" + std::to_string(pieces.size()) + "}\n";
      out.write(line);
    }
    if (pieces.empty()) {
      ++res_.decontaminated_dropped;
    } else {
      ++res_.decontaminated_cut;
    }
    std::size_t kept_bytes = 0;
    for (const auto& pc : pieces)
      kept_bytes += pc.second - pc.first;
    buf.clear();
    buf += "{\"train_id\":" + train_id(doc) + ",\"action\":";
    buf += pieces.empty() ? "\"dropped\"" : "\"cut\"";
    buf += ",\"reason\":";
    buf += drop             ? "\"more than max_cuts matches\""
           : pieces.empty() ? "\"no piece long enough\""
                            : "null";
    buf += ",\"pieces\":" + std::to_string(pieces.size());
    buf += ",\"text_bytes\":" + std::to_string(text.size()) +
           ",\"removed_bytes\":" + std::to_string(text.size() - kept_bytes) + ",\"matches\":[";
    for (std::size_t i = 0; i < cuts.size(); ++i) {
      const Entry& en = index_.entry(cuts[i]->entry);
      const EvalExample& ex = examples_[en.example];
      if (i) buf += ',';
      buf += "{\"benchmark\":";
      append_json_string(buf, cfg_.evals[ex.bench].name);
      buf += ",\"eval_id\":" + ex.id_json +
             ",\"train_offset\":" + std::to_string(cuts[i]->raw_begin) + ",\"ngram\":";
      append_json_string(buf, ex.words.span(en.pos, index_.len(en)));
      buf += '}';
    }
    buf += "]}\n";
    removed.write(buf);
  }

  std::string report_json() const {
    JsonWriter w(2);
    w.begin_object();
    w.field("dupscan_version", version());
    w.field("command", "contam");
    w.key("parameters").begin_object();
    w.field("ngram", cfg_.ngram);
    w.field("min_ngram", cfg_.min_ngram);
    w.field("normalization",
            "lm-eval Janitor: ASCII lowercase, ASCII punctuation deleted, "
            "split on whitespace");
    w.field("coverage_clean_below", cfg_.clean_below);
    w.field("coverage_dirty_at", cfg_.dirty_at);
    w.field("max_matches", cfg_.max_matches);
    w.field("max_train_docs", cfg_.max_train_docs);
    w.field("near", cfg_.near);
    w.field("near_threshold", cfg_.near_threshold);
    w.field("format", input_format_name(cfg_.format));
    w.field("text_field", cfg_.text_field);
    w.field("id_field", cfg_.id_field);
    w.field("eval_id_field", cfg_.eval_id_field);
    w.field("max_skipped", cfg_.max_skipped);
    if (!cfg_.write_decontaminated.empty()) {
      w.field("window", cfg_.window);
      w.field("min_piece", cfg_.min_piece);
      w.field("max_cuts", cfg_.max_cuts);
    }
    w.end_object();
    w.field("backend", res_.backend);
    w.field("threads", res_.threads);
    w.key("benchmarks").begin_array();
    for (const BenchmarkSummary& b : res_.benchmarks) {
      w.begin_object();
      w.field("name", b.name);
      w.field("path", b.path);
      w.field("fields", b.fields);
      w.field("total", b.examples);
      w.field("judged", b.judged);
      w.field("too_short", b.too_short);
      w.field("dirty", b.dirty);
      w.field("clean", b.clean);
      w.field("dirty_pct", b.examples ? 100.0 * static_cast<double>(b.dirty) / b.examples : 0.0);
      w.field("dirty_pct_of_judged",
              b.judged ? 100.0 * static_cast<double>(b.dirty) / b.judged : 0.0);
      w.key("llama2_coverage").begin_object();
      w.field("clean", b.llama_clean);
      w.field("not_clean", b.llama_not_clean);
      w.field("not_dirty", b.llama_not_dirty);
      w.field("dirty", b.llama_dirty);
      w.end_object();
      w.field("near_duplicate_examples", b.near_duplicate_examples);
      w.end_object();
    }
    w.end_array();
    w.key("train").begin_object();
    w.field("documents", res_.train_documents);
    w.field("text_bytes", res_.train_text_bytes);
    w.field("skipped", res_.train_skipped);
    w.key("skipped_by_reason").begin_object();
    for (int r = 0; r < kSkipReasonCount; ++r) {
      w.field(skip_reason_name(static_cast<SkipReason>(r)), res_.skipped_by_reason[r]);
    }
    w.end_object();
    w.field("documents_matched", res_.train_docs_matched);
    w.key("inputs");
    write_input_summaries(w, res_.train_inputs);
    w.end_object();
    w.key("index").begin_object();
    w.field("distinct_ngrams", res_.eval_ngrams);
    w.field("matches", res_.matches);
    w.field("hash_hits_rejected", res_.hash_hits_rejected);
    w.field("boilerplate_ngrams", res_.boilerplate_ngrams);
    w.field("boilerplate_note",
            "n-grams matched in more than max_train_docs training documents: they count for "
            "dirty and coverage, and are not cut from the decontaminated corpus");
    w.end_object();
    if (!cfg_.write_decontaminated.empty()) {
      w.key("decontaminated").begin_object();
      w.field("documents_cut", res_.decontaminated_cut);
      w.field("documents_dropped", res_.decontaminated_dropped);
      w.end_object();
    }
    w.key("timings_s").begin_object();
    w.field("index", res_.seconds_index);
    w.field("scan", res_.seconds_scan);
    w.field("write", res_.seconds_write);
    w.field("total", res_.seconds_total);
    w.end_object();
    w.key("outputs").begin_array();
    for (const auto& o : res_.outputs)
      w.value(o);
    w.end_array();
    w.end_object();
    return w.str() + "\n";
  }

  const ContamConfig& cfg_;
  const DedupObserver& obs_;
  ContamResult res_;
  unsigned threads_ = 1;
  std::string tmp_dir_;
  std::vector<EvalExample> examples_;
  EvalIndex index_;
  std::unique_ptr<RecordPipeline> pipeline_;
  std::vector<std::string> created_dirs_;           // by this run, removed again when it fails
  std::vector<std::uint32_t> group_docs_;           // per n-gram group: training documents matched
  std::map<std::uint32_t, std::string> train_ids_;  // ids of matched training documents
  std::vector<DirtyDoc> dirty_;
  LshParams near_lsh_;
  std::vector<NearClass> near_classes_;
  std::vector<std::vector<std::uint64_t>> near_sets_;  // per example: sorted shingle values
  unsigned near_bits_ = 16;
  std::vector<std::uint64_t> near_filter_;
  std::vector<Locator> locators_;
};

}  // namespace

ContamResult run_contam(const ContamConfig& config, const DedupObserver& observer) {
  ContamEngine engine(config, observer);
  try {
    return engine.run();
  } catch (...) {
    engine.remove_created_dirs();
    throw;
  }
}

}  // namespace dupscan
