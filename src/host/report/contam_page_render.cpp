// The contam page's rendering (contam_page.hpp): the page's data, one JSON object -- what
// report.json says of the run, per benchmark its counts, the coverage histogram, the dirty
// examples with their matched words highlighted beside excerpts of the training texts, the near
// duplicates apart -- and contam_page(), which reads, computes and renders.
#include <algorithm>

#include "report/contam_page.hpp"
#include "text/utf8.hpp"

namespace dupscan::report::detail {
namespace contam {
namespace {

// Snaps a byte offset back to the start of its code point.
std::uint32_t snap(std::string_view t, std::uint64_t at) {
  if (at >= t.size()) return static_cast<std::uint32_t>(t.size());
  while (at > 0 && !utf8::is_lead(static_cast<unsigned char>(t[at])))
    --at;
  return static_cast<std::uint32_t>(at);
}

// Excerpts of a text around ranges (sorted, merged): each [begin, end) widened by `context`
// bytes, those that then meet joined, at most kExcerpts, each cut to max_chars characters.
void write_excerpts(JsonWriter& w, std::string_view text, const std::vector<Range>& ranges,
                    std::uint32_t context, std::uint32_t max_chars) {
  std::vector<std::pair<Range, std::vector<Range>>> parts;
  for (const Range& r : ranges) {
    const std::uint32_t b = snap(text, r.begin > context ? r.begin - context : 0);
    const std::uint32_t e = snap(text, std::uint64_t{r.end} + context);
    if (!parts.empty() && b <= parts.back().first.end) {
      parts.back().first.end = std::max(parts.back().first.end, e);
      parts.back().second.push_back(r);
    } else {
      parts.push_back({{b, e}, {r}});
    }
  }
  w.begin_array();
  for (std::size_t i = 0; i < parts.size() && i < kExcerpts; ++i) {
    const Range span = parts[i].first;
    const std::string_view piece = text.substr(span.begin, span.end - span.begin);
    const std::size_t shown = prefix_bytes(piece, max_chars);
    std::vector<Range> hl;
    for (const Range& r : parts[i].second)
      hl.push_back({r.begin - span.begin, r.end - span.begin});
    w.begin_object();
    w.field("start", static_cast<std::uint64_t>(span.begin));
    w.field("text", piece.substr(0, shown));
    w.field("before", span.begin > 0);
    w.field("after", span.begin + shown < text.size());
    w.key("hl");
    write_ranges(w, piece, shown, hl);
    w.end_object();
  }
  w.end_array();
}

// A training document's record line: id, file, line.
void train_head(JsonWriter& out, const ReportOptions& opt, const std::string& id,
                const FoundRecord* rec) {
  out.field("id", id_display(id));
  if (rec) {
    out.field("file", rec->file);
    out.field("line", rec->line);
    if (rec->copies > 1) out.field("copies", rec->copies);
  } else {
    out.field("missing", opt.texts ? "read from stdin, which cannot be read again"
                                   : "texts not read (--no-texts)");
  }
}

// What report.json says of the run: the headline counts and the parameters.
void write_run(JsonWriter& w, simdjson::dom::element rep, const ContamPageModel& m) {
  w.key("headline").begin_object();
  w.field("train_documents", get_u64(rep, "train.documents"));
  w.field("text_bytes", get_u64(rep, "train.text_bytes"));
  w.field("skipped", get_u64(rep, "train.skipped"));
  w.field("documents_matched", get_u64(rep, "train.documents_matched"));
  w.field("seconds", get_double(rep, "timings_s.total"));
  w.field("matches", get_u64(rep, "index.matches"));
  w.field("boilerplate", get_u64(rep, "index.boilerplate_ngrams"));
  w.end_object();
  w.key("parameters").begin_array();
  auto param = [&](const char* k, const std::string& v) { parameter_row(w, k, v); };
  auto num = number_text;
  const std::uint64_t ngram = m.ngram;
  param("n-gram", std::to_string(ngram) + " words (examples of " +
                      std::to_string(get_u64(rep, "parameters.min_ngram")) + "–" +
                      std::to_string(ngram - 1) +
                      " words: the whole example; shorter: not judged)");
  param("normalization", get_string(rep, "parameters.normalization"));
  param("coverage subsets",
        "clean < " + num(m.clean_below) + ", dirty ≥ " + num(m.dirty_at) + " (Llama 2)");
  param("near duplicates",
        get_bool(rep, "parameters.near")
            ? "word 5-gram Jaccard ≥ " + num(get_double(rep, "parameters.near_threshold"))
            : std::string("not searched (--no-near)"));
  param("matches listed per example", std::to_string(get_u64(rep, "parameters.max_matches")));
  param("boilerplate", "n-grams in more than " +
                           std::to_string(get_u64(rep, "parameters.max_train_docs")) +
                           " training documents (counted, not cut)");
  param("fields", "training text: " + get_string(rep, "parameters.text_field") +
                      ", id: " + get_string(rep, "parameters.id_field") +
                      "; benchmark id: " + get_string(rep, "parameters.eval_id_field"));
  param("backend",
        get_string(rep, "backend") + ", " + std::to_string(get_u64(rep, "threads")) + " threads");
  w.end_array();
}

// A benchmark's counts (report.json's) and coverage histogram.
void write_bench_counts(JsonWriter& w, simdjson::dom::element b, const Bench& x,
                        const ContamPageModel& m) {
  w.field("name", x.name);
  w.field("path", x.path);
  w.field("fields", x.fields);
  for (const char* k : {"total", "judged", "too_short", "dirty", "clean"})
    w.field(k, get_u64(b, k));
  w.field("dirty_pct", get_double(b, "dirty_pct"));
  // The benchmark's own coverage thresholds (report.json names them since they may differ).
  double own = 0;
  w.field("clean_below", b["coverage_clean_below"].get_double().get(own) ? m.clean_below : own);
  w.field("dirty_at", b["coverage_dirty_at"].get_double().get(own) ? m.dirty_at : own);
  w.key("llama").begin_object();
  for (const char* k : {"clean", "not_clean", "not_dirty", "dirty"})
    w.field(k, get_u64(b, std::string("llama2_coverage.") + k));
  w.end_object();
  w.field("near_examples", x.near_examples);
  w.key("coverage").begin_object();
  w.field("zero", x.zero);
  w.key("bins").begin_array();
  for (auto v : x.bins)
    w.value(v);
  w.end_array();
  w.end_object();
}

// Scratch words, reused from one example to the next.
struct Scratch {
  JanitorWords ew, tw;
};

void write_dirty(JsonWriter& w, const ReportOptions& opt, const ContamPageModel& m, const Bench& x,
                 DocTable& docs, Scratch& scratch, std::uint64_t& texts) {
  w.key("dirty_shown").begin_array();
  for (const ExampleRow& r : x.dirty_top) {
    w.begin_object();
    const std::uint32_t d = docs.add(r.id);
    w.field("doc", d);
    w.field("words", r.words);
    w.field("coverage", r.coverage);
    w.field("listed", static_cast<std::uint64_t>(r.spans.size()));
    w.field("longest", r.longest);
    w.field("more", r.more);
    const FoundRecord* rec = docs.record(d);
    const DirtyShown shown = compute_dirty(opt, m, x, r, rec, scratch.ew, scratch.tw);
    JsonWriter tw_json(0);  // the training documents, written before the example
    tw_json.begin_array();
    for (const TrainShown& t : shown.trains) {
      tw_json.begin_object();
      train_head(tw_json, opt, t.id, t.rec);
      tw_json.key("offsets").begin_array();
      for (std::uint64_t offset : t.offsets)
        tw_json.value(offset);
      tw_json.end_array();
      if (t.rec) {
        ++texts;
        tw_json.field("misplaced", t.misplaced);
        tw_json.field("bytes", static_cast<std::uint64_t>(t.rec->text.size()));
        tw_json.key("excerpts");
        write_excerpts(tw_json, t.rec->text, t.ranges, kContext, opt.chars);
      }
      tw_json.end_object();
    }
    tw_json.end_array();
    if (rec) {
      w.key("hl");
      write_ranges(w, rec->text, docs.shown_bytes(d), shown.hl);
    }
    w.field("train_docs", shown.train_docs);
    w.key("trains").raw(tw_json.str());
    w.end_object();
  }
  w.end_array();
}

// A near duplicate's window: its Jaccard, the example's shared 5-grams, and one excerpt -- the
// window, with the shared 5-grams highlighted inside it.
void write_window(JsonWriter& w, const ReportOptions& opt, const NearWindow& nw,
                  const FoundRecord& rec, const FoundRecord& trec, std::size_t shown_bytes) {
  w.field("check", nw.best);
  w.field("bytes", static_cast<std::uint64_t>(trec.text.size()));
  w.key("he");
  write_ranges(w, rec.text, shown_bytes, nw.eh);
  // One excerpt: the window, with the shared 5-grams highlighted inside it.
  w.key("excerpts").begin_array();
  const Range window = nw.window;
  const std::uint32_t b0 = snap(trec.text, window.begin > 80 ? window.begin - 80 : 0);
  const std::uint32_t e0 = snap(trec.text, std::uint64_t{window.end} + 80);
  const std::string_view piece = std::string_view(trec.text).substr(b0, e0 - b0);
  const std::size_t shown = prefix_bytes(piece, opt.chars);
  std::vector<Range> rel;
  for (const Range& t : nw.th)
    rel.push_back({t.begin - b0, t.end - b0});
  w.begin_object();
  w.field("start", static_cast<std::uint64_t>(b0));
  w.field("text", piece.substr(0, shown));
  w.field("before", b0 > 0);
  w.field("after", b0 + shown < trec.text.size());
  w.key("hl");
  write_ranges(w, piece, shown, rel);
  w.end_object();
  w.end_array();
}

void write_near(JsonWriter& w, const ReportOptions& opt, const ContamPageModel& m, const Bench& x,
                DocTable& docs, Scratch& scratch, std::uint64_t& texts) {
  w.key("near_shown").begin_array();
  for (const ExampleRow& r : x.near_top) {
    w.begin_object();
    const std::uint32_t d = docs.add(r.id);
    w.field("doc", d);
    w.field("words", r.words);
    w.field("dirty", r.dirty);
    w.field("count", static_cast<std::uint64_t>(r.near.size()));
    const FoundRecord* rec = docs.record(d);
    std::vector<std::string_view> eg;
    std::unordered_set<std::string_view> eset;
    if (rec) {
      janitor_words(rec->text, scratch.ew);
      eg = five_grams(scratch.ew);
      eset.insert(eg.begin(), eg.end());
    }
    w.key("near").begin_array();
    for (std::size_t k = 0; k < r.near.size() && k < opt.matches; ++k) {
      w.begin_object();
      const auto it = m.train.find(r.near[k].train_id);
      const FoundRecord* trec = it == m.train.end() ? nullptr : &it->second;
      train_head(w, opt, r.near[k].train_id, trec);
      w.field("jaccard", r.near[k].jaccard);
      if (trec && rec) {
        ++texts;
        const NearWindow nw = best_window(scratch.ew, eg, eset, r.words, trec->text, scratch.tw);
        if (nw.best >= 0) write_window(w, opt, nw, *rec, *trec, docs.shown_bytes(d));
      }
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

// ---- the page's data ----------------------------------------------------------------------------
std::string render(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m,
                   std::uint64_t& texts) {
  JsonWriter w(0);
  w.begin_object();
  w.field("command", "contam");
  write_origin(w, opt);
  w.field("version", get_string(rep, "dupscan_version"));
  write_run(w, rep, m);
  w.key("inputs");
  write_inputs(w, get_array(rep, "train.inputs"), m.verified);
  w.key("texts").begin_object();
  w.field("read", opt.texts);
  w.field("note", m.note);
  w.end_object();
  w.key("options").begin_object();
  w.field("examples", opt.examples);
  w.field("near", opt.near);
  w.field("matches", opt.matches);
  w.field("list", opt.list);
  w.field("chars", opt.chars);
  w.end_object();
  w.field("clean_below", m.clean_below);
  w.field("dirty_at", m.dirty_at);

  Scratch scratch;
  w.key("benchmarks").begin_array();
  for (std::size_t bi = 0; bi < m.benches.size(); ++bi) {
    const Bench& x = m.benches[bi];
    DocTable& docs = m.eval_docs[bi];
    w.begin_object();
    write_bench_counts(w, get_array(rep, "benchmarks").at(bi), x, m);
    write_dirty(w, opt, m, x, docs, scratch, texts);
    w.field("dirty_total", x.dirty);
    write_near(w, opt, m, x, docs, scratch, texts);
    w.field("near_total", x.near_examples);
    w.key("listed").begin_array();
    for (const ExampleRow& r : x.listed)
      w.begin_array().value(id_display(r.id)).value(r.coverage).value(r.longest).end_array();
    w.end_array();
    w.key("docs");
    docs.write(w);
    texts += docs.texts();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace
}  // namespace contam

Page contam_page(const ReportOptions& opt, simdjson::dom::element rep) {
  contam::ContamPageModel m;
  contam::read_run(opt, rep, m);
  contam::read_examples(opt, rep, m);
  contam::select_shown(opt, m);
  contam::read_texts(opt, rep, m);

  std::uint64_t texts = 0;
  Page page;
  page.title = "dupscan contam report: " + run_name(opt);
  page.data = contam::render(opt, rep, m, texts);
  page.texts = texts;
  return page;
}

}  // namespace dupscan::report::detail
