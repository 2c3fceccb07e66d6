/**
 * @file contam_probe.hpp
 * @brief The part of `dupscan contam` (contam.hpp) that runs over every training document, as a
 * stage a backend can take over: the probe.
 *
 * The host reads, parses and Janitor-normalizes the training stream into a ProbeBatch; the probe
 * finds in it
 *  - candidate n-gram matches: every (document, word, n-gram length) whose n-gram hash is one of
 *    the benchmarks' -- the host then compares the words themselves (a hash only proposes);
 *  - near-duplicate windows: the training windows whose word 5-grams are similar enough to the
 *    benchmarks' (the filter below), with their OPH sketch's band keys -- the host looks the keys
 *    up among the examples' and computes the exact Jaccard of the candidates.
 * Every backend gives the same ProbeResult, bit for bit (tests/test_contam_backend.cpp); the CPU
 * probe (make_cpu_contam_probe) is the reference and the default of Backend::contam_probe.
 *
 * ## Specification
 *
 * Words: those of the Janitor normalization (contam.hpp), document d's words joined by single
 * spaces; a word's unit hash u is fast_sketch.hpp step 1.
 *
 * Candidates. For the word at position i of a document of W words, with m = seed_len:
 *  1. seed: s = ngram_hash(u_i .. u_{i+m-1}) (skipped when i + m > W); when bit s >> (64 -
 *     seed_bits) of seed_filter is clear, position i has no candidate;
 *  2. for every L of `lengths` in ascending order with i + L <= W: h = ngram_hash(u_i ..
 *     u_{i+L-1}); when h = hashes[g] for some g, (d, i, L, g) is a candidate.
 * Candidates come in ascending (d, i, L).
 *
 * Near-duplicate windows (only when `windows` is not empty). The document's word 5-gram values
 * v_0 .. v_{S-1} are fast_sketch.hpp step 2 (S = W - 4, or 1 when 0 < W < 5, or 0); f_j = 1 when
 * bit v_j >> (64 - near_bits) of near_filter is set. For every length class c (ascending) of
 * window length C = windows[c], windows start at a = 0, C/2, 2(C/2), ... up to and including the
 * first a with a + C >= W (near_window_count); window a covers values [first, last) (near_window).
 * It passes when sum f_j over [first, last) >= near_threshold * (last - first), and then gets the
 * near_k-bin OPH signature of those values (fast_sketch.hpp steps 3-4) and its near_lsh band keys
 * (spec.hpp step 6). Passing windows come in ascending (d, c, a).
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/minhash.hpp"

namespace dupscan {

namespace probe {

/// fast_sketch.hpp step 2 over n unit hashes: fmix64(sum_k u_k * B^(n-1-k)).
DUPSCAN_HD inline std::uint64_t ngram_hash(const std::uint64_t* u, std::uint32_t n) {
  std::uint64_t s = 0;
  for (std::uint32_t k = 0; k < n; ++k)
    s = s * fast::kBase + u[k];
  return fast::fmix64(s);
}

/// Bit `bit` of a bitset of 64-bit words.
DUPSCAN_HD inline bool test_bit(const std::uint64_t* bits, std::uint64_t bit) {
  return (bits[bit >> 6] >> (bit & 63)) & 1;
}

/// Word 5-gram values (near shingles) of a document of `words` words.
DUPSCAN_HD inline std::uint32_t near_values(std::uint32_t words, std::uint32_t n) {
  return words == 0 ? 0 : (words < n ? 1 : words - n + 1);
}

/// Windows of length `len` (words) over a document of `words` > 0 words: a = 0, step, 2 step, ...
/// up to the first a with a + len >= words (step = len / 2).
DUPSCAN_HD inline std::uint32_t near_window_count(std::uint32_t words, std::uint32_t len) {
  if (words <= len) return 1;
  const std::uint32_t step = len / 2;
  return 1 + (words - len + step - 1) / step;
}

/// Values [first, last) of window k (start a = k * (len / 2)) of a document of `words` > 0 words
/// and `values` = near_values(words, n) values: the n-grams inside words [a, a + len), or the one
/// value of a document shorter than n words.
DUPSCAN_HD inline void near_window(std::uint32_t words, std::uint32_t values, std::uint32_t n,
                                   std::uint32_t len, std::uint32_t k, std::uint32_t& first,
                                   std::uint32_t& last) {
  const std::uint32_t a = k * (len / 2);
  first = a < values - 1 ? a : values - 1;
  if (words < n) {
    last = values;
  } else {
    const std::uint64_t end = std::uint64_t{a} + len - n + 1;
    last = end < values ? static_cast<std::uint32_t>(end) : values;
  }
}

/// The filter's verdict on a window of `count` values of which `hits` are in the filter.
DUPSCAN_HD inline bool near_window_passes(std::uint32_t hits, std::uint32_t count,
                                          double threshold) {
  return !(hits < threshold * static_cast<double>(count));
}

}  // namespace probe

/// Janitor-normalized training documents back to back (docs: document d is its words joined by
/// single spaces), with where each word starts.
struct ProbeBatch {
  NormalizedBatch docs;
  std::vector<std::uint32_t> word_start;   ///< first byte of every word in docs.text, in order
  std::vector<std::uint64_t> doc_word{0};  ///< document d: words [doc_word[d], doc_word[d + 1])

  std::size_t size() const { return docs.size(); }
  std::size_t words(std::size_t d) const { return doc_word[d + 1] - doc_word[d]; }
  /// Words [i, i + n) of document d, with their separating spaces.
  std::string_view span(std::size_t d, std::size_t i, std::size_t n) const {
    const std::size_t w = doc_word[d] + i;
    const std::size_t begin = word_start[w];
    const std::size_t end = i + n < words(d) ? word_start[w + n] - 1 : docs.offsets[d + 1];
    return std::string_view(docs.text).substr(begin, end - begin);
  }
  void clear() {
    docs.clear();
    word_start.clear();
    doc_word.assign(1, 0);
  }
};

/// What the probe looks for, built once from the benchmarks (contam/ngram_index.hpp and
/// contam/near_index.hpp); the specification above says how each field is used.
struct ProbeTables {
  // Exact n-grams.
  std::uint32_t seed_len = 0;              ///< m (--min-ngram)
  std::uint32_t seed_bits = 16;            ///< seed_filter holds 2^seed_bits bits
  std::vector<std::uint64_t> seed_filter;  ///< the first m words of every benchmark n-gram
  std::vector<std::uint32_t> lengths;      ///< the benchmarks' n-gram lengths, ascending
  std::vector<std::uint64_t> hashes;       ///< distinct n-gram hashes, ascending (groups)
  // Near duplicates.
  std::vector<std::uint32_t> windows;      ///< window lengths (words), ascending; empty: none
  std::uint32_t near_n = 5;                ///< words per near shingle
  std::uint32_t near_k = 64;               ///< OPH bins
  LshParams near_lsh;                      ///< bands x rows <= near_k
  std::uint32_t near_bits = 16;            ///< near_filter holds 2^near_bits bits
  std::vector<std::uint64_t> near_filter;  ///< every benchmark word 5-gram value
  double near_threshold = 0.5;
};

/// A candidate n-gram match: words [word, word + len) of document doc hash to hashes[group].
struct ProbeCandidate {
  std::uint32_t doc, word, len, group;
  bool operator==(const ProbeCandidate& o) const {
    return doc == o.doc && word == o.word && len == o.len && group == o.group;
  }
};

/// A near-duplicate window that passed the filter: values [first, last) of document doc, of the
/// length class windows[window_class].
struct ProbeWindow {
  std::uint32_t doc, window_class, first, last;
  bool operator==(const ProbeWindow& o) const {
    return doc == o.doc && window_class == o.window_class && first == o.first && last == o.last;
  }
};

/// What the probe found in a batch.
struct ProbeResult {
  std::vector<ProbeCandidate> candidates;  ///< ascending (doc, word, len)
  std::vector<ProbeWindow> windows;        ///< ascending (doc, window_class, first)
  std::vector<std::uint64_t> window_keys;  ///< near_lsh.bands keys per window, window-major
};

/**
 * The probe of one run, made by Backend::contam_probe. As Backend::submit: several threads may
 * submit at once; `batch` and `out` stay alive and untouched until wait() returns.
 */
class ContamProbe {
 public:
  using Ticket = std::uint64_t;
  virtual ~ContamProbe() = default;
  virtual Ticket submit(const ProbeBatch& batch, ProbeResult& out) = 0;
  /// Waits for a submitted batch; rethrows what went wrong with it.
  virtual void wait(Ticket ticket) = 0;
  /// Normalized bytes per batch the probe works best with.
  virtual std::size_t batch_bytes() const = 0;
  /// Memory to build batches in (Sketcher::text_memory()): a device's pinned arenas; null on the
  /// CPU.
  virtual std::shared_ptr<TextMemory> text_memory() { return nullptr; }
  void probe(const ProbeBatch& batch, ProbeResult& out) { wait(submit(batch, out)); }
};

/// The reference probe: plain C++ on the calling thread (submit() does the work).
std::unique_ptr<ContamProbe> make_cpu_contam_probe(std::shared_ptr<const ProbeTables> tables);

}  // namespace dupscan
