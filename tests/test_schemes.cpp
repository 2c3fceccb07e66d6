// datasketch 2.0's permutation schemes (spec.hpp step 5: affine32, affine64; legacy has its own
// tests in test_spec.cpp and test_sketch.cpp) against golden vectors made with the pinned
// datasketch and xxhash (scripts/gen_golden.py): the finalizers, the permutations, 64-bit band
// keys, and the signatures and band keys of real text through the scalar reference, every SIMD
// path of MinHasher and the CPU backend's sketch().
#include <xxhash.h>

#include <stdexcept>

#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/shingle.hpp"
#include "dupscan/spec.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

std::uint64_t u64(std::string_view s) {
  return std::stoull(std::string(s));
}

// A JSON value that is a number or a decimal string (the files write 64-bit values as strings).
std::uint64_t value_of(simdjson::dom::element e) {
  std::string_view s;
  if (!e.get(s)) return u64(s);
  return std::uint64_t(e);
}

TEST(Schemes, NamesParseAndWidths) {
  for (Scheme s : {Scheme::affine32, Scheme::affine64, Scheme::legacy}) {
    ASSERT_TRUE(parse_scheme(scheme_name(s)).has_value());
    EXPECT_EQ(*parse_scheme(scheme_name(s)), s);
  }
  EXPECT_STREQ(scheme_name(Scheme::affine32), "affine32");
  EXPECT_STREQ(scheme_name(Scheme::affine64), "affine64");
  EXPECT_STREQ(scheme_name(Scheme::legacy), "legacy");
  for (const char* bad : {"", "AFFINE32", "affine", "affine32 ", "legacy\n", "affine128"})
    EXPECT_FALSE(parse_scheme(bad).has_value()) << bad;
  EXPECT_EQ(signature_width(Scheme::affine32), 4u);
  EXPECT_EQ(signature_width(Scheme::legacy), 4u);
  EXPECT_EQ(signature_width(Scheme::affine64), 8u);
  EXPECT_EQ(empty_value(Scheme::affine32), spec::max_hash);
  EXPECT_EQ(empty_value(Scheme::legacy), spec::max_hash);
  EXPECT_EQ(empty_value(Scheme::affine64), spec::max_hash64);
  EXPECT_EQ(make_permutations(4, 1).scheme, Scheme::legacy);  // the default stays legacy here
}

TEST(Schemes, FinalizersEqualDatasketchs) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_affine.json"));
  auto root = test::parse_json(parser, text);
  std::size_t n32 = 0, n64 = 0;
  for (auto v : root["fmix32"].get_array()) {
    const auto in = static_cast<std::uint32_t>(value_of(v["in"]));
    EXPECT_EQ(spec::fmix32(in), value_of(v["out"])) << in;
    ++n32;
  }
  for (auto v : root["fmix64"].get_array()) {
    const std::uint64_t in = value_of(v["in"]);
    EXPECT_EQ(spec::fmix64(in), value_of(v["out"])) << in;
    ++n64;
  }
  EXPECT_GE(n32, 60u);
  EXPECT_GE(n64, 60u);
  // The fast sketch's mixer is the same function, not a copy.
  EXPECT_EQ(&fast::fmix64, &spec::fmix64);
}

TEST(Schemes, PermutationsMatchDatasketch) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_affine.json"));
  auto root = test::parse_json(parser, text);
  int sets[2] = {0, 0};
  for (auto p : root["permutations"].get_array()) {
    const auto scheme = parse_scheme(std::string_view(p["scheme"]));
    ASSERT_TRUE(scheme.has_value());
    const auto k = static_cast<std::uint32_t>(std::uint64_t(p["num_perm"]));
    const auto seed = static_cast<std::uint32_t>(std::uint64_t(p["seed"]));
    const Permutations perms = make_permutations(k, seed, *scheme);
    ASSERT_EQ(perms.size(), k);
    EXPECT_EQ(perms.scheme, *scheme);
    EXPECT_EQ(perms.seed, seed);
    std::size_t i = 0;
    for (auto a : p["a"].get_array()) {
      EXPECT_EQ(perms.a[i], u64(std::string_view(a))) << scheme_name(*scheme) << " a " << i;
      EXPECT_EQ(perms.a[i] & 1u, 1u);
      if (*scheme == Scheme::affine32) EXPECT_LT(perms.a[i], std::uint64_t{1} << 32);
      ++i;
    }
    ASSERT_EQ(i, k);
    i = 0;
    for (auto b : p["b"].get_array()) {
      EXPECT_EQ(perms.b[i], u64(std::string_view(b))) << scheme_name(*scheme) << " b " << i;
      ++i;
    }
    ASSERT_EQ(i, k);
    ++sets[*scheme == Scheme::affine64];
  }
  EXPECT_EQ(sets[0], 7);
  EXPECT_EQ(sets[1], 7);
}

