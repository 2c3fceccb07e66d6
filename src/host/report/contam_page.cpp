// The data of a contam run's page: per benchmark the verdict counts and a coverage histogram, the
// dirty examples of highest coverage with their matched words highlighted beside the training
// text around each match, and the near duplicates apart.
#include <algorithm>
#include <unordered_set>

#include "dupscan/contam.hpp"
#include "dupscan/errors.hpp"
#include "report/report_internal.hpp"
#include "text/utf8.hpp"

namespace dupscan::report::detail {
namespace {

constexpr std::size_t kCoverageBins = 20;
/// Bytes of training text shown on each side of a match.
constexpr std::uint32_t kContext = 200;
/// Excerpts shown per training document (matches further apart than 2 x kContext are two).
constexpr std::size_t kExcerpts = 3;
/// Near duplicates: word 5-grams of the Janitor words (contam/near_index.hpp's kNearShingle).
constexpr std::size_t kNearN = 5;
/// Training texts longer than this get only the listed matches highlighted (no search for more).
constexpr std::size_t kMaxSearchBytes = std::size_t{8} << 20;

/**
 * A matched part of an example: its words [eval_start, eval_end) occur in the training document
 * train_id, from byte train_offset of its text on.
 */
struct MatchSpan {
  std::string train_id;  ///< as JSON
  std::uint64_t train_offset = 0;
  std::uint32_t eval_start = 0, eval_end = 0;
  std::uint32_t ngrams = 1;
  /// Set when the line gives the matched words instead of their place in the example (see
  /// locate_span): lines written before spans existed.
  std::string words;
};

/**
 * The matches of one contamination.jsonl line: the only place that knows their format. Each is a
 * span {"train_id", "train_offset", "eval_start", "eval_end", "ngrams"} (words [eval_start,
 * eval_end) of the example, from byte train_offset of the training text on); a line written before
 * spans existed gives each matched n-gram as {"train_id", "train_offset", "ngram"} (its words,
 * which locate_span finds in the example).
 */
std::vector<MatchSpan> parse_matches(simdjson::dom::object row, const std::string& where) {
  std::vector<MatchSpan> out;
  simdjson::dom::array matches;
  if (row["matches"].get_array().get(matches)) throw Error(where + ": no \"matches\" array");
  for (simdjson::dom::element m : matches) {
    MatchSpan s;
    simdjson::dom::element id;
    if (m["train_id"].get(id) || m["train_offset"].get_uint64().get(s.train_offset)) {
      throw Error(where + ": a match without train_id and train_offset");
    }
    s.train_id = json_text(id);
    std::uint64_t start = 0, end = 0, ngrams = 0;
    std::string_view ngram;
    if (!m["eval_start"].get_uint64().get(start) && !m["eval_end"].get_uint64().get(end) &&
        !m["ngrams"].get_uint64().get(ngrams)) {
      if (end > UINT32_MAX) throw Error(where + ": a match ending past word 2^32");
      s.eval_start = static_cast<std::uint32_t>(start);
      s.eval_end = static_cast<std::uint32_t>(end);
      s.ngrams = static_cast<std::uint32_t>(ngrams);
    } else if (!m["ngram"].get_string().get(ngram)) {
      s.words = std::string(ngram);
    } else {
      throw Error(where + ": a match without eval_start, eval_end and ngrams");
    }
    out.push_back(std::move(s));
  }
  return out;
}

/// Fills eval_start / eval_end of a span given by its words: their first occurrence in the
/// example. False when they do not occur in it.
bool locate_span(MatchSpan& s, const JanitorWords& ex) {
  if (s.words.empty()) return s.eval_end <= ex.size() && s.eval_start < s.eval_end;
  const std::size_t n =
      static_cast<std::size_t>(std::count(s.words.begin(), s.words.end(), ' ')) + 1;
  for (std::size_t i = 0; i + n <= ex.size(); ++i) {
    if (ex.span(i, n) == s.words) {
      s.eval_start = static_cast<std::uint32_t>(i);
      s.eval_end = static_cast<std::uint32_t>(i + n);
      return true;
    }
  }
  return false;
}

struct NearRow {
  std::string train_id;
  double jaccard = 0;
};

struct ExampleRow {
  std::string id;  // as JSON
  std::uint64_t words = 0, more = 0, order = 0;
  std::uint64_t longest = 0;     // longest_match (0 in lines written before it existed)
  std::uint64_t train_docs = 0;  // training documents matched (0: not given)
  bool dirty = false;
  double coverage = 0;
  std::vector<MatchSpan> spans;
  std::vector<NearRow> near;
  double best_near() const {
    double b = 0;
    for (const NearRow& n : near)
      b = std::max(b, n.jaccard);
    return b;
  }
};

struct Bench {
  std::string name, path, fields;
  std::uint64_t rows = 0, judged = 0, dirty = 0, near_examples = 0, zero = 0;
  std::vector<std::uint64_t> bins = std::vector<std::uint64_t>(kCoverageBins, 0);
  std::vector<ExampleRow> dirty_top;  // heap, then sorted
  std::vector<ExampleRow> near_top;
  std::vector<ExampleRow> listed;  // the first dirty ones (ids only)
  std::vector<RecordedInput> file;
};

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

// Every occurrence in a training document of an n-gram of the example (`len` words: the n-gram
// length, or the whole example when it is shorter), as word ranges of both: the rule that made
// the example dirty, applied again to one training document so that the page can highlight all
// of what it shares with the example, not only the matches contamination.jsonl lists.
void find_ngrams(const JanitorWords& ex, const JanitorWords& train, std::size_t len,
                 std::vector<Range>& ex_words, std::vector<Range>& train_words) {
  if (len == 0 || ex.size() < len || train.size() < len) return;
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> grams;
  for (std::size_t i = 0; i + len <= ex.size(); ++i)
    grams[ex.span(i, len)].push_back(static_cast<std::uint32_t>(i));
  for (std::size_t j = 0; j + len <= train.size(); ++j) {
    const auto it = grams.find(train.span(j, len));
    if (it == grams.end()) continue;
    train_words.push_back({static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(j + len)});
    for (std::uint32_t i : it->second)
      ex_words.push_back({i, static_cast<std::uint32_t>(i + len)});
  }
}

// Byte ranges of word ranges.
void word_ranges_to_bytes(const JanitorWords& w, std::vector<Range> words,
                          std::vector<Range>& out) {
  merge_ranges(words);
  for (const Range& r : words)
    out.push_back(janitor_range(w, r.begin, r.end - r.begin));
}

// Word 5-grams of Janitor words [first, last) as strings (the whole text when shorter).
std::vector<std::string_view> five_grams(const JanitorWords& jw) {
  std::vector<std::string_view> out;
  if (jw.size() == 0) return out;
  if (jw.size() < kNearN) {
    out.push_back(jw.text);
    return out;
  }
  for (std::size_t i = 0; i + kNearN <= jw.size(); ++i)
    out.push_back(jw.span(i, kNearN));
  return out;
}

}  // namespace

Page contam_page(const ReportOptions& opt, simdjson::dom::element rep) {
  const std::string cont_path = opt.dir + "/contamination.jsonl";
  const double clean_below = get_double(rep, "parameters.coverage_clean_below");
  const double dirty_at = get_double(rep, "parameters.coverage_dirty_at");
  const std::uint64_t ngram = get_u64(rep, "parameters.ngram");
  std::vector<Bench> benches;
  std::unordered_map<std::string, std::size_t> bench_of;
  for (simdjson::dom::element b : get_array(rep, "benchmarks")) {
    Bench x;
    x.name = get_string(b, "name");
    x.path = get_string(b, "path");
    x.fields = get_string(b, "fields");
    RecordedInput in;
    in.path = x.path;
    if (has(b, "xxh3_64")) {  // recorded by runs that checksum their benchmarks
      in.xxh3_64 = get_string(b, "xxh3_64");
      in.bytes = get_u64(b, "bytes");
    }
    x.file = {in};
    bench_of[x.name] = benches.size();
    benches.push_back(std::move(x));
  }

  // ---- contamination.jsonl
  // ------------------------------------------------------------------------
  auto by_coverage = [](const ExampleRow& a, const ExampleRow& b) {  // heap top: the least
    return a.coverage != b.coverage ? a.coverage > b.coverage : a.order < b.order;
  };
  // Near duplicates the verdict missed (not dirty) first, then by their best Jaccard.
  auto by_near = [](const ExampleRow& a, const ExampleRow& b) {
    if (a.dirty != b.dirty) return !a.dirty;
    const double x = a.best_near(), y = b.best_near();
    return x != y ? x > y : a.order < b.order;
  };
  auto keep_top = [](std::vector<ExampleRow>& heap, ExampleRow row, std::size_t n, auto&& less) {
    if (n == 0) return;
    if (heap.size() == n && !less(row, heap.front())) return;
    heap.push_back(std::move(row));
    std::push_heap(heap.begin(), heap.end(), less);
    if (heap.size() > n) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.pop_back();
    }
  };
  std::uint64_t listed = 0;
  for_each_json_line(cont_path, [&](simdjson::dom::object o, std::uint64_t line) {
    const std::string where = cont_path + ":" + std::to_string(line);
    std::string_view bench;
    simdjson::dom::element id;
    ExampleRow r;
    bool judged = false;
    simdjson::dom::array near;
    if (o["benchmark"].get_string().get(bench) || o["id"].get(id) ||
        o["words"].get_uint64().get(r.words) || o["judged"].get_bool().get(judged) ||
        o["dirty"].get_bool().get(r.dirty) || o["coverage"].get_double().get(r.coverage) ||
        o["near_duplicates"].get_array().get(near)) {
      throw Error(where +
                  ": not a contamination.jsonl line (benchmark, id, words, judged, "
                  "dirty, coverage, near_duplicates)");
    }
    const auto b = bench_of.find(std::string(bench));
    if (b == bench_of.end()) {
      throw Error(where + ": benchmark '" + std::string(bench) + "' is not in report.json");
    }
    Bench& x = benches[b->second];
    r.id = json_text(id);
    r.order = line;
    ++x.rows;
    if (judged) {
      ++x.judged;
      if (r.coverage > 0) {
        x.bins[bin_of(r.coverage, kCoverageBins)]++;
      } else {
        ++x.zero;
      }
    }
    for (simdjson::dom::element n : near) {
      NearRow nr;
      simdjson::dom::element tid;
      if (n["train_id"].get(tid) || n["jaccard"].get_double().get(nr.jaccard)) {
        throw Error(where + ": a near duplicate without train_id and jaccard");
      }
      nr.train_id = json_text(tid);
      r.near.push_back(std::move(nr));
    }
    std::stable_sort(r.near.begin(), r.near.end(),
                     [](const NearRow& a, const NearRow& b) { return a.jaccard > b.jaccard; });
    x.near_examples += !r.near.empty();
    if (!r.dirty && r.near.empty()) return;
    r.spans = parse_matches(o, where);
    if (o["more_matches"].get_uint64().get(r.more)) r.more = 0;
    if (o["longest_match"].get_uint64().get(r.longest)) r.longest = 0;
    if (o["train_docs"].get_uint64().get(r.train_docs)) r.train_docs = 0;
    if (r.dirty) {
      ++x.dirty;
      if (listed < opt.list) {
        ++listed;
        ExampleRow brief;
        brief.id = r.id;
        brief.coverage = r.coverage;
        brief.more = r.spans.size() + r.more;  // (here: all its matches)
        brief.longest = r.longest;
        x.listed.push_back(std::move(brief));
      }
    }
    if (!r.near.empty()) keep_top(x.near_top, r, opt.near, by_near);
    if (r.dirty) keep_top(x.dirty_top, std::move(r), opt.examples, by_coverage);
  });
  std::unordered_set<std::string> train_wanted;
  for (std::size_t i = 0; i < benches.size(); ++i) {
    Bench& x = benches[i];
    const simdjson::dom::element b = get_array(rep, "benchmarks").at(i);
    if (x.rows != get_u64(b, "total") || x.dirty != get_u64(b, "dirty")) {
      throw Error(cont_path + " holds " + std::to_string(x.rows) + " examples (" +
                  std::to_string(x.dirty) + " dirty) of " + x.name + ", report.json counts " +
                  std::to_string(get_u64(b, "total")) + " (" + std::to_string(get_u64(b, "dirty")) +
                  "): the outputs are not of one run");
    }
    std::sort(x.dirty_top.begin(), x.dirty_top.end(), by_coverage);
    std::sort(x.near_top.begin(), x.near_top.end(), by_near);
    for (const ExampleRow& r : x.dirty_top) {
      std::vector<std::string> seen;
      for (const MatchSpan& s : r.spans) {
        if (std::find(seen.begin(), seen.end(), s.train_id) != seen.end()) continue;
        if (seen.size() == opt.matches) break;
        seen.push_back(s.train_id);
        train_wanted.insert(s.train_id);
      }
    }
    for (const ExampleRow& r : x.near_top) {
      for (std::size_t k = 0; k < r.near.size() && k < opt.matches; ++k)
        train_wanted.insert(r.near[k].train_id);
    }
  }

