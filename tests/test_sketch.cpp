// Shingles, signatures and band keys against golden vectors made with datasketch and xxhash
// (scripts/gen_golden.py), and the shingle specification's edge cases.
#include <xxhash.h>

#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/shingle.hpp"
#include "dupscan/spec.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

std::vector<std::string> shingles_of(std::string_view text, const char* spec) {
  const ShingleSpec s = ShingleSpec::parse(spec);
  std::vector<std::string> out;
  for_each_shingle(text.data(), text.size(), s.kind, s.n,
                   [&](const char* p, std::size_t n) { out.emplace_back(p, n); });
  return out;
}

using V = std::vector<std::string>;

TEST(Shingles, WordShingles) {
  EXPECT_EQ(shingles_of("a b c d", "word:2"), (V{"a b", "b c", "c d"}));
  EXPECT_EQ(shingles_of("a b c d", "word:4"), (V{"a b c d"}));
  EXPECT_EQ(shingles_of("a b c", "word:5"), (V{"a b c"}));  // shorter than one shingle
  EXPECT_EQ(shingles_of("one", "word:1"), (V{"one"}));
  EXPECT_EQ(shingles_of("", "word:5"), V{});
  EXPECT_EQ(shingles_of("aa bb aa bb aa", "word:2"), (V{"aa bb", "bb aa", "aa bb", "bb aa"}));
  EXPECT_EQ(shingles_of("über straße", "word:1"), (V{"über", "straße"}));
}

TEST(Shingles, CharShinglesCountCodePoints) {
  EXPECT_EQ(shingles_of("abcd", "char:3"), (V{"abc", "bcd"}));
  EXPECT_EQ(shingles_of("a b", "char:2"), (V{"a ", " b"}));
  EXPECT_EQ(shingles_of("ééé", "char:2"), (V{"éé", "éé"}));
  EXPECT_EQ(shingles_of("a😀b", "char:2"), (V{"a😀", "😀b"}));
  EXPECT_EQ(shingles_of("ab", "char:5"), (V{"ab"}));
  EXPECT_EQ(shingles_of("", "char:5"), V{});
}

TEST(Shingles, SpecParsing) {
  EXPECT_EQ(ShingleSpec::parse("word:5").to_string(), "word:5");
  EXPECT_EQ(ShingleSpec::parse("char:13").to_string(), "char:13");
  for (const char* bad : {"word", "word:", "word:0", "word:-1", "word:5x", "byte:3", "char:1025",
                          ":5", "word:99999999999"}) {
    EXPECT_THROW(ShingleSpec::parse(bad), UsageError) << bad;
  }
}

std::uint64_t u64(std::string_view s) {
  return std::stoull(std::string(s));
}

TEST(Sketch, MatchesDatasketchGoldenVectors) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_sketches.jsonl"));
  std::size_t checked = 0, with_shingles = 0;
  for (const std::string& line : test::lines_of(text)) {
    auto rec = test::parse_json(parser, line);
    if (rec["meta"].error() == simdjson::SUCCESS) continue;
    const std::string name = test::str(rec["name"]) + "/" + test::str(rec["config"]);
    const std::string norm = test::str(rec["normalized"]);
    SketchParams params;
    params.shingle = ShingleSpec::parse(std::string_view(rec["shingle"]));
    params.perms = make_permutations(static_cast<std::uint32_t>(std::uint64_t(rec["num_perm"])),
                                     static_cast<std::uint32_t>(std::uint64_t(rec["seed"])));
    params.lsh = {static_cast<std::uint32_t>(std::uint64_t(rec["bands"])),
                  static_cast<std::uint32_t>(std::uint64_t(rec["rows"]))};
    // Shingle hashes, in order, with repeats.
    std::vector<std::uint32_t> hashes;
    for_each_shingle(
        norm.data(), norm.size(), params.shingle.kind, params.shingle.n,
        [&](const char* p, std::size_t n) { hashes.push_back(spec::shingle_hash(p, n)); });
    ASSERT_EQ(hashes.size(), std::uint64_t(rec["shingle_count"])) << name;
    EXPECT_EQ(XXH64(hashes.data(), hashes.size() * 4, 0),
              u64(std::string_view(rec["shingle_hashes_xxh64"])))
        << name;
    simdjson::dom::array listed;
    if (!rec["shingle_hashes"].get(listed)) {
      std::size_t i = 0;
      for (auto h : listed)
        EXPECT_EQ(hashes.at(i++), std::uint64_t(h)) << name;
    }
    // Signature and band keys through the CPU backend.
    NormalizedBatch batch;
    batch.add(norm);
    SketchBatch out;
    make_cpu_backend(params)->sketch(batch, out);
    std::size_t i = 0;
    for (auto v : rec["signature"].get_array()) {
      ASSERT_EQ(out.signatures.at(i++), std::uint64_t(v)) << name << " position " << i - 1;
    }
    ASSERT_EQ(i, params.perms.size());
    EXPECT_EQ(out.shingle_counts[0], hashes.size());
    i = 0;
    for (auto k : rec["band_keys"].get_array()) {
      EXPECT_EQ(out.band_keys.at(i++), u64(std::string_view(k))) << name << " band " << i - 1;
    }
    if (!hashes.empty()) {
      EXPECT_EQ(i, params.lsh.bands) << name;
      const XXH128_hash_t h = XXH3_128bits(norm.data(), norm.size());
      const std::string_view expect = rec["exact_hash"];
      unsigned __int128 x = 0;
      for (char c : expect)
        x = x * 10 + static_cast<unsigned>(c - '0');
      EXPECT_EQ(h.low64, static_cast<std::uint64_t>(x)) << name;
      EXPECT_EQ(h.high64, static_cast<std::uint64_t>(x >> 64)) << name;
      ++with_shingles;
    }
    ++checked;
  }
  EXPECT_GE(checked, 150u);
  EXPECT_GE(with_shingles, 140u);
}

