// Every backend this build has, over the same batches and every MinHash scheme (legacy, affine32,
// affine64; each with XXH64 and with SHA-1 shingle hashes) and the fast sketch: the CPU backend
// against the plain reference of the spec (for_each_shingle, spec::shingle_hash64 -- XXH64 or
// the scalar SHA-1 of sha1.hpp, which the CPU computes with SHA-NI where it can and the CUDA
// kernels compile --, each scheme's permutation formula one
// permutation at a time, spec::band_key / band_key64, the fast sketch's formulas), and the CUDA
// backend's host build (cuda-host) against the CPU -- signatures (32- and 64-bit), band keys,
// shingle counts, verification sets, candidate pairs and exact groups, bit for bit. The GPU itself
// is compared in tests/test_cuda_backend.cpp (label gpu).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>

#include "backend_cases.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/fast_sketch.hpp"
#include "dupscan/spec.hpp"

namespace dupscan {
namespace {

using test::BackendCase;

// The plain reference of one document's sketch: spec.hpp steps 3-6 / fast_sketch.hpp steps 1-4.
// The signature goes to sig (32-bit sketches) or sig64 (affine64); the other is left empty.
void reference_sketch(std::string_view doc, const SketchParams& p, std::vector<std::uint32_t>& sig,
                      std::vector<std::uint64_t>& sig64, std::vector<std::uint64_t>& keys,
                      std::uint32_t& count) {
  const std::uint32_t k = p.num_perm();
  const bool wide = p.kind == SketchKind::compat && p.perms.scheme == Scheme::affine64;
  sig.assign(wide ? 0 : k, spec::max_hash);
  sig64.assign(wide ? k : 0, spec::max_hash64);
  keys.assign(p.lsh.bands, 0);
  if (p.kind == SketchKind::compat) {
    // Step 4: XXH64 or SHA-1 of each shingle's bytes; step 5: each permutation's formula on it.
    count = 0;
    for_each_shingle(
        doc.data(), doc.size(), p.shingle.kind, p.shingle.n, [&](const char* s, std::size_t n) {
          ++count;
          const std::uint64_t hv = spec::shingle_hash64(s, n, p.shingle_hash);
          const std::uint32_t hv32 = spec::shingle_hash(s, n, p.shingle_hash);
          for (std::uint32_t i = 0; i < k; ++i) {
            const std::uint64_t a = p.perms.a[i], b = p.perms.b[i];
            switch (p.perms.scheme) {
              case Scheme::legacy:
                sig[i] = std::min(sig[i], spec::permute(a, b, hv32));
                break;
              case Scheme::affine32:
                sig[i] =
                    std::min(sig[i], spec::permute_affine32(static_cast<std::uint32_t>(a),
                                                            static_cast<std::uint32_t>(b), hv32));
                break;
              case Scheme::affine64:
                sig64[i] = std::min(sig64[i], spec::permute_affine64(a, b, hv));
                break;
            }
          }
        });
  } else {
    // Units: words (bytes up to a space) or code points, hashed bytewise (fast::word_hash).
    std::vector<std::uint64_t> units, values;
    for (std::size_t i = 0; i < doc.size();) {
      std::size_t e = i + 1;
      if (p.shingle.kind == ShingleKind::word) {
        while (e < doc.size() && doc[e] != ' ')
          ++e;
        units.push_back(
            fast::word_hash(reinterpret_cast<const unsigned char*>(doc.data()) + i, e - i));
        ++e;  // the space
      } else {
        while (e < doc.size() && !detail::is_utf8_lead(doc[e]))
          ++e;
        const auto* b = reinterpret_cast<const unsigned char*>(doc.data()) + i;
        std::uint32_t cp = b[0];
        if (cp >= 0xF0) {
          cp = ((cp & 7) << 18) | ((b[1] & 63u) << 12) | ((b[2] & 63u) << 6) | (b[3] & 63u);
        } else if (cp >= 0xE0) {
          cp = ((cp & 15) << 12) | ((b[1] & 63u) << 6) | (b[2] & 63u);
        } else if (cp >= 0xC0) {
          cp = ((cp & 31) << 6) | (b[1] & 63u);
        }
        units.push_back(fast::char_hash(cp));
      }
      i = e;
    }
    const std::size_t n = p.shingle.n;
    const std::size_t m = std::min(n, units.size());
    for (std::size_t j = 0; !units.empty() && j + m <= units.size(); ++j) {
      std::uint64_t s = 0;
      for (std::size_t t = 0; t < m; ++t)
        s = s * fast::kBase + units[j + t];
      values.push_back(fast::fmix64(s));
      if (m < n) break;
    }
    oph_signature(values.data(), values.size(), k, sig.data());
    count = static_cast<std::uint32_t>(values.size());
  }
  // Step 6.
  for (std::uint32_t j = 0; count && j < p.lsh.bands; ++j) {
    const std::size_t at = std::size_t{j} * p.lsh.rows;
    keys[j] = wide ? spec::band_key64(sig64.data() + at, p.lsh.rows, j)
                   : spec::band_key(sig.data() + at, p.lsh.rows, j);
  }
}

struct ParamSet {
  const char* name;
  SketchParams params;
};

// `p` with SHA-1 shingle hashes (--shingle-hash sha1).
SketchParams with_sha1(SketchParams p) {
  p.shingle_hash = ShingleHash::sha1;
  return p;
}

std::vector<ParamSet> param_sets() {
  return {
      {"compat word:5 K=128 9x13", test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13})},
      {"compat char:9 K=64 8x8", test::sketch_params(SketchKind::compat, "char:9", 64, {8, 8})},
      {"compat word:1 K=17 3x5 seed 42",
       test::sketch_params(SketchKind::compat, "word:1", 17, {3, 5}, 42)},
      {"fast word:5 K=128 16x8", test::sketch_params(SketchKind::fast, "word:5", 128, {16, 8})},
      {"fast char:5 K=256 32x8", test::sketch_params(SketchKind::fast, "char:5", 256, {32, 8})},
      {"fast word:3 K=1 1x1", test::sketch_params(SketchKind::fast, "word:3", 1, {1, 1})},
      {"affine32 word:5 K=128 9x13",
       test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}, 1, Scheme::affine32)},
      {"affine32 char:9 K=64 8x8 seed 7",
       test::sketch_params(SketchKind::compat, "char:9", 64, {8, 8}, 7, Scheme::affine32)},
      {"affine32 word:1 K=17 3x5 seed 42",
       test::sketch_params(SketchKind::compat, "word:1", 17, {3, 5}, 42, Scheme::affine32)},
      {"affine64 word:5 K=128 9x13",
       test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}, 1, Scheme::affine64)},
      {"affine64 char:9 K=64 8x8 seed 7",
       test::sketch_params(SketchKind::compat, "char:9", 64, {8, 8}, 7, Scheme::affine64)},
      {"affine64 word:1 K=17 3x5 seed 42",
       test::sketch_params(SketchKind::compat, "word:1", 17, {3, 5}, 42, Scheme::affine64)},
      {"affine64 char:3 K=200 10x20 seed 5",
       test::sketch_params(SketchKind::compat, "char:3", 200, {10, 20}, 5, Scheme::affine64)},
      // The fast sketch ignores the scheme: 32-bit signatures from K alone.
      {"fast word:5 K=64 8x8 affine64 permutations",
       test::sketch_params(SketchKind::fast, "word:5", 64, {8, 8}, 1, Scheme::affine64)},
      // --shingle-hash sha1, every scheme (shingles of several SHA-1 blocks among them).
      {"sha1 legacy word:5 K=128 9x13",
       with_sha1(test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}))},
      {"sha1 affine32 word:5 K=128 9x13",
       with_sha1(
           test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}, 1, Scheme::affine32))},
      {"sha1 affine32 char:9 K=64 8x8 seed 7",
       with_sha1(
           test::sketch_params(SketchKind::compat, "char:9", 64, {8, 8}, 7, Scheme::affine32))},
      {"sha1 affine64 word:5 K=128 9x13",
       with_sha1(
           test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}, 1, Scheme::affine64))},
      {"sha1 affine64 word:13 K=64 8x8 seed 3",
       with_sha1(
           test::sketch_params(SketchKind::compat, "word:13", 64, {8, 8}, 3, Scheme::affine64))},
  };
}

