// The CUDA backend on the GPU against the CPU backend, over the batches of tests/test_backend.cpp
// and every MinHash scheme (legacy, affine32, affine64) and the fast sketch: signatures (32- and
// 64-bit), band keys, shingle counts, verification sets, candidate pairs and exact groups, bit for
// bit. Labelled `gpu`: skipped, with the reason, where no GPU is usable.
#include <stdexcept>
#include <thread>

#include "backend_cases.hpp"
#include "contam_cases.hpp"
#include "examples.hpp"

#include "gpu_test.hpp"

namespace dupscan {
namespace {

struct GpuParams {
  const char* name;
  SketchParams params;
};

std::vector<GpuParams> gpu_params() {
  return {
      {"compat word:5 K=128 9x13", test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13})},
      {"compat char:9 K=64 8x8", test::sketch_params(SketchKind::compat, "char:9", 64, {8, 8})},
      {"compat word:1 K=300 20x15",
       test::sketch_params(SketchKind::compat, "word:1", 300, {20, 15})},
      {"fast word:5 K=128 16x8", test::sketch_params(SketchKind::fast, "word:5", 128, {16, 8})},
      {"fast char:5 K=256 32x8", test::sketch_params(SketchKind::fast, "char:5", 256, {32, 8})},
      {"affine32 word:5 K=128 9x13",
       test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}, 1, Scheme::affine32)},
      {"affine32 char:9 K=300 20x15 seed 7",
       test::sketch_params(SketchKind::compat, "char:9", 300, {20, 15}, 7, Scheme::affine32)},
      {"affine64 word:5 K=128 9x13",
       test::sketch_params(SketchKind::compat, "word:5", 128, {9, 13}, 1, Scheme::affine64)},
      {"affine64 word:1 K=300 20x15 seed 42",
       test::sketch_params(SketchKind::compat, "word:1", 300, {20, 15}, 42, Scheme::affine64)},
      {"affine64 char:5 K=64 8x8 seed 3",
       test::sketch_params(SketchKind::compat, "char:5", 64, {8, 8}, 3, Scheme::affine64)},
  };
}

const GpuParams& gpu_params_named(const std::string& name) {
  static const std::vector<GpuParams> all = gpu_params();
  for (const GpuParams& gp : all) {
    if (name == gp.name) return gp;
  }
  throw std::invalid_argument("no parameter set " + name);
}

std::unique_ptr<Backend> gpu(const SketchParams& p, std::size_t gpu_memory = 0) {
  BackendOptions o;
  o.gpu_memory = gpu_memory;
  return make_backend("cuda", p, o).backend;
}

TEST(CudaBackend, EqualsCpu) {
  DUPSCAN_REQUIRE_GPU();
  std::vector<test::BackendCase> cases;
  cases.push_back(test::boundary_case());
  cases.push_back(test::random_utf8_case(1, 3000));
  cases.push_back(test::real_text_case(20000));
  cases.push_back(test::long_document_case(std::size_t{16} << 20));
  for (const GpuParams& gp : gpu_params()) {
    auto cpu = make_cpu_backend(gp.params);
    auto dev = gpu(gp.params);
    EXPECT_EQ(dev->name(), "cuda");
    for (const test::BackendCase& c : cases)
      test::expect_same_sketches(*cpu, *dev, c, gp.name);
  }
}

TEST(CudaBackend, StagesEqualCpu) {
  DUPSCAN_REQUIRE_GPU();
  const SketchParams p = gpu_params()[0].params;
  auto cpu = make_cpu_backend(p);
  auto dev = gpu(p);
  for (unsigned seed : {1u, 2u, 3u, 4u})
    test::expect_same_stages(*cpu, *dev, seed);
}

TEST(CudaBackend, SplitsABatchThatDoesNotFitItsMemoryBudget) {
  DUPSCAN_REQUIRE_GPU();
  const test::BackendCase c = test::real_text_case(5000);
  for (const char* name : {"compat word:5 K=128 9x13", "affine64 word:5 K=128 9x13"}) {
    const GpuParams& gp = gpu_params_named(name);
    auto cpu = make_cpu_backend(gp.params);
    auto dev = gpu(gp.params, std::size_t{4} << 20);
    test::expect_same_sketches(*cpu, *dev, c, std::string(gp.name) + ", 4 MB budget");
  }
}

TEST(CudaBackend, ConcurrentSubmitsFromManyThreadsEqualCpu) {
  DUPSCAN_REQUIRE_GPU();
  const SketchParams p = gpu_params_named("affine64 word:5 K=128 9x13").params;  // 64-bit
  auto cpu = make_cpu_backend(p);
  auto dev = gpu(p);
  const test::BackendCase c = test::real_text_case(3000);
  SketchBatch want;
  cpu->sketch(c.batch, want);
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 4; ++r) {
        SketchBatch got;
        dev->sketch(c.batch, got);
        if (got.band_keys != want.band_keys || got.signatures != want.signatures ||
            got.signatures64 != want.signatures64 || got.shingle_counts != want.shingle_counts)
          return;
      }
      ok[t] = 1;
    });
  }
  for (auto& th : threads)
    th.join();
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(ok[t], 1) << "thread " << t;
}

// Batches normalized into the backend's pinned arenas are copied to the GPU from there (no
// staging copy) and give the CPU's bits, several in flight at once.
TEST(CudaBackend, BatchesBuiltInItsPinnedArenasEqualCpuAndAreNotStaged) {
  DUPSCAN_REQUIRE_GPU();
  const SketchParams p = gpu_params_named("affine32 word:5 K=128 9x13").params;
  auto cpu = make_cpu_backend(p);
  auto dev = gpu(p);
  test::expect_arena_batches_unstaged(*cpu, *dev);
}

// contam's probe on the GPU against the CPU's (random benchmarks and training text, several N, m
// and thresholds, batches of one document, a memory budget that splits), and whole contam runs on
// planted cases and on the example corpus against GSM8K: every output the same
// bytes.
TEST(CudaBackend, ContamProbeEqualsCpu) {
  DUPSCAN_REQUIRE_GPU();
  test::expect_probe_equals_cpu("cuda", std::size_t{4} << 20);
}

TEST(CudaBackend, ContamOutputsEqualCpu) {
  DUPSCAN_REQUIRE_GPU();
  test::PlantedContam p;
  ContamConfig cfg = p.config();
  cfg.write_decontaminated = p.dir / "decon.jsonl";
  test::expect_same_contam_outputs(cfg, "cuda", "planted");
  test::TempDir dir;
  std::string bench, train;
  for (const std::string& line : test::example_lines()) {
    const bool is_bench = line.find("\"id\": \"gsm8k-test-") != std::string::npos &&
                          line.find('~') == std::string::npos;
    (is_bench ? bench : train) += line + "\n";
  }
  test::write_file(dir / "gsm8k.jsonl", bench);
  test::write_file(dir / "train.jsonl", train);
  cfg.train = {dir / "train.jsonl"};
  cfg.evals = {EvalSpec::parse("gsm8k=" + (dir / "gsm8k.jsonl"))};
  cfg.output_dir = dir / "out";
  cfg.write_decontaminated = dir / "decon.jsonl";
  test::expect_same_contam_outputs(cfg, "cuda", "example corpus");
}

}  // namespace
}  // namespace dupscan
