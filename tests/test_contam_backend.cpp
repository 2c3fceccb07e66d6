// contam on every backend this build has. The probe (contam_probe.hpp): the CPU's against the
// specification's plain reference, and the CUDA backend's host build (cuda-host) against the CPU,
// bit for bit, over random benchmarks and training text (every kind of overlap, empty and short
// documents, several N, m and thresholds, batches of one document, a device memory budget that
// splits a batch). Whole runs: every output of cuda-host byte for byte the CPU's, on the real
// benchmarks (the example corpus's GSM8K test problems and HumanEval prompts against the rest of
// it) and on planted cases. The GPU itself: tests/test_cuda_backend.cpp (label gpu).
#include "contam_cases.hpp"
#include "dupscan/errors.hpp"
#include "examples.hpp"

namespace dupscan {
namespace {

TEST(ContamProbe, CpuEqualsTheReference) {
  for (unsigned seed : {1u, 2u, 3u}) {
    for (std::uint32_t m : {8u, 3u}) {
      const test::ProbeCase c = test::random_probe_case(seed, m);
      const auto tables = test::probe_tables(c, 13, m, 0.4);
      const ProbeBatch batch = test::probe_batch(c.train);
      ProbeResult got;
      make_cpu_contam_probe(tables)->probe(batch, got);
      test::expect_same_probe(test::reference_probe(*tables, batch), got,
                              "seed " + std::to_string(seed) + " m " + std::to_string(m));
      EXPECT_GT(got.candidates.size(), 20u);
      EXPECT_GT(got.windows.size(), 5u);
    }
  }
  // No near-duplicate tables: no windows.
  const test::ProbeCase c = test::random_probe_case(4, 8);
  ProbeResult got;
  make_cpu_contam_probe(test::probe_tables(c, 13, 8, 0.5, false))
      ->probe(test::probe_batch(c.train), got);
  EXPECT_TRUE(got.windows.empty());
  EXPECT_FALSE(got.candidates.empty());
}

TEST(ContamProbe, CudaHostEqualsCpu) {
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend";
  test::expect_probe_equals_cpu("cuda-host", std::size_t{384} << 10);
}

// The device probe's candidate buffer holds one candidate per word (of the words bound, (len + 1)
// / 2 a document): benchmark text of one-letter words matched at every n-gram length from 8 to 13
// has several times that, and the batch runs again with room for all of them.
TEST(ContamProbe, CudaHostMoreCandidatesThanWordsRunsAgain) {
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend";
  auto letters = [](std::size_t n, char c) {
    std::vector<std::string> w(n, std::string(1, c));
    return test::join(w);
  };
  test::ProbeCase c;
  for (std::size_t len = 8; len <= 13; ++len) {
    contam::EvalExample e;
    e.bench = 0;
    e.id_json = "\"e" + std::to_string(len) + "\"";
    janitor_words(letters(len, 'a'), e.words);
    e.judged = true;
    c.examples.push_back(std::move(e));
  }
  c.train = {letters(40, 'a'), "b c d", letters(70, 'a') + " " + letters(30, 'b'), ""};
  const auto tables = test::probe_tables(c, 13, 8, 0.5);
  const ProbeBatch batch = test::probe_batch(c.train);
  std::size_t words_bound = 0;
  for (std::size_t d = 0; d < batch.size(); ++d)
    words_bound += (batch.docs.offsets[d + 1] - batch.docs.offsets[d] + 1) / 2;
  ProbeResult want, got;
  make_cpu_contam_probe(tables)->probe(batch, want);
  EXPECT_GT(want.candidates.size(), 3 * words_bound);
  auto backend = test::contam_backend("cuda-host", 0.5);
  auto dev = backend->contam_probe(tables);
  dev->probe(batch, got);
  test::expect_same_probe(want, got, "one-letter words");
  for (std::size_t d = 0; d < batch.size(); ++d) {
    const ProbeBatch one = test::probe_batch(c.train, d, d + 1);
    ProbeResult w1, g1;
    make_cpu_contam_probe(tables)->probe(one, w1);
    dev->probe(one, g1);
    test::expect_same_probe(w1, g1, "one-letter words, document " + std::to_string(d));
  }
}

TEST(ContamBackend, CudaHostOutputsEqualCpuOnPlantedCases) {
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend";
  test::PlantedContam p;
  ContamConfig cfg = p.config();
  cfg.write_decontaminated = p.dir / "decon.jsonl";
  test::expect_same_contam_outputs(cfg, "cuda-host", "planted");
  cfg.ngram = 8;
  cfg.min_ngram = 5;
  cfg.near_threshold = 0.3;
  cfg.max_matches = 3;
  test::expect_same_contam_outputs(cfg, "cuda-host", "planted, N=8, m=5, T=0.3");
}

TEST(ContamBackend, CudaHostOutputsEqualCpuOnRealBenchmarks) {
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend";
  test::TempDir dir;
  std::string gsm8k, humaneval, train;
  for (const std::string& line : test::example_lines()) {
    if (line.find("\"id\": \"gsm8k-test-") != std::string::npos &&
        line.find('~') == std::string::npos) {
      gsm8k += line + "\n";
    } else if (line.find("\"id\": \"humaneval-") != std::string::npos &&
               line.find('~') == std::string::npos) {
      humaneval += line + "\n";
    } else {
      train += line + "\n";
    }
  }
  test::write_file(dir / "gsm8k.jsonl", gsm8k);
  test::write_file(dir / "humaneval.jsonl", humaneval);
  test::write_file(dir / "train.jsonl", train);
  ContamConfig cfg;
  cfg.train = {dir / "train.jsonl"};
  cfg.evals = {EvalSpec::parse("gsm8k=" + (dir / "gsm8k.jsonl")),
               EvalSpec::parse("humaneval=" + (dir / "humaneval.jsonl"))};
  cfg.output_dir = dir / "out";
  cfg.write_decontaminated = dir / "decon.jsonl";
  cfg.threads = 2;
  cfg.batch_bytes = std::size_t{256} << 10;
  test::expect_same_contam_outputs(cfg, "cuda-host", "real benchmarks");
  const ContamResult r = run_contam(cfg);
  EXPECT_GT(r.benchmarks[0].dirty, 50u);  // the planted copies of GSM8K test problems
  EXPECT_GT(r.benchmarks[0].near_duplicate_examples, 20u);
}

TEST(ContamBackend, NoCudaHostBackendIsAUsageError) {
  if (have_cuda_host_backend()) GTEST_SKIP() << "this build has the cuda-host backend";
  test::PlantedContam p;
  ContamConfig cfg = p.config();
  cfg.backend = "cuda-host";
  EXPECT_THROW(run_contam(cfg), UsageError);
}

}  // namespace
}  // namespace dupscan
