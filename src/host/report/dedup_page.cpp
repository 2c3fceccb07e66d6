// The data of a dedup run's page: what report.json counts, histograms over duplicates.jsonl and
// clusters.jsonl, and the bounded selections (largest clusters, a sample of near pairs, the
// largest groups of exact copies) with their texts and shared shingles.
#include <algorithm>
#include <cmath>
#include <queue>
#include <unordered_set>

#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"
#include "report/report_internal.hpp"

namespace dupscan::report::detail {
namespace {

constexpr std::size_t kJaccardBins = 50;
/// Member ids listed per shown cluster (the rest counted).
constexpr std::size_t kMemberIds = 50;
/// Ids listed per shown group of exact copies.
constexpr std::size_t kCopyIds = 50;
/// Texts longer than this are shown without highlights or a recomputed Jaccard: a pathological
/// 200 MB record must not make the report slow (the run itself compared it).
constexpr std::size_t kMaxCompareBytes = std::size_t{8} << 20;

// Cluster-size buckets: 2, 3, 4, 5, 6-10, 11-100, 101-1k, 1k-10k, >10k.
constexpr std::uint64_t kSizeUpper[] = {2, 3, 4, 5, 10, 100, 1000, 10000, UINT64_MAX};
const char* kSizeLabel[] = {"2", "3", "4", "5", "6–10", "11–100", "101–1k", "1k–10k", ">10k"};
constexpr std::size_t kSizeBuckets = sizeof kSizeUpper / sizeof kSizeUpper[0];

struct Row {               // one line of duplicates.jsonl
  std::string id, dup_of;  // as JSON
  std::uint64_t cluster = 0;
  bool exact = false;
  double jaccard = 0;
  std::uint64_t order = 0;  // line number
};

Row read_row(simdjson::dom::object o, std::uint64_t line, const std::string& file) {
  Row r;
  simdjson::dom::element id, dup;
  std::string_view kind;
  if (o["id"].get(id) || o["duplicate_of"].get(dup) || o["cluster"].get_uint64().get(r.cluster) ||
      o["kind"].get_string().get(kind) || o["jaccard"].get_double().get(r.jaccard)) {
    throw Error(file + ":" + std::to_string(line) +
                ": not a duplicates.jsonl line (id, duplicate_of, cluster, kind, jaccard)");
  }
  r.id = json_text(id);
  r.dup_of = json_text(dup);
  r.exact = kind == "exact";
  r.order = line;
  return r;
}

struct ShownCluster {
  std::uint64_t cluster = 0, size = 0;
  std::string kept;                  // id JSON
  std::vector<std::string> members;  // first kMemberIds ids, input order
  std::uint64_t exact = 0, near = 0;
  double min_jaccard = 1;
  std::vector<Row> rows;    // of its listed members
  std::vector<Row> lowest;  // the `members` removed members of lowest Jaccard
};

// Mapped text of a document, made once.
class Mapped {
 public:
  Mapped(const DocTable& docs, const NormalizeOptions& n) : docs_(docs), norm_(n) {}
  const MappedText* get(std::uint32_t doc) {
    const FoundRecord* r = docs_.record(doc);
    if (!r || r->text.size() > kMaxCompareBytes) return nullptr;
    auto it = cache_.find(doc);
    if (it == cache_.end()) it = cache_.emplace(doc, normalize_mapped(r->text, norm_)).first;
    return &it->second;
  }

