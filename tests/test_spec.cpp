// The hash maths of spec.hpp against references: xxHash (Python package and Debian's libxxhash)
// and datasketch's permutations.
#include <xxhash.h>

#include <random>

#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::uint64_t u64(std::string_view s) {
  return std::stoull(std::string(s));
}

TEST(Spec, Xxh64MatchesGoldenVectorsAndLibxxhash) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_xxh64.json"));
  auto root = test::parse_json(parser, text);
  std::size_t checked = 0;
  for (auto v : root["vectors"].get_array()) {
    const std::string data = from_hex(std::string_view(v["hex"]));
    const std::uint64_t seed = u64(std::string_view(v["seed"]));
    const std::uint64_t expected = u64(std::string_view(v["xxh64"]));
    EXPECT_EQ(spec::xxh64(data.data(), data.size(), seed), expected)
        << "length " << data.size() << " seed " << seed;
    EXPECT_EQ(XXH64(data.data(), data.size(), seed), expected)
        << "libxxhash, length " << data.size();
    if (!v["xxh3_128"].is_null()) {
      const XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
      const unsigned __int128 expect128 = [&] {
        unsigned __int128 x = 0;
        for (char c : std::string_view(v["xxh3_128"]))
          x = x * 10 + static_cast<unsigned>(c - '0');
        return x;
      }();
      EXPECT_EQ(h.low64, static_cast<std::uint64_t>(expect128));
      EXPECT_EQ(h.high64, static_cast<std::uint64_t>(expect128 >> 64));
    }
    ++checked;
  }
  EXPECT_GE(checked, 300u);
}

TEST(Spec, Xxh64PortEqualsLibxxhashOnRandomInputsAndOffsets) {
  std::mt19937_64 rng(12345);
  std::string buf(5000, '\0');
  for (char& c : buf)
    c = static_cast<char>(rng());
  for (int i = 0; i < 5000; ++i) {
    const std::size_t off = rng() % 64;  // unaligned starts
    const std::size_t len = rng() % (i < 4000 ? 70 : 4000);
    const std::uint64_t seed = i % 3 == 0 ? 0 : rng();
    ASSERT_EQ(spec::xxh64(buf.data() + off, len, seed), XXH64(buf.data() + off, len, seed))
        << "off " << off << " len " << len;
  }
}

TEST(Spec, ShingleHashIsLow32BitsOfXxh64Seed0) {
  const std::string s = "the quick brown fox jumps";
  EXPECT_EQ(spec::shingle_hash(s.data(), s.size()),
            static_cast<std::uint32_t>(XXH64(s.data(), s.size(), 0)));
}

TEST(Spec, ModMersenne61IsExactRemainder) {
  const std::uint64_t p = spec::mersenne61;
  const std::uint64_t cases[] = {0,
                                 1,
                                 p - 1,
                                 p,
                                 p + 1,
                                 2 * p,
                                 2 * p + 5,
                                 ~0ULL,
                                 ~0ULL - 1,
                                 (1ULL << 61),
                                 (1ULL << 63),
                                 7 * p,
                                 7 * p + 6,
                                 8 * p - 1};
  for (std::uint64_t x : cases)
    EXPECT_EQ(spec::mod_mersenne61(x), x % p) << x;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t x = rng();
    ASSERT_EQ(spec::mod_mersenne61(x), x % p) << x;
  }
}

TEST(Spec, PermuteWrapsLikeNumpyUint64) {
  // (a*hv + b) must wrap modulo 2^64 before the prime modulus, as numpy's uint64 does.
  const std::uint64_t a = spec::mersenne61 - 2, b = spec::mersenne61 - 3;
  const std::uint32_t hv = 0xFFFFFFFFu;
  const unsigned __int128 wide = static_cast<unsigned __int128>(a) * hv + b;
  const std::uint64_t wrapped = static_cast<std::uint64_t>(wide);
  EXPECT_NE(static_cast<unsigned __int128>(wrapped), wide);  // this case does overflow
  EXPECT_EQ(spec::permute(a, b, hv),
            static_cast<std::uint32_t>((wrapped % spec::mersenne61) & 0xFFFFFFFFu));
}

TEST(Spec, PermutationsMatchDatasketch) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_permutations.json"));
  auto root = test::parse_json(parser, text);
  int sets = 0;
  for (auto p : root["permutations"].get_array()) {
    const auto k = static_cast<std::uint32_t>(std::uint64_t(p["num_perm"]));
    const auto seed = static_cast<std::uint32_t>(std::uint64_t(p["seed"]));
    const Permutations perms = make_permutations(k, seed);
    ASSERT_EQ(perms.size(), k);
    std::size_t i = 0;
    for (auto a : p["a"].get_array())
      EXPECT_EQ(perms.a[i++], u64(std::string_view(a))) << i;
    i = 0;
    for (auto b : p["b"].get_array())
      EXPECT_EQ(perms.b[i++], u64(std::string_view(b))) << i;
    ++sets;
  }
  EXPECT_EQ(sets, 5);
}

TEST(Spec, PermutationsArePrefixStableInK) {
  // datasketch draws a_i, b_i in order, so K=64 is the first half of K=128 with the same seed.
  const Permutations p64 = make_permutations(64, 9), p128 = make_permutations(128, 9);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(p64.a[i], p128.a[i]);
    EXPECT_EQ(p64.b[i], p128.b[i]);
  }
}

TEST(Spec, BandKeyIsXxh64OfLittleEndianValuesSeededByBand) {
  const std::uint32_t values[3] = {0x01020304u, 0xA0B0C0D0u, 7u};
  const unsigned char bytes[12] = {4, 3, 2, 1, 0xD0, 0xC0, 0xB0, 0xA0, 7, 0, 0, 0};
  EXPECT_EQ(spec::band_key(values, 3, 5), XXH64(bytes, 12, 5));
  EXPECT_NE(spec::band_key(values, 3, 5), spec::band_key(values, 3, 6));
}

}  // namespace
}  // namespace dupscan
