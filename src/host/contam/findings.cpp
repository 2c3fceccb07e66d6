#include "contam/findings.hpp"

#include <algorithm>
#include <numeric>
#include <set>

#include "common/pack.hpp"

namespace dupscan::contam {

void runs_of_hits(const std::vector<Hit>& hits, const NgramIndex& index,
                  const std::uint32_t* raw_begin, std::vector<Span>& runs) {
  runs.clear();
  if (hits.empty()) return;
  // By example, then alignment (training word - example word), then example word.
  std::vector<std::uint32_t> order(hits.size());
  std::iota(order.begin(), order.end(), 0u);
  auto key = [&](std::uint32_t h) {
    const NgramEntry& en = index.entry(hits[h].entry);
    return std::make_tuple(
        en.example, static_cast<std::int64_t>(hits[h].word) - static_cast<std::int64_t>(en.pos),
        en.pos);
  };
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); });
  for (std::size_t k = 0; k < order.size();) {
    const Hit& first = hits[order[k]];
    const NgramEntry& en = index.entry(first.entry);
    std::size_t j = k + 1;
    std::uint32_t last = en.pos;
    while (j < order.size()) {
      const Hit& h = hits[order[j]];
      const NgramEntry& e2 = index.entry(h.entry);
      if (e2.example != en.example || e2.pos != last + 1 ||
          static_cast<std::int64_t>(h.word) - e2.pos !=
              static_cast<std::int64_t>(first.word) - en.pos) {
        break;
      }
      last = e2.pos;
      ++j;
    }
    Span r;
    r.example = en.example;
    r.ngram_len = index.length(en.example);
    r.first_ngram = en.pos;
    r.last_ngram = last;
    r.eval_start = en.pos;
    r.eval_end = last + r.ngram_len;
    r.train_word = first.word;
    r.train_offset.assign(raw_begin + first.word,
                          raw_begin + first.word + (r.eval_end - r.eval_start));
    runs.push_back(std::move(r));
    k = j;
  }
  std::sort(runs.begin(), runs.end(), [](const Span& a, const Span& b) {
    if (a.example != b.example) return a.example < b.example;
    return a.train_word != b.train_word ? a.train_word < b.train_word : a.eval_start < b.eval_start;
  });
}

void ExampleFindings::add_run(const Span& run) {
  for (std::uint32_t w = run.eval_start; w < run.eval_end;) {
    if (covered[w]) {
      ++w;
      continue;
    }
    std::uint32_t end = w;
    while (end < run.eval_end && !covered[end])
      covered[end++] = 1;
    Span s;
    s.example = run.example;
    s.doc = run.doc;
    s.eval_start = w;
    s.eval_end = end;
    s.first_ngram = run.first_ngram;
    s.last_ngram = run.last_ngram;
    s.ngram_len = run.ngram_len;
    s.train_word = run.train_word + (w - run.eval_start);
    s.train_offset.assign(run.train_offset.begin() + (w - run.eval_start),
                          run.train_offset.begin() + (end - run.eval_start));
    spans.push_back(std::move(s));
    w = end;
  }
}

std::uint32_t ExampleFindings::longest_match() const {
  std::uint32_t best = 0, cur = 0;
  for (std::uint8_t c : covered) {
    cur = c ? cur + 1 : 0;
    best = std::max(best, cur);
  }
  return best;
}

std::size_t ExampleFindings::covered_words() const {
  return std::accumulate(covered.begin(), covered.end(), std::size_t{0});
}

Findings::Findings(const ContamConfig& cfg, const Benchmarks& benchmarks, const NgramIndex& index,
                   bool keep_dirty)
    : cfg_(cfg), index_(index), keep_dirty_(keep_dirty) {
  examples_.resize(benchmarks.examples.size());
  for (std::size_t e = 0; e < examples_.size(); ++e) {
    if (benchmarks.examples[e].judged) {
      examples_[e].covered.assign(benchmarks.examples[e].words.size(), 0);
    }
  }
  group_docs_.assign(index.groups(), 0);
  group_seen_.assign(index.groups(), UINT32_MAX);
}

