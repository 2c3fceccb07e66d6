// LSH parameters against datasketch's _optimal_param (tests/data/golden_lsh_params.json); the
// radix sort of band keys against std::sort.
#include <algorithm>
#include <cmath>
#include <random>

#include "common/radix_sort.hpp"
#include "dupscan/minhash.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

TEST(Lsh, OptimalParamsMatchDatasketch) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_lsh_params.json"));
  auto root = test::parse_json(parser, text);
  int checked = 0;
  for (auto p : root["params"].get_array()) {
    const double t = double(p["threshold"]);
    const auto k = static_cast<std::uint32_t>(std::uint64_t(p["num_perm"]));
    const LshParams got = optimal_lsh_params(t, k);
    EXPECT_EQ(got.bands, std::uint64_t(p["bands"])) << "T=" << t << " K=" << k;
    EXPECT_EQ(got.rows, std::uint64_t(p["rows"])) << "T=" << t << " K=" << k;
    ++checked;
  }
  EXPECT_GE(checked, 100);
}

TEST(Lsh, KnownValues) {
  const LshParams p80 = optimal_lsh_params(0.8, 128);
  EXPECT_EQ(p80.bands, 9u);
  EXPECT_EQ(p80.rows, 13u);
  const LshParams p90 = optimal_lsh_params(0.9, 128);
  EXPECT_EQ(p90.bands, 5u);
  EXPECT_EQ(p90.rows, 25u);
}

TEST(Lsh, CandidateProbabilityIsTheSCurve) {
  const LshParams p{9, 13};
  EXPECT_DOUBLE_EQ(candidate_probability(1.0, p), 1.0);
  EXPECT_DOUBLE_EQ(candidate_probability(0.0, p), 0.0);
  EXPECT_NEAR(candidate_probability(0.8, p), 1 - std::pow(1 - std::pow(0.8, 13), 9), 1e-15);
  EXPECT_NEAR(candidate_probability(0.9, p), 0.928604, 1e-6);
  EXPECT_GT(candidate_probability(0.95, p), 0.998);
  EXPECT_LT(candidate_probability(0.5, p), 0.002);
}

}  // namespace
}  // namespace dupscan

namespace dupscan {
namespace {

// LSH's sort (radix_sort.hpp) equals std::sort of (key, document) entries built in document
// order: many equal keys, keys differing only in high bits, all sizes around the pass width.
TEST(RadixSort, EqualsStdSortOfEntriesInDocumentOrder) {
  std::mt19937_64 rng(7);
  for (std::size_t n : {0u, 1u, 2u, 3u, 100u, 2047u, 2048u, 2049u, 100000u}) {
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<std::pair<std::uint64_t, std::uint32_t>> v;
      for (std::uint32_t d = 0; d < n; ++d) {
        std::uint64_t key = rng();
        if (kind == 1) key %= 50;              // big buckets
        if (kind == 2) key = (key % 7) << 60;  // only the top bits differ
        v.emplace_back(key, d);
      }
      auto want = v;
      std::sort(want.begin(), want.end());
      radix_sort_by_key(v);
      EXPECT_EQ(v, want) << "n=" << n << " kind=" << kind;
    }
  }
}

// Verification's sort of shingle hashes (sort_hashes) equals std::sort: spread-out hashes, few
// distinct values, values crowded into one top-bits bucket (its fallback), sizes around the
// small-input cutoff and the bucket-count steps; repeated calls reuse its per-thread buffers.
TEST(RadixSort, SortHashesEqualsStdSort) {
  std::mt19937_64 rng(11);
  // Sizes around the std::sort cut-offs, and falling after rising: the scratch buffers are reused.
  for (std::size_t n : {0u, 1u, 2u, 63u, 64u, 65u, 255u, 256u, 257u, 1023u, 1024u, 1025u, 5000u,
                        300000u, 1025u, 70u, (1u << 20) + 5, 100u}) {
    for (int kind = 0; kind < 4; ++kind) {
      std::vector<std::uint64_t> v(n);
      for (auto& x : v) {
        x = rng();
        if (kind == 1) x %= 40;              // duplicates, one bucket: equal values
        if (kind == 2) x >>= 30;             // all in the lowest buckets
        if (kind == 3) x = (x % 300) << 55;  // few buckets: the std::sort hand-over
      }
      auto want = v;
      std::sort(want.begin(), want.end());
      sort_hashes(v);
      EXPECT_EQ(v, want) << "n=" << n << " kind=" << kind;
    }
  }
}

}  // namespace
}  // namespace dupscan
