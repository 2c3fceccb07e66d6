#include <algorithm>

#include "dupscan/backend.hpp"
#include "dupscan/spec.hpp"

namespace dupscan {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(SketchParams params) : p_(std::move(params)) {}

  std::string name() const override { return "cpu"; }
  bool concurrent() const override { return true; }

  void sketch(const NormalizedBatch& batch, SketchBatch& out) override {
    const std::size_t n = batch.size();
    const std::size_t k = p_.num_perm();
    out.signatures.assign(n * k, spec::max_hash);
    out.band_keys.assign(n * p_.lsh.bands, 0);
    out.shingle_counts.assign(n, 0);
    // Shingle hashes of one document go to a small scratch vector, then into the K minima: the
    // permutation loop runs over all K values per hash, which the compiler vectorizes.
    thread_local std::vector<std::uint32_t> hashes;
    for (std::size_t d = 0; d < n; ++d) {
      const std::string_view doc = batch.doc(d);
      hashes.clear();
      for_each_shingle(
          doc.data(), doc.size(), p_.shingle.kind, p_.shingle.n,
          [&](const char* s, std::size_t len) { hashes.push_back(spec::shingle_hash(s, len)); });
      std::uint32_t* sig = out.signatures.data() + d * k;
      minhash_update(hashes.data(), hashes.size(), p_.perms, sig);
      out.shingle_counts[d] = static_cast<std::uint32_t>(hashes.size());
      if (!hashes.empty()) band_keys(sig, p_.lsh, out.band_keys.data() + d * p_.lsh.bands);
    }
  }

 private:
  SketchParams p_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const SketchParams& params) {
  return std::make_unique<CpuBackend>(params);
}

void shingle_hash_set(std::string_view normalized, const ShingleSpec& shingle,
                      std::vector<std::uint32_t>& out) {
  out.clear();
  for_each_shingle(
      normalized.data(), normalized.size(), shingle.kind, shingle.n,
      [&](const char* s, std::size_t len) { out.push_back(spec::shingle_hash(s, len)); });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

double jaccard(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  std::size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++inter;
      ++i;
      ++j;
    }
  }
  const std::size_t uni = a.size() + b.size() - inter;
  return uni == 0 ? 0.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

}  // namespace dupscan
