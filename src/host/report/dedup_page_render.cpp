// The dedup page's rendering (dedup_page.hpp): the page's data, one JSON object -- what
// report.json counts, the histograms, the largest clusters, the sample of near pairs, the largest
// groups of exact copies, the first rows of duplicates.jsonl and the documents' texts -- and
// dedup_page(), which reads, computes and renders.
#include <algorithm>

#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "report/dedup_page.hpp"

namespace dupscan::report::detail {
namespace dedup {
namespace {

// A kept document next to a removed one: shared shingles on both, the Jaccard recomputed.
void write_compare(JsonWriter& w, Comparer& comparer, const DocTable& docs, std::uint32_t kept,
                   std::uint32_t removed) {
  const Comparison cmp = comparer.compare(kept, removed);
  if (!cmp.compared) {
    w.key("check").null();
    return;
  }
  w.field("check", cmp.check);
  if (!cmp.mapped) return;  // no mapping to the original characters
  const SharedShingles& s = cmp.shared;
  w.field("shared", static_cast<std::uint64_t>(s.shared));
  w.key("hk");
  write_ranges(w, docs.record(kept)->text, docs.shown_bytes(kept), s.a);
  w.key("hr");
  write_ranges(w, docs.record(removed)->text, docs.shown_bytes(removed), s.b);
}

void write_headline(JsonWriter& w, const DedupPageModel& m) {
  const DedupConfig& cfg = m.cfg;
  const DedupResult& res = m.res;
  const DedupCounts& c = res.counts;
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
}

void write_parameters(JsonWriter& w, simdjson::dom::element rep, const DedupPageModel& m) {
  const DedupConfig& cfg = m.cfg;
  const DedupResult& res = m.res;
  w.key("parameters").begin_array();
  auto param = [&](const char* k, const std::string& v) { parameter_row(w, k, v); };
  auto num = number_text;
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
}

// The page's options, as given to the report.
void write_options(JsonWriter& w, const ReportOptions& opt) {
  w.key("options").begin_object();
  w.field("clusters", opt.clusters);
  w.field("members", opt.members);
  w.field("pairs", opt.pairs);
  w.field("exact", opt.exact);
  w.field("list", opt.list);
  w.field("chars", opt.chars);
  w.field("seed", opt.seed);
  w.end_object();
}

// The charts: the Jaccard histograms, the LSH curve's data, the cluster sizes.
void write_charts(JsonWriter& w, const DedupPageModel& m) {
  const DedupConfig& cfg = m.cfg;
  const DedupResult& res = m.res;
  const DedupCounts& c = res.counts;
  w.key("jaccard").begin_object();
  w.field("bins", static_cast<std::uint64_t>(kJaccardBins));
  w.key("exact").begin_array();
  for (auto v : m.hist_exact)
    w.value(v);
  w.end_array();
  w.key("near").begin_array();
  for (auto v : m.hist_near)
    w.value(v);
  w.end_array();
  w.field("min", m.rows ? m.min_jaccard : 1.0);
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
  for (auto v : m.size_counts)
    w.value(v);
  w.end_array();
  w.field("largest", m.largest);
  w.end_object();
}

void write_clusters(JsonWriter& w, DedupPageModel& m, Comparer& comparer) {
  DocTable& docs = m.docs;
  w.key("clusters").begin_object();
  w.field("total", m.res.counts.clusters);
  w.key("shown").begin_array();
  for (const ShownCluster& s : m.top) {
    w.begin_object();
    w.field("cluster", s.cluster);
    w.field("size", s.size);
    const std::uint32_t kept = docs.add(s.kept);
    w.field("kept", kept);
    w.field("exact", s.exact);
    w.field("near", s.near);
    w.field("min_jaccard", s.min_jaccard);
    w.key("members").begin_array();
    for (const std::string& mem : s.members) {
      w.begin_array().value(id_display(mem));
      const auto row =
          std::find_if(s.rows.begin(), s.rows.end(), [&](const Row& r) { return r.id == mem; });
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
      write_compare(w, comparer, docs, kept, d);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_pairs(JsonWriter& w, DedupPageModel& m, Comparer& comparer) {
  DocTable& docs = m.docs;
  w.key("pairs").begin_object();
  w.field("total", m.res.counts.near_duplicates);
  w.key("shown").begin_array();
  for (const auto& [h, r] : m.sample) {
    w.begin_object();
    w.field("cluster", r.cluster);
    const std::uint32_t kept = docs.add(r.dup_of), removed = docs.add(r.id);
    w.field("kept", kept);
    w.field("removed", removed);
    w.field("jaccard", r.jaccard);
    write_compare(w, comparer, docs, kept, removed);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_exact(JsonWriter& w, DedupPageModel& m) {
  w.key("exact").begin_object();
  w.field("total", m.exact_groups);
  w.field("copies", m.res.counts.exact_duplicates);
  w.key("shown").begin_array();
  for (std::size_t i = 0; i < m.n_exact; ++i) {
    w.begin_object();
    w.field("cluster", m.exact_clusters[i]);
    w.field("kept", m.docs.add(m.exact_kept[i]));
    w.field("count", static_cast<std::uint64_t>(m.exact_in[m.exact_clusters[i]]));
    w.key("copies").begin_array();
    for (const std::string& id : m.exact_ids[i])
      w.value(id_display(id));
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

// The first rows of duplicates.jsonl.
void write_removed(JsonWriter& w, const DedupPageModel& m) {
  w.key("removed").begin_object();
  w.field("total", m.rows);
  w.key("rows").begin_array();
  for (const Row& r : m.listed) {
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
}

// ---- the page's data ----------------------------------------------------------------------------
std::string render(const ReportOptions& opt, simdjson::dom::element rep, DedupPageModel& m) {
  Comparer comparer(m.docs, m.cfg);
  JsonWriter w(0);
  w.begin_object();
  w.field("command", "dedup");
  write_origin(w, opt);
  w.field("version", get_string(rep, "dupscan_version"));
  w.field("summary", opt.dedup_summary ? opt.dedup_summary(m.cfg, m.res) : std::string());
  write_headline(w, m);
  write_parameters(w, rep, m);
  w.key("inputs");
  write_inputs(w, get_array(rep, "inputs"), m.verified);
  w.key("texts").begin_object();
  w.field("read", opt.texts);
  w.field("note", m.note);
  w.end_object();
  write_options(w, opt);
  write_charts(w, m);
  write_clusters(w, m, comparer);
  write_pairs(w, m, comparer);
  write_exact(w, m);
  write_removed(w, m);
  w.key("docs");
  m.docs.write(w);
  w.end_object();
  return w.str();
}

}  // namespace
}  // namespace dedup

Page dedup_page(const ReportOptions& opt, simdjson::dom::element rep,
                const std::string& report_text) {
  dedup::DedupPageModel m(opt.chars);
  dedup::read_run(opt, report_text, m);
  dedup::read_clusters(opt, m);
  dedup::read_duplicates(opt, m);
  dedup::select_exact_groups(opt, m);  // a second pass reads their ids
  dedup::read_exact_copies(m);
  dedup::gather_docs(m);
  dedup::read_texts(opt, rep, m);

  Page page;
  page.title = "dupscan dedup report: " + run_name(opt);
  page.data = dedup::render(opt, rep, m);
  page.texts = m.docs.texts();
  return page;
}

}  // namespace dupscan::report::detail
