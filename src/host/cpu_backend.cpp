#include <algorithm>

#include "dupscan/backend.hpp"
#include "dupscan/spec.hpp"

namespace dupscan {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(SketchParams params) : p_(std::move(params)), hasher_(p_.perms) {}

  std::string name() const override { return "cpu"; }
  std::string detail() const override { return simd_path_name(hasher_.path()); }
  bool concurrent() const override { return true; }

  void sketch(const NormalizedBatch& batch, SketchBatch& out) override {
    const std::size_t n = batch.size();
    const std::size_t k = p_.num_perm();
    out.signatures.assign(n * k, spec::max_hash);
    out.band_keys.assign(n * p_.lsh.bands, 0);
    out.shingle_counts.assign(n, 0);
    // Shingle hashes of one document go to a small scratch vector, then into the K minima.
    thread_local std::vector<std::uint32_t> hashes;
    for (std::size_t d = 0; d < n; ++d) {
      const std::string_view doc = batch.doc(d);
      shingle_hashes(doc, p_.shingle, hashes);
      std::uint32_t* sig = out.signatures.data() + d * k;
      hasher_.update(hashes.data(), hashes.size(), sig);
      out.shingle_counts[d] = static_cast<std::uint32_t>(hashes.size());
      if (!hashes.empty()) band_keys(sig, p_.lsh, out.band_keys.data() + d * p_.lsh.bands);
    }
  }

 private:
  SketchParams p_;
  MinHasher hasher_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const SketchParams& params) {
  return std::make_unique<CpuBackend>(params);
}

void shingle_hashes(std::string_view normalized, const ShingleSpec& shingle,
                    std::vector<std::uint32_t>& out) {
  out.clear();
  const char* text = normalized.data();
  const std::size_t len = normalized.size();
  if (shingle.kind != ShingleKind::word || len == 0) {
    for_each_shingle(text, len, shingle.kind, shingle.n, [&](const char* s, std::size_t n) {
      out.push_back(spec::shingle_hash(s, n));
    });
    return;
  }
  // Word shingles as for_each_shingle defines them, from the word starts found in one pass without
  // branches on the data (the two-pointer scan mispredicts at every word end).
  thread_local std::vector<std::size_t> starts;
  if (starts.size() < len + 2) starts.resize(len + 2);
  std::size_t* ws = starts.data();
  std::size_t words = 1;
  ws[0] = 0;
  for (std::size_t i = 0; i < len; ++i) {
    ws[words] = i + 1;
    words += text[i] == ' ';
  }
  ws[words] = len + 1;  // as if a space followed the text: word j ends at ws[j + 1] - 1
  const std::size_t n = shingle.n;
  if (words < n) {
    out.push_back(spec::shingle_hash(text, len));
    return;
  }
  out.resize(words - n + 1);
  for (std::size_t j = 0; j + n <= words; ++j) {
    out[j] = spec::shingle_hash(text + ws[j], ws[j + n] - 1 - ws[j]);
  }
  if (starts.size() > (std::size_t{64} << 20)) std::vector<std::size_t>().swap(starts);
}

void shingle_hash_set(std::string_view normalized, const ShingleSpec& shingle,
                      std::vector<std::uint32_t>& out) {
  shingle_hashes(normalized, shingle, out);
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