TEST(Schemes, AffineStepsWrapLikeNumpy) {
  // uint32 / uint64 arithmetic wraps: compare with exact wide arithmetic reduced afterwards.
  const std::uint32_t a = 0xFFFFFFFFu, b = 0xFFFFFFF0u, hv = 0x12345678u;
  const std::uint64_t m = spec::fmix32(hv);
  EXPECT_EQ(spec::permute_affine32(a, b, hv),
            static_cast<std::uint32_t>((std::uint64_t{a} * m + b) & 0xFFFFFFFFu));
  EXPECT_EQ(spec::affine32_step(3, 5, 0x80000000u), 0x80000005u);  // 3 * 2^31 = 2^31 (mod 2^32)
  const std::uint64_t a64 = 0xFFFFFFFFFFFFFFFFull, b64 = 0xFFFFFFFFFFFFFFF0ull,
                      h64 = 0x0123456789ABCDEFull;
  const unsigned __int128 wide =
      static_cast<unsigned __int128>(a64) * spec::fmix64(h64) + static_cast<unsigned __int128>(b64);
  EXPECT_EQ(spec::permute_affine64(a64, b64, h64), static_cast<std::uint64_t>(wide));
  // The finalizers are bijections that fix 0, so (a, b) = (1, 0) maps the hash 0 to 0.
  EXPECT_EQ(spec::permute_affine32(1, 0, 0), 0u);
  EXPECT_EQ(spec::permute_affine64(1, 0, 0), 0u);
}

TEST(Schemes, BandKey64IsXxh64OfLittleEndianValuesSeededByBand) {
  const std::uint64_t values[2] = {0x0102030405060708ull, 0xA0B0C0D0E0F01020ull};
  const unsigned char bytes[16] = {8,    7,    6,    5,    4,    3,    2,    1,
                                   0x20, 0x10, 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0};
  EXPECT_EQ(spec::band_key64(values, 2, 9), XXH64(bytes, 16, 9));
  EXPECT_NE(spec::band_key64(values, 2, 9), spec::band_key64(values, 2, 10));

  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_affine.json"));
  auto root = test::parse_json(parser, text);
  std::size_t checked = 0;
  for (auto k : root["band_keys64"].get_array()) {
    std::vector<std::uint64_t> v;
    for (auto x : k["values"].get_array())
      v.push_back(value_of(x));
    const auto band = static_cast<std::uint32_t>(std::uint64_t(k["band"]));
    EXPECT_EQ(spec::band_key64(v.data(), static_cast<std::uint32_t>(v.size()), band),
              value_of(k["key"]))
        << v.size() << " rows, band " << band;
    ++checked;
  }
  EXPECT_GE(checked, 20u);
  // band_keys over a signature: band j is rows [j*R, (j+1)*R), seeded with j.
  std::vector<std::uint64_t> sig(12);
  for (std::size_t i = 0; i < sig.size(); ++i)
    sig[i] = spec::fmix64(i + 1);
  std::uint64_t keys[4];
  band_keys(sig.data(), LshParams{4, 3}, keys);
  for (std::uint32_t j = 0; j < 4; ++j)
    EXPECT_EQ(keys[j], XXH64(sig.data() + 3 * j, 24, j));
}

