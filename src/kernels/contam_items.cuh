// The contam probe's per-item maths (contam_probe.hpp) as DUPSCAN_HD functors over flat arrays:
// one training word (its candidates), one near shingle (its value and filter bit), one window
// (its place, its filter verdict, its OPH sketch), one window band (its key). The GPU runs each
// item in a thread; the cuda-host build runs the same functors in a loop. Nothing here depends on
// the order in which items run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dupscan/contam_probe.hpp"
#include "sketch_items.cuh"

namespace dupscan::kernels::contam {

/// The exact-match tables on the device.
struct SeedTables {
  const std::uint64_t* filter;   ///< 2^bits bits
  std::uint32_t shift;           ///< 64 - bits
  std::uint32_t m;               ///< seed length
  const std::uint32_t* lengths;  ///< ascending
  std::uint32_t nlengths;
  const std::uint64_t* hashes;  ///< ascending, distinct
  std::uint64_t nhashes;
};

/// The group of hash h in the ascending `hashes` (binary search), or -1.
DUPSCAN_HD inline std::int64_t find_group(const std::uint64_t* hashes, std::uint64_t n,
                                          std::uint64_t h) {
  std::uint64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (hashes[mid] < h) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && hashes[lo] == h ? static_cast<std::int64_t>(lo) : -1;
}

/**
 * The candidates of one training word (global word u of the batch, in document `doc` whose words
 * are [doc_unit[doc], doc_unit[doc + 1])): contam_probe.hpp's steps 1-2. With out == nullptr it
 * only counts them; else it writes them from out[0] on. Returns their number.
 */
DUPSCAN_HD inline std::uint32_t word_candidates(const SeedTables& t, const std::uint64_t* uh,
                                                const std::uint32_t* doc_unit, std::uint32_t doc,
                                                std::uint32_t u, ProbeCandidate* out) {
  const std::uint32_t first = doc_unit[doc], words = doc_unit[doc + 1] - first;
  const std::uint32_t i = u - first;
  if (t.m == 0 || i + t.m > words) return 0;
  const std::uint64_t seed = probe::ngram_hash(uh + u, t.m);
  if (!probe::test_bit(t.filter, seed >> t.shift)) return 0;
  std::uint32_t found = 0;
  for (std::uint32_t k = 0; k < t.nlengths; ++k) {
    const std::uint32_t len = t.lengths[k];
    if (i + len > words) break;
    const std::int64_t g = find_group(t.hashes, t.nhashes, probe::ngram_hash(uh + u, len));
    if (g < 0) continue;
    if (out) out[found] = ProbeCandidate{doc, i, len, static_cast<std::uint32_t>(g)};
    ++found;
  }
  return found;
}

/// Per word: its candidate count. Run over a bound on the words plus one: the items at and past
/// the device-side number of words (*units) write 0 (the last one for the scan's total).
struct CountCandidates {
  SeedTables t;
  const std::uint64_t* uh;
  const std::uint32_t* doc_unit;
  const std::uint32_t* unit_doc;
  const std::uint32_t* units;  ///< device-side count
  std::uint32_t* count;
  DUPSCAN_HD void operator()(std::size_t u) const {
    count[u] = u >= *units ? 0
                           : word_candidates(t, uh, doc_unit, unit_doc[u],
                                             static_cast<std::uint32_t>(u), nullptr);
  }
};

/// Per word: its candidates at their place (offset: the exclusive scan of CountCandidates). Only
/// the words whose candidates all fit below `cap` (the buffer's size) write: a batch with more
/// candidates than that is found out from the total and run again with a larger buffer.
struct WriteCandidates {
  SeedTables t;
  const std::uint64_t* uh;
  const std::uint32_t* doc_unit;
  const std::uint32_t* unit_doc;
  const std::uint32_t* offset;
  std::size_t cap;
  ProbeCandidate* out;
  DUPSCAN_HD void operator()(std::size_t u) const {
    if (offset[u + 1] == offset[u] || offset[u + 1] > cap) return;
    word_candidates(t, uh, doc_unit, unit_doc[u], static_cast<std::uint32_t>(u), out + offset[u]);
  }
};

/// Per document (and one more item that writes 0): its near shingles.
struct CountNearValues {
  const std::uint32_t* doc_unit;
  std::size_t docs;
  std::uint32_t n;
  std::uint32_t* count;
  DUPSCAN_HD void operator()(std::size_t d) const {
    count[d] = d == docs ? 0 : probe::near_values(doc_unit[d + 1] - doc_unit[d], n);
  }
};

/// Per near shingle g: its value (fast_sketch.hpp step 2 over the words' unit hashes) and whether
/// the filter has it. Run over a bound on the values plus one: the items at and past the
/// device-side total write 0 (for the scan).
struct NearValue {
  const std::uint64_t* uh;
  const std::uint32_t* doc_unit;
  const std::uint32_t* value_off;  ///< per document: its first value
  const std::uint32_t* value_doc;  ///< per value: its document
  std::uint32_t n;
  const std::uint32_t* total;  ///< device-side count (value_off[documents])
  const std::uint64_t* filter;
  std::uint32_t shift;
  std::uint64_t* value;
  std::uint32_t* hit;
  DUPSCAN_HD void operator()(std::size_t g) const {
    if (g >= *total) {
      hit[g] = 0;
      return;
    }
    const std::uint32_t d = value_doc[g];
    const std::uint32_t u0 = doc_unit[d], words = doc_unit[d + 1] - u0;
    const std::uint32_t j = static_cast<std::uint32_t>(g) - value_off[d];
    const std::uint32_t m = words < n ? words : n;
    std::uint64_t s = 0;
    for (std::uint32_t k = 0; k < m; ++k)
      s = s * fast::kBase + uh[u0 + j + k];
    const std::uint64_t v = fast::fmix64(s);
    value[g] = v;
    hit[g] = probe::test_bit(filter, v >> shift) ? 1u : 0u;
  }
};

/// Per (document, class) pair p = d * classes + c (and one more item writing 0): its windows.
struct CountWindows {
  const std::uint32_t* doc_unit;
  const std::uint32_t* windows;
  std::uint32_t classes;
  std::size_t pairs;
  std::uint32_t* count;
  DUPSCAN_HD void operator()(std::size_t p) const {
    if (p == pairs) {
      count[p] = 0;
      return;
    }
    const std::size_t d = p / classes;
    const std::uint32_t words = doc_unit[d + 1] - doc_unit[d];
    count[p] = words == 0 ? 0 : probe::near_window_count(words, windows[p % classes]);
  }
};

/// Where window w (of all the batch's windows, in (document, class, start) order) is.
struct WindowPlace {
  std::uint32_t doc, cls, first, last;
};

DUPSCAN_HD inline WindowPlace window_place(const std::uint32_t* pair_off,
                                           const std::uint32_t* pair_of,
                                           const std::uint32_t* doc_unit,
                                           const std::uint32_t* windows, std::uint32_t classes,
                                           std::uint32_t n, std::uint32_t w) {
  const std::uint32_t p = pair_of[w];
  WindowPlace wp;
  wp.doc = p / classes;
  wp.cls = p % classes;
  const std::uint32_t words = doc_unit[wp.doc + 1] - doc_unit[wp.doc];
  probe::near_window(words, probe::near_values(words, n), n, windows[wp.cls], w - pair_off[p],
                     wp.first, wp.last);
  return wp;
}

/// Per window: whether it passes the filter (run over a bound: none at or past the device-side
/// number of windows, *all, passes).
struct WindowPasses {
  const std::uint32_t* pair_off;
  const std::uint32_t* pair_of;
  const std::uint32_t* doc_unit;
  const std::uint32_t* windows;
  std::uint32_t classes, n;
  const std::uint32_t* value_off;
  const std::uint32_t* hit_before;  ///< exclusive scan of NearValue's hits
  double threshold;
  const std::uint32_t* all;  ///< device-side count (pair_off[pairs])
  DUPSCAN_HD bool operator()(std::uint32_t w) const {
    if (w >= *all) return false;
    const WindowPlace wp = window_place(pair_off, pair_of, doc_unit, windows, classes, n, w);
    const std::uint32_t base = value_off[wp.doc];
    return probe::near_window_passes(hit_before[base + wp.last] - hit_before[base + wp.first],
                                     wp.last - wp.first, threshold);
  }
};

/// Per passing window: its place, and its OPH signature (fast_sketch.hpp steps 3-4) into sig. Run
/// over a bound on the passing windows: the items at and past the device-side count exit.
struct SketchWindow {
  const std::uint32_t* passing;  ///< window numbers
  const std::uint32_t* count;    ///< device-side number of passing windows
  const std::uint32_t* pair_off;
  const std::uint32_t* pair_of;
  const std::uint32_t* doc_unit;
  const std::uint32_t* windows;
  std::uint32_t classes, n;
  const std::uint32_t* value_off;
  const std::uint64_t* value;
  std::uint32_t k;
  std::uint64_t* bins;  ///< scratch of the one-thread items: k per window (null for the teams')
  std::uint32_t* sig;   ///< k per window
  ProbeWindow* out;
  DUPSCAN_HD void operator()(std::size_t i) const {
    if (i >= *count) return;
    sketch(SoloTeam{}, i, bins + i * k);
  }

