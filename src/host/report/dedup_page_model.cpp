// The dedup page's computing (dedup_page.hpp): the largest groups of exact copies, the documents
// the page shows, and a kept document compared with a removed one.
#include <algorithm>

#include "dupscan/backend.hpp"
#include "dupscan/minhash.hpp"
#include "report/dedup_page.hpp"

namespace dupscan::report::detail::dedup {

void select_exact_groups(const ReportOptions& opt, DedupPageModel& m) {
  const std::vector<std::uint32_t>& exact_in = m.exact_in;
  std::vector<std::uint64_t>& exact_clusters = m.exact_clusters;
  for (std::uint64_t k = 0; k < exact_in.size(); ++k)
    if (exact_in[k]) exact_clusters.push_back(k);
  m.exact_groups = exact_clusters.size();
  m.n_exact = std::min<std::size_t>(opt.exact, exact_clusters.size());
  std::partial_sort(exact_clusters.begin(), exact_clusters.begin() + m.n_exact,
                    exact_clusters.end(), [&](std::uint64_t a, std::uint64_t b) {
                      return exact_in[a] != exact_in[b] ? exact_in[a] > exact_in[b] : a < b;
                    });
  exact_clusters.resize(m.n_exact);
}

void gather_docs(DedupPageModel& m) {
  DocTable& docs = m.docs;
  for (const ShownCluster& s : m.top) {
    docs.add(s.kept);
    for (const Row& r : s.lowest)
      docs.add(r.id);
  }
  for (const auto& [h, r] : m.sample) {
    docs.add(r.dup_of);
    docs.add(r.id);
  }
  for (const std::string& k : m.exact_kept)
    docs.add(k);
}

const MappedText* Mapped::get(std::uint32_t doc) {
  const FoundRecord* r = docs_.record(doc);
  if (!r || r->text.size() > kMaxCompareBytes) return nullptr;
  auto it = cache_.find(doc);
  if (it == cache_.end()) it = cache_.emplace(doc, normalize_mapped(r->text, norm_)).first;
  return &it->second;
}

Comparison Comparer::compare(std::uint32_t kept, std::uint32_t removed) {
  Comparison out;
  const MappedText* a = mapped_.get(kept);
  const MappedText* b = mapped_.get(removed);
  if (!a || !b) return out;
  out.compared = true;
  verification_set(a->norm, cfg_.shingle, cfg_.sketch, set_a_);
  verification_set(b->norm, cfg_.shingle, cfg_.sketch, set_b_);
  out.check = jaccard(set_a_, set_b_);
  if (!a->exact || !b->exact) return out;  // no mapping to the original characters
  out.mapped = true;
  out.shared = shared_shingles(*a, *b, cfg_.shingle);
  return out;
}

}  // namespace dupscan::report::detail::dedup