TEST(Schemes, WrongWidthIsRefused) {
  const std::uint32_t h32[1] = {7};
  const std::uint64_t h64[1] = {7};
  std::uint32_t s32[4];
  std::uint64_t s64[4];
  const Permutations p64 = make_permutations(4, 1, Scheme::affine64);
  EXPECT_THROW(minhash_update(h32, 1, p64, s32), std::invalid_argument);
  EXPECT_THROW(MinHasher(p64, SimdPath::scalar).update(h32, 1, s32), std::invalid_argument);
  for (Scheme s : {Scheme::affine32, Scheme::legacy}) {
    const Permutations p = make_permutations(4, 1, s);
    EXPECT_THROW(minhash_update(h64, 1, p, s64), std::invalid_argument);
    EXPECT_THROW(MinHasher(p, SimdPath::scalar).update64(h64, 1, s64), std::invalid_argument);
  }
}

TEST(Schemes, EstimateJaccard64CountsEqualPositions) {
  const std::uint64_t a[4] = {1, ~0ull, 3, 4}, b[4] = {1, ~0ull, 0, 4 + (1ull << 32)};
  EXPECT_DOUBLE_EQ(estimate_jaccard(a, b, 4), 0.5);
}

TEST(Schemes, ShingleHashes64AreFullXxh64InShingleOrder) {
  for (const char* spec_text : {"word:1", "word:3", "word:5", "char:4"}) {
    const ShingleSpec shingle = ShingleSpec::parse(spec_text);
    for (const std::string text : {"", "one", "the quick brown fox jumps over the lazy dog again",
                                   "ab cd ab cd ab cd ab cd ab"}) {
      std::vector<std::uint64_t> h64;
      std::vector<std::uint32_t> h32;
      shingle_hashes64(text, shingle, h64);
      shingle_hashes(text, shingle, h32);
      std::vector<std::uint64_t> ref;
      for_each_shingle(text.data(), text.size(), shingle.kind, shingle.n,
                       [&](const char* p, std::size_t n) { ref.push_back(XXH64(p, n, 0)); });
      EXPECT_EQ(h64, ref) << spec_text << " '" << text << "'";
      ASSERT_EQ(h32.size(), h64.size());
      for (std::size_t i = 0; i < h32.size(); ++i)
        EXPECT_EQ(h32[i], static_cast<std::uint32_t>(h64[i]));
    }
  }
}

// One normalized document through the CPU backend's sketch() (what the engine and the benchmark
// call), signatures asked for.
SketchBatch backend_sketch(const std::string& norm, const ShingleSpec& shingle,
                           const Permutations& perms, LshParams lsh) {
  SketchParams params;
  params.shingle = shingle;
  params.perms = perms;
  params.lsh = lsh;
  NormalizedBatch batch;
  batch.add(norm);
  SketchBatch out;
  make_cpu_backend(params)->sketch(batch, out);
  return out;
}