  /// Window i sketched by a team (one thread on the host, a warp on the GPU) with its bins in
  /// `b` (k values: the warp's shared memory on the GPU): the values' minima per bin, then each
  /// bin densified (kernels::densify_bin; a window has values, so a bin is filled).
  template <class Team>
  DUPSCAN_HD void sketch(const Team& team, std::size_t i, std::uint64_t* b) const {
    const WindowPlace wp =
        window_place(pair_off, pair_of, doc_unit, windows, classes, n, passing[i]);
    if (team.rank() == 0) out[i] = ProbeWindow{wp.doc, wp.cls, wp.first, wp.last};
    for (std::uint32_t j = team.rank(); j < k; j += team.size())
      b[j] = ~std::uint64_t{0};
    team.sync();
    const std::uint64_t* v = value + value_off[wp.doc];
    for (std::uint32_t j = wp.first + team.rank(); j < wp.last; j += team.size())
      team.atomic_min(b + fast::oph_bin(v[j], k), v[j] & 0xFFFFFFFFu);
    team.sync();
    const bool any = wp.last > wp.first;
    for (std::uint32_t j = team.rank(); j < k; j += team.size())
      sig[i * k + j] = any ? kernels::densify_bin(b, k, j) : spec::max_hash;
  }
};

/// Per (passing window, band): its key (run over a bound: the windows at and past the
/// device-side count exit).
struct WindowBandKey {
  const std::uint32_t* sig;
  const std::uint32_t* count;  ///< device-side number of passing windows
  std::uint32_t k, bands, rows;
  std::uint64_t* keys;
  DUPSCAN_HD void operator()(std::size_t i) const {
    const std::size_t w = i / bands;
    if (w >= *count) return;
    const auto j = static_cast<std::uint32_t>(i % bands);
    keys[i] = spec::band_key(sig + w * k + std::size_t{j} * rows, rows, j);
  }
};

}  // namespace dupscan::kernels::contam
