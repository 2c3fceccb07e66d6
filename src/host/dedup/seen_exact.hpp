// The exact hashes pass 1 has seen (SeenExact), shared by its workers: a document whose
// normalized text was seen before is not sketched again.
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace dupscan {

// Exact hashes seen so far in pass 1, shared by the workers. A document whose normalized text was
// already seen is not sketched: every member of an exact group has the same signature, so the
// group's LSH keys can come from whichever member was sketched first (group_exact_copies copies
// them), and the outputs do not depend on which one that was.
//
// Open addressing over flat arrays of 16-byte keys, in shards by the hash's low bits: a resumed
// run puts every sketched document of the parts it loads in here before it reads on (8 M at 10 M
// documents), where a node-based set spent a fifth of the resumed pass in allocation and rehashing.
class SeenExact {
 public:
  /// At most `cap` texts are remembered (--memory); past it, one not remembered counts as new.
  explicit SeenExact(std::size_t cap) : cap_(cap) {}
  /// True when h was not in the set (and now is, unless the set is full).
  bool insert(const XXH128_hash_t& h) {
    Shard& s = shards_[h.low64 % kShards];
    std::lock_guard<std::mutex> lock(s.m);
    if (h.low64 == 0 && h.high64 == 0) {  // the empty slot's value, kept apart
      const bool added = !s.has_zero;
      if (added && size_.load(std::memory_order_relaxed) < cap_) {
        s.has_zero = true;
        size_.fetch_add(1, std::memory_order_relaxed);
      }
      return added;
    }
    std::size_t at = s.find(h);
    if (!s.slots.empty() && !empty(s.slots[at])) return false;
    if (size_.load(std::memory_order_relaxed) >= cap_) return true;
    // Grown at half full: probes stay short.
    if (2 * (s.used + 1) > s.slots.size()) {
      s.grow();
      at = s.find(h);
    }
    s.slots[at] = h;
    ++s.used;
    size_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  /// insert() of each of `h`, in order, before any worker runs: the hashes of the parts a resumed
  /// run loads. The shards are sized once for them, and each key's slot is fetched into the cache
  /// a few keys ahead of its turn (a lookup that misses the cache is most of an insert's time).
  void fill(const std::vector<XXH128_hash_t>& h) {
    std::size_t per_shard[kShards] = {};
    for (const XXH128_hash_t& k : h)
      ++per_shard[k.low64 % kShards];
    for (std::size_t i = 0; i < kShards; ++i) {
      Shard& s = shards_[i];
      while (2 * (s.used + per_shard[i]) > s.slots.size())
        s.grow();
    }
    constexpr std::size_t kAhead = 16;
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (i + kAhead < h.size()) {
        const XXH128_hash_t& k = h[i + kAhead];
        const Shard& s = shards_[k.low64 % kShards];
        __builtin_prefetch(s.slots.data() + (k.high64 & (s.slots.size() - 1)));
      }
      insert(h[i]);
    }
  }

 private:
  static bool empty(const XXH128_hash_t& k) { return k.low64 == 0 && k.high64 == 0; }
  struct Shard {
    std::mutex m;
    std::vector<XXH128_hash_t> slots;  // a power of two of them; {0, 0}: empty
    std::size_t used = 0;
    bool has_zero = false;
    /// h's slot, or the empty one where it would go (slots must not be empty).
    std::size_t find(const XXH128_hash_t& h) const {
      if (slots.empty()) return 0;
      const std::size_t mask = slots.size() - 1;
      // The shard took the low bits; the high ones are as random.
      for (std::size_t i = h.high64 & mask;; i = (i + 1) & mask) {
        const XXH128_hash_t& k = slots[i];
        if (empty(k) || (k.low64 == h.low64 && k.high64 == h.high64)) return i;
      }
    }
    void grow() {
      std::vector<XXH128_hash_t> old(std::max<std::size_t>(slots.size() * 2, 1024),
                                     XXH128_hash_t{0, 0});
      old.swap(slots);
      for (const XXH128_hash_t& k : old) {
        if (!empty(k)) slots[find(k)] = k;
      }
    }
  };
  std::size_t cap_;
  std::atomic<std::size_t> size_{0};
  static constexpr std::size_t kShards = 64;  // enough that workers rarely wait on each other
  Shard shards_[kShards];
};

}  // namespace dupscan
