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
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <xxhash.h>

#include "dupscan/batch_text.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/shingle.hpp"

namespace dupscan {

struct ProbeTables;
class ContamProbe;

/// A document a device backend cannot take even alone: over its memory (or its --gpu-memory
/// budget), or over the 4 GiB of its 32-bit offsets.
class DocumentTooLarge : public Error {
 public:
  DocumentTooLarge(const std::string& what, std::size_t bytes) : Error(what), bytes(bytes) {}
  std::size_t bytes;  ///< the document's normalized bytes
};

/// Which sketch: datasketch-compatible MinHash (spec.hpp), or OPH (fast_sketch.hpp).
enum class SketchKind : std::uint8_t { compat, fast };

/// "compat" or "fast".
const char* sketch_kind_name(SketchKind kind);

/// What a backend needs to sketch: shingles, permutations, bands.
struct SketchParams {
  SketchKind kind = SketchKind::compat;
  ShingleSpec shingle;
  /// K = perms.size(); perms.scheme is the compat sketch's MinHash scheme (legacy and affine32:
  /// 32-bit signatures; affine64: 64-bit ones, SketchBatch::signatures64). The fast sketch uses
  /// only their count and ignores the scheme.
  Permutations perms;
  LshParams lsh;  ///< bands * rows <= K
  /// The compat sketch's shingle hash (spec.hpp step 4): XXH64 or SHA-1 (datasketch's default
  /// hashfunc). The fast sketch has shingle values of its own and takes only xxh64 here.
  ShingleHash shingle_hash = ShingleHash::xxh64;

  std::uint32_t num_perm() const { return static_cast<std::uint32_t>(perms.size()); }
};

/// Normalized documents stored back to back: document i is text[offsets[i], offsets[i + 1]).
/// The text may live in memory a backend lent (Sketcher::text_memory()).
struct NormalizedBatch {
  BatchText text;
  std::vector<std::uint64_t> offsets{0};

  std::size_t size() const { return offsets.size() - 1; }
  std::string_view doc(std::size_t i) const {
    return text.view().substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
  void add(std::string_view normalized) {
    text.append(normalized);
    offsets.push_back(text.size());
  }
  void clear() {
    text.clear();
    offsets.assign(1, 0);
  }

  /**
   * Normalizes `raw` (normalize.hpp) straight onto the end of the text, where the next document
   * begins, and returns it; add_pending() then adds it as the next document, or an empty one.
   * No copy of the normalized bytes is made: in a backend's memory they are where its device
   * copies them from.
   */
  std::string_view normalize_pending(std::string_view raw, const NormalizeOptions& options) {
    text.resize_down(offsets.back());
    const std::size_t bound = normalized_bound(raw.size());
    std::size_t n = 0;
    if (text.capacity() - text.size() >= bound || text.size() + bound <= kGrowFreely) {
      n = normalize_into(raw, options, text.room(bound));
    } else {
      // A long document near the end of a full buffer: its bound (three times its bytes) would
      // grow the buffer when its text may well fit.
      thread_local std::string norm;
      normalize(raw, options, norm);
      n = norm.size();
      std::memcpy(text.room(n), norm.data(), n);
    }
    text.commit(n);
    return text.view().substr(offsets.back());
  }
  /// The text normalize_pending() wrote becomes the next document (`keep`), or the next
  /// document is empty and the text is dropped.
  void add_pending(bool keep) {
    if (!keep) text.resize_down(offsets.back());
    offsets.push_back(text.size());
  }

 private:
  // Below this size the text grows to make room for any document's bound.
  static constexpr std::size_t kGrowFreely = std::size_t{1} << 20;
};

/// Per-document results of Backend::submit, document-major.
struct SketchBatch {
  /// size() * K values, when the caller asked for signatures of a 32-bit sketch (the fast sketch;
  /// compat with the legacy or affine32 scheme); else empty.
  std::vector<std::uint32_t> signatures;
  /// size() * K values of the 64-bit scheme (compat with affine64; minhash.hpp), when asked for;
  /// else empty. Exactly one of signatures and signatures64 is filled when signatures are asked.
  std::vector<std::uint64_t> signatures64;
  /// size() * bands keys (spec.hpp step 6); all 0 for a document without shingles (an empty one).
  std::vector<std::uint64_t> band_keys;
  std::vector<std::uint32_t> shingle_counts;  ///< shingles per document (0 for empty documents)
};

/// Sorted, duplicate-free verification sets (spec.hpp step 7) of a batch's documents, flat:
/// document i's set is values[offsets[i], offsets[i + 1]).
struct FlatSets {
  std::vector<std::uint64_t> values;
  std::vector<std::uint64_t> offsets{0};

