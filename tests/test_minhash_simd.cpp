// Every SIMD path of the MinHash kernel gives the bits of the scalar reference (FAISS's
// test_distances_dispatch way): over tail sizes of K and of the hash count, edge values, and
// permutations chosen to hit the one case where (x & p) + (x >> 61) reaches p (which the vector
// kernels' shortcut leaves to the exact kernel).
#include <algorithm>
#include <random>

#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

std::vector<std::uint32_t> reference(const std::vector<std::uint32_t>& hashes,
                                     const Permutations& perms) {
  std::vector<std::uint32_t> sig(perms.size(), spec::max_hash);
  minhash_update(hashes.data(), hashes.size(), perms, sig.data());
  return sig;
}

TEST(MinHashSimd, EveryPathEqualsTheScalarReference) {
  const auto paths = supported_simd_paths();
  std::printf("SIMD paths on this CPU:");
  for (SimdPath p : paths)
    std::printf(" %s", simd_path_name(p));
  std::printf("\n");
  std::mt19937 rng(17);
  std::size_t compared = 0;
  for (std::uint32_t k : {1u,  3u,  4u,  7u,   8u,   9u,   15u,  16u,  17u,  31u,
                          32u, 33u, 64u, 100u, 127u, 128u, 129u, 135u, 256u, 260u}) {
    const Permutations perms = make_permutations(k, k * 7 + 1);
    for (std::size_t count : {0u, 1u, 2u, 3u, 7u, 8u, 9u, 31u, 33u, 500u}) {
      std::vector<std::uint32_t> hashes(count);
      for (auto& h : hashes)
        h = rng();
      if (count > 2) {
        hashes[0] = 0;
        hashes[1] = 0xFFFFFFFFu;
      }
      const auto ref = reference(hashes, perms);
      for (SimdPath path : paths) {
        const MinHasher hasher(perms, path);
        std::vector<std::uint32_t> sig(k, spec::max_hash);
        hasher.update(hashes.data(), hashes.size(), sig.data());
        ASSERT_EQ(sig, ref) << simd_path_name(path) << " K=" << k << " count=" << count;
        // Updating an existing signature in two steps gives the same as one step.
        std::vector<std::uint32_t> two(k, spec::max_hash);
        hasher.update(hashes.data(), count / 2, two.data());
        hasher.update(hashes.data() + count / 2, count - count / 2, two.data());
        ASSERT_EQ(two, ref) << simd_path_name(path) << " K=" << k << " count=" << count;
        ++compared;
      }
    }
  }
  EXPECT_GE(compared, 200u);
}

TEST(MinHashSimd, ReductionEdgeWhereTheFoldReachesThePrime) {
  // With a = 1 and b = p - h0, x = a*h0 + b = p exactly: (x & p) + (x >> 61) = p, which must
  // reduce to 0. Other lanes cover x just below and above p, and x wrapping past 2^64.
  const std::uint64_t p = spec::mersenne61;
  Permutations perms;
  for (std::uint64_t d = 0; d < 24; ++d) {
    perms.a.push_back(1);
    perms.b.push_back(p - 3 - (d % 8) + 1);  // x = h + p - 2 - d%8 around p for small h
  }
  for (std::uint64_t d = 0; d < 8; ++d) {
    perms.a.push_back(p - 1 - d);  // large a: a*h wraps modulo 2^64
    perms.b.push_back(p - 1 - 3 * d);
  }
  std::vector<std::uint32_t> hashes;
  for (std::uint32_t h = 0; h < 12; ++h)
    hashes.push_back(h);
  hashes.push_back(0xFFFFFFFFu);
  // Each hash alone, so that the minimum does not hide the edge values.
  for (std::uint32_t h : hashes) {
    const std::vector<std::uint32_t> one{h};
    const auto ref = reference(one, perms);
    for (SimdPath path : supported_simd_paths()) {
      std::vector<std::uint32_t> sig(perms.size(), spec::max_hash);
      MinHasher(perms, path).update(one.data(), 1, sig.data());
      ASSERT_EQ(sig, ref) << simd_path_name(path) << " h=" << h;
    }
  }
  // And the reference itself: permute(1, p - 3, 3) = p mod p = 0.
  EXPECT_EQ(spec::permute(1, p - 3, 3), 0u);
}

