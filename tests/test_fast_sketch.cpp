// The fast sketch (fast_sketch.hpp) against golden vectors from a second, Python implementation of
// its specification, the host fast path against the reference functions, and its estimates.
#include <xxhash.h>

#include <algorithm>
#include <random>
#include <set>

#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

std::uint64_t u64(std::string_view s) {
  return std::stoull(std::string(s));
}

TEST(FastSketch, MatchesGoldenVectorsFromTheSpec) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_fast_sketch.jsonl"));
  std::size_t checked = 0;
  for (const std::string& line : test::lines_of(text)) {
    auto rec = test::parse_json(parser, line);
    const std::string name = test::str(rec["name"]) + "/" + test::str(rec["config"]);
    const std::string norm = test::str(rec["normalized"]);
    SketchParams params;
    params.kind = SketchKind::fast;
    params.shingle = ShingleSpec::parse(test::str(rec["shingle"]));
    params.perms = make_permutations(static_cast<std::uint32_t>(std::uint64_t(rec["num_perm"])), 1);
    params.lsh = {static_cast<std::uint32_t>(std::uint64_t(rec["bands"])),
                  static_cast<std::uint32_t>(std::uint64_t(rec["rows"]))};
    std::vector<std::uint64_t> values;
    fast_shingle_values(norm, params.shingle, values);
    ASSERT_EQ(values.size(), std::uint64_t(rec["shingle_count"])) << name;
    EXPECT_EQ(XXH64(values.data(), values.size() * 8, 0), u64(test::str(rec["values_xxh64"])))
        << name;
    simdjson::dom::array listed;
    if (!rec["values"].get(listed)) {
      std::size_t i = 0;
      for (auto v : listed)
        EXPECT_EQ(values.at(i++), u64(std::string_view(v))) << name;
    }
    NormalizedBatch batch;
    batch.add(norm);
    SketchBatch out;
    make_cpu_backend(params)->sketch(batch, out);
    std::size_t i = 0;
    for (auto v : rec["signature"].get_array()) {
      ASSERT_EQ(out.signatures.at(i++), std::uint64_t(v)) << name << " bin " << i - 1;
    }
    i = 0;
    for (auto k : rec["band_keys"].get_array()) {
      EXPECT_EQ(out.band_keys.at(i++), u64(std::string_view(k))) << name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 100u);
}

TEST(FastSketch, HostWordHashesEqualTheReferenceForEveryLength) {
  // The host path reads 8-byte chunks and masks the tail; the reference assembles it bytewise.
  std::mt19937 rng(5);
  std::string text;
  std::vector<std::string> words;
  for (int len = 1; len <= 40; ++len) {
    for (int rep = 0; rep < 3; ++rep) {
      std::string w;
      for (int i = 0; i < len; ++i)
        w += static_cast<char>('a' + rng() % 26);
      words.push_back(w);
    }
  }
  for (std::size_t i = 0; i < words.size(); ++i)
    text += (i ? " " : "") + words[i];
  std::vector<std::uint64_t> values;
  fast_shingle_values(text, ShingleSpec::parse("word:1"), values);
  ASSERT_EQ(values.size(), words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(words[i].data());
    EXPECT_EQ(values[i], fast::fmix64(fast::word_hash(p, words[i].size()))) << words[i];
    // word:1 shingle values are fmix64 of the unit hash, whose words of up to 8 bytes are c * P2.
    if (words[i].size() <= 8) {
      std::uint64_t c = 0;
      for (std::size_t k = words[i].size(); k > 0; --k)
        c = (c << 8) | p[k - 1];
      EXPECT_EQ(fast::word_hash(p, words[i].size()), c * spec::detail::prime64_2);
    }
  }
}

