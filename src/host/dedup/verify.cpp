#include "dedup/verify.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "common/parallel.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/normalize.hpp"
#include "io/record.hpp"

namespace dupscan {

void fetch_sets(const DocumentInputs& inputs, const std::vector<Locator>& loc,
                const std::vector<std::uint32_t>& docs, const ReadSpec& read,
                const NormalizeOptions& normalization, Sketcher& backend, unsigned threads,
                const SetsConsumer& consume) {
  fetch_documents(inputs, loc, docs, kRefetchBytes, [&](DocBatch& batch) {
    check_interrupt();
    const std::size_t m = batch.docs.size();
    // Ranges of records, each parsed, normalized and sketched by one task: about the backend's
    // batch, and at least four per thread so that threads stay busy on a small batch.
    std::uint64_t bytes = 0;
    for (std::uint32_t d : batch.docs)
      bytes += loc[d].length;
    const std::uint64_t share = bytes / (4 * std::max(threads, 1u)) + 1;
    const std::uint64_t range_bytes = std::min<std::uint64_t>(backend.batch_bytes(), share);
    std::vector<std::size_t> range_begin{0};
    for (std::size_t i = 0, acc = 0; i < m; ++i) {
      acc += loc[batch.docs[i]].length;
      if (acc >= range_bytes && i + 1 < m) {
        range_begin.push_back(i + 1);
        acc = 0;
      }
    }
    range_begin.push_back(m);
    std::vector<FlatSets> sets(range_begin.size() - 1);
    parallel_for(sets.size(), threads, 1, [&](std::size_t r) {
      thread_local DocReader reader("", "", InputFormat::jsonl);
      reader.parser.set_fields(read.text_field, read.id_field, read.format);
      thread_local NormalizedBatch nb;  // in the backend's memory, as pass 1's
      nb.clear();
      nb.text.use(backend.text_memory());
      std::uint64_t blank = 0;
      std::size_t got = 0;
      for_each_document(
          batch, range_begin[r], range_begin[r + 1], batch.input, reader, blank,
          [&](const Locator&, std::string_view text, std::string&) {
            nb.normalize_pending(text, normalization);
            nb.add_pending(true);
            ++got;
          },
          [&](const BadRecord& b) {
            const Locator& l = loc[batch.docs[range_begin[r] + got]];
            throw Error("input '" + inputs[l.input]->display() +
                        "' changed while dupscan was running (" + (b.row ? "row " : "line ") +
                        std::to_string(l.line) + " no longer parses)");
          });
      if (blank != 0 || got != range_begin[r + 1] - range_begin[r]) {
        const Locator& l = loc[batch.docs[range_begin[r]]];
        throw Error("input '" + inputs[l.input]->display() +
                    "' changed while dupscan was running; run again on a stable copy");
      }
      backend.verification_sets(nb, sets[r]);
    });
    FlatSets all;
    for (const FlatSets& s : sets) {
      const std::uint64_t base = all.values.size();
      all.values.insert(all.values.end(), s.values.begin(), s.values.end());
      for (std::size_t d = 1; d < s.offsets.size(); ++d)
        all.offsets.push_back(base + s.offsets[d]);
    }
    consume(batch.docs, all);
  });
}

void fetch_sets(const DocumentInputs& inputs, const std::vector<Locator>& loc,
                const DocSpill* spill, const std::vector<std::uint32_t>& docs, const ReadSpec& read,
                const NormalizeOptions& normalization, Sketcher& backend, unsigned threads,
                const SetsConsumer& consume) {
  if (!spill || !spill->spilled()) {
    fetch_sets(inputs, loc, docs, read, normalization, backend, threads, consume);
    return;
  }
  // The Locators of these documents only, read back in order; row i is docs[i].
  const std::vector<Locator> rows_loc = spill->locators_of(docs);
  std::vector<std::uint32_t> rows(docs.size()), got;
  std::iota(rows.begin(), rows.end(), 0u);
  fetch_sets(inputs, rows_loc, rows, read, normalization, backend, threads,
             [&](const std::vector<std::uint32_t>& batch, const FlatSets& sets) {
               got.clear();
               for (std::uint32_t r : batch)
                 got.push_back(docs[r]);
               consume(got, sets);
             });
}

std::vector<double> jaccard_of_pairs(
    const std::vector<std::uint64_t>& pairs, unsigned threads,
    const std::function<void(const std::vector<std::uint32_t>&, const SetsConsumer&)>& fetch,
    const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  std::vector<double> result(pairs.size(), 0.0);
  if (pairs.empty()) return result;
  // Pairs grouped by v, and the last partner of every u.
  std::vector<std::size_t> by_v(pairs.size());
  std::iota(by_v.begin(), by_v.end(), std::size_t{0});
  std::sort(by_v.begin(), by_v.end(), [&](std::size_t a, std::size_t b) {
    const auto va = static_cast<std::uint32_t>(pairs[a]);
    const auto vb = static_cast<std::uint32_t>(pairs[b]);
    return va != vb ? va < vb : a < b;
  });
  std::unordered_map<std::uint32_t, std::uint32_t> last_partner;
  std::vector<std::uint32_t> needed;
  needed.reserve(pairs.size() * 2);
  for (std::uint64_t p : pairs) {
    const auto u = static_cast<std::uint32_t>(p >> 32), v = static_cast<std::uint32_t>(p);
    auto& lp = last_partner[u];
    lp = std::max(lp, v);
    needed.push_back(u);
    needed.push_back(v);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());

  std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> kept_sets;
  std::size_t next_pair = 0;  // index into by_v
  std::uint64_t visited = 0;
  fetch(needed, [&](const std::vector<std::uint32_t>& docs, const FlatSets& sets) {
    const std::size_t m = docs.size();
    std::unordered_map<std::uint32_t, std::size_t> in_batch;
    for (std::size_t i = 0; i < m; ++i)
      in_batch.emplace(docs[i], i);
    struct Range {
      const std::uint64_t* p;
      std::size_t n;
    };
    auto set_of = [&](std::uint32_t d) -> Range {
      auto b = in_batch.find(d);
      if (b != in_batch.end()) {
        return {sets.values.data() + sets.offsets[b->second],
                static_cast<std::size_t>(sets.offsets[b->second + 1] - sets.offsets[b->second])};
      }
      const std::vector<std::uint64_t>& s = kept_sets.at(d);
      return {s.data(), s.size()};
    };
    const std::uint32_t last_doc = docs.back();
    std::size_t end_pair = next_pair;
    while (end_pair < by_v.size() &&
           static_cast<std::uint32_t>(pairs[by_v[end_pair]]) <= last_doc) {
      ++end_pair;
    }
    parallel_for(end_pair - next_pair, threads, 64, [&](std::size_t i) {
      const std::size_t pi = by_v[next_pair + i];
      const Range a = set_of(static_cast<std::uint32_t>(pairs[pi] >> 32));
      const Range b = set_of(static_cast<std::uint32_t>(pairs[pi]));
      result[pi] = jaccard(a.p, a.n, b.p, b.n);
    });
    next_pair = end_pair;
    // Keep the sets still needed by later partners; drop those whose last partner is done.
    for (auto it = kept_sets.begin(); it != kept_sets.end();) {
      it = last_partner[it->first] <= last_doc ? kept_sets.erase(it) : std::next(it);
    }
    for (std::size_t i = 0; i < m; ++i) {
      auto lp = last_partner.find(docs[i]);
      if (lp != last_partner.end() && lp->second > last_doc) {
        kept_sets.emplace(docs[i],
                          std::vector<std::uint64_t>(sets.values.begin() + sets.offsets[i],
                                                     sets.values.begin() + sets.offsets[i + 1]));
      }
    }
    visited += m;
    if (progress) progress(visited, needed.size());
  });
  return result;
}

}  // namespace dupscan