  // ---- texts
  // --------------------------------------------------------------------------------------
  std::string note;
  bool verified = false;
  std::vector<DocTable> eval_docs;  // per benchmark
  std::unordered_map<std::string, FoundRecord> train;
  for (Bench& x : benches) {
    eval_docs.emplace_back(opt.chars);
    for (const ExampleRow& r : x.dirty_top)
      eval_docs.back().add(r.id);
    for (const ExampleRow& r : x.near_top)
      eval_docs.back().add(r.id);
  }
  const std::vector<RecordedInput> train_inputs = recorded_inputs(get_array(rep, "train.inputs"));
  bool stdin_input = false;
  for (const RecordedInput& in : train_inputs)
    stdin_input |= in.path == "<stdin>";
  if (!opt.texts) {
    note = "Texts not read (--no-texts).";
    for (DocTable& d : eval_docs)
      d.resolve({}, "texts not read (--no-texts)");
  } else {
    const std::string eval_id_field = get_string(rep, "parameters.eval_id_field");
    for (std::size_t i = 0; i < benches.size(); ++i) {
      RecordFormat fmt;
      fmt.text_fields.clear();
      for (std::size_t p = 0;;) {
        const auto plus = benches[i].fields.find('+', p);
        fmt.text_fields.push_back(benches[i].fields.substr(p, plus - p));
        if (plus == std::string::npos) break;
        p = plus + 1;
      }
      fmt.id_field = eval_id_field;
      fmt.bad_record_is_error = true;
      const auto ids = eval_docs[i].ids();
      if (benches[i].path == "-") {
        eval_docs[i].resolve({}, "the benchmark was read from stdin, which cannot be read again");
        continue;
      }
      auto found = find_records(benches[i].file, fmt, {ids.begin(), ids.end()}, opt.base);
      for (const std::string& id : ids) {
        if (!found.count(id)) {
          throw Error("benchmark '" + benches[i].path + "' changed since the run: its example " +
                      id + " is no longer in it");
        }
      }
      eval_docs[i].resolve(std::move(found), "");
    }
    RecordFormat fmt;
    fmt.text_fields = {get_string(rep, "parameters.text_field")};
    fmt.id_field = get_string(rep, "parameters.id_field");
    if (has(rep, "parameters.format")) fmt.format = get_string(rep, "parameters.format");
    train = find_records(train_inputs, fmt, train_wanted, opt.base, opt.tables);
    verified = true;
    if (stdin_input) {
      note =
          "The training data was read from stdin, which cannot be read again: training texts "
          "from it are not shown.";
    } else {
      for (const std::string& id : train_wanted) {
        if (!train.count(id)) {
          throw Error("the training document " + id + " of " + cont_path +
                      " is in none of the training inputs report.json names: the outputs are "
                      "not of these inputs");
        }
      }
    }
  }