TEST(FastSketch, WordHashesOfAWholeTextEqualTheReference) {
  std::mt19937 rng(31);
  for (int t = 0; t < 200; ++t) {
    std::string text;
    std::vector<std::uint32_t> starts;
    const int words = 1 + static_cast<int>(rng() % 30);
    for (int w = 0; w < words; ++w) {
      if (w) text += ' ';
      starts.push_back(static_cast<std::uint32_t>(text.size()));
      const int len = 1 + static_cast<int>(rng() % 20);
      for (int i = 0; i < len; ++i)
        text += static_cast<char>('a' + rng() % 26);
    }
    std::vector<std::uint64_t> got(starts.size());
    word_hashes(text, starts.data(), starts.size(), got.data());
    for (std::size_t w = 0; w < starts.size(); ++w) {
      const std::size_t end = w + 1 < starts.size() ? starts[w + 1] - 1 : text.size();
      ASSERT_EQ(got[w],
                fast::word_hash(reinterpret_cast<const unsigned char*>(text.data()) + starts[w],
                                end - starts[w]));
    }
  }
}

TEST(FastSketch, RollingPolynomialEqualsTheDirectSum) {
  const std::string text = "one two three four five six seven eight nine ten eleven";
  for (std::uint32_t n : {1u, 2u, 5u, 11u, 12u}) {
    std::vector<std::uint64_t> values;
    fast_shingle_values(text, ShingleSpec{ShingleKind::word, n}, values);
    std::vector<std::uint64_t> units;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && text[i] != ' ') continue;
      units.push_back(
          fast::word_hash(reinterpret_cast<const unsigned char*>(text.data()) + start, i - start));
      start = i + 1;
    }
    const std::size_t m = units.size(), w = std::min<std::size_t>(n, m);
    ASSERT_EQ(values.size(), m >= n ? m - n + 1 : 1u);
    for (std::size_t j = 0; j < values.size(); ++j) {
      std::uint64_t s = 0;
      for (std::size_t k = 0; k < w; ++k)
        s += units[j + k] * fast::base_pow(std::uint32_t(w - 1 - k));
      EXPECT_EQ(values[j], fast::fmix64(s)) << "n=" << n << " j=" << j;
    }
  }
}

TEST(FastSketch, OnePassSignatureEqualsValuesThenOph) {
  std::mt19937 rng(12);
  for (const char* spec_text : {"word:5", "word:1", "word:13", "char:7"}) {
    const ShingleSpec sh = ShingleSpec::parse(spec_text);
    for (int t = 0; t < 50; ++t) {
      std::string text;
      const int words = static_cast<int>(rng() % 40);
      for (int w = 0; w < words; ++w) {
        if (w) text += ' ';
        const int len = 1 + static_cast<int>(rng() % 19);
        for (int i = 0; i < len; ++i)
          text += static_cast<char>('a' + rng() % 26);
      }
      std::vector<std::uint64_t> values;
      fast_shingle_values(text, sh, values);
      std::vector<std::uint32_t> a(64), b(64);
      oph_signature(values.data(), values.size(), 64, a.data());
      EXPECT_EQ(fast_signature(text, sh, 64, b.data()), values.size());
      EXPECT_EQ(a, b) << spec_text << " '" << text << "'";
    }
  }
}

TEST(FastSketch, DensificationFillsEveryBinFromAFilledOne) {
  const std::uint64_t values[3] = {0x0000000100000005ULL, 0x8000000000000007ULL,
                                   0xF000000000000009ULL};
  std::vector<std::uint32_t> sig(64);
  oph_signature(values, 3, 64, sig.data());
  std::set<std::uint32_t> seen(sig.begin(), sig.end());
  EXPECT_EQ(seen, (std::set<std::uint32_t>{5, 7, 9}));
  EXPECT_EQ(sig[fast::oph_bin(values[0], 64)], 5u);
  EXPECT_EQ(sig[fast::oph_bin(values[2], 64)], 9u);
  oph_signature(values, 0, 64, sig.data());
  for (std::uint32_t v : sig)
    EXPECT_EQ(v, spec::max_hash);
}

