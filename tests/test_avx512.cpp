// The AVX-512 kernels of the host against their scalar references. The shingle hasher
// (src/host/sketch/xxh64_simd.hpp) gives spec::xxh64's bits over word lengths that put shingles
// on every side of XXH64's 32-byte stripe and its 8-, 4- and 1-byte tails, shingle counts that
// leave every remainder of 8, and both output widths. The fast sketch's unit hashes and shingle
// values (src/host/sketch/fast_values_simd.hpp) equal fast::word_hash and the polynomial of its
// step 2, and the word starts (src/host/sketch/spaces_avx512.cpp) the text's words. Each kernel's
// test is skipped, visibly, on CPUs without AVX-512 DQ (BW and VBMI2 for the word starts); the
// last shingle test goes through the public entry points and runs everywhere. Every kernel also
// runs on text that ends right before an unreadable page. The affine MinHash kernels
// (src/host/sketch/minhash_affine.cpp, AVX-512 and AVX2 alike) read hashes and read and write a
// signature that each end there, with K and hash counts that leave every remainder of the
// register widths.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/avx512.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"
#include "sketch/fast_values_simd.hpp"
#include "sketch/spaces.hpp"
#include "sketch/xxh64_simd.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

// A normalized text of `words` words with lengths drawn from [1, max_len], and its word starts
// (ws[words] = size + 1, as the shingler sets it).
std::string make_text(std::mt19937& rng, std::size_t words, std::size_t max_len,
                      std::vector<std::size_t>& ws) {
  std::string text;
  ws.clear();
  for (std::size_t w = 0; w < words; ++w) {
    if (w) text += ' ';
    ws.push_back(text.size());
    const std::size_t len = 1 + rng() % max_len;
    for (std::size_t i = 0; i < len; ++i)
      text += static_cast<char>(rng() % 3 == 0 ? 0x80 + rng() % 128 : 'a' + rng() % 26);
  }
  ws.push_back(text.size() + 1);
  return text;
}

// A readable page followed by an unreadable one; place(text) copies text to end at the latter.
class GuardedPage {
 public:
  GuardedPage() : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    map_ = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map_ == MAP_FAILED) throw std::runtime_error("mmap failed");
    if (mprotect(static_cast<char*>(map_) + page_, page_, PROT_NONE) != 0) {
      throw std::runtime_error("mprotect failed");
    }
  }
  ~GuardedPage() { munmap(map_, 2 * page_); }
  GuardedPage(const GuardedPage&) = delete;
  GuardedPage& operator=(const GuardedPage&) = delete;
  std::size_t size() const { return page_; }
  char* place(const std::string& text) {
    char* const at = static_cast<char*>(map_) + page_ - text.size();
    std::memcpy(at, text.data(), text.size());
    return at;
  }
  /// Copies v to end at the unreadable page; returns the copy.
  template <class T>
  T* place_array(const std::vector<T>& v) {
    char* const at = static_cast<char*>(map_) + page_ - v.size() * sizeof(T);
    std::memcpy(at, v.data(), v.size() * sizeof(T));
    return reinterpret_cast<T*>(at);
  }

 private:
  std::size_t page_;
  void* map_;
};

TEST(Xxh64Simd, WordShinglesEqualTheSpec) {
  // Without AVX-512 the hasher's only path is spec::xxh64 itself: nothing to compare.
  if (!detail::avx512dq_supported()) GTEST_SKIP() << "this CPU has no AVX-512 DQ";
  std::mt19937 rng(29);
  std::size_t compared = 0;
  for (std::size_t max_len : {1u, 2u, 3u, 5u, 8u, 12u, 31u, 40u, 70u, 200u}) {
    for (std::size_t n : {1u, 2u, 3u, 5u, 8u}) {
      for (std::size_t words : {1u, 5u, 8u, 9u, 15u, 16u, 17u, 40u, 301u}) {
        if (words < n) continue;
        std::vector<std::size_t> ws;
        const std::string text = make_text(rng, words, max_len, ws);
        const std::size_t count = words - n + 1;
        std::vector<std::uint64_t> ref(count);
        for (std::size_t j = 0; j < count; ++j)
          ref[j] = spec::xxh64(text.data() + ws[j], ws[j + n] - 1 - ws[j], 0);
        std::vector<std::uint64_t> h64(count, 1);
        std::vector<std::uint32_t> h32(count, 1);
        detail::xxh64_word_shingles(text.data(), ws.data(), n, count, h64.data(), true);
        detail::xxh64_word_shingles(text.data(), ws.data(), n, count, h32.data(), true);
        for (std::size_t j = 0; j < count; ++j) {
          ASSERT_EQ(h64[j], ref[j])
              << "n " << n << " max_len " << max_len << " shingle " << j << " of " << count;
          ASSERT_EQ(h32[j], static_cast<std::uint32_t>(ref[j])) << "n " << n;
        }
        compared += count;
      }
    }
  }
  EXPECT_GT(compared, 5000u);
}