void Findings::add(DocFindings&& d) {
  train_ids_.emplace(d.doc, std::move(d.id_json));
  if (!d.hits.empty()) ++documents_matched;
  for (const Hit& h : d.hits) {
    examples_[index_.entry(h.entry).example].dirty = true;
    if (group_seen_[h.group] != d.doc) {
      group_seen_[h.group] = d.doc;
      ++group_docs_[h.group];
    }
    ++matches;
  }
  for (std::size_t i = 0; i < d.runs.size(); ++i) {
    Span& r = d.runs[i];
    ExampleFindings& ex = examples_[r.example];
    if (i == 0 || d.runs[i - 1].example != r.example) ++ex.train_docs;
    r.doc = d.doc;
    ex.add_run(r);
  }
  for (const NearHit& n : d.near) {
    ExampleFindings& ex = examples_[n.example];
    if (ex.near.size() < cfg_.max_matches) ex.near.push_back({d.doc, n.jaccard});
  }
  if (keep_dirty_ && !d.hits.empty()) dirty_.push_back({d.doc, std::move(d.hits)});
}

std::string Findings::pack() const {
  Packer p;
  std::set<std::uint32_t> named;
  std::uint64_t count = 0;
  for (const ExampleFindings& ex : examples_)
    count += ex.dirty || !ex.near.empty();
  p.put(count);
  for (std::uint32_t e = 0; e < examples_.size(); ++e) {
    const ExampleFindings& ex = examples_[e];
    if (!ex.dirty && ex.near.empty()) continue;
    p.put(e);
    p.put<std::uint8_t>(ex.dirty);
    p.put(ex.train_docs);
    p.put<std::uint64_t>(ex.spans.size());
    for (const Span& s : ex.spans) {
      for (std::uint32_t v : {s.doc, s.eval_start, s.eval_end, s.first_ngram, s.last_ngram,
                              s.ngram_len, s.train_word})
        p.put(v);
      p.put_array(s.train_offset.data(), s.train_offset.size());
      named.insert(s.doc);
    }
    p.put<std::uint64_t>(ex.near.size());
    for (const ExampleFindings::Near& n : ex.near) {
      p.put(n.train_doc);
      p.put(n.jaccard);
      named.insert(n.train_doc);
    }
  }
  p.put<std::uint64_t>(named.size());
  for (std::uint32_t d : named) {
    p.put(d);
    p.put_str(train_ids_.at(d));
  }
  return std::move(p.str());
}

void Findings::merge(const std::string& part, std::uint64_t doc_base) {
  Unpacker u(part);
  const auto count = u.get<std::uint64_t>();
  const auto base = static_cast<std::uint32_t>(doc_base);
  Span s;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto e = u.get<std::uint32_t>();
    if (e >= examples_.size()) throw Error("distributed run: an example out of range");
    ExampleFindings& ex = examples_[e];
    const bool dirty = u.get<std::uint8_t>() != 0;  // read whatever ex.dirty is
    ex.dirty = ex.dirty || dirty;
    ex.train_docs += u.get<std::uint64_t>();
    const auto spans = u.get<std::uint64_t>();
    for (std::uint64_t k = 0; k < spans; ++k) {
      s.example = e;
      for (std::uint32_t* v : {&s.doc, &s.eval_start, &s.eval_end, &s.first_ngram, &s.last_ngram,
                               &s.ngram_len, &s.train_word})
        *v = u.get<std::uint32_t>();
      u.get_array(s.train_offset);
      if (s.eval_end > ex.covered.size() || s.eval_start >= s.eval_end ||
          s.train_offset.size() != s.eval_end - s.eval_start) {
        throw Error("distributed run: a malformed span");
      }
      s.doc += base;
      ex.add_run(s);
    }
    const auto near = u.get<std::uint64_t>();
    for (std::uint64_t k = 0; k < near; ++k) {
      const auto d = u.get<std::uint32_t>();
      const auto j = u.get<double>();
      if (ex.near.size() < cfg_.max_matches) ex.near.push_back({d + base, j});
    }
  }
  const auto named = u.get<std::uint64_t>();
  for (std::uint64_t k = 0; k < named; ++k) {
    const auto d = u.get<std::uint32_t>();
    train_ids_.emplace(d + base, std::string(u.get_str()));
  }
}

std::vector<std::uint8_t> Findings::boilerplate_examples() const {
  std::vector<std::uint8_t> out(examples_.size(), 0);
  for (std::size_t g = 0; g < group_docs_.size() && g < index_.groups(); ++g) {
    if (!cfg_.boilerplate(group_docs_[g])) continue;
    for (std::uint32_t i = index_.group_begin(g); i < index_.group_begin(g + 1); ++i)
      out[index_.entry(i).example] = 1;
  }
  return out;
}

}  // namespace dupscan::contam