TEST(FastSketch, DensifyingByBinsAndByRoundsGiveTheSameDonors) {
  std::mt19937 rng(21);
  for (std::uint32_t k : {1u, 2u, 7u, 64u, 128u, 200u}) {
    for (int t = 0; t < 300; ++t) {
      std::vector<std::uint32_t> sig(k, spec::max_hash);
      std::vector<std::uint8_t> filled(k, 0);
      const std::uint32_t m = 1 + rng() % k;  // at least one filled bin
      for (std::uint32_t i = 0; i < m; ++i) {
        const std::uint32_t b = rng() % k;
        filled[b] = 1;
        sig[b] = rng();
      }
      std::vector<std::uint32_t> a = sig, b = sig;
      detail::densify_by_bins(a.data(), filled.data(), k);
      detail::densify_by_rounds(b.data(), filled.data(), k);
      ASSERT_EQ(a, b) << "K=" << k;
      for (std::uint32_t i = 0; i < k; ++i) {
        ASSERT_TRUE(std::count(sig.begin(), sig.end(), a[i]) > 0);  // every value a donor's
      }
    }
  }
}

TEST(FastSketch, EstimatesSmallSetsWithoutBias) {
  // Sets of 1 to 30 elements leave most of the 128 bins to densification.
  std::mt19937_64 rng(9);
  double bias = 0, abs_err = 0;
  const int trials = 2000;
  for (int t = 0; t < trials; ++t) {
    const std::size_t shared = 1 + rng() % 30, only = rng() % 30;
    std::vector<std::uint64_t> a, b;
    for (std::size_t i = 0; i < shared; ++i) {
      const std::uint64_t v = rng();
      a.push_back(v);
      b.push_back(v);
    }
    for (std::size_t i = 0; i < only; ++i)
      a.push_back(rng()), b.push_back(rng());
    const double truth = double(shared) / double(shared + 2 * only);
    std::vector<std::uint32_t> sa(128), sb(128);
    oph_signature(a.data(), a.size(), 128, sa.data());
    oph_signature(b.data(), b.size(), 128, sb.data());
    const double err = estimate_jaccard(sa.data(), sb.data(), 128) - truth;
    bias += err;
    abs_err += std::abs(err);
  }
  bias /= trials;
  abs_err /= trials;
  std::printf("small sets: bias %.4f, mean |error| %.4f\n", bias, abs_err);
  EXPECT_LT(std::abs(bias), 0.005);  // about 4 standard errors of the mean
  EXPECT_LT(abs_err, 0.04);
}

TEST(FastSketch, EstimatesJaccardAboutAsWellAsMinHash) {
  // Pairs of random sets with a known Jaccard: the mean absolute error of the OPH estimate with
  // K = 128 must be close to MinHash's (about sqrt(J(1-J)/K) ~ 0.035 at J = 0.5).
  std::mt19937_64 rng(8);
  double err_fast = 0, err_minhash = 0;
  const int trials = 200;
  const Permutations perms = make_permutations(128, 1);
  for (int t = 0; t < trials; ++t) {
    const std::size_t shared = 50 + rng() % 400, only = 50 + rng() % 400;
    std::vector<std::uint64_t> a, b;
    for (std::size_t i = 0; i < shared; ++i) {
      const std::uint64_t v = rng();
      a.push_back(v);
      b.push_back(v);
    }
    for (std::size_t i = 0; i < only; ++i)
      a.push_back(rng()), b.push_back(rng());
    const double truth = double(shared) / double(shared + 2 * only);
    std::vector<std::uint32_t> sa(128), sb(128);
    oph_signature(a.data(), a.size(), 128, sa.data());
    oph_signature(b.data(), b.size(), 128, sb.data());
    err_fast += std::abs(estimate_jaccard(sa.data(), sb.data(), 128) - truth);
    std::vector<std::uint32_t> ha, hb, ma(128, spec::max_hash), mb(128, spec::max_hash);
    for (auto v : a)
      ha.push_back(static_cast<std::uint32_t>(v));
    for (auto v : b)
      hb.push_back(static_cast<std::uint32_t>(v));
    minhash_update(ha.data(), ha.size(), perms, ma.data());
    minhash_update(hb.data(), hb.size(), perms, mb.data());
    err_minhash += std::abs(estimate_jaccard(ma.data(), mb.data(), 128) - truth);
  }
  err_fast /= trials;
  err_minhash /= trials;
  std::printf("mean |error|: fast %.4f, minhash %.4f\n", err_fast, err_minhash);
  EXPECT_LT(err_fast, 0.05);
  EXPECT_LT(err_fast, err_minhash * 1.3);
}

}  // namespace
}  // namespace dupscan