// The vector kernels compute lo32(x + (x >> 61)) and leave out the fold's carry, which only the
// hashes MinHasher::solve_carry_hashes lists need; a call that sees one runs the exact kernel.
// Permutations are built here so that a chosen hash h0 hits the carry, for multipliers with 0 to
// 29 trailing zero bits; the solver must list h0, every hash in a window around it where the
// shortcut is wrong must be listed, and every path must still equal the reference.
TEST(MinHashSimd, CarryHashesAreSolvedAndTakeTheExactKernel) {
  constexpr std::uint64_t two61 = std::uint64_t{1} << 61;
  const auto shortcut = [](std::uint64_t a, std::uint64_t b, std::uint32_t h) {
    const std::uint64_t x = a * h + b;
    return static_cast<std::uint32_t>(x + (x >> 61));
  };
  std::mt19937_64 rng(5);
  Permutations perms = make_permutations(64, 3);
  std::vector<std::uint32_t> planted;
  for (int s : {0, 1, 7, 20, 28, 29}) {
    for (std::uint64_t c : {two61 - 1, two61 - 4, two61 - 8}) {
      std::uint64_t a = 0;
      while (a == 0 || a >= spec::mersenne61)
        a = ((rng() >> 3) | 1) << s & (two61 - 1);
      const auto h0 = static_cast<std::uint32_t>(rng());
      const std::uint64_t b = (c - a * h0) & (two61 - 1);
      if (b >= spec::mersenne61) continue;
      std::vector<std::uint32_t> solved;
      ASSERT_TRUE(MinHasher::solve_carry_hashes(a, b, solved)) << "s=" << s;
      const std::uint64_t x = a * h0 + b;
      const bool carry = (x & spec::mersenne61) + (x >> 61) >= spec::mersenne61;
      EXPECT_EQ(shortcut(a, b, h0) != spec::permute(a, b, h0), carry);
      if (carry) {
        EXPECT_NE(std::find(solved.begin(), solved.end(), h0), solved.end()) << "s=" << s;
        planted.push_back(h0);
      }
      for (std::uint32_t h = h0 - 5000; h != h0 + 5000; ++h) {
        if (shortcut(a, b, h) != spec::permute(a, b, h)) {
          EXPECT_NE(std::find(solved.begin(), solved.end(), h), solved.end())
              << "s=" << s << " h=" << h;
        }
      }
      perms.a.push_back(a);
      perms.b.push_back(b);
    }
  }
  ASSERT_GE(planted.size(), 6u);
  // With 2^30 dividing a, a solution repeats every 2^(61-30) hashes or less: the solver declines.
  std::vector<std::uint32_t> none;
  EXPECT_FALSE(MinHasher::solve_carry_hashes(std::uint64_t{3} << 30, 5, none));
  EXPECT_TRUE(none.empty());

  std::vector<std::uint32_t> hashes;
  for (int i = 0; i < 40; ++i)
    hashes.push_back(static_cast<std::uint32_t>(rng()));
  for (SimdPath path : supported_simd_paths()) {
    const MinHasher hasher(perms, path);
    EXPECT_TRUE(hasher.fast());
    for (std::uint32_t h0 : planted) {
      EXPECT_TRUE(
          std::binary_search(hasher.carry_hashes().begin(), hasher.carry_hashes().end(), h0));
      // The planted hash alone (it must then be the minimum of its permutation's lane) and among
      // others.
      for (std::vector<std::uint32_t> in : {std::vector<std::uint32_t>{h0}, hashes}) {
        if (in.size() > 1) in.insert(in.begin() + 17, h0);
        std::vector<std::uint32_t> sig(perms.size(), spec::max_hash);
        hasher.update(in.data(), in.size(), sig.data());
        ASSERT_EQ(sig, reference(in, perms)) << simd_path_name(path) << " h0=" << h0;
      }
    }
  }
  // A multiplier divisible by 2^30 turns the shortcut off for the whole hasher; results unchanged.
  perms.a.push_back(std::uint64_t{12345} << 30);
  perms.b.push_back(two61 - 1 - (std::uint64_t{12345} << 30));
  for (SimdPath path : supported_simd_paths()) {
    const MinHasher hasher(perms, path);
    EXPECT_EQ(hasher.fast(), false);
    std::vector<std::uint32_t> sig(perms.size(), spec::max_hash);
    hasher.update(hashes.data(), hashes.size(), sig.data());
    ASSERT_EQ(sig, reference(hashes, perms)) << simd_path_name(path);
  }
}

