// The near-duplicate index (contam.hpp "Near duplicates"): the judged examples' OPH band keys by
// window length class, their exact word 5-gram sets, and the filter over every benchmark 5-gram.
// The probe (contam_probe.hpp) sketches the training windows that pass the filter; match() looks
// their band keys up and confirms the candidates by exact Jaccard.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "contam/benchmarks.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/contam_probe.hpp"
#include "dupscan/shingle.hpp"

namespace dupscan::contam {

/// K of the near-duplicate sketches: 64 rather than dedup's 128, since every training window is
/// sketched and densified; the estimate only picks candidates, which the exact Jaccard confirms.
constexpr std::uint32_t kNearK = 64;
constexpr ShingleSpec kNearShingle{ShingleKind::word, 5};

/**
 * @brief The near-duplicate sketch as a backend's SketchParams: the fast sketch (OPH) of word
 * 5-grams with kNearK bins, banded for `threshold`. The probe sketches the training windows with
 * it, and the canary checks a device's sketch under it before contam trusts the device; the CPU
 * index (NearIndex::build) sketches the examples with the same K, shingles and bands. The fast
 * sketch draws no permutations: `perms` holds kNearK of them only because K is their count.
 */
SketchParams near_sketch_params(double threshold);

/// A near duplicate found in one training document: the best Jaccard over its windows.
struct NearHit {
  std::uint32_t example;
  double jaccard;
};

class NearIndex {
 public:
  /// Window length of an example of `words` words: the power of two >= words, at least 16.
  static std::uint32_t window_words(std::size_t words);

  void build(const std::vector<EvalExample>& examples, double threshold);
  /// Moves the probe's near-duplicate tables into `t` (the filter: match() does not need it).
  void fill_tables(ProbeTables& t);
  LshParams lsh() const { return lsh_; }

  /**
   * @brief The near duplicates in one training document (its Janitor text) from the probe's
   * windows of it (and their band keys): every example sharing a band key with a window whose
   * exact Jaccard with it is >= the threshold, with its best Jaccard, by ascending example.
   */
  void match(std::string_view text, const ProbeWindow* windows, const std::uint64_t* keys,
             std::size_t count, std::vector<NearHit>& out) const;

 private:
  // Examples grouped by length class; each class's band keys index its examples.
  struct Class {
    std::uint32_t words;  // window length
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_key;
  };
  double threshold_ = 0.5;
  LshParams lsh_;
  std::vector<Class> classes_;
  std::vector<std::vector<std::uint64_t>> sets_;  // per example: sorted shingle values
  unsigned bits_ = 16;
  std::vector<std::uint64_t> filter_;
};

}  // namespace dupscan::contam