  std::size_t size() const { return offsets.size() - 1; }
};

/**
 * What turns normalized text into sketches (spec.hpp steps 3-7): pass 1 and verification use it.
 *
 * Pass 1 is asynchronous: the host threads read, parse and normalize batches and submit() each
 * one; the caller collects it with wait() (in input order), so that the next batches are
 * prepared while the backend works. The CPU backend does the work inside submit(), on the calling
 * thread (several threads submit at once); the CUDA backend copies the batch into its pinned
 * staging buffers and queues all of it on one of its slots' streams without waiting for the
 * device (sizes come from bounds the host knows; wait() waits for the slot's event), so several
 * threads' batches overlap on its slots rather than within one thread. Pass 1's workers call
 * sketch() (submit + wait).
 */
class Sketcher {
 public:
  using Ticket = std::uint64_t;

  virtual ~Sketcher() = default;
  /// "cpu", "cuda" or "cuda-host".
  virtual std::string name() const = 0;
  /// What runs inside: the sketch and its SIMD path on the CPU ("MinHash (avx512)", "fast sketch
  /// (OPH)"), the device on CUDA.
  virtual std::string detail() const = 0;
  /// Normalized bytes per submitted batch the backend works best with.
  virtual std::size_t batch_bytes() const = 0;
  /**
   * @brief Starts sketching every document of `batch` (spec.hpp steps 3-6) into `out`: band keys
   * and shingle counts always, signatures only when `signatures` is true (else out.signatures and
   * out.signatures64 come back empty). An empty document gets band keys 0, no shingles and an
   * all-max signature (every value 2^32 - 1, or 2^64 - 1 in signatures64). `batch` and `out` must
   * stay alive and untouched until wait() returns. Thread-safe; may block while the backend's queue
   * is full.
   */
  virtual Ticket submit(const NormalizedBatch& batch, bool signatures, SketchBatch& out) = 0;
  /// Waits for a submitted batch; rethrows what went wrong with it.
  virtual void wait(Ticket ticket) = 0;
  /// The most device memory this backend has held at once, in bytes (0 for the CPU).
  virtual std::size_t peak_device_bytes() const { return 0; }
  /**
   * Memory to build batches in (NormalizedBatch::text.use()): a device's pinned host memory,
   * which it copies to the device without staging it first; null (ordinary memory) on the CPU.
   * Batches built elsewhere are staged (copied) by submit().
   */
  virtual std::shared_ptr<TextMemory> text_memory() { return nullptr; }
  /// Bytes of submitted text copied into the backend's staging (not built in text_memory()).
  virtual std::uint64_t staged_bytes() const { return 0; }
  /// submit() then wait().
  void sketch(const NormalizedBatch& batch, SketchBatch& out, bool signatures = true) {
    wait(submit(batch, signatures, out));
  }
  /// Stage: the verification set (verification_set below) of every document of a batch, under
  /// the backend's shingles and sketch kind.
  virtual void verification_sets(const NormalizedBatch& batch, FlatSets& out) = 0;
};

/**
 * The stages after pass 1 that a device may run itself. Their CPU implementations are the
 * defaults, defined beside the stages (src/host/dedup/exact_groups.cpp, lsh_pairs.cpp); a device
 * twin has the same contract and gives the same bits.
 */
class DedupStages {
 public:
  virtual ~DedupStages() = default;
  /// Stage: exact representatives (src/host/dedup/exact_groups.hpp).
  virtual void exact_representatives(const XXH128_hash_t* hashes, const std::uint8_t* empty,
                                     std::size_t n, std::uint32_t* rep);
  /// Stage: LSH candidate pairs (src/host/dedup/lsh_pairs.hpp).
  virtual std::vector<std::uint64_t> candidate_pairs(const std::uint64_t* keys, std::uint32_t bands,
                                                     const std::vector<std::uint32_t>& docs,
                                                     std::uint32_t first_new, unsigned threads);
};

/// Makes contam's training-stream probe (contam_probe.hpp): the CPU's unless a device has its own.
class ProbeFactory {
 public:
  virtual ~ProbeFactory() = default;
  /// A probe over `tables`, sharing this backend's device (when it has one).
  virtual std::unique_ptr<ContamProbe> contam_probe(std::shared_ptr<const ProbeTables> tables);
};

/**
 * A backend, as make_backend makes it: a Sketcher, the DedupStages and a ProbeFactory on one
 * device (or the CPU). Each stage takes only the part it uses: pass 1 and verification a
 * Sketcher, the exact-group and LSH stages DedupStages, contam's scan a ProbeFactory.
 */
class Backend : public Sketcher, public DedupStages, public ProbeFactory {};

/// The reference backend: plain C++ on the calling thread (submit() does the work).
std::unique_ptr<Backend> make_cpu_backend(const SketchParams& params);

/// How make_backend sets up a device backend.
struct BackendOptions {
  /// Device memory the backend may use, in bytes; 0: what is free on the device.
  std::size_t gpu_memory = 0;
  /// CUDA device number; -1: the process's local MPI rank (OMPI_COMM_WORLD_LOCAL_RANK,
  /// MPI_LOCALRANKID, SLURM_LOCALID) modulo the device count, else 0.
  int device = -1;
};

/**
 * What the canary check found before a device backend was trusted (src/host/sketch/canary.hpp:
 * built-in documents through the device and the CPU under the run's settings, every stage the
 * run uses compared bit for bit).
 */
struct CanaryReport {
  /// "passed"; "failed" (stage and difference say where); "off" (DUPSCAN_CANARY=off); "not run"
  /// (the CPU backend: nothing to check).
  std::string status = "not run";
  std::string device;                ///< the backend checked ("cuda", "cuda-host"), if any
  std::vector<std::string> checked;  ///< the stages compared, in order, up to a failed one
  std::string stage;                 ///< failed: the first stage that differed
  std::string difference;            ///< failed: its first differing value
  /// What was left out, if anything: the canary's documents of this many bytes or more, which
  /// the device cannot take under its memory budget (nor could it the run's); 0: none.
  std::size_t left_out_from_bytes = 0;
  double milliseconds = 0;  ///< the check's wall time (CPU reference included)