// The parameter set called `name`.
SketchParams params_named(const std::string& name) {
  for (const ParamSet& ps : param_sets()) {
    if (name == ps.name) return ps.params;
  }
  throw std::invalid_argument("no parameter set " + name);
}

std::vector<BackendCase> small_cases() {
  std::vector<BackendCase> cases;
  cases.push_back(test::boundary_case());
  cases.push_back(test::random_utf8_case(1, 300));
  cases.push_back(test::random_utf8_case(2, 57));
  BackendCase none{"no documents", {}};
  cases.push_back(std::move(none));
  return cases;
}

TEST(Backend, CpuEqualsThePlainReferenceOfTheSpec) {
  std::vector<BackendCase> cases = small_cases();
  cases.push_back(test::real_text_case(1500));
  std::vector<std::uint32_t> sig;
  std::vector<std::uint64_t> sig64, keys;
  for (const ParamSet& ps : param_sets()) {
    auto cpu = make_cpu_backend(ps.params);
    const std::uint32_t k = ps.params.num_perm(), bands = ps.params.lsh.bands;
    const bool wide =
        ps.params.kind == SketchKind::compat && ps.params.perms.scheme == Scheme::affine64;
    for (const BackendCase& c : cases) {
      SketchBatch out;
      cpu->sketch(c.batch, out);
      ASSERT_EQ(out.shingle_counts.size(), c.batch.size());
      ASSERT_EQ(out.band_keys.size(), c.batch.size() * bands);
      // One signature width per scheme: uint64 for affine64, uint32 for the others.
      ASSERT_EQ(out.signatures.size(), wide ? 0 : c.batch.size() * k) << ps.name;
      ASSERT_EQ(out.signatures64.size(), wide ? c.batch.size() * k : 0) << ps.name;
      std::size_t bad = 0;
      for (std::size_t d = 0; d < c.batch.size(); ++d) {
        std::uint32_t count = 0;
        reference_sketch(c.batch.doc(d), ps.params, sig, sig64, keys, count);
        const bool same_sig =
            wide ? std::equal(sig64.begin(), sig64.end(), out.signatures64.begin() + d * k)
                 : std::equal(sig.begin(), sig.end(), out.signatures.begin() + d * k);
        bad += count != out.shingle_counts[d] || !same_sig ||
               !std::equal(keys.begin(), keys.end(), out.band_keys.begin() + d * bands);
      }
      EXPECT_EQ(bad, 0u) << ps.name << ", " << c.name << ": documents unlike the reference";
      // Without signatures (each document into one scratch signature): the same keys and counts.
      SketchBatch keys_only;
      cpu->sketch(c.batch, keys_only, false);
      EXPECT_TRUE(keys_only.signatures.empty() && keys_only.signatures64.empty()) << ps.name;
      EXPECT_EQ(keys_only.band_keys, out.band_keys) << ps.name << ", " << c.name << ", keys only";
      EXPECT_EQ(keys_only.shingle_counts, out.shingle_counts) << ps.name << ", " << c.name;
    }
  }
}

