// The arithmetic floor of the MinHash kernels on the CPU at hand, for bench/RESULTS.md:
//
//   dupscan_bench_floor [--num-perm 128]
//
// Without hardware counters (the VMs this runs on often have none), cycles are inferred from time:
// the clock is measured as a chain of dependent 64-bit adds (one per cycle on every x86 core of
// the last decade), and each kernel's inner step -- the per-(hash, register) instructions of
// src/host/sketch/minhash_affine.cpp and minhash_simd.cpp, in assembly, with a, b and the minima in
// registers and no memory access -- is timed in a loop over a fresh value per iteration. What that
// loop costs per hash for K permutations is the floor the real kernels (which also load hashes, mix
// them and loop over chunks) can approach; the real kernel (MinHasher's avx512 path) is timed
// beside it. The clock is measured again at the end: when the two clock rows differ, the machine
// was busy and the cycle figures are not to be trusted. Every timing is the best of 40 short runs.
// Prints one JSON object per line. Needs AVX-512 F and DQ.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double best_of(int repeat, F f) {
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const double t0 = now();
    f();
    const double t = now() - t0;
    best = t < best ? t : best;
  }
  return best;
}

// GHz: four dependent adds per iteration, the loop's own instructions run beside them.
double clock_ghz() {
  constexpr long kIters = 5000000;
  const double t = best_of(40, [] {
    std::uint64_t x = 1;
    for (long i = 0; i < kIters; ++i)
      asm volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
  });
  return 4.0 * kIters / t / 1e9;
}

// One kernel step for 8 registers of permutations and one hash, as the instructions the kernels
// issue per (hash, register) -- the whole loop in assembly, so that it holds exactly them and
// nothing a compiler adds (register moves, spills) -- plus one add that makes the next hash value.
// a in zmm8-15, b in zmm16-23, the minima in zmm24-31, the hash in zmm0.
#define DUPSCAN_STR2(x) #x
#define DUPSCAN_STR(x) DUPSCAN_STR2(x)
#define DUPSCAN_EACH(X) \
  X(0, 8, 16, 24)       \
  X(1, 9, 17, 25)       \
  X(2, 10, 18, 26)      \
  X(3, 11, 19, 27) X(4, 12, 20, 28) X(5, 13, 21, 29) X(6, 14, 22, 30) X(7, 15, 23, 31)
#define DUPSCAN_LOAD(v, a, b, m)                                                    \
  "vmovdqu64 " DUPSCAN_STR(v) "*64(%[pa]), %%zmm" #a                                \
                              "\n\t"                                                \
                              "vmovdqu64 " DUPSCAN_STR(v) "*64(%[pb]), %%zmm" #b    \
                                                          "\n\t"                    \
                                                          "vmovdqu64 " DUPSCAN_STR( \
                                                              v) "*64(%[pm]), %%zmm" #m "\n\t"
#define DUPSCAN_STORE(v, a, b, m) "vmovdqu64 %%zmm" #m ", " DUPSCAN_STR(v) "*64(%[pm])\n\t"
// affine32 (minhash_affine.cpp): vpmulld, vpaddd, vpminud on 16 lanes.
#define DUPSCAN_A32(v, a, b, m) \
  "vpmulld %%zmm" #a            \
  ", %%zmm0, %%zmm2\n\t"        \
  "vpaddd %%zmm" #b             \
  ", %%zmm2, %%zmm2\n\t"        \
  "vpminud %%zmm2, %%zmm" #m ", %%zmm" #m "\n\t"
// affine64: vpmullq, vpaddq, vpminuq on 8 lanes.
#define DUPSCAN_A64(v, a, b, m) \
  "vpmullq %%zmm" #a            \
  ", %%zmm0, %%zmm2\n\t"        \
  "vpaddq %%zmm" #b             \
  ", %%zmm2, %%zmm2\n\t"        \
  "vpminuq %%zmm2, %%zmm" #m ", %%zmm" #m "\n\t"
// legacy's fast step (minhash_simd.cpp, permute8<false>): x = a*h + b, x + (x >> 61), 32-bit min.
#define DUPSCAN_LEG(v, a, b, m)       \
  "vpmullq %%zmm" #a                  \
  ", %%zmm0, %%zmm2\n\t"              \
  "vpaddq %%zmm" #b                   \
  ", %%zmm2, %%zmm2\n\t"              \
  "vpsrlq $61, %%zmm2, %%zmm3\n\t"    \
  "vpaddq %%zmm3, %%zmm2, %%zmm2\n\t" \
  "vpminud %%zmm2, %%zmm" #m ", %%zmm" #m "\n\t"
