// The CPU contam probe (contam_probe.hpp), the reference: per document on the calling thread, a
// rolling hash of the seed window, the candidates' groups found in an open-addressing table, and
// the near-duplicate windows' sketches from the document's 5-gram values.
#include <algorithm>

#include "dupscan/contam_probe.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/minhash.hpp"

namespace dupscan {
namespace {

class CpuContamProbe final : public ContamProbe {
 public:
  explicit CpuContamProbe(std::shared_ptr<const ProbeTables> tables) : t_(std::move(tables)) {
    std::size_t cap = 16;
    while (cap < 2 * t_->hashes.size())
      cap <<= 1;
    slots_.assign(cap, 0);
    mask_ = cap - 1;
    for (std::uint32_t g = 0; g < t_->hashes.size(); ++g) {
      std::size_t s = t_->hashes[g] & mask_;
      while (slots_[s])
        s = (s + 1) & mask_;
      slots_[s] = g + 1;
    }
  }

  Ticket submit(const ProbeBatch& batch, ProbeResult& out) override {
    out.candidates.clear();
    out.windows.clear();
    out.window_keys.clear();
    thread_local std::vector<std::uint64_t> u;
    for (std::uint32_t d = 0; d < batch.size(); ++d) {
      const std::size_t words = batch.words(d);
      // The document's words end where it ends (word_hashes reads to the end of its text).
      const std::string_view text =
          std::string_view(batch.docs.text).substr(0, batch.docs.offsets[d + 1]);
      u.resize(words);
      word_hashes(text, batch.word_start.data() + batch.doc_word[d], words, u.data());
      candidates(d, u.data(), words, out);
      if (!t_->windows.empty() && words > 0) windows(d, batch.docs.doc(d), words, out);
    }
    return 0;
  }
  void wait(Ticket) override {}
  std::size_t batch_bytes() const override { return std::size_t{1} << 20; }

 private:
  // Group of hash h, or -1.
  std::int64_t find(std::uint64_t h) const {
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const std::uint32_t g = slots_[s];
      if (!g) return -1;
      if (t_->hashes[g - 1] == h) return g - 1;
    }
  }

  void candidates(std::uint32_t d, const std::uint64_t* u, std::size_t words,
                  ProbeResult& out) const {
    const std::size_t m = t_->seed_len;
    if (words < m || m == 0) return;
    const unsigned shift = 64 - t_->seed_bits;
    const std::uint64_t* filter = t_->seed_filter.data();
    // Rolling hash of the seed window [i, i + m).
    const std::uint64_t top = fast::base_pow(static_cast<std::uint32_t>(m));
    std::uint64_t s = 0;
    for (std::size_t k = 0; k < m; ++k)
      s = s * fast::kBase + u[k];
    for (std::size_t i = 0;; ++i) {
      if (probe::test_bit(filter, fast::fmix64(s) >> shift)) {
        for (std::uint32_t len : t_->lengths) {
          if (i + len > words) break;
          const std::int64_t g = find(probe::ngram_hash(u + i, len));
          if (g >= 0) {
            out.candidates.push_back(
                {d, static_cast<std::uint32_t>(i), len, static_cast<std::uint32_t>(g)});
          }
        }
      }
      if (i + m >= words) break;
      s = s * fast::kBase + u[i + m] - u[i] * top;
    }
  }

  void windows(std::uint32_t d, std::string_view text, std::size_t words, ProbeResult& out) const {
    thread_local std::vector<std::uint64_t> values;
    thread_local std::vector<std::uint32_t> hits, sig;
    thread_local std::vector<std::uint64_t> keys;
    const ShingleSpec shingle{ShingleKind::word, t_->near_n};
    fast_shingle_values(text, shingle, values);
    // hits[k]: shingles among the first k that may occur in a benchmark.
    const unsigned shift = 64 - t_->near_bits;
    hits.resize(values.size() + 1);
    hits[0] = 0;
    for (std::size_t k = 0; k < values.size(); ++k)
      hits[k + 1] = hits[k] + probe::test_bit(t_->near_filter.data(), values[k] >> shift);
    if (hits.back() == 0) return;
    const std::uint32_t k = t_->near_k, bands = t_->near_lsh.bands;
    sig.resize(k);
    keys.resize(bands);
    const auto w = static_cast<std::uint32_t>(words);
    const auto nv = static_cast<std::uint32_t>(values.size());
    std::uint32_t sketched_first = UINT32_MAX, sketched_last = 0;  // the window `keys` belong to
    for (std::uint32_t c = 0; c < t_->windows.size(); ++c) {
      const std::uint32_t len = t_->windows[c];
      const std::uint32_t count = probe::near_window_count(w, len);
      for (std::uint32_t a = 0; a < count; ++a) {
        std::uint32_t first, last;
        probe::near_window(w, nv, t_->near_n, len, a, first, last);
        if (!probe::near_window_passes(hits[last] - hits[first], last - first,
                                       t_->near_threshold)) {
          continue;
        }
        if (first != sketched_first || last != sketched_last) {  // a short document: the same
          oph_signature(values.data() + first, last - first, k, sig.data());  // window for every
          band_keys(sig.data(), t_->near_lsh, keys.data());  // class longer than it
          sketched_first = first;
          sketched_last = last;
        }
        out.windows.push_back({d, c, first, last});
        out.window_keys.insert(out.window_keys.end(), keys.begin(), keys.end());
      }
    }
  }

  std::shared_ptr<const ProbeTables> t_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
};

}  // namespace

std::unique_ptr<ContamProbe> make_cpu_contam_probe(std::shared_ptr<const ProbeTables> tables) {
  return std::make_unique<CpuContamProbe>(std::move(tables));
}

}  // namespace dupscan