TEST(Backend, EmptyDocumentsHaveBandKeysZeroAndNoShingles) {
  for (const ParamSet& ps : param_sets()) {
    auto cpu = make_cpu_backend(ps.params);
    NormalizedBatch b;
    b.add("");
    b.add("some words here");
    b.add("");
    SketchBatch out;
    cpu->sketch(b, out);
    const bool wide =
        ps.params.kind == SketchKind::compat && ps.params.perms.scheme == Scheme::affine64;
    for (std::size_t d : {0, 2}) {
      EXPECT_EQ(out.shingle_counts[d], 0u);
      for (std::uint32_t j = 0; j < ps.params.lsh.bands; ++j)
        EXPECT_EQ(out.band_keys[d * ps.params.lsh.bands + j], 0u) << ps.name;
      for (std::uint32_t i = 0; i < ps.params.num_perm(); ++i) {
        if (wide) {
          EXPECT_EQ(out.signatures64.at(d * ps.params.num_perm() + i), spec::max_hash64) << ps.name;
        } else {
          EXPECT_EQ(out.signatures.at(d * ps.params.num_perm() + i), spec::max_hash) << ps.name;
        }
      }
    }
    EXPECT_GT(out.shingle_counts[1], 0u);
  }
}

std::unique_ptr<Backend> cuda_host(const SketchParams& p, std::size_t gpu_memory = 0) {
  BackendOptions o;
  o.gpu_memory = gpu_memory;
  return make_backend("cuda-host", p, o).backend;
}

