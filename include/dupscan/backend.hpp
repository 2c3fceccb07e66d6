/**
 * @file backend.hpp
 * @brief The Backend interface: what the CPU and CUDA backends compute from normalized text.
 *
 * The host orchestrator reads, parses and normalizes documents; a backend turns a batch of
 * normalized texts into signatures and band keys following spec.hpp. Every backend must produce the
 * same bits as `make_cpu_backend`, the reference (tests/test_backend.cpp compares the backends that
 * are available at run time).
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/minhash.hpp"
#include "dupscan/shingle.hpp"

namespace dupscan {

/// Which sketch: datasketch-compatible MinHash (spec.hpp), or OPH (fast_sketch.hpp).
enum class SketchKind : std::uint8_t { compat, fast };

/// "compat" or "fast".
const char* sketch_kind_name(SketchKind kind);

/// What a backend needs to sketch: shingles, permutations, bands.
struct SketchParams {
  SketchKind kind = SketchKind::compat;
  ShingleSpec shingle;
  Permutations perms;  ///< K = perms.size() (the fast sketch uses only their count)
  LshParams lsh;       ///< bands * rows <= K

  std::uint32_t num_perm() const { return static_cast<std::uint32_t>(perms.size()); }
};

/// Normalized documents stored back to back: document i is text[offsets[i], offsets[i + 1]).
struct NormalizedBatch {
  std::string text;
  std::vector<std::uint64_t> offsets{0};

  std::size_t size() const { return offsets.size() - 1; }
  std::string_view doc(std::size_t i) const {
    return std::string_view(text).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
  void add(std::string_view normalized) {
    text.append(normalized);
    offsets.push_back(text.size());
  }
  void clear() {
    text.clear();
    offsets.assign(1, 0);
  }
};

/// Per-document results of Backend::sketch, document-major.
struct SketchBatch {
  std::vector<std::uint32_t> signatures;      ///< size() * K values
  std::vector<std::uint64_t> band_keys;       ///< size() * bands keys (garbage for empty documents)
  std::vector<std::uint32_t> shingle_counts;  ///< shingles per document (0 for empty documents)
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// "cpu" or "cuda".
  virtual std::string name() const = 0;
  /// What runs inside: the SIMD path on the CPU ("avx512"), the device on CUDA.
  virtual std::string detail() const = 0;
  /// True when sketch() may be called from several threads at once, each with its own batch.
  virtual bool concurrent() const = 0;
  /**
   * @brief Sketch every document of `batch` (spec.hpp steps 3-6): signatures, band keys, shingle
   * counts, resized to fit. An empty document gets an all-`max_hash` signature and no shingles.
   */
  virtual void sketch(const NormalizedBatch& batch, SketchBatch& out) = 0;
};

/// The reference backend: plain C++ on the calling thread (concurrent() is true).
std::unique_ptr<Backend> make_cpu_backend(const SketchParams& params);

/**
 * @brief The 32-bit hashes of every shingle of one normalized text, in order, repeats included
 * (what for_each_shingle enumerates, hashed by spec::shingle_hash), written to `out`.
 */
void shingle_hashes(std::string_view normalized, const ShingleSpec& shingle,
                    std::vector<std::uint32_t>& out);

/**
 * @brief The full 64-bit XXH64 (seed 0) of every shingle of one normalized text, in order, repeats
 * included (the same enumeration as shingle_hashes): the hashes the affine64 scheme sketches
 * (spec.hpp steps 4-5), written to `out`.
 */
void shingle_hashes64(std::string_view normalized, const ShingleSpec& shingle,
                      std::vector<std::uint64_t>& out);

/**
 * @brief The set verification compares (spec.hpp step 7, fast_sketch.hpp step 5): sorted,
 * duplicate-free shingle hashes of one normalized text -- the full 64-bit XXH64 of each shingle for
 * the compat sketch, the 64-bit shingle values for the fast one -- written to `out`.
 */
void verification_set(std::string_view normalized, const ShingleSpec& shingle, SketchKind kind,
                      std::vector<std::uint64_t>& out);

/// @brief Jaccard similarity of two sorted, duplicate-free sets; 0 when both are empty.
template <class T>
double jaccard(const std::vector<T>& a, const std::vector<T>& b) {
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
