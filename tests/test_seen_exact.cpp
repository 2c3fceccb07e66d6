// SeenExact (dedup/seen_exact.hpp), pass 1's set of exact hashes: against std::set on keys that
// collide in their shard and slot bits, the {0, 0} key its empty slots use, the --memory cap, and
// fill() (a resumed run's loaded parts) against one insert() after another.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <utility>
#include <vector>

#include "dedup/seen_exact.hpp"

namespace dupscan {
namespace {

using Key = std::pair<std::uint64_t, std::uint64_t>;

// Keys with few distinct low and high bits: many land in one shard and probe past each other.
std::vector<XXH128_hash_t> crowded_keys(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<XXH128_hash_t> keys;
  for (std::size_t i = 0; i < n; ++i)
    keys.push_back({rng() % 300 * 64, rng() % 97});  // {0, 0} among them
  return keys;
}

TEST(SeenExact, InsertSaysWhatAStdSetSays) {
  SeenExact seen(SIZE_MAX);
  std::set<Key> ref;
  std::size_t zeros = 0;
  for (const XXH128_hash_t& k : crowded_keys(60000, 1)) {
    zeros += k.low64 == 0 && k.high64 == 0;
    ASSERT_EQ(seen.insert(k), ref.insert({k.low64, k.high64}).second) << k.low64 << " " << k.high64;
  }
  EXPECT_GT(zeros, 1u);           // the empty slots' value was inserted, and then seen
  EXPECT_GT(ref.size(), 20000u);  // and the shards grew past their first size
}

TEST(SeenExact, PastItsCapANewKeyCountsAsNewAndIsNotKept) {
  SeenExact seen(3);
  EXPECT_TRUE(seen.insert({1, 1}));
  EXPECT_TRUE(seen.insert({0, 0}));
  EXPECT_TRUE(seen.insert({2, 2}));
  EXPECT_FALSE(seen.insert({1, 1}));  // kept
  EXPECT_FALSE(seen.insert({0, 0}));
  EXPECT_TRUE(seen.insert({3, 3}));  // full: new, and not kept
  EXPECT_TRUE(seen.insert({3, 3}));
}

TEST(SeenExact, FillIsOneInsertAfterAnother) {
  const std::vector<XXH128_hash_t> loaded = crowded_keys(30000, 2), later = crowded_keys(30000, 3);
  for (std::size_t cap : {std::size_t{SIZE_MAX}, std::size_t{5000}}) {
    SeenExact filled(cap), inserted(cap);
    filled.fill(loaded);
    for (const XXH128_hash_t& k : loaded)
      inserted.insert(k);
    for (const XXH128_hash_t& k : later)
      ASSERT_EQ(filled.insert(k), inserted.insert(k)) << "cap " << cap;
  }
}

}  // namespace
}  // namespace dupscan