// cuda-host with a budget that cannot hold a single document: the canary check (which needs to
// sketch a few) would refuse it with the error pass 1 would give, so it is made without the
// check, to test what the stages do with such a budget.
std::unique_ptr<Backend> cuda_host_unchecked(const SketchParams& p, std::size_t gpu_memory) {
  ::setenv("DUPSCAN_CANARY", "off", 1);
  auto b = cuda_host(p, gpu_memory);
  ::unsetenv("DUPSCAN_CANARY");
  return b;
}

TEST(Backend, CudaHostEqualsCpu) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const std::vector<BackendCase> cases = small_cases();
  // Real text: 4000 documents for legacy and the fast sketch, the first 1000 of them for each of
  // the affine and SHA-1 sets (the test stays quick).
  const BackendCase real = test::real_text_case(4000), real_part = test::real_text_case(1000);
  for (const ParamSet& ps : param_sets()) {
    auto cpu = make_cpu_backend(ps.params);
    auto dev = cuda_host(ps.params);
    EXPECT_EQ(dev->name(), "cuda-host");
    for (const BackendCase& c : cases)
      test::expect_same_sketches(*cpu, *dev, c, ps.name);
    const bool affine =
        ps.params.kind == SketchKind::compat &&
        (ps.params.perms.scheme != Scheme::legacy || ps.params.shingle_hash == ShingleHash::sha1);
    test::expect_same_sketches(*cpu, *dev, affine ? real_part : real, ps.name);
  }
}

TEST(Backend, CudaHostEqualsCpuOnASixteenMegabyteDocument) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const BackendCase c = test::long_document_case(std::size_t{16} << 20);
  for (const char* name : {"compat word:5 K=128 9x13", "fast word:5 K=128 16x8",
                           "affine64 word:5 K=128 9x13", "sha1 affine32 word:5 K=128 9x13"}) {
    const SketchParams p = params_named(name);
    auto cpu = make_cpu_backend(p);
    auto dev = cuda_host(p);
    test::expect_same_sketches(*cpu, *dev, c, name);
  }
}

// A MinHash chunk copies each tile's text (into shared memory on the GPU) and hashes its shingles
// from the copy when the copy fits 4 KiB, else in place (sketch_items.cuh hash_tile). The test
// hook DUPSCAN_TEST_TILE_TEXT_BYTES shrinks what fits, so that these batches take both paths --
// short documents' tiles copied, whole tiles hashed in place -- on both sides of the boundary
// between them: the CPU's bits for every scheme, shingle hash and shingle kind either way. (The
// fast sketch hashes units, not shingles' text: the hook does not reach it.)
TEST(Backend, CudaHostEqualsCpuWhateverTheTileTextCapacity) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  std::vector<BackendCase> cases = small_cases();
  cases.push_back(test::real_text_case(300));
  for (const char* cap : {"0", "1", "40", "300", "1100"}) {
    test::EnvVar env("DUPSCAN_TEST_TILE_TEXT_BYTES", cap);
    for (const ParamSet& ps : param_sets()) {
      if (ps.params.kind == SketchKind::fast) continue;
      auto cpu = make_cpu_backend(ps.params);
      auto dev = cuda_host(ps.params);
      for (const BackendCase& c : cases)
        test::expect_same_sketches(*cpu, *dev, c,
                                   std::string(ps.name) + ", " + cap + " bytes of tile text");
    }
  }
}