// Shingles that end at the very end of a readable page, followed by a page that cannot be read:
// a gather that touched a byte past its lane's shingle would crash the test.
TEST(Xxh64Simd, ReadsNoBytePastTheShingles) {
  if (!detail::avx512dq_supported()) GTEST_SKIP() << "this CPU has no AVX-512 DQ";
  GuardedPage guard;
  std::mt19937 rng(31);
  for (std::size_t max_len : {1u, 2u, 3u, 4u, 7u, 9u, 33u, 64u}) {
    for (std::size_t n : {1u, 2u, 3u}) {
      std::vector<std::size_t> ws;
      const std::string text = make_text(rng, 24, max_len, ws);
      ASSERT_LT(text.size(), guard.size());
      const char* at = guard.place(text);
      const std::size_t count = 24 - n + 1;
      std::vector<std::uint64_t> got(count);
      detail::xxh64_word_shingles(at, ws.data(), n, count, got.data(), true);
      for (std::size_t j = 0; j < count; ++j)
        ASSERT_EQ(got[j], spec::xxh64(at + ws[j], ws[j + n] - 1 - ws[j], 0));
    }
  }
}

// The public entry points agree with the spec on text the shingler splits itself.
TEST(Xxh64Simd, ShingleHashesAndVerificationSetsUseIt) {
  const std::string text =
      "the quick brown fox jumps over the lazy dog and a supercalifragilisticexpialidocious "
      "antidisestablishmentarianism word sits among short ones a b c d e f g h i j k l m n";
  const ShingleSpec sh{ShingleKind::word, 5};
  std::vector<std::uint32_t> h32;
  shingle_hashes(text, sh, h32);
  std::vector<std::uint64_t> ref64;
  std::vector<std::uint32_t> ref32;
  for_each_shingle(text.data(), text.size(), sh.kind, sh.n, [&](const char* p, std::size_t n) {
    ref32.push_back(spec::shingle_hash(p, n));
    ref64.push_back(spec::xxh64(p, n, 0));
  });
  EXPECT_EQ(h32, ref32);
  std::vector<std::uint64_t> set;
  verification_set(text, sh, SketchKind::compat, set);
  std::sort(ref64.begin(), ref64.end());
  ref64.erase(std::unique(ref64.begin(), ref64.end()), ref64.end());
  EXPECT_EQ(set, ref64);
}

TEST(FastValuesSimd, UnitHashesEqualTheReferenceUpToTheEndOfTheText) {
  if (!detail::avx512dq_supported()) GTEST_SKIP() << "this CPU has no AVX-512 DQ";
  GuardedPage guard;
  std::mt19937 rng(37);
  std::size_t compared = 0;
  for (std::size_t max_len : {1u, 3u, 7u, 8u, 9u, 16u, 17u, 30u, 70u}) {
    for (std::size_t words : {1u, 7u, 8u, 9u, 16u, 17u, 100u}) {
      std::vector<std::size_t> ws;
      const std::string text = make_text(rng, words, max_len, ws);
      ASSERT_LT(text.size(), guard.size());
      const auto* at = reinterpret_cast<const unsigned char*>(guard.place(text));
      std::vector<std::uint64_t> got(words);
      detail::word_units_avx512(at, text.size(), ws.data(), words, got.data());
      for (std::size_t i = 0; i < words; ++i) {
        ASSERT_EQ(got[i], fast::word_hash(at + ws[i], ws[i + 1] - 1 - ws[i]))
            << "word " << i << " of " << words << ", max_len " << max_len;
      }
      compared += words;
    }
  }
  EXPECT_GT(compared, 1000u);
}