  // ---- the page's data
  // ------------------------------------------------------------------------------
  JsonWriter w(0);
  w.begin_object();
  w.field("command", "contam");
  write_origin(w, opt);
  w.field("version", get_string(rep, "dupscan_version"));
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
  auto param = [&](const char* k, const std::string& v) {
    w.begin_array().value(k).value(v).end_array();
  };
  auto num = [](double v) {
    std::string s;
    append_double(s, v);
    return s;
  };
  param("n-gram", std::to_string(ngram) + " words (examples of " +
                      std::to_string(get_u64(rep, "parameters.min_ngram")) + "–" +
                      std::to_string(ngram - 1) +
                      " words: the whole example; shorter: not judged)");
  param("normalization", get_string(rep, "parameters.normalization"));
  param("coverage subsets",
        "clean < " + num(clean_below) + ", dirty ≥ " + num(dirty_at) + " (Llama 2)");
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
  w.key("inputs");
  write_inputs(w, get_array(rep, "train.inputs"), verified);
  w.key("texts").begin_object();
  w.field("read", opt.texts);
  w.field("note", note);
  w.end_object();
  w.key("options").begin_object();
  w.field("examples", opt.examples);
  w.field("near", opt.near);
  w.field("matches", opt.matches);
  w.field("list", opt.list);
  w.field("chars", opt.chars);
  w.end_object();
  w.field("clean_below", clean_below);
  w.field("dirty_at", dirty_at);

