// The contam page's computing (contam_page.hpp): the examples shown in their order, the training
// documents they show, and what to highlight -- a dirty example's matched words beside the
// training text around each match, a near duplicate's best window.
#include <algorithm>

#include "dupscan/errors.hpp"
#include "report/contam_page.hpp"

namespace dupscan::report::detail::contam {

bool by_coverage(const ExampleRow& a, const ExampleRow& b) {  // heap top: the least
  return a.coverage != b.coverage ? a.coverage > b.coverage : a.order < b.order;
}

// Near duplicates the verdict missed (not dirty) first, then by their best Jaccard.
bool by_near(const ExampleRow& a, const ExampleRow& b) {
  if (a.dirty != b.dirty) return !a.dirty;
  const double x = a.best_near(), y = b.best_near();
  return x != y ? x > y : a.order < b.order;
}

void select_shown(const ReportOptions& opt, ContamPageModel& m) {
  for (Bench& x : m.benches) {
    std::sort(x.dirty_top.begin(), x.dirty_top.end(), by_coverage);
    std::sort(x.near_top.begin(), x.near_top.end(), by_near);
    for (const ExampleRow& r : x.dirty_top) {
      std::vector<std::string> seen;
      for (const MatchSpan& s : r.spans) {
        if (std::find(seen.begin(), seen.end(), s.train_id) != seen.end()) continue;
        if (seen.size() == opt.matches) break;
        seen.push_back(s.train_id);
        m.train_wanted.insert(s.train_id);
      }
    }
    for (const ExampleRow& r : x.near_top) {
      for (std::size_t k = 0; k < r.near.size() && k < opt.matches; ++k)
        m.train_wanted.insert(r.near[k].train_id);
    }
  }
}

namespace {

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

// The example's words (`ew`, from its text) and the place of each of its matches in them.
// @throw Error when the benchmark changed since the run.
void locate_spans(const Bench& x, const ExampleRow& r, const FoundRecord& rec,
                  std::vector<MatchSpan>& spans, JanitorWords& ew, std::vector<Range>& hl) {
  janitor_words(rec.text, ew);
  if (ew.size() != r.words) {
    throw Error("benchmark '" + x.path + "' changed since the run: example " + r.id + " has " +
                std::to_string(ew.size()) + " words, contamination.jsonl says " +
                std::to_string(r.words));
  }
  for (MatchSpan& s : spans) {
    if (!locate_span(s, ew)) {
      throw Error("benchmark '" + x.path + "' changed since the run: example " + r.id +
                  (s.words.empty() ? " has no words " + std::to_string(s.eval_start) + ".." +
                                         std::to_string(s.eval_end)
                                   : " no longer holds the matched words \"" + s.words + "\""));
    }
    hl.push_back(janitor_range(ew, s.eval_start, s.eval_end - s.eval_start));
  }
}

// Training document t.id's matches with the example (`rec`: the example's text, or null), and,
// when both texts are at hand, every other n-gram they share (ex_words gathers the example's).
void compute_train(const std::vector<MatchSpan>& spans, const FoundRecord* rec,
                   std::size_t ngram_len, const JanitorWords& ew, JanitorWords& tw,
                   std::vector<Range>& ex_words, TrainShown& t) {
  const FoundRecord* trec = t.rec;
  if (trec) janitor_words(trec->text, tw);
  for (const MatchSpan& s : spans) {
    if (s.train_id != t.id) continue;
    t.offsets.push_back(s.train_offset);
    if (!trec || !rec) continue;
    const auto k = std::lower_bound(tw.raw_begin.begin(), tw.raw_begin.end(),
                                    static_cast<std::uint32_t>(s.train_offset)) -
                   tw.raw_begin.begin();
    const std::size_t len = s.eval_end - s.eval_start;
    if (static_cast<std::size_t>(k) + len > tw.size() || tw.raw_begin[k] != s.train_offset ||
        tw.span(k, len) != ew.span(s.eval_start, len)) {
      t.misplaced = true;  // the words at that offset are not the matched ones
      continue;
    }
    t.ranges.push_back(janitor_range(tw, k, len));
  }
  if (trec) {
    if (rec && trec->text.size() <= kMaxSearchBytes) {
      std::vector<Range> train_words;
      find_ngrams(ew, tw, ngram_len, ex_words, train_words);
      word_ranges_to_bytes(tw, std::move(train_words), t.ranges);
    }
    merge_ranges(t.ranges);
  }
}

}  // namespace

DirtyShown compute_dirty(const ReportOptions& opt, const ContamPageModel& m, const Bench& x,
                         const ExampleRow& r, const FoundRecord* rec, JanitorWords& ew,
                         JanitorWords& tw) {
  DirtyShown out;
  std::vector<MatchSpan> spans = r.spans;
  if (rec) locate_spans(x, r, *rec, spans, ew, out.hl);  // bytes of the example
  // The training documents, in the order of their first match.
  std::vector<std::string> order;
  for (const MatchSpan& s : spans)
    if (std::find(order.begin(), order.end(), s.train_id) == order.end())
      order.push_back(s.train_id);
  const std::size_t ngram_len = std::min<std::size_t>(m.ngram, r.words);
  std::vector<Range> ex_words;  // words of the example found again in the shown documents
  for (std::size_t t = 0; t < order.size() && t < opt.matches; ++t) {
    TrainShown ts;
    ts.id = order[t];
    const auto it = m.train.find(order[t]);
    ts.rec = it == m.train.end() ? nullptr : &it->second;
    compute_train(spans, rec, ngram_len, ew, tw, ex_words, ts);
    out.trains.push_back(std::move(ts));
  }
  if (rec) word_ranges_to_bytes(ew, std::move(ex_words), out.hl);
  out.train_docs = std::max<std::uint64_t>(order.size(), r.train_docs);
  return out;
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

NearWindow best_window(const JanitorWords& ew, const std::vector<std::string_view>& eg,
                       const std::unordered_set<std::string_view>& eset, std::uint64_t words,
                       std::string_view train_text, JanitorWords& tw) {
  NearWindow out;
  // The training window of the example's length class (a power of two of words, at least 16,
  // half-overlapping: contam_probe.hpp's windows) with the highest Jaccard.
  janitor_words(train_text, tw);
  const std::vector<std::string_view> tg = five_grams(tw);
  std::size_t len = 16;
  while (len < words)
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
  out.best = best;
  if (best < 0) return out;
  std::unordered_set<std::string_view> win(tg.begin() + best_first, tg.begin() + best_last);
  const std::size_t gl = tw.size() < kNearN ? tw.size() : kNearN;
  for (std::size_t g = best_first; g < best_last; ++g)
    if (eset.count(tg[g])) out.th.push_back(janitor_range(tw, g, gl));
  const std::size_t el = ew.size() < kNearN ? ew.size() : kNearN;
  for (std::size_t g = 0; g < eg.size(); ++g)
    if (win.count(eg[g])) out.eh.push_back(janitor_range(ew, g, el));
  out.window = janitor_range(tw, best_first, std::min(tw.size(), best_last + gl - 1) - best_first);
  merge_ranges(out.th);
  return out;
}

}  // namespace dupscan::report::detail::contam
