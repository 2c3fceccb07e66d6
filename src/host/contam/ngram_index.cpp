#include "contam/ngram_index.hpp"

#include <algorithm>

#include "dupscan/errors.hpp"
#include "dupscan/fast_sketch.hpp"

namespace dupscan::contam {

void NgramIndex::build(const std::vector<EvalExample>& examples, std::uint32_t n, std::uint32_t m) {
  m_ = m;
  std::vector<std::uint64_t> u;
  // Sizes first: the entries, and the seed filter (the first m words of every entry) behind a
  // bitset sized for ~3% false positives: most training positions stop at one bit test that
  // stays in cache.
  std::size_t count = 0;
  len_.assign(examples.size(), 0);
  for (std::uint32_t e = 0; e < examples.size(); ++e) {
    const std::size_t w = examples[e].words.size();
    if (!examples[e].judged) continue;
    len_[e] = static_cast<std::uint32_t>(std::min<std::size_t>(w, n));
    count += w - len_[e] + 1;
  }
  if (count >= UINT32_MAX) {
    throw Error("the benchmarks hold more than 4294967294 n-grams; check fewer at a time");
  }
  struct Keyed {
    std::uint64_t hash;
    NgramEntry entry;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(count);
  bits_ = 16;
  while ((std::size_t{1} << bits_) < 32 * std::max<std::size_t>(count, 1))
    ++bits_;
  filter_.assign((std::size_t{1} << bits_) / 64, 0);
  for (std::uint32_t e = 0; e < examples.size(); ++e) {
    const EvalExample& ex = examples[e];
    if (!ex.judged) continue;
    const std::size_t w = ex.words.size();
    u.resize(w);
    word_hashes(ex.words.text, ex.words.start.data(), w, u.data());
    const std::uint32_t len = len_[e];
    for (std::uint32_t pos = 0; pos + len <= w; ++pos) {
      keyed.push_back({probe::ngram_hash(u.data() + pos, len), {e, pos}});
      const std::uint64_t b = probe::ngram_hash(u.data() + pos, m) >> (64 - bits_);
      filter_[b >> 6] |= std::uint64_t{1} << (b & 63);
    }
    lengths_.push_back(len);
  }
  std::sort(lengths_.begin(), lengths_.end());
  lengths_.erase(std::unique(lengths_.begin(), lengths_.end()), lengths_.end());
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    return a.entry.example != b.entry.example ? a.entry.example < b.entry.example
                                              : a.entry.pos < b.entry.pos;
  });
  // Distinct hashes: groups, each a range of entries.
  entries_.reserve(keyed.size());
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    if (i == 0 || keyed[i].hash != keyed[i - 1].hash) {
      group_begin_.push_back(static_cast<std::uint32_t>(i));
      hashes_.push_back(keyed[i].hash);
    }
    entries_.push_back(keyed[i].entry);
  }
  group_begin_.push_back(static_cast<std::uint32_t>(entries_.size()));
}

void NgramIndex::fill_tables(ProbeTables& t) {
  t.seed_len = m_;
  t.seed_bits = bits_;
  t.seed_filter = std::move(filter_);
  t.lengths = lengths_;
  t.hashes = std::move(hashes_);
  filter_.clear();
  hashes_.clear();
}

void NgramIndex::confirm(const ProbeBatch& batch, const std::uint32_t* raw_begin,
                         const std::uint32_t* raw_end, const std::vector<EvalExample>& examples,
                         const ProbeCandidate* candidates, std::size_t count,
                         std::vector<Hit>& hits, std::uint64_t& rejected) const {
  for (std::size_t c = 0; c < count; ++c) {
    const ProbeCandidate& k = candidates[c];
    const std::size_t w = batch.doc_word[k.doc] + k.word;
    for (std::uint32_t e = group_begin_[k.group]; e < group_begin_[k.group + 1]; ++e) {
      const NgramEntry& en = entries_[e];
      if (len_[en.example] != k.len) continue;
      if (batch.span(k.doc, k.word, k.len) != examples[en.example].words.span(en.pos, k.len)) {
        ++rejected;  // equal hashes, different words
        continue;
      }
      hits.push_back({e, k.group, k.word, raw_begin[w], raw_end[w + k.len - 1]});
    }
  }
}

}  // namespace dupscan::contam