#define DUPSCAN_LOOP(STEP) \
  asm volatile(DUPSCAN_EACH(DUPSCAN_LOAD)                                                     \
               "vpbroadcastq %[seed], %%zmm0\n\t"                                             \
               "vpbroadcastq %[step], %%zmm1\n\t"                                             \
               "1:\n\t"                                                                       \
               "vpaddq %%zmm1, %%zmm0, %%zmm0\n\t" DUPSCAN_EACH(STEP) "dec %[n]\n\t"          \
               "jnz 1b\n\t" DUPSCAN_EACH(DUPSCAN_STORE)                                       \
               : [n] "+r"(n)                                                                  \
               : [pa] "r"(a), [pb] "r"(b), [pm] "r"(m), [seed] "m"(seed), [step] "m"(step)    \
               : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm8", "xmm9", "xmm10",     \
                 "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18",      \
                 "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26",      \
                 "xmm27", "xmm28", "xmm29", "xmm30", "xmm31")

enum class Step { affine32, affine64, legacy };

// `iters` hashes through one Step; seconds per hash, best of 40.
template <Step S>
__attribute__((target("avx512f,avx512dq"))) double step_seconds(long iters) {
  alignas(64) std::uint64_t a[64], b[64], m[64];
  for (int i = 0; i < 64; ++i) {
    a[i] = 2 * static_cast<std::uint64_t>(i) + 3;
    b[i] = 7 * static_cast<std::uint64_t>(i);
    m[i] = ~std::uint64_t{0};
  }
  const std::uint64_t seed = 12345, step = 0x9E3779B9;
  double best = 1e300;
  for (int r = 0; r < 40; ++r) {
    long n = iters;
    const double t0 = now();
    if constexpr (S == Step::affine32) {
      DUPSCAN_LOOP(DUPSCAN_A32);
    } else if constexpr (S == Step::affine64) {
      DUPSCAN_LOOP(DUPSCAN_A64);
    } else {
      DUPSCAN_LOOP(DUPSCAN_LEG);
    }
    const double dt = now() - t0;
    best = dt < best ? dt : best;
  }
  return best / static_cast<double>(iters);
}

// The real kernel (MinHasher, AVX-512 path) on 100 documents of 1,000 random hashes each, in the
// same process as the floor: seconds per hash, best of 40 (short runs: on a shared VM the best of
// many short runs is the one least disturbed).
double kernel_seconds(dupscan::Scheme scheme, unsigned k) {
  using namespace dupscan;
  const MinHasher hasher(make_permutations(k, 1, scheme), SimdPath::avx512);
  constexpr std::size_t kDocs = 100, kPerDoc = 1000;
  std::mt19937_64 rng(3);
  std::vector<std::uint64_t> h64(kDocs * kPerDoc);
  std::vector<std::uint32_t> h32(h64.size());
  for (std::size_t i = 0; i < h64.size(); ++i)
    h32[i] = static_cast<std::uint32_t>(h64[i] = rng());
  std::vector<std::uint64_t> s64(k);
  std::vector<std::uint32_t> s32(k);
  return best_of(40,
                 [&] {
                   for (std::size_t d = 0; d < kDocs; ++d) {
                     if (scheme == Scheme::affine64) {
                       std::fill(s64.begin(), s64.end(), spec::max_hash64);
                       hasher.update64(h64.data() + d * kPerDoc, kPerDoc, s64.data());
                     } else {
                       std::fill(s32.begin(), s32.end(), spec::max_hash);
                       hasher.update(h32.data() + d * kPerDoc, kPerDoc, s32.data());
                     }
                   }
                 }) /
         static_cast<double>(kDocs * kPerDoc);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned k = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--num-perm"))
      k = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
  }
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) {
    std::fprintf(stderr, "bench_floor needs AVX-512 F and DQ\n");
    return 2;
  }
  const double ghz = clock_ghz();
  std::printf("{\"what\":\"clock\",\"ghz\":%.3f}\n", ghz);
  constexpr long kIters = 1000000;
  // Seconds per hash for 8 registers, scaled to K permutations.
  const struct {
    dupscan::Scheme scheme;
    unsigned lanes;
    double per_hash_8;
  } rows[] = {{dupscan::Scheme::affine32, 16, step_seconds<Step::affine32>(kIters)},
              {dupscan::Scheme::affine64, 8, step_seconds<Step::affine64>(kIters)},
              {dupscan::Scheme::legacy, 8, step_seconds<Step::legacy>(kIters)}};
  for (const auto& r : rows) {
    const double registers = (k + r.lanes - 1) / r.lanes;
    const double per_hash = r.per_hash_8 * registers / 8.0;
    const double kernel = kernel_seconds(r.scheme, k);
    std::printf(
        "{\"what\":\"floor\",\"scheme\":\"%s\",\"num_perm\":%u,\"cycles_per_register\":%.3f,"
        "\"floor_cycles_per_hash\":%.2f,\"floor_mshingles_per_s\":%.1f,"
        "\"kernel_cycles_per_hash\":%.2f,\"kernel_mshingles_per_s\":%.1f}\n",
        dupscan::scheme_name(r.scheme), k, r.per_hash_8 * ghz * 1e9 / 8.0, per_hash * ghz * 1e9,
        1e-6 / per_hash, kernel * ghz * 1e9, 1e-6 / kernel);
  }
  std::printf("{\"what\":\"clock\",\"ghz\":%.3f}\n", clock_ghz());
  return 0;
}
