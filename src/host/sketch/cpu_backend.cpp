#include <algorithm>
#include <type_traits>

#include "common/avx512.hpp"
#include "common/radix_sort.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/choices.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/spec.hpp"
#include "sketch/sha1_shingles.hpp"
#include "sketch/spaces.hpp"
#include "sketch/xxh64_simd.hpp"

namespace dupscan {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(SketchParams params) : p_(std::move(params)), hasher_(p_.perms) {}

  std::string name() const override { return "cpu"; }
  std::string detail() const override {
    // What the run's summary says the CPU computes: the sketch, and the SIMD path of MinHash.
    if (p_.kind == SketchKind::fast) return "fast sketch (OPH)";
    std::string d = std::string("MinHash (") + simd_path_name(hasher_.path()) + ")";
    if (p_.shingle_hash == ShingleHash::sha1) {
      d += std::string(", SHA-1 shingle hashes (") +
           detail::sha1_path_name(detail::active_sha1_path()) + ")";
    }
    return d;
  }
  // The engine's read batches (1 MiB of JSONL) are sketched as they come.
  std::size_t batch_bytes() const override { return std::size_t{1} << 20; }

  Ticket submit(const NormalizedBatch& batch, bool signatures, SketchBatch& out) override {
    const std::size_t n = batch.size();
    out.signatures.clear();
    out.signatures64.clear();
    out.band_keys.assign(n * p_.lsh.bands, 0);
    out.shingle_counts.assign(n, 0);
    if (p_.kind == SketchKind::compat && p_.perms.scheme == Scheme::affine64) {
      sketch_batch<std::uint64_t>(batch, signatures, out.signatures64, out);
    } else {
      sketch_batch<std::uint32_t>(batch, signatures, out.signatures, out);
    }
    return 0;
  }
  void wait(Ticket) override {}

  void verification_sets(const NormalizedBatch& batch, FlatSets& out) override {
    out.values.clear();
    out.offsets.assign(1, 0);
    thread_local std::vector<std::uint64_t> set;
    for (std::size_t d = 0; d < batch.size(); ++d) {
      verification_set(batch.doc(d), p_.shingle, p_.kind, set);
      out.values.insert(out.values.end(), set.begin(), set.end());
      out.offsets.push_back(out.values.size());
    }
  }

 private:
  // The sketch of every document of a batch with Value-wide signatures (uint64: affine64; uint32:
  // legacy, affine32 and the fast sketch) into sigs (n * K) when asked for, else each into one
  // scratch signature; band keys and shingle counts into out.
  template <class Value>
  void sketch_batch(const NormalizedBatch& batch, bool signatures, std::vector<Value>& sigs,
                    SketchBatch& out) const {
    const std::size_t n = batch.size();
    const std::size_t k = p_.num_perm();
    const std::uint32_t bands = p_.lsh.bands;
    constexpr Value empty = static_cast<Value>(~Value{0});  // spec::max_hash / max_hash64
    thread_local std::vector<Value> scratch;
    if (signatures) {
      sigs.assign(n * k, empty);
    } else {
      scratch.resize(k);
    }
    thread_local std::vector<Value> hashes;  // one document's shingle hashes
    for (std::size_t d = 0; d < n; ++d) {
      Value* sig = signatures ? sigs.data() + d * k : scratch.data();
      std::size_t count;
      if constexpr (std::is_same_v<Value, std::uint64_t>) {
        shingle_hashes64(batch.doc(d), p_.shingle, hashes, p_.shingle_hash);
        if (!signatures) std::fill(sig, sig + k, empty);
        hasher_.update64(hashes.data(), hashes.size(), sig);
        count = hashes.size();
      } else if (p_.kind == SketchKind::fast) {
        // The fast sketch ignores the scheme: it takes only K from the permutations.
        count = fast_signature(batch.doc(d), p_.shingle, static_cast<std::uint32_t>(k), sig);
      } else {
        // Shingle hashes of one document go to a small scratch vector, then into the K minima.
        shingle_hashes(batch.doc(d), p_.shingle, hashes, p_.shingle_hash);
        if (!signatures) std::fill(sig, sig + k, empty);
        hasher_.update(hashes.data(), hashes.size(), sig);
        count = hashes.size();
      }
      out.shingle_counts[d] = static_cast<std::uint32_t>(count);
      if (count) band_keys(sig, p_.lsh, out.band_keys.data() + d * bands);
    }
  }