// The affine schemes (minhash_affine.cpp) on every path against the scalar reference: K around
// every register width (16 and 8 lanes of affine32, 8 and 4 of affine64) and pass width (8
// registers), hash counts around the unrolling, the mixing width and the 1024-hash chunk,
// signatures that start from arbitrary values (some with the top bit set, where a signed
// comparison would go wrong), and updates split in two.
template <class H>
void affine_paths_equal_reference(Scheme scheme) {
  const auto paths = supported_simd_paths();
  std::mt19937_64 rng(static_cast<unsigned>(scheme) + 41);
  std::size_t compared = 0;
  for (std::uint32_t k : {1u,  2u,  3u,  4u,  5u,   7u,   8u,   9u,   15u,  16u,  17u,  31u, 32u,
                          33u, 63u, 64u, 65u, 100u, 127u, 128u, 129u, 135u, 256u, 260u, 300u}) {
    const Permutations perms = make_permutations(k, k * 3 + 2, scheme);
    std::vector<MinHasher> hashers;
    for (SimdPath path : paths)
      hashers.emplace_back(perms, path);
    for (std::size_t count : {0u,  1u,  2u,  3u,  7u,  8u,   9u,    15u,   16u,   17u,
                              31u, 32u, 33u, 64u, 65u, 500u, 1023u, 1024u, 1025u, 2100u}) {
      if (count > 100 && k > 64 && k % 2) continue;  // long inputs: enough with half of the K
      std::vector<H> hashes(count);
      for (auto& h : hashes)
        h = static_cast<H>(rng());
      if (count > 2) {
        hashes[0] = 0;
        hashes[1] = static_cast<H>(~H{0});
      }
      for (bool fresh : {true, false}) {
        std::vector<H> start(k, static_cast<H>(~H{0}));
        if (!fresh) {
          for (auto& v : start)
            v = static_cast<H>(rng() | (rng() & 1 ? 0 : ~(~H{0} >> 1)));
        }
        std::vector<H> ref = start;
        minhash_update(hashes.data(), hashes.size(), perms, ref.data());
        for (const MinHasher& hasher : hashers) {
          std::vector<H> sig = start, two = start;
          const std::size_t half = count / 2;
          if constexpr (sizeof(H) == 8) {
            hasher.update64(hashes.data(), count, sig.data());
            hasher.update64(hashes.data(), half, two.data());
            hasher.update64(hashes.data() + half, count - half, two.data());
          } else {
            hasher.update(hashes.data(), count, sig.data());
            hasher.update(hashes.data(), half, two.data());
            hasher.update(hashes.data() + half, count - half, two.data());
          }
          ASSERT_EQ(sig, ref) << scheme_name(scheme) << " " << simd_path_name(hasher.path())
                              << " K=" << k << " count=" << count << " fresh=" << fresh;
          ASSERT_EQ(two, ref) << scheme_name(scheme) << " " << simd_path_name(hasher.path())
                              << " K=" << k << " count=" << count << " in two steps";
          ++compared;
        }
      }
    }
  }
  EXPECT_GE(compared, 500u);
}

TEST(MinHashSimd, Affine32EveryPathEqualsTheScalarReference) {
  affine_paths_equal_reference<std::uint32_t>(Scheme::affine32);
}

TEST(MinHashSimd, Affine64EveryPathEqualsTheScalarReference) {
  affine_paths_equal_reference<std::uint64_t>(Scheme::affine64);
}

// Permutations chosen so single hashes hit the extremes of each lane: a = 1, b = 0 maps hash 0 to
// 0 (the finalizers fix 0); b = -1 maps it to the empty value; a*m + b wrapping exactly to 0; and
// values on both sides of the top bit.
TEST(MinHashSimd, AffineExtremeValuesOnEveryPath) {
  for (Scheme scheme : {Scheme::affine32, Scheme::affine64}) {
    const bool wide = scheme == Scheme::affine64;
    const std::uint64_t mask = wide ? ~std::uint64_t{0} : std::uint64_t{0xFFFFFFFFu};
    const std::uint64_t top = std::uint64_t{1} << (wide ? 63 : 31);
    const std::uint64_t one = 1, three = 3, zero = 0;
    const std::vector<std::uint64_t> hs = {0, 1, 2, top - 1, top, mask - 1, mask};
    Permutations perms;
    perms.scheme = scheme;
    for (std::uint64_t h : hs) {
      const std::uint64_t m = wide ? spec::fmix64(h) : spec::fmix32(static_cast<std::uint32_t>(h));
      for (std::uint64_t a : {one, three, mask, top + 1}) {
        const std::uint64_t am = (a * m) & mask;
        for (std::uint64_t target : {zero, one, top - 1, top, mask - 1, mask}) {
          perms.a.push_back(a);
          perms.b.push_back((target - am) & mask);  // a*m + b = target for this hash
        }
      }
    }
    for (std::uint64_t h : hs) {
      for (SimdPath path : supported_simd_paths()) {
        const MinHasher hasher(perms, path);
        if (wide) {
          std::vector<std::uint64_t> ref(perms.size(), spec::max_hash64), sig = ref;
          minhash_update(&h, 1, perms, ref.data());
          hasher.update64(&h, 1, sig.data());
          ASSERT_EQ(sig, ref) << simd_path_name(path) << " h=" << h;
        } else {
          const auto h32 = static_cast<std::uint32_t>(h);
          std::vector<std::uint32_t> ref(perms.size(), spec::max_hash), sig = ref;
          minhash_update(&h32, 1, perms, ref.data());
          hasher.update(&h32, 1, sig.data());
          ASSERT_EQ(sig, ref) << simd_path_name(path) << " h=" << h;
        }
      }
    }
  }
}

TEST(MinHashSimd, EnvironmentForcesAPath) {
  ::setenv("DUPSCAN_SIMD", "scalar", 1);
  EXPECT_EQ(active_simd_path(), SimdPath::scalar);
  EXPECT_EQ(MinHasher(make_permutations(8, 1)).path(), SimdPath::scalar);
  ::setenv("DUPSCAN_SIMD", "sse9", 1);
  EXPECT_THROW(active_simd_path(), UsageError);
  ::unsetenv("DUPSCAN_SIMD");
  EXPECT_EQ(active_simd_path(), supported_simd_paths().back());
}

}  // namespace
}  // namespace dupscan