  bool failed() const { return status == "failed"; }
  /// "the cuda backend failed its canary check at <stage>: <difference>".
  std::string failure() const;
};

/// make_backend's result: the backend, and one line saying which runs and why (for the CLI).
struct BackendChoice {
  std::unique_ptr<Backend> backend;
  std::string note;
  std::string asked;    ///< the name make_backend was given ("auto", "cpu", ...)
  CanaryReport canary;  ///< the device's check (status "not run" on the CPU)
};

/// True when this build has the CUDA backend ("cuda": CMake found nvcc).
bool have_cuda_backend();
/// True when this build has the CUDA backend's host build ("cuda-host": CMake found the toolkit).
bool have_cuda_host_backend();

/**
 * @brief The backend called `name`: "cpu"; "cuda" (the GPU); "cuda-host" (the CUDA backend's own
 * source compiled for the CPU with Thrust's host system: slow, for testing); "auto" (cuda when
 * this build has it and a GPU is usable, else cpu).
 *
 * A device backend is trusted only after the canary check (canary.hpp) has shown the CPU's bits
 * under `params`, unless DUPSCAN_CANARY=off: when it fails, "auto" runs on the CPU (the note says
 * why) and a device asked for by name is an Error. Test hooks, for tests only:
 * DUPSCAN_TEST_AUTO_DEVICE=cuda-host lets "auto" take cuda-host where no GPU is usable (so that
 * its fallback can be tested without one); DUPSCAN_TEST_DEVICE_FAULT (device_backend.cuh) breaks
 * the device path on purpose.
 * @throw UsageError for an unknown name or one this build lacks; Error when "cuda" is asked for
 * and no GPU is usable (saying why), or a device asked for by name fails its canary check.
 */
BackendChoice make_backend(const std::string& name, const SketchParams& params,
                           const BackendOptions& options = {});

/**
 * @brief The 32-bit hashes of every shingle of one normalized text, in order, repeats included
 * (what for_each_shingle enumerates, hashed by spec::shingle_hash under `hash`), written to `out`.
 * SHA-1 takes the CPU's SHA extensions where it has them (sketch/sha1_shingles.hpp).
 */
void shingle_hashes(std::string_view normalized, const ShingleSpec& shingle,
                    std::vector<std::uint32_t>& out, ShingleHash hash = ShingleHash::xxh64);

/**
 * @brief The full 64-bit hash (spec::shingle_hash64: XXH64 seed 0, or SHA-1's first 8 bytes) of
 * every shingle of one normalized text, in order, repeats included (the same enumeration as
 * shingle_hashes): the hashes the affine64 scheme sketches (spec.hpp steps 4-5), written to `out`.
 */
void shingle_hashes64(std::string_view normalized, const ShingleSpec& shingle,
                      std::vector<std::uint64_t>& out, ShingleHash hash = ShingleHash::xxh64);

/**
 * @brief The set verification compares (spec.hpp step 7, fast_sketch.hpp step 5): sorted,
 * duplicate-free shingle hashes of one normalized text -- the full 64-bit XXH64 of each shingle for
 * the compat sketch, the 64-bit shingle values for the fast one -- written to `out`.
 */
void verification_set(std::string_view normalized, const ShingleSpec& shingle, SketchKind kind,
                      std::vector<std::uint64_t>& out);

/// @brief Jaccard similarity of two sorted, duplicate-free sets given as ranges (`na` values at
/// `a`, `nb` at `b`); 0 when both are empty. What verification computes, in one process and
/// across MPI ranks.
template <class T>
double jaccard(const T* a, std::size_t na, const T* b, std::size_t nb) {
  std::size_t i = 0, j = 0, inter = 0;
  while (i < na && j < nb) {
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
  const std::size_t uni = na + nb - inter;
  return uni == 0 ? 0.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

/// @brief Jaccard similarity of two sorted, duplicate-free sets; 0 when both are empty.
template <class T>
double jaccard(const std::vector<T>& a, const std::vector<T>& b) {
  return jaccard(a.data(), a.size(), b.data(), b.size());
}

}  // namespace dupscan