TEST(Sketch, BatchEqualsOneDocumentAtATimeAndEmptyHasMaxSignature) {
  SketchParams params;
  params.perms = make_permutations(64, 3);
  params.lsh = {8, 8};
  auto cpu = make_cpu_backend(params);
  const std::vector<std::string> docs = {"alpha beta gamma delta epsilon zeta", "", "x",
                                         "alpha beta gamma delta epsilon eta theta"};
  NormalizedBatch all;
  for (const auto& d : docs)
    all.add(d);
  SketchBatch together;
  cpu->sketch(all, together);
  for (std::size_t d = 0; d < docs.size(); ++d) {
    NormalizedBatch one;
    one.add(docs[d]);
    SketchBatch alone;
    cpu->sketch(one, alone);
    for (std::size_t i = 0; i < 64; ++i)
      ASSERT_EQ(alone.signatures[i], together.signatures[d * 64 + i]);
    EXPECT_EQ(alone.shingle_counts[0], together.shingle_counts[d]);
  }
  EXPECT_EQ(together.shingle_counts[1], 0u);
  for (std::size_t i = 0; i < 64; ++i)
    EXPECT_EQ(together.signatures[64 + i], spec::max_hash);
}

TEST(Sketch, JaccardOfHashSets) {
  std::vector<std::uint64_t> a, b;
  verification_set("a b c d e f", ShingleSpec::parse("word:1"), SketchKind::compat, a);
  verification_set("d e f g h i a", ShingleSpec::parse("word:1"), SketchKind::compat, b);
  EXPECT_EQ(a.size(), 6u);
  EXPECT_DOUBLE_EQ(jaccard(a, b), 4.0 / 9.0);
  EXPECT_DOUBLE_EQ(jaccard(a, a), 1.0);
  std::vector<std::uint64_t> empty;
  EXPECT_DOUBLE_EQ(jaccard(empty, empty), 0.0);
  verification_set("x x x x", ShingleSpec::parse("word:1"), SketchKind::compat, b);
  EXPECT_EQ(b.size(), 1u);  // a set: repeats removed
}

TEST(Sketch, JaccardOfRangesIsTheJaccardOfVectors) {
  const std::vector<std::uint64_t> a = {1, 3, 5, 7}, b = {3, 4, 5, 8, 9};
  EXPECT_DOUBLE_EQ(jaccard(a.data(), a.size(), b.data(), b.size()), 2.0 / 7.0);
  EXPECT_DOUBLE_EQ(jaccard(a.data(), a.size(), b.data(), b.size()), jaccard(a, b));
  EXPECT_DOUBLE_EQ(jaccard(a.data(), 0, b.data(), 0), 0.0);
  EXPECT_DOUBLE_EQ(jaccard(a.data(), 2, a.data(), 4), 0.5);  // a prefix of a set
}

TEST(Sketch, EstimateJaccardCountsEqualPositions) {
  const std::uint32_t a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 3, 0};
  EXPECT_DOUBLE_EQ(estimate_jaccard(a, b, 4), 0.5);
}

}  // namespace
}  // namespace dupscan
