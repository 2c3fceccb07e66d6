#include "contam/findings.hpp"

#include <algorithm>

namespace dupscan::contam {

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
    const NgramEntry& en = index_.entry(h.entry);
    ExampleFindings& ex = examples_[en.example];
    ex.dirty = true;
    const std::uint32_t len = index_.length(en.example);
    std::fill(ex.covered.begin() + en.pos, ex.covered.begin() + en.pos + len, 1);
    if (ex.matches.size() < cfg_.max_matches) {
      ex.matches.push_back({d.doc, h.raw_begin, en.pos, len});
    } else {
      ++ex.more_matches;
    }
    if (group_seen_[h.group] != d.doc) {
      group_seen_[h.group] = d.doc;
      ++group_docs_[h.group];
    }
    ++matches;
  }
  for (const NearHit& n : d.near) {
    ExampleFindings& ex = examples_[n.example];
    if (ex.near.size() < cfg_.max_matches) ex.near.push_back({d.doc, n.jaccard});
  }
  if (keep_dirty_ && !d.hits.empty()) dirty_.push_back({d.doc, std::move(d.hits)});
}

}  // namespace dupscan::contam