TEST(FastValuesSimd, ShingleValuesEqualThePolynomial) {
  if (!detail::avx512dq_supported()) GTEST_SKIP() << "this CPU has no AVX-512 DQ";
  std::mt19937_64 rng(41);
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u, 9u, 13u}) {
    for (std::size_t count : {1u, 7u, 8u, 9u, 16u, 17u, 250u}) {
      std::vector<std::uint64_t> u(count + n - 1);
      for (auto& x : u)
        x = rng();
      std::vector<std::uint64_t> got(count);
      detail::shingle_values_avx512(u.data(), n, count, got.data());
      for (std::size_t j = 0; j < count; ++j) {
        std::uint64_t s = 0;
        for (std::size_t k = 0; k < n; ++k)
          s += u[j + k] * fast::base_pow(static_cast<std::uint32_t>(n - 1 - k));
        ASSERT_EQ(got[j], fast::fmix64(s)) << "n " << n << " shingle " << j << " of " << count;
      }
    }
  }
}

// Masked loads and stores of the signature's last register and of the last hashes must not touch
// a byte past either array: both end right before an unreadable page.
template <class H>
void affine_guarded(Scheme scheme) {
  GuardedPage hash_page, sig_page;
  std::mt19937_64 rng(47);
  std::size_t compared = 0;
  for (std::uint32_t k : {1u, 3u, 5u, 7u, 9u, 15u, 17u, 31u, 33u, 100u, 129u, 135u, 300u}) {
    const Permutations perms = make_permutations(k, 5, scheme);
    for (std::size_t count : {1u, 2u, 3u, 7u, 9u, 15u, 17u, 31u, 33u, 63u, 65u, 500u}) {
      std::vector<H> hashes(count);
      for (auto& h : hashes)
        h = static_cast<H>(rng());
      ASSERT_LE(count * sizeof(H), hash_page.size());
      ASSERT_LE(k * sizeof(H), sig_page.size());
      const H* at = hash_page.place_array(hashes);
      std::vector<H> ref(k, static_cast<H>(~H{0}));
      minhash_update(hashes.data(), count, perms, ref.data());
      for (SimdPath path : supported_simd_paths()) {
        H* sig = sig_page.place_array(std::vector<H>(k, static_cast<H>(~H{0})));
        if constexpr (sizeof(H) == 8) {
          MinHasher(perms, path).update64(at, count, sig);
        } else {
          MinHasher(perms, path).update(at, count, sig);
        }
        ASSERT_EQ(std::vector<H>(sig, sig + k), ref)
            << scheme_name(scheme) << " " << simd_path_name(path) << " K=" << k
            << " count=" << count;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 150u);
}

TEST(AffineMinHash, Affine32TouchesNothingPastHashesOrSignature) {
  affine_guarded<std::uint32_t>(Scheme::affine32);
}

TEST(AffineMinHash, Affine64TouchesNothingPastHashesOrSignature) {
  affine_guarded<std::uint64_t>(Scheme::affine64);
}

TEST(SpacesSimd, WordStartsEqualTheTextsWords) {
  if (!detail::avx512vbmi2_supported()) GTEST_SKIP() << "this CPU has no AVX-512 BW and VBMI2";
  GuardedPage guard;
  std::mt19937 rng(43);
  std::size_t compared = 0;
  for (std::size_t max_len : {1u, 2u, 3u, 8u, 63u, 64u, 70u, 130u}) {
    for (std::size_t words : {1u, 2u, 8u, 9u, 31u, 32u, 33u, 64u, 65u, 200u}) {
      std::vector<std::size_t> want;
      const std::string text = make_text(rng, words, max_len, want);
      if (text.size() >= guard.size()) continue;
      const auto* at = reinterpret_cast<const unsigned char*>(guard.place(text));
      std::vector<std::size_t> got(text.size() + 2 + 16, 7);
      const std::size_t n = spaces::word_starts_avx512(at, text.size(), got.data());
      ASSERT_EQ(n, words) << "max_len " << max_len;
      got.resize(words + 1);
      ASSERT_EQ(got, want) << "max_len " << max_len << ", " << words << " words";
      compared += words;
    }
  }
  EXPECT_GT(compared, 2000u);
}

}  // namespace
}  // namespace dupscan
