#include "contam/near_index.hpp"

#include <algorithm>

#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/minhash.hpp"

namespace dupscan::contam {

SketchParams near_sketch_params(double threshold) {
  SketchParams params;
  params.kind = SketchKind::fast;
  params.shingle = kNearShingle;
  params.perms = make_permutations(kNearK, 1);
  params.lsh = optimal_lsh_params(threshold, kNearK);
  return params;
}

std::uint32_t NearIndex::window_words(std::size_t words) {
  std::uint32_t l = 16;
  while (l < words)
    l <<= 1;
  return l;
}

void NearIndex::build(const std::vector<EvalExample>& examples, double threshold) {
  threshold_ = threshold;
  lsh_ = near_sketch_params(threshold).lsh;
  sets_.resize(examples.size());
  std::vector<std::uint64_t> near_values;
  std::vector<std::uint64_t> values;
  std::vector<std::uint32_t> sig(kNearK);
  std::vector<std::uint64_t> keys(lsh_.bands);
  for (std::uint32_t e = 0; e < examples.size(); ++e) {
    const EvalExample& ex = examples[e];
    if (!ex.judged) continue;
    fast_shingle_values(ex.words.text, kNearShingle, values);
    oph_signature(values.data(), values.size(), kNearK, sig.data());
    band_keys(sig.data(), lsh_, keys.data());
    const std::uint32_t len = window_words(ex.words.size());
    auto c = std::find_if(classes_.begin(), classes_.end(),
                          [&](const Class& nc) { return nc.words == len; });
    if (c == classes_.end()) c = classes_.insert(classes_.end(), {len, {}});
    for (std::uint64_t k : keys)
      c->by_key[k].push_back(e);
    for (std::uint64_t v : values)
      near_values.push_back(v);
    sets_[e] = values;
    std::sort(sets_[e].begin(), sets_[e].end());
    sets_[e].erase(std::unique(sets_[e].begin(), sets_[e].end()), sets_[e].end());
  }
  std::sort(classes_.begin(), classes_.end(),
            [](const Class& a, const Class& b) { return a.words < b.words; });
  // Every benchmark shingle behind a bitset (~3% false positives), to skip windows early.
  bits_ = 16;
  while ((std::size_t{1} << bits_) < 32 * std::max<std::size_t>(near_values.size(), 1))
    ++bits_;
  filter_.assign((std::size_t{1} << bits_) / 64, 0);
  for (std::uint64_t v : near_values) {
    const std::uint64_t b = v >> (64 - bits_);
    filter_[b >> 6] |= std::uint64_t{1} << (b & 63);
  }
}

void NearIndex::fill_tables(ProbeTables& t) {
  t.windows.clear();
  for (const Class& c : classes_)
    t.windows.push_back(c.words);
  t.near_n = kNearShingle.n;
  t.near_k = kNearK;
  t.near_lsh = lsh_;
  t.near_bits = bits_;
  t.near_filter = std::move(filter_);
  filter_.clear();
  t.near_threshold = threshold_;
}

void NearIndex::match(std::string_view text, const ProbeWindow* windows, const std::uint64_t* keys,
                      std::size_t count, std::vector<NearHit>& out) const {
  out.clear();
  if (count == 0) return;
  thread_local std::vector<std::uint64_t> values, window;
  thread_local std::vector<std::uint32_t> seen;
  bool have_values = false;
  for (std::size_t i = 0; i < count; ++i) {
    const ProbeWindow& w = windows[i];
    const Class& c = classes_[w.window_class];
    seen.clear();
    for (std::uint32_t j = 0; j < lsh_.bands; ++j) {
      const auto it = c.by_key.find(keys[i * lsh_.bands + j]);
      if (it != c.by_key.end()) seen.insert(seen.end(), it->second.begin(), it->second.end());
    }
    if (seen.empty()) continue;
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    if (!have_values) {
      fast_shingle_values(text, kNearShingle, values);
      have_values = true;
    }
    window.assign(values.begin() + w.first, values.begin() + w.last);
    std::sort(window.begin(), window.end());
    window.erase(std::unique(window.begin(), window.end()), window.end());
    for (std::uint32_t e : seen) {
      const double j = jaccard(window, sets_[e]);
      if (j < threshold_) continue;
      auto hit =
          std::find_if(out.begin(), out.end(), [&](const NearHit& h) { return h.example == e; });
      if (hit == out.end()) {
        out.push_back({e, j});
      } else {
        hit->jaccard = std::max(hit->jaccard, j);
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const NearHit& x, const NearHit& y) { return x.example < y.example; });
}

}  // namespace dupscan::contam
