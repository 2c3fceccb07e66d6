// The contam page's reading (contam_page.hpp): report.json's benchmarks, contamination.jsonl --
// per benchmark the verdict counts, a coverage histogram, the dirty examples of highest coverage
// and the near duplicates, kept while the lines stream past -- and the texts shown.
#include <algorithm>

#include "dupscan/errors.hpp"
#include "report/contam_page.hpp"

namespace dupscan::report::detail::contam {
namespace {

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

/// The near duplicates of a contamination.jsonl line, highest Jaccard first.
void read_near(simdjson::dom::array near, const std::string& where, ExampleRow& r) {
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
}

template <class Less>
void keep_top(std::vector<ExampleRow>& heap, ExampleRow row, std::size_t n, Less&& less) {
  if (n == 0) return;
  if (heap.size() == n && !less(row, heap.front())) return;
  heap.push_back(std::move(row));
  std::push_heap(heap.begin(), heap.end(), less);
  if (heap.size() > n) {
    std::pop_heap(heap.begin(), heap.end(), less);
    heap.pop_back();
  }
}

}  // namespace

void read_run(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m) {
  m.cont_path = opt.dir + "/contamination.jsonl";
  m.clean_below = get_double(rep, "parameters.coverage_clean_below");
  m.dirty_at = get_double(rep, "parameters.coverage_dirty_at");
  m.ngram = get_u64(rep, "parameters.ngram");
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
    m.bench_of[x.name] = m.benches.size();
    m.benches.push_back(std::move(x));
  }
}

void read_examples(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m) {
  const std::string& cont_path = m.cont_path;
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
    const auto b = m.bench_of.find(std::string(bench));
    if (b == m.bench_of.end()) {
      throw Error(where + ": benchmark '" + std::string(bench) + "' is not in report.json");
    }
    Bench& x = m.benches[b->second];
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
    read_near(near, where, r);
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
  for (std::size_t i = 0; i < m.benches.size(); ++i) {
    const Bench& x = m.benches[i];
    const simdjson::dom::element b = get_array(rep, "benchmarks").at(i);
    if (x.rows != get_u64(b, "total") || x.dirty != get_u64(b, "dirty")) {
      throw Error(cont_path + " holds " + std::to_string(x.rows) + " examples (" +
                  std::to_string(x.dirty) + " dirty) of " + x.name + ", report.json counts " +
                  std::to_string(get_u64(b, "total")) + " (" + std::to_string(get_u64(b, "dirty")) +
                  "): the outputs are not of one run");
    }
  }
}

namespace {

// The texts of benchmark i's examples shown: its file read again (a benchmark must not have
// changed since the run).
void read_eval_texts(const ReportOptions& opt, const std::string& eval_id_field, std::size_t i,
                     ContamPageModel& m) {
  const Bench& x = m.benches[i];
  RecordFormat fmt;
  fmt.text_fields.clear();
  for (std::size_t p = 0;;) {
    const auto plus = x.fields.find('+', p);
    fmt.text_fields.push_back(x.fields.substr(p, plus - p));
    if (plus == std::string::npos) break;
    p = plus + 1;
  }
  fmt.id_field = eval_id_field;
  fmt.bad_record_is_error = true;
  const auto ids = m.eval_docs[i].ids();
  if (x.path == "-") {
    m.eval_docs[i].resolve({}, "the benchmark was read from stdin, which cannot be read again");
    return;
  }
  auto found = find_records(x.file, fmt, {ids.begin(), ids.end()}, opt.base);
  for (const std::string& id : ids) {
    if (!found.count(id)) {
      throw Error("benchmark '" + x.path + "' changed since the run: its example " + id +
                  " is no longer in it");
    }
  }
  m.eval_docs[i].resolve(std::move(found), "");
}

}  // namespace

void read_texts(const ReportOptions& opt, simdjson::dom::element rep, ContamPageModel& m) {
  for (Bench& x : m.benches) {
    m.eval_docs.emplace_back(opt.chars);
    for (const ExampleRow& r : x.dirty_top)
      m.eval_docs.back().add(r.id);
    for (const ExampleRow& r : x.near_top)
      m.eval_docs.back().add(r.id);
  }
  const std::vector<RecordedInput> train_inputs = recorded_inputs(get_array(rep, "train.inputs"));
  bool stdin_input = false;
  for (const RecordedInput& in : train_inputs)
    stdin_input |= in.path == "<stdin>";
  if (!opt.texts) {
    m.note = "Texts not read (--no-texts).";
    for (DocTable& d : m.eval_docs)
      d.resolve({}, "texts not read (--no-texts)");
    return;
  }
  const std::string eval_id_field = get_string(rep, "parameters.eval_id_field");
  for (std::size_t i = 0; i < m.benches.size(); ++i)
    read_eval_texts(opt, eval_id_field, i, m);
  RecordFormat fmt;
  fmt.text_fields = {get_string(rep, "parameters.text_field")};
  fmt.id_field = get_string(rep, "parameters.id_field");
  if (has(rep, "parameters.format")) fmt.format = get_string(rep, "parameters.format");
  m.train = find_records(train_inputs, fmt, m.train_wanted, opt.base, opt.tables);
  m.verified = true;
  if (stdin_input) {
    m.note =
        "The training data was read from stdin, which cannot be read again: training texts "
        "from it are not shown.";
  } else {
    for (const std::string& id : m.train_wanted) {
      if (!m.train.count(id)) {
        throw Error("the training document " + id + " of " + m.cont_path +
                    " is in none of the training inputs report.json names: the outputs are "
                    "not of these inputs");
      }
    }
  }
}

}  // namespace dupscan::report::detail::contam