 private:
  const DocTable& docs_;
  NormalizeOptions norm_;
  std::unordered_map<std::uint32_t, MappedText> cache_;
};

}  // namespace

Page dedup_page(const ReportOptions& opt, simdjson::dom::element rep,
                const std::string& report_text) {
  DedupConfig cfg;
  DedupResult res;
  read_dedup_run(report_text, cfg, res);
  const DedupCounts& c = res.counts;
  const std::string dups_path = opt.dir + "/duplicates.jsonl";
  const std::string clusters_path = opt.dir + "/clusters.jsonl";

  // ---- clusters.jsonl: sizes, the largest clusters ----------------------------------------------
  std::uint64_t size_counts[kSizeBuckets] = {};
  std::uint64_t cluster_lines = 0, largest = 0;
  auto bigger = [](const ShownCluster& a, const ShownCluster& b) {  // heap top: the smallest
    return a.size != b.size ? a.size > b.size : a.cluster < b.cluster;
  };
  std::vector<ShownCluster> top;  // a heap under `bigger`
  for_each_json_line(clusters_path, [&](simdjson::dom::object o, std::uint64_t line) {
    std::uint64_t cluster;
    simdjson::dom::element kept;
    simdjson::dom::array members;
    if (o["cluster"].get_uint64().get(cluster) || o["kept"].get(kept) ||
        o["members"].get_array().get(members)) {
      throw Error(clusters_path + ":" + std::to_string(line) +
                  ": not a clusters.jsonl line (cluster, kept, members)");
    }
    if (cluster >= c.clusters) {
      throw Error(clusters_path + ":" + std::to_string(line) + ": cluster " +
                  std::to_string(cluster) + ", but report.json counts " +
                  std::to_string(c.clusters) + " clusters");
    }
    ++cluster_lines;
    const std::uint64_t size = members.size();
    largest = std::max(largest, size);
    std::size_t b = 0;
    while (size > kSizeUpper[b])
      ++b;
    ++size_counts[b];
    if (opt.clusters == 0) return;
    ShownCluster s;
    s.cluster = cluster;
    s.size = size;
    if (top.size() == opt.clusters && !bigger(s, top.front())) return;
    s.kept = json_text(kept);
    for (simdjson::dom::element m : members) {
      if (s.members.size() == kMemberIds) break;
      s.members.push_back(json_text(m));
    }
    top.push_back(std::move(s));
    std::push_heap(top.begin(), top.end(), bigger);
    if (top.size() > opt.clusters) {
      std::pop_heap(top.begin(), top.end(), bigger);
      top.pop_back();
    }
  });
  if (cluster_lines != c.clusters) {
    throw Error(clusters_path + " holds " + std::to_string(cluster_lines) +
                " clusters, report.json counts " + std::to_string(c.clusters) +
                ": the outputs are not of one run");
  }
  std::sort(top.begin(), top.end(), bigger);
  std::unordered_map<std::uint64_t, std::size_t> shown_of;  // cluster -> index in top
  for (std::size_t i = 0; i < top.size(); ++i)
    shown_of[top[i].cluster] = i;

  // ---- duplicates.jsonl: histograms, the sample, rows of the shown clusters ---------------------
  std::vector<std::uint64_t> hist_exact(kJaccardBins, 0), hist_near(kJaccardBins, 0);
  std::vector<std::uint32_t> exact_in(c.clusters, 0);
  double min_jaccard = 1;
  std::uint64_t rows = 0, near_rows = 0, exact_rows = 0;
  std::vector<Row> listed;
  using Sampled = std::pair<std::uint64_t, Row>;  // (hash, row); heap top: the largest hash
  auto by_hash = [](const Sampled& a, const Sampled& b) {
    return a.first != b.first ? a.first < b.first : a.second.order < b.second.order;
  };
  std::vector<Sampled> sample;
  auto lower_j = [](const Row& a, const Row& b) {  // heap top: the highest Jaccard
    return a.jaccard != b.jaccard ? a.jaccard < b.jaccard : a.order < b.order;
  };
  for_each_json_line(dups_path, [&](simdjson::dom::object o, std::uint64_t line) {
    Row r = read_row(o, line, dups_path);
    if (r.cluster >= c.clusters) {
      throw Error(dups_path + ":" + std::to_string(line) + ": cluster " +
                  std::to_string(r.cluster) + " is not in clusters.jsonl");
    }
    ++rows;
    min_jaccard = std::min(min_jaccard, r.jaccard);
    (r.exact ? hist_exact : hist_near)[bin_of(r.jaccard, kJaccardBins)]++;
    if (r.exact) {
      ++exact_rows;
      ++exact_in[r.cluster];
    } else {
      ++near_rows;
    }
    if (listed.size() < opt.list) listed.push_back(r);
    const auto shown = shown_of.find(r.cluster);
    if (shown != shown_of.end()) {
      ShownCluster& s = top[shown->second];
      ++(r.exact ? s.exact : s.near);
      s.min_jaccard = std::min(s.min_jaccard, r.jaccard);
      if (std::find(s.members.begin(), s.members.end(), r.id) != s.members.end()) {
        s.rows.push_back(r);
      }
      s.lowest.push_back(r);
      std::push_heap(s.lowest.begin(), s.lowest.end(), lower_j);
      if (s.lowest.size() > opt.members) {
        std::pop_heap(s.lowest.begin(), s.lowest.end(), lower_j);
        s.lowest.pop_back();
      }
    }
    if (!r.exact && opt.pairs) {
      const std::uint64_t h = spec::xxh64(r.id.data(), r.id.size(), opt.seed);
      if (sample.size() < opt.pairs || h < sample.front().first) {
        sample.emplace_back(h, std::move(r));
        std::push_heap(sample.begin(), sample.end(), by_hash);
        if (sample.size() > opt.pairs) {
          std::pop_heap(sample.begin(), sample.end(), by_hash);
          sample.pop_back();
        }
      }
    }
  });
  if (exact_rows != c.exact_duplicates || near_rows != c.near_duplicates) {
    throw Error(dups_path + " lists " + std::to_string(exact_rows) + " exact and " +
                std::to_string(near_rows) + " near duplicates, report.json counts " +
                std::to_string(c.exact_duplicates) + " and " + std::to_string(c.near_duplicates) +
                ": the outputs are not of one run");
  }
  std::sort(sample.begin(), sample.end(), by_hash);
  for (ShownCluster& s : top)
    std::sort(s.lowest.begin(), s.lowest.end(), lower_j);

  // ---- the largest groups of exact copies (a second pass for their ids) -------------------------
  std::vector<std::uint64_t> exact_clusters;
  for (std::uint64_t k = 0; k < exact_in.size(); ++k)
    if (exact_in[k]) exact_clusters.push_back(k);
  const std::uint64_t exact_groups = exact_clusters.size();
  const std::size_t n_exact = std::min<std::size_t>(opt.exact, exact_clusters.size());
  std::partial_sort(exact_clusters.begin(), exact_clusters.begin() + n_exact, exact_clusters.end(),
                    [&](std::uint64_t a, std::uint64_t b) {
                      return exact_in[a] != exact_in[b] ? exact_in[a] > exact_in[b] : a < b;
                    });
  exact_clusters.resize(n_exact);
  std::unordered_map<std::uint64_t, std::size_t> exact_of;
  for (std::size_t i = 0; i < exact_clusters.size(); ++i)
    exact_of[exact_clusters[i]] = i;
  std::vector<std::string> exact_kept(n_exact);
  std::vector<std::vector<std::string>> exact_ids(n_exact);
  if (n_exact) {
    for_each_json_line(dups_path, [&](simdjson::dom::object o, std::uint64_t line) {
      const Row r = read_row(o, line, dups_path);
      const auto it = exact_of.find(r.cluster);
      if (!r.exact || it == exact_of.end()) return;
      exact_kept[it->second] = r.dup_of;
      if (exact_ids[it->second].size() < kCopyIds) exact_ids[it->second].push_back(r.id);
    });
  }

  // ---- texts ------------------------------------------------------------------------------------
  DocTable docs(opt.chars);
  for (const ShownCluster& s : top) {
    docs.add(s.kept);
    for (const Row& r : s.lowest)
      docs.add(r.id);
  }
  for (const auto& [h, r] : sample) {
    docs.add(r.dup_of);
    docs.add(r.id);
  }
  for (const std::string& k : exact_kept)
    docs.add(k);
  bool stdin_input = false;
  for (const InputSummary& in : res.inputs)
    stdin_input |= in.path == "<stdin>";
  std::string note, why_missing;
  bool verified = false;
  if (!opt.texts) {
    note = "Texts not read (--no-texts).";
    docs.resolve({}, "texts not read (--no-texts)");
  } else {
    const auto ids = docs.ids();
    std::unordered_set<std::string> wanted(ids.begin(), ids.end());
    RecordFormat fmt;
    fmt.text_fields = {cfg.text_field};
    fmt.id_field = cfg.id_field;
    if (has(rep, "parameters.format")) fmt.format = get_string(rep, "parameters.format");
    auto found =
        find_records(recorded_inputs(get_array(rep, "inputs")), fmt, wanted, opt.base, opt.tables);
    verified = true;
    if (stdin_input) {
      note =
          "The run read stdin, which cannot be read again: its documents are shown without text.";
    }
    if (!cfg.against.empty()) {
      why_missing = "an indexed document (--against " + cfg.against +
                    "): its text is in the index's inputs, which the report does not read";
    } else if (stdin_input) {
      why_missing = "read from stdin, which cannot be read again";
    } else {
      for (const std::string& id : ids) {
        if (!found.count(id)) {
          throw Error("the document " + id + " of " + run_name(opt) +
                      " is in none of the inputs report.json names: the outputs are not of "
                      "these inputs");
        }
      }
    }
    docs.resolve(std::move(found), why_missing);
  }

  Mapped mapped(docs, cfg.normalize);
  std::vector<std::uint64_t> set_a, set_b;
  // A kept document next to a removed one: shared shingles on both, the Jaccard recomputed.
  auto write_compare = [&](JsonWriter& w, std::uint32_t kept, std::uint32_t removed) {
    const MappedText* a = mapped.get(kept);
    const MappedText* b = mapped.get(removed);
    if (!a || !b) {
      w.key("check").null();
      return;
    }
    verification_set(a->norm, cfg.shingle, cfg.sketch, set_a);
    verification_set(b->norm, cfg.shingle, cfg.sketch, set_b);
    w.field("check", jaccard(set_a, set_b));
    if (!a->exact || !b->exact) return;  // no mapping to the original characters
    const SharedShingles s = shared_shingles(*a, *b, cfg.shingle);
    w.field("shared", static_cast<std::uint64_t>(s.shared));
    w.key("hk");
    write_ranges(w, docs.record(kept)->text, docs.shown_bytes(kept), s.a);
    w.key("hr");
    write_ranges(w, docs.record(removed)->text, docs.shown_bytes(removed), s.b);
  };

  // ---- the page's data --------------------------------------------------------------------------
  JsonWriter w(0);
  w.begin_object();
  w.field("command", "dedup");
  write_origin(w, opt);
  w.field("version", get_string(rep, "dupscan_version"));
  w.field("summary", opt.dedup_summary ? opt.dedup_summary(cfg, res) : std::string());
  w.key("headline").begin_object();
  std::uint64_t text_bytes = 0, bytes = 0;
  for (const InputSummary& in : res.inputs) {
    text_bytes += in.text_bytes;
    bytes += in.bytes;
  }
  w.field("documents", c.documents);
  w.field("removed", c.exact_duplicates + c.near_duplicates);
  w.field("exact", c.exact_duplicates);
  w.field("near", c.near_duplicates);
  w.field("kept", c.kept);
  w.field("clusters", c.clusters);
  w.field("candidate_pairs", c.candidate_pairs);
  w.field("verified_pairs", c.verified_pairs);
  w.field("rejected_pairs", c.rejected_pairs);
  w.field("empty", c.empty);
  w.field("skipped", c.skipped);
  w.field("text_bytes", text_bytes);
  w.field("bytes", bytes);
  w.field("seconds", res.timings.total);
  w.field("verify", cfg.verify);
  w.field("indexed", res.indexed_documents);
  w.end_object();
  w.key("parameters").begin_array();
  auto param = [&](const char* k, const std::string& v) {
    w.begin_array().value(k).value(v).end_array();
  };
  auto num = [](double v) {
    std::string s;
    append_double(s, v);
    return s;
  };
  param("threshold", num(cfg.threshold));
  param("shingle", cfg.shingle.to_string());
  std::string sketch = sketch_kind_name(cfg.sketch);
  if (cfg.sketch == SketchKind::compat) sketch += std::string(" (") + scheme_name(cfg.scheme) + ")";
  param("sketch",
        sketch + ", K = " + std::to_string(cfg.num_perm) + ", seed " + std::to_string(cfg.seed));
  param("LSH bands × rows", std::to_string(res.lsh.bands) + " × " + std::to_string(res.lsh.rows) +
                                " (" + get_string(rep, "parameters.lsh_params") + ")");
  param("verification", cfg.verify ? "every candidate pair by exact Jaccard"
                                   : "none (--no-verify): Jaccard values are MinHash estimates");
  param("normalization",
        std::string(cfg.normalize.lowercase ? "lowercase" : "case kept") + ", " +
            (cfg.normalize.strip_punctuation ? "punctuation separates words" : "punctuation kept") +
            ", Unicode " + get_string(rep, "parameters.normalization.unicode"));
  param("keep", get_string(rep, "parameters.keep"));
  param("fields", "text: " + cfg.text_field + ", id: " + cfg.id_field);
  if (!cfg.against.empty()) {
    param("against index",
          cfg.against + " (" + std::to_string(res.indexed_documents) + " documents, kept)");
  }
  param("backend", res.backend + ", " + std::to_string(res.threads) + " threads" +
                       (res.ranks > 1 ? " × " + std::to_string(res.ranks) + " ranks" : ""));
  w.end_array();
  w.key("inputs");
  write_inputs(w, get_array(rep, "inputs"), verified);
  w.key("texts").begin_object();
  w.field("read", opt.texts);
  w.field("note", note);
  w.end_object();
  w.key("options").begin_object();
  w.field("clusters", opt.clusters);
  w.field("members", opt.members);
  w.field("pairs", opt.pairs);
  w.field("exact", opt.exact);
  w.field("list", opt.list);
  w.field("chars", opt.chars);
  w.field("seed", opt.seed);
  w.end_object();
  w.key("jaccard").begin_object();
  w.field("bins", static_cast<std::uint64_t>(kJaccardBins));
  w.key("exact").begin_array();
  for (auto v : hist_exact)
    w.value(v);
  w.end_array();
  w.key("near").begin_array();
  for (auto v : hist_near)
    w.value(v);
  w.end_array();
  w.field("min", rows ? min_jaccard : 1.0);
  w.end_object();
  w.key("lsh").begin_object();
  w.field("bands", res.lsh.bands);
  w.field("rows", res.lsh.rows);
  w.field("threshold", cfg.threshold);
  w.field("candidate", c.candidate_pairs);
  w.field("verified", c.verified_pairs);
  w.field("rejected", c.rejected_pairs);
  w.field("verify", cfg.verify);
  w.field("p_threshold", candidate_probability(cfg.threshold, res.lsh));
  w.end_object();
  w.key("sizes").begin_object();
  w.key("labels").begin_array();
  for (const char* l : kSizeLabel)
    w.value(l);
  w.end_array();
  w.key("counts").begin_array();
  for (auto v : size_counts)
    w.value(v);
  w.end_array();
  w.field("largest", largest);
  w.end_object();

  w.key("clusters").begin_object();
  w.field("total", c.clusters);
  w.key("shown").begin_array();
  for (const ShownCluster& s : top) {
    w.begin_object();
    w.field("cluster", s.cluster);
    w.field("size", s.size);
    const std::uint32_t kept = docs.add(s.kept);
    w.field("kept", kept);
    w.field("exact", s.exact);
    w.field("near", s.near);
    w.field("min_jaccard", s.min_jaccard);
    w.key("members").begin_array();
    for (const std::string& m : s.members) {
      w.begin_array().value(id_display(m));
      const auto row =
          std::find_if(s.rows.begin(), s.rows.end(), [&](const Row& r) { return r.id == m; });
      if (row != s.rows.end()) {
        w.value(row->exact ? "exact" : "near").value(row->jaccard);
      } else {
        w.value("kept");
      }
      w.end_array();
    }
    w.end_array();
    w.key("compared").begin_array();
    for (const Row& r : s.lowest) {
      w.begin_object();
      const std::uint32_t d = docs.add(r.id);
      w.field("doc", d);
      w.field("kind", r.exact ? "exact" : "near");
      w.field("jaccard", r.jaccard);
      write_compare(w, kept, d);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();

  w.key("pairs").begin_object();
  w.field("total", c.near_duplicates);
  w.key("shown").begin_array();
  for (const auto& [h, r] : sample) {
    w.begin_object();
    w.field("cluster", r.cluster);
    const std::uint32_t kept = docs.add(r.dup_of), removed = docs.add(r.id);
    w.field("kept", kept);
    w.field("removed", removed);
    w.field("jaccard", r.jaccard);
    write_compare(w, kept, removed);
    w.end_object();
  }
  w.end_array();
  w.end_object();

  w.key("exact").begin_object();
  w.field("total", exact_groups);
  w.field("copies", c.exact_duplicates);
  w.key("shown").begin_array();
  for (std::size_t i = 0; i < n_exact; ++i) {
    w.begin_object();
    w.field("cluster", exact_clusters[i]);
    w.field("kept", docs.add(exact_kept[i]));
    w.field("count", static_cast<std::uint64_t>(exact_in[exact_clusters[i]]));
    w.key("copies").begin_array();
    for (const std::string& id : exact_ids[i])
      w.value(id_display(id));
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();

  w.key("removed").begin_object();
  w.field("total", rows);
  w.key("rows").begin_array();
  for (const Row& r : listed) {
    w.begin_array()
        .value(id_display(r.id))
        .value(id_display(r.dup_of))
        .value(r.cluster)
        .value(r.exact ? "exact" : "near")
        .value(r.jaccard)
        .end_array();
  }
  w.end_array();
  w.end_object();

  w.key("docs");
  docs.write(w);
  w.end_object();

  Page page;
  page.title = "dupscan dedup report: " + run_name(opt);
  page.data = w.str();
  page.texts = docs.texts();
  return page;
}

}  // namespace dupscan::report::detail