// The CUDA backend sizes its unit and chunk buffers and grids from bounds it computes from a
// batch's offsets (no count is read back in the middle of a batch); cuda-host checks every
// device-side count against its bound and throws past it. Documents where the bounds are met
// exactly: single-letter words one space apart ((len + 1) / 2 words), single-byte characters,
// whole and part chunks of 2048 shingles, empty documents. The bounds are a batch's sums, so
// each document is also a batch of its own (where no other one's slack hides a bound too small).
TEST(Backend, CudaHostBoundsHoldWhereTheyAreTight) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  BackendCase c{"tight bounds", {}};
  for (std::size_t n : {1, 2, 2047, 2048, 2049, 4096, 4100})
    c.batch.add(test::words(n, 1));
  for (std::size_t n : {1, 2048, 2049, 4096, 6144})
    c.batch.add(std::string(n, 'x'));
  c.batch.add("");
  std::vector<BackendCase> cases{c};
  for (std::size_t d = 0; d < c.batch.size(); ++d) {
    cases.push_back({"tight bounds, document " + std::to_string(d) + " alone", {}});
    cases.back().batch.add(c.batch.doc(d));
  }
  for (const char* name :
       {"compat word:1 K=17 3x5 seed 42", "compat word:5 K=128 9x13", "fast word:3 K=1 1x1",
        "fast char:5 K=256 32x8", "affine64 char:3 K=200 10x20 seed 5",
        "affine32 word:1 K=17 3x5 seed 42"}) {
    const SketchParams p = params_named(name);
    auto cpu = make_cpu_backend(p);
    auto dev = cuda_host(p);
    for (const BackendCase& one : cases)
      test::expect_same_sketches(*cpu, *dev, one, name);
  }
}

// Several batches in flight on the backend's slots at once (four from one thread: it has at
// least four), collected in any order, and more threads than slots each submitting its own
// batches: every batch gets its own bits, the CPU's. A slot that shared a buffer with another, or
// a ticket that named the wrong slot, would hand a batch another's results. Also under a small
// item cap, where batches are split on their slot.
TEST(Backend, CudaHostBatchesInFlightInAnyCompletionOrderEqualCpu) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const BackendCase real = test::real_text_case(1200);
  for (const char* cap : {static_cast<const char*>(nullptr), "4096"}) {
    std::unique_ptr<test::EnvVar> env;
    if (cap) env = std::make_unique<test::EnvVar>("DUPSCAN_TEST_DEVICE_ITEM_CAP", cap);
    // Four different batches of different sizes: parts of the corpus (documents under 3,600
    // bytes), and without the cap the boundary case (whose longest document is over it); with
    // the cap batch 2 stays empty (a batch of no documents in flight).
    std::vector<NormalizedBatch> batches(4);
    for (std::size_t d = 0; d < real.batch.size(); ++d)
      batches[d % 7 < 4 ? 0 : d % 7 < 6 ? 1 : cap ? 3 : 2].add(real.batch.doc(d));
    if (!cap) batches[3] = test::boundary_case().batch;
    for (const char* name : {"compat word:5 K=128 9x13", "fast word:5 K=128 16x8",
                             "affine64 char:9 K=64 8x8 seed 7"}) {
      SCOPED_TRACE(std::string(name) + (cap ? ", item cap 4096" : ""));
      const SketchParams p = params_named(name);
      auto cpu = make_cpu_backend(p);
      auto dev = cuda_host(p);
      std::vector<SketchBatch> want(batches.size());
      for (std::size_t i = 0; i < batches.size(); ++i)
        cpu->sketch(batches[i], want[i], i % 2 == 0);
      const auto same = [&](const SketchBatch& got, std::size_t i) {
        return got.band_keys == want[i].band_keys && got.shingle_counts == want[i].shingle_counts &&
               got.signatures == want[i].signatures && got.signatures64 == want[i].signatures64;
      };
      for (const std::vector<std::size_t>& order :
           {std::vector<std::size_t>{3, 2, 1, 0}, {1, 3, 0, 2}, {0, 1, 2, 3}}) {
        std::vector<SketchBatch> got(batches.size());
        std::vector<Backend::Ticket> tickets(batches.size());
        for (std::size_t i = 0; i < batches.size(); ++i)
          tickets[i] = dev->submit(batches[i], i % 2 == 0, got[i]);
        for (std::size_t i : order)
          dev->wait(tickets[i]);
        for (std::size_t i = 0; i < batches.size(); ++i)
          EXPECT_TRUE(same(got[i], i)) << "batch " << i << ", collected in order " << order[0]
                                       << order[1] << order[2] << order[3];
      }
      // Six threads on four slots, three batches each.
      std::vector<int> ok(6, 0);
      std::vector<std::thread> threads;
      for (std::size_t t = 0; t < ok.size(); ++t) {
        threads.emplace_back([&, t] {
          for (int r = 0; r < 3; ++r) {
            const std::size_t i = (t + static_cast<std::size_t>(r)) % batches.size();
            SketchBatch got;
            dev->sketch(batches[i], got, i % 2 == 0);
            if (!same(got, i)) return;
          }
          ok[t] = 1;
        });
      }
      for (auto& th : threads)
        th.join();
      for (std::size_t t = 0; t < ok.size(); ++t)
        EXPECT_EQ(ok[t], 1) << "thread " << t;
    }
  }
}