  SketchParams p_;
  MinHasher hasher_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const SketchParams& params) {
  return std::make_unique<CpuBackend>(params);
}

namespace {

// Hashes every shingle of a normalized text with `hash` (spec::shingle_hash64), in
// for_each_shingle's order; T = uint64_t keeps all 64 bits, T = uint32_t the low 32 (step 4). Word
// shingles come from word starts found 64 bytes at a time (spaces.hpp; the two-pointer scan of
// for_each_shingle mispredicts at every word end) and are hashed eight at a time where the CPU has
// AVX-512 (xxh64_simd.hpp), or with SHA-NI for sha1 (sha1_shingles.hpp): the same values.
template <class T>
void hash_shingles(std::string_view normalized, const ShingleSpec& shingle, std::vector<T>& out,
                   ShingleHash which) {
  out.clear();
  const char* text = normalized.data();
  const std::size_t len = normalized.size();
  const detail::Sha1Path sha1_path =
      which == ShingleHash::sha1 ? detail::active_sha1_path() : detail::Sha1Path::scalar;
  auto hash = [&](const char* s, std::size_t n) {
    return static_cast<T>(which == ShingleHash::sha1 ? detail::sha1_prefix64(s, n, sha1_path)
                                                     : spec::xxh64(s, n, 0));
  };
  if (shingle.kind != ShingleKind::word || len == 0) {
    for_each_shingle(text, len, shingle.kind, shingle.n,
                     [&](const char* s, std::size_t n) { out.push_back(hash(s, n)); });
    return;
  }
  thread_local std::vector<std::size_t> starts;
  const std::size_t words =
      spaces::word_starts(reinterpret_cast<const unsigned char*>(text), len, starts);
  const std::size_t* ws = starts.data();
  const std::size_t n = shingle.n;
  if (words < n) {
    out.push_back(hash(text, len));
    return;
  }
  out.resize(words - n + 1);
  if (which == ShingleHash::sha1) {
    detail::sha1_word_shingles(text, ws, n, out.size(), out.data(), sha1_path);
  } else {
    detail::xxh64_word_shingles(text, ws, n, out.size(), out.data(), detail::avx512dq_default());
  }
  if (starts.size() > (std::size_t{64} << 20)) std::vector<std::size_t>().swap(starts);
}

}  // namespace

void shingle_hashes(std::string_view normalized, const ShingleSpec& shingle,
                    std::vector<std::uint32_t>& out, ShingleHash hash) {
  hash_shingles(normalized, shingle, out, hash);
}

void verification_set(std::string_view normalized, const ShingleSpec& shingle, SketchKind kind,
                      std::vector<std::uint64_t>& out) {
  if (kind == SketchKind::fast) {
    fast_shingle_values(normalized, shingle, out);
  } else {
    // Full 64-bit XXH64: with 32-bit hashes a million one-shingle documents would already hold
    // about a hundred colliding pairs, each "verified" at Jaccard 1.
    hash_shingles(normalized, shingle, out, ShingleHash::xxh64);
  }
  sort_hashes(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

const char* sketch_kind_name(SketchKind kind) {
  return kind == SketchKind::fast ? "fast" : "compat";
}

Choices sketch_choices() {
  return {sketch_kind_name(SketchKind::compat), sketch_kind_name(SketchKind::fast)};
}

void shingle_hashes64(std::string_view normalized, const ShingleSpec& shingle,
                      std::vector<std::uint64_t>& out, ShingleHash hash) {
  hash_shingles(normalized, shingle, out, hash);
}

}  // namespace dupscan
