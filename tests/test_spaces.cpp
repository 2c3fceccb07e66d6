// The 64-byte space scan (src/host/sketch/spaces.hpp) against a byte loop, and both sketches'
// word-shingle paths that use it against the reference enumeration, on texts whose spacing
// stresses the scan: 32 spaces per 64 bytes, words longer than a block, and lengths around the
// block size.
#include <random>

#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/shingle.hpp"
#include "dupscan/spec.hpp"
#include "sketch/spaces.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

// Texts of words with lengths drawn from `lengths`, cut to every total length up to max_len.
std::vector<std::string> spaced_texts(std::mt19937& rng, const std::vector<int>& lengths,
                                      std::size_t max_len) {
  std::string text;
  while (text.size() < max_len) {
    if (!text.empty()) text += ' ';
    const int n = lengths[rng() % lengths.size()];
    for (int i = 0; i < n; ++i)
      text += static_cast<char>('a' + rng() % 26);
  }
  std::vector<std::string> out;
  for (std::size_t len = 0; len <= max_len; ++len) {
    std::string t = text.substr(0, len);
    while (!t.empty() && t.back() == ' ')
      t.pop_back();  // normalized text neither starts nor ends with a space
    out.push_back(t);
  }
  return out;
}

std::vector<std::vector<int>> length_mixes() {
  return {{1}, {1, 2}, {3, 5, 7}, {1, 70}, {65, 130}, {8}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 40}};
}

TEST(Spaces, MaskAndFlattenEqualAByteLoop) {
  std::mt19937 rng(3);
  std::size_t blocks = 0;
  for (const auto& mix : length_mixes()) {
    for (const std::string& t : spaced_texts(rng, mix, 200)) {
      const auto* p = reinterpret_cast<const unsigned char*>(t.data());
      for (std::size_t base = 0; base < t.size(); base += 64) {
        const std::size_t n = std::min<std::size_t>(64, t.size() - base);
        std::uint64_t want = 0;
        std::vector<std::uint32_t> positions;
        for (std::size_t i = 0; i < n; ++i) {
          if (t[base + i] != ' ') continue;
          want |= std::uint64_t{1} << i;
          positions.push_back(static_cast<std::uint32_t>(base + i + 7));
        }
        const std::uint64_t got =
            n == 64 ? spaces::mask64(p + base) : spaces::mask_tail(p + base, n);
        ASSERT_EQ(got, want) << "text length " << t.size() << " block " << base;
        std::uint32_t out[64];
        const std::size_t count = spaces::flatten(got, static_cast<std::uint32_t>(base + 7), out);
        ASSERT_EQ(std::vector<std::uint32_t>(out, out + count), positions);
        ++blocks;
      }
    }
  }
  // Every count of set bits the unrolled steps distinguish: 0, 1..8, 9..16, over 16, all 64.
  for (std::uint64_t mask : {std::uint64_t{0}, std::uint64_t{1} << 63, std::uint64_t{0xFF},
                             std::uint64_t{0x1FF}, std::uint64_t{0xFFFF}, std::uint64_t{0x1FFFF},
                             ~std::uint64_t{0}, std::uint64_t{0x5555555555555555}}) {
    std::uint64_t out[64];
    const std::size_t count = spaces::flatten(mask, std::uint64_t{0}, out);
    ASSERT_EQ(count, static_cast<std::size_t>(__builtin_popcountll(mask)));
    std::uint64_t back = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (i) ASSERT_LT(out[i - 1], out[i]);
      back |= std::uint64_t{1} << out[i];
    }
    EXPECT_EQ(back, mask);
  }
  EXPECT_GT(blocks, 2000u);
}

TEST(Spaces, WordShinglesOfBothSketchesEqualTheReference) {
  std::mt19937 rng(4);
  std::size_t texts = 0;
  for (const auto& mix : length_mixes()) {
    for (const std::string& t : spaced_texts(rng, mix, 300)) {
      for (std::uint32_t n : {1u, 5u}) {
        const ShingleSpec spec{ShingleKind::word, n};
        // Compat: every shingle's XXH64, in for_each_shingle's order.
        std::vector<std::uint32_t> want, got;
        for_each_shingle(t.data(), t.size(), spec.kind, spec.n, [&](const char* p, std::size_t m) {
          want.push_back(spec::shingle_hash(p, m));
        });
        shingle_hashes(t, spec, got);
        ASSERT_EQ(got, want) << "n=" << n << " text '" << t << "'";
        // Fast: the polynomial of the reference word hashes, summed directly.
        std::vector<std::uint64_t> units, values;
        std::size_t start = 0;
        for (std::size_t i = 0; i <= t.size() && !t.empty(); ++i) {
          if (i < t.size() && t[i] != ' ') continue;
          units.push_back(
              fast::word_hash(reinterpret_cast<const unsigned char*>(t.data()) + start, i - start));
          start = i + 1;
        }
        std::vector<std::uint64_t> ref;
        const std::size_t m = units.size(), w = std::min<std::size_t>(n, m);
        for (std::size_t j = 0; m > 0 && j + w <= m; ++j) {
          std::uint64_t s = 0;
          for (std::size_t k = 0; k < w; ++k)
            s += units[j + k] * fast::base_pow(static_cast<std::uint32_t>(w - 1 - k));
          ref.push_back(fast::fmix64(s));
        }
        fast_shingle_values(t, spec, values);
        ASSERT_EQ(values, ref) << "n=" << n << " text '" << t << "'";
        ++texts;
      }
    }
  }
  EXPECT_GT(texts, 4000u);
}

}  // namespace
}  // namespace dupscan