// Memory that counts its blocks: BatchText gives back every block it took, and use() moves the
// bytes held into it.
class CountingMemory final : public TextMemory {
 public:
  char* allocate(std::size_t& bytes) override {
    ++live;
    bytes += 5;  // a block may be larger than asked
    return static_cast<char*>(::operator new(bytes));
  }
  void deallocate(char* p, std::size_t) noexcept override {
    --live;
    ::operator delete(p);
  }
  int live = 0;
};

TEST(BatchText, KeepsItsBytesInTheMemoryItIsGivenAndGivesItsBlocksBack) {
  auto memory = std::make_shared<CountingMemory>();
  {
    NormalizedBatch b;
    b.add("before the memory");
    b.text.use(memory);
    EXPECT_EQ(b.text.memory(), memory.get());
    EXPECT_EQ(memory->live, 1);
    EXPECT_EQ(b.doc(0), "before the memory");
    EXPECT_GE(b.text.capacity(), b.text.size() + 5);
    for (int i = 0; i < 1000; ++i)
      b.add("grows " + std::to_string(i));
    EXPECT_EQ(memory->live, 1);
    EXPECT_EQ(b.doc(1000), "grows 999");
    NormalizedBatch copy = b;
    EXPECT_EQ(memory->live, 2);
    EXPECT_EQ(copy.text.view(), b.text.view());
    b.text.use(nullptr);
    EXPECT_EQ(memory->live, 1);
    EXPECT_EQ(b.text.view(), copy.text.view());
  }
  EXPECT_EQ(memory->live, 0);
}

// normalize_pending + add_pending write what normalize + add would, kept or dropped, in a batch
// with room to spare and in one where a long document's bound is past its room (it is then
// normalized apart and copied in, and the batch grows only by what it holds).
TEST(BatchText, NormalizingOntoABatchEqualsNormalizingThenAdding) {
  const std::string long_doc(std::size_t{3} << 20, 'A');
  const std::vector<std::string> raw = {
      "Hello, World!",     "",         "  \xff caf\xc3\xa9 \xe2\x80\x8b X", long_doc,
      "dropped, not kept", "Last ONE."};
  for (std::size_t reserve : {std::size_t{0}, std::size_t{4} << 20}) {
    NormalizedBatch want, got;
    got.text.reserve(reserve);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const bool keep = i != 4;
      const std::string norm = normalize(raw[i]);
      want.add(keep ? norm : std::string());
      EXPECT_EQ(got.normalize_pending(raw[i], {}), norm) << i;
      got.add_pending(keep);
    }
    EXPECT_EQ(got.offsets, want.offsets);
    EXPECT_EQ(got.text.view(), want.text.view());
    if (reserve) EXPECT_EQ(got.text.capacity(), reserve) << "grew although the text fits";
  }
}