  std::uint64_t texts = 0;
  JanitorWords ew, tw;
  // A training document's record line: id, file, line.
  auto train_head = [&](JsonWriter& out, const std::string& id, const FoundRecord* rec) {
    out.field("id", id_display(id));
    if (rec) {
      out.field("file", rec->file);
      out.field("line", rec->line);
      if (rec->copies > 1) out.field("copies", rec->copies);
    } else {
      out.field("missing", opt.texts ? "read from stdin, which cannot be read again"
                                     : "texts not read (--no-texts)");
    }
  };
  w.key("benchmarks").begin_array();
  for (std::size_t bi = 0; bi < benches.size(); ++bi) {
    const Bench& x = benches[bi];
    DocTable& docs = eval_docs[bi];
    const simdjson::dom::element b = get_array(rep, "benchmarks").at(bi);
    w.begin_object();
    w.field("name", x.name);
    w.field("path", x.path);
    w.field("fields", x.fields);
    for (const char* k : {"total", "judged", "too_short", "dirty", "clean"})
      w.field(k, get_u64(b, k));
    w.field("dirty_pct", get_double(b, "dirty_pct"));
    // The benchmark's own coverage thresholds (report.json names them since they may differ).
    double own = 0;
    w.field("clean_below", b["coverage_clean_below"].get_double().get(own) ? clean_below : own);
    w.field("dirty_at", b["coverage_dirty_at"].get_double().get(own) ? dirty_at : own);
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
      std::vector<MatchSpan> spans = r.spans;
      std::vector<Range> hl;  // bytes of the example
      if (rec) {
        janitor_words(rec->text, ew);
        if (ew.size() != r.words) {
          throw Error("benchmark '" + x.path + "' changed since the run: example " + r.id +
                      " has " + std::to_string(ew.size()) + " words, contamination.jsonl says " +
                      std::to_string(r.words));
        }
        for (MatchSpan& s : spans) {
          if (!locate_span(s, ew)) {
            throw Error("benchmark '" + x.path + "' changed since the run: example " + r.id +
                        (s.words.empty()
                             ? " has no words " + std::to_string(s.eval_start) + ".." +
                                   std::to_string(s.eval_end)
                             : " no longer holds the matched words \"" + s.words + "\""));
          }
          hl.push_back(janitor_range(ew, s.eval_start, s.eval_end - s.eval_start));
        }
      }
      // The training documents, in the order of their first match.
      std::vector<std::string> order;
      for (const MatchSpan& s : spans)
        if (std::find(order.begin(), order.end(), s.train_id) == order.end())
          order.push_back(s.train_id);
      const std::size_t ngram_len = std::min<std::size_t>(ngram, r.words);
      std::vector<Range> ex_words;  // words of the example found again in the shown documents
      JsonWriter tw_json(0);        // the training documents, written before the example
      tw_json.begin_array();
      for (std::size_t t = 0; t < order.size() && t < opt.matches; ++t) {
        tw_json.begin_object();
        const auto it = train.find(order[t]);
        const FoundRecord* trec = it == train.end() ? nullptr : &it->second;
        train_head(tw_json, order[t], trec);
        std::vector<Range> ranges;
        tw_json.key("offsets").begin_array();
        bool misplaced = false;
        if (trec) janitor_words(trec->text, tw);
        for (const MatchSpan& s : spans) {
          if (s.train_id != order[t]) continue;
          tw_json.value(s.train_offset);
          if (!trec || !rec) continue;
          const auto k = std::lower_bound(tw.raw_begin.begin(), tw.raw_begin.end(),
                                          static_cast<std::uint32_t>(s.train_offset)) -
                         tw.raw_begin.begin();
          const std::size_t len = s.eval_end - s.eval_start;
          if (static_cast<std::size_t>(k) + len > tw.size() || tw.raw_begin[k] != s.train_offset ||
              tw.span(k, len) != ew.span(s.eval_start, len)) {
            misplaced = true;  // the words at that offset are not the matched ones
            continue;
          }
          ranges.push_back(janitor_range(tw, k, len));
        }
        tw_json.end_array();
        if (trec) {
          ++texts;
          if (rec && trec->text.size() <= kMaxSearchBytes) {
            std::vector<Range> train_words;
            find_ngrams(ew, tw, ngram_len, ex_words, train_words);
            word_ranges_to_bytes(tw, std::move(train_words), ranges);
          }
          merge_ranges(ranges);
          tw_json.field("misplaced", misplaced);
          tw_json.field("bytes", static_cast<std::uint64_t>(trec->text.size()));
          tw_json.key("excerpts");
          write_excerpts(tw_json, trec->text, ranges, kContext, opt.chars);
        }
        tw_json.end_object();
      }
      tw_json.end_array();
      if (rec) {
        word_ranges_to_bytes(ew, std::move(ex_words), hl);
        w.key("hl");
        write_ranges(w, rec->text, docs.shown_bytes(d), hl);
      }
      w.field("train_docs", std::max<std::uint64_t>(order.size(), r.train_docs));
      w.key("trains").raw(tw_json.str());
      w.end_object();
    }
    w.end_array();
    w.field("dirty_total", x.dirty);

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
        janitor_words(rec->text, ew);
        eg = five_grams(ew);
        eset.insert(eg.begin(), eg.end());
      }
      w.key("near").begin_array();
      for (std::size_t k = 0; k < r.near.size() && k < opt.matches; ++k) {
        w.begin_object();
        const auto it = train.find(r.near[k].train_id);
        const FoundRecord* trec = it == train.end() ? nullptr : &it->second;
        train_head(w, r.near[k].train_id, trec);
        w.field("jaccard", r.near[k].jaccard);
        if (trec && rec) {
          ++texts;
          // The training window of the example's length class (a power of two of words, at
          // least 16, half-overlapping: contam_probe.hpp's windows) with the highest Jaccard.
          janitor_words(trec->text, tw);
          const std::vector<std::string_view> tg = five_grams(tw);
          std::size_t len = 16;
          while (len < r.words)
            len <<= 1;
          double best = -1;
          std::size_t best_first = 0, best_last = 0;
          for (std::size_t a = 0; !tg.empty(); a += len / 2) {
            const std::size_t first = std::min(a, tg.size() - 1);
            const std::size_t last =
                tw.size() < kNearN ? tg.size() : std::min(tg.size(), a + len - kNearN + 1);
            std::unordered_set<std::string_view> win(tg.begin() + first, tg.begin() + last);
            std::size_t inter = 0;
            for (std::string_view g : win)
              inter += eset.count(g);
            const double j =
                static_cast<double>(inter) / static_cast<double>(win.size() + eset.size() - inter);
            if (j > best) {
              best = j;
              best_first = first;
              best_last = last;
            }
            if (a + len >= tw.size()) break;
          }
          if (best >= 0) {
            w.field("check", best);
            w.field("bytes", static_cast<std::uint64_t>(trec->text.size()));
            std::unordered_set<std::string_view> win(tg.begin() + best_first,
                                                     tg.begin() + best_last);
            std::vector<Range> th, eh;
            const std::size_t gl = tw.size() < kNearN ? tw.size() : kNearN;
            for (std::size_t g = best_first; g < best_last; ++g)
              if (eset.count(tg[g])) th.push_back(janitor_range(tw, g, gl));
            const std::size_t el = ew.size() < kNearN ? ew.size() : kNearN;
            for (std::size_t g = 0; g < eg.size(); ++g)
              if (win.count(eg[g])) eh.push_back(janitor_range(ew, g, el));
            const Range window =
                janitor_range(tw, best_first, std::min(tw.size(), best_last + gl - 1) - best_first);
            w.key("he");
            write_ranges(w, rec->text, docs.shown_bytes(d), eh);
            merge_ranges(th);
            // One excerpt: the window, with the shared 5-grams highlighted inside it.
            w.key("excerpts").begin_array();
            const std::uint32_t b0 = snap(trec->text, window.begin > 80 ? window.begin - 80 : 0);
            const std::uint32_t e0 = snap(trec->text, std::uint64_t{window.end} + 80);
            const std::string_view piece = std::string_view(trec->text).substr(b0, e0 - b0);
            const std::size_t shown = prefix_bytes(piece, opt.chars);
            std::vector<Range> rel;
            for (const Range& t : th)
              rel.push_back({t.begin - b0, t.end - b0});
            w.begin_object();
            w.field("start", static_cast<std::uint64_t>(b0));
            w.field("text", piece.substr(0, shown));
            w.field("before", b0 > 0);
            w.field("after", b0 + shown < trec->text.size());
            w.key("hl");
            write_ranges(w, piece, shown, rel);
            w.end_object();
            w.end_array();
          }
        }
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
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

  Page page;
  page.title = "dupscan contam report: " + run_name(opt);
  page.data = w.str();
  page.texts = texts;
  return page;
}

}  // namespace dupscan::report::detail