// Signatures and band keys of datasketch 2.0.0 for real text (GSM8K, HumanEval, wikitext,
// tinyshakespeare, edge cases), every shingle configuration of the legacy golden file, through the
// scalar reference, every SIMD path this CPU has and the CPU backend.
TEST(Schemes, SignaturesMatchDatasketchGoldenVectorsOnEveryPath) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_sketches_affine.jsonl"));
  const auto paths = supported_simd_paths();
  std::size_t checked = 0, with_shingles = 0;
  for (const std::string& line : test::lines_of(text)) {
    auto rec = test::parse_json(parser, line);
    if (rec["meta"].error() == simdjson::SUCCESS) {
      EXPECT_EQ(test::str(rec["meta"]["datasketch"]), "2.0.0");
      continue;
    }
    const std::string name = test::str(rec["name"]) + "/" + test::str(rec["config"]);
    const std::string norm = test::str(rec["normalized"]);
    const ShingleSpec shingle = ShingleSpec::parse(std::string_view(rec["shingle"]));
    const auto k = static_cast<std::uint32_t>(std::uint64_t(rec["num_perm"]));
    const auto seed = static_cast<std::uint32_t>(std::uint64_t(rec["seed"]));
    const LshParams lsh{static_cast<std::uint32_t>(std::uint64_t(rec["bands"])),
                        static_cast<std::uint32_t>(std::uint64_t(rec["rows"]))};
    std::vector<std::uint32_t> h32;
    std::vector<std::uint64_t> h64;
    shingle_hashes(norm, shingle, h32);
    shingle_hashes64(norm, shingle, h64);
    ASSERT_EQ(h64.size(), std::uint64_t(rec["shingle_count"])) << name;
    EXPECT_EQ(XXH64(h64.data(), h64.size() * 8, 0), value_of(rec["shingle_hashes64_xxh64"]))
        << name;

    // affine32
    {
      const Permutations perms = make_permutations(k, seed, Scheme::affine32);
      std::vector<std::uint32_t> expect;
      for (auto v : rec["affine32"]["signature"].get_array())
        expect.push_back(static_cast<std::uint32_t>(value_of(v)));
      ASSERT_EQ(expect.size(), k) << name;
      std::vector<std::uint32_t> ref(k, spec::max_hash);
      minhash_update(h32.data(), h32.size(), perms, ref.data());
      ASSERT_EQ(ref, expect) << name << " affine32 reference";
      for (SimdPath path : paths) {
        std::vector<std::uint32_t> sig(k, spec::max_hash);
        MinHasher(perms, path).update(h32.data(), h32.size(), sig.data());
        ASSERT_EQ(sig, expect) << name << " affine32 " << simd_path_name(path);
      }
      std::vector<std::uint64_t> keys(lsh.bands);
      band_keys(ref.data(), lsh, keys.data());
      std::size_t j = 0;
      for (auto key : rec["affine32"]["band_keys"].get_array())
        EXPECT_EQ(keys.at(j++), value_of(key)) << name << " affine32 band " << j - 1;
      EXPECT_EQ(j, h32.empty() ? 0u : lsh.bands) << name;
      const SketchBatch got = backend_sketch(norm, shingle, perms, lsh);
      EXPECT_EQ(got.signatures, expect) << name << " affine32 through the CPU backend";
      EXPECT_TRUE(got.signatures64.empty()) << name;
      if (h32.empty()) keys.assign(lsh.bands, 0);  // an empty document's keys are 0
      EXPECT_EQ(got.band_keys, keys) << name << " affine32 through the CPU backend";
      EXPECT_EQ(got.shingle_counts, std::vector<std::uint32_t>{std::uint32_t(h32.size())});
    }
    // affine64
    {
      const Permutations perms = make_permutations(k, seed, Scheme::affine64);
      std::vector<std::uint64_t> expect;
      for (auto v : rec["affine64"]["signature"].get_array())
        expect.push_back(value_of(v));
      ASSERT_EQ(expect.size(), k) << name;
      std::vector<std::uint64_t> ref(k, spec::max_hash64);
      minhash_update(h64.data(), h64.size(), perms, ref.data());
      ASSERT_EQ(ref, expect) << name << " affine64 reference";
      for (SimdPath path : paths) {
        std::vector<std::uint64_t> sig(k, spec::max_hash64);
        MinHasher(perms, path).update64(h64.data(), h64.size(), sig.data());
        ASSERT_EQ(sig, expect) << name << " affine64 " << simd_path_name(path);
      }
      std::vector<std::uint64_t> keys(lsh.bands);
      band_keys(ref.data(), lsh, keys.data());
      std::size_t j = 0;
      for (auto key : rec["affine64"]["band_keys"].get_array())
        EXPECT_EQ(keys.at(j++), value_of(key)) << name << " affine64 band " << j - 1;
      EXPECT_EQ(j, h64.empty() ? 0u : lsh.bands) << name;
      const SketchBatch got = backend_sketch(norm, shingle, perms, lsh);
      EXPECT_EQ(got.signatures64, expect) << name << " affine64 through the CPU backend";
      EXPECT_TRUE(got.signatures.empty()) << name;
      if (h64.empty()) keys.assign(lsh.bands, 0);
      EXPECT_EQ(got.band_keys, keys) << name << " affine64 through the CPU backend";
      EXPECT_EQ(got.shingle_counts, std::vector<std::uint32_t>{std::uint32_t(h64.size())});
    }
    with_shingles += !h64.empty();
    ++checked;
  }
  EXPECT_GE(checked, 150u);
  EXPECT_GE(with_shingles, 140u);
}

}  // namespace
}  // namespace dupscan