// The device backend lends pinned arenas (text_memory()): a batch normalized into them is copied
// to the device from there, not staged through the slot's buffer (expect_arena_batches_unstaged).
TEST(Backend, CudaHostCopiesBatchesBuiltInItsArenasWithoutStagingThem) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const SketchParams p = params_named("compat word:5 K=128 9x13");
  auto cpu = make_cpu_backend(p);
  auto dev = cuda_host(p);
  EXPECT_EQ(cpu->text_memory(), nullptr);
  ASSERT_NE(dev->text_memory(), nullptr);
  test::expect_arena_batches_unstaged(*cpu, *dev);
}

TEST(Backend, CudaHostStagesEqualCpu) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const SketchParams p = param_sets()[0].params;
  auto cpu = make_cpu_backend(p);
  auto dev = cuda_host(p);
  for (unsigned seed : {1u, 2u, 3u})
    test::expect_same_stages(*cpu, *dev, seed);
}

TEST(Backend, CudaHostStagesThatDoNotFitTheirBudgetFallBackToTheCpusBits) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const SketchParams p = param_sets()[0].params;
  auto cpu = make_cpu_backend(p);
  // 4 KB cannot hold 5,000 documents' band keys or hashes: the stages run on the CPU, same bits.
  auto tiny = cuda_host_unchecked(p, 4096);
  test::expect_same_stages(*cpu, *tiny, 4);
  // After sketches filled the slots' buffers (which the stages release first), the same bits.
  auto mid = cuda_host(p, std::size_t{1500} << 10);
  const BackendCase c = test::real_text_case(600);
  test::expect_same_sketches(*cpu, *mid, c, "1.5 MB budget");
  test::expect_same_stages(*cpu, *mid, 5);
}

TEST(Backend, CudaHostSplitsABatchThatDoesNotFitItsMemoryBudget) {
  if (!have_cuda_host_backend())
    GTEST_SKIP() << "this build has no cuda-host backend (CMake found no CUDA toolkit)";
  const SketchParams p = param_sets()[0].params;
  const BackendCase c = test::real_text_case(600);
  // About 1.5 MB of device memory for a batch of ~400 KB of text: the batch is split, the
  // results (64-bit signatures included) are those of one batch.
  for (const char* name : {"compat word:5 K=128 9x13", "affine64 word:5 K=128 9x13"}) {
    auto cpu = make_cpu_backend(params_named(name));
    auto dev = cuda_host(params_named(name), std::size_t{1500} << 10);
    test::expect_same_sketches(*cpu, *dev, c, std::string(name) + ", 1.5 MB budget");
  }
  // A budget that cannot hold one document is an error that says so: at the canary check, and
  // in the batch's own sketch.
  try {
    cuda_host(p, 4096);
    FAIL() << "a 4 KB budget passed the canary check";
  } catch (const DocumentTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit in the device memory budget"),
              std::string::npos)
        << e.what();
  }
  auto tiny = cuda_host_unchecked(p, 4096);
  SketchBatch out;
  try {
    tiny->sketch(c.batch, out);
    FAIL() << "a 4 KB budget sketched a real batch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit in the device memory budget"),
              std::string::npos)
        << e.what();
  }
}

TEST(Backend, FactoryNamesWhatRunsAndRefusesWhatItCannot) {
  const SketchParams p = param_sets()[0].params;
  EXPECT_EQ(make_backend("cpu", p).backend->name(), "cpu");
  EXPECT_THROW(make_backend("tpu", p), UsageError);
  const BackendChoice a = make_backend("auto", p);
  EXPECT_FALSE(a.note.empty());
  EXPECT_NE(a.note.find(a.backend->name()), std::string::npos) << a.note;
  if (a.backend->name() == "cpu" && have_cuda_backend()) {
    // No usable GPU here: asking for the GPU is an error saying so, never a silent fallback.
    try {
      make_backend("cuda", p);
      FAIL() << "--backend cuda without a usable GPU succeeded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no usable NVIDIA GPU"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dupscan
