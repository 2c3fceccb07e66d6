// libFuzzer target: the shingler and both sketches' host fast paths against their references.
// Input: a shingle spec byte, then text (normalized first). Invariants: shingle_hashes equals the
// XXH64 of what for_each_shingle enumerates; fast_shingle_values equals the reference spec
// functions (both computed eight at a time on AVX-512 CPUs); the one-pass fast signature equals
// values + oph_signature; verification sets are sorted and duplicate-free, and the compat one is
// the set of the shingles' 64-bit XXH64.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/shingle.hpp"
#include "dupscan/spec.hpp"
#include "text/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const dupscan::ShingleSpec sh{
      data[0] & 0x80 ? dupscan::ShingleKind::character : dupscan::ShingleKind::word,
      static_cast<std::uint32_t>(1 + (data[0] & 0x0F))};
  const std::string norm =
      dupscan::normalize(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));

  std::vector<std::uint32_t> fast32, ref32;
  std::vector<std::uint64_t> xxh64_set;
  dupscan::shingle_hashes(norm, sh, fast32);
  std::vector<std::string> shingles;
  dupscan::for_each_shingle(norm.data(), norm.size(), sh.kind, sh.n,
                            [&](const char* p, std::size_t n) {
                              shingles.emplace_back(p, n);
                              ref32.push_back(dupscan::spec::shingle_hash(p, n));
                              xxh64_set.push_back(dupscan::spec::xxh64(p, n, 0));
                            });
  if (fast32 != ref32) std::abort();

  // The fast sketch's values from the spec's reference functions.
  std::vector<std::uint64_t> units;
  if (sh.kind == dupscan::ShingleKind::word) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= norm.size() && !norm.empty(); ++i) {
      if (i < norm.size() && norm[i] != ' ') continue;
      units.push_back(dupscan::fast::word_hash(
          reinterpret_cast<const unsigned char*>(norm.data()) + start, i - start));
      start = i + 1;
    }
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(norm.data());
    const auto* end = p + norm.size();
    while (p < end) {
      const auto d = dupscan::utf8::decode(p, end);
      units.push_back(dupscan::fast::char_hash(d.cp));
      p += d.length;
    }
  }
  std::vector<std::uint64_t> ref64;
  const std::size_t m = units.size(), w = m < sh.n ? m : sh.n;
  for (std::size_t j = 0; m > 0 && j + w <= m; ++j) {
    std::uint64_t s = 0;
    for (std::size_t k = 0; k < w; ++k)
      s = s * dupscan::fast::kBase + units[j + k];
    ref64.push_back(dupscan::fast::fmix64(s));
  }
  std::vector<std::uint64_t> fast64;
  dupscan::fast_shingle_values(norm, sh, fast64);
  if (fast64 != ref64) std::abort();
  if (fast64.size() != shingles.size()) std::abort();

  std::vector<std::uint32_t> a(32), b(32);
  dupscan::oph_signature(fast64.data(), fast64.size(), 32, a.data());
  if (dupscan::fast_signature(norm, sh, 32, b.data()) != fast64.size() || a != b) std::abort();

  for (auto kind : {dupscan::SketchKind::compat, dupscan::SketchKind::fast}) {
    std::vector<std::uint64_t> set;
    dupscan::verification_set(norm, sh, kind, set);
    for (std::size_t i = 1; i < set.size(); ++i) {
      if (set[i - 1] >= set[i]) std::abort();
    }
    if (kind == dupscan::SketchKind::compat) {
      std::sort(xxh64_set.begin(), xxh64_set.end());
      xxh64_set.erase(std::unique(xxh64_set.begin(), xxh64_set.end()), xxh64_set.end());
      if (set != xxh64_set) std::abort();
    }
  }
  return 0;
}
