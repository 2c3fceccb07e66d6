// The canary check (src/host/sketch/canary.hpp, src/host/contam/canary.hpp): its documents cross
// the device paths' boundaries; it passes on cuda-host for every scheme, the fast sketch and
// contam's probe (its cost printed); a device path broken on purpose (DUPSCAN_TEST_DEVICE_FAULT)
// makes `auto` fall back to the CPU with one line naming the stage and the first differing value
// and the CPU's bytes, and a device asked for by name exit 1; DUPSCAN_CANARY=off skips it (and
// then the broken path's bytes do differ: the fault is real).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>

#include "contam/canary.hpp"
#include "contam/engine.hpp"
#include "contam_cases.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/errors.hpp"
#include "sketch/canary.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::EnvVar;

SketchParams params_of(SketchKind kind, Scheme scheme, const char* shingle, std::uint32_t k = 128,
                       double threshold = 0.8) {
  SketchParams p;
  p.kind = kind;
  p.shingle = ShingleSpec::parse(shingle);
  p.perms = make_permutations(k, 1, scheme);
  p.lsh = optimal_lsh_params(threshold, k);
  return p;
}

using Vars = std::vector<std::pair<const char*, const char*>>;

// Runs the built dupscan with `vars` set in its environment.
test::RunResult run_with(const Vars& vars, const std::string& args) {
  std::vector<std::unique_ptr<EnvVar>> set;
  for (const auto& v : vars)
    set.push_back(std::make_unique<EnvVar>(v.first, v.second));
  return test::run_dupscan(args);
}

#define REQUIRE_CUDA_HOST() \
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend"

TEST(Canary, DocumentsCrossTheDevicePathsBoundaries) {
  for (const char* shingle : {"word:5", "char:5", "word:1", "char:9"}) {
    const SketchParams p = params_of(SketchKind::compat, Scheme::affine32, shingle);
    const NormalizedBatch docs = canary::documents(p.shingle);
    auto cpu = make_cpu_backend(p);
    SketchBatch out;
    cpu->sketch(docs, out);
    const std::set<std::uint32_t> counts(out.shingle_counts.begin(), out.shingle_counts.end());
    // Empty; around a warp, a block, a tile and a chunk (2048 shingles); over several chunks.
    for (std::uint32_t c :
         {0u, 1u, 31u, 32u, 33u, 127u, 128u, 129u, 255u, 256u, 257u, 2047u, 2048u, 2049u, 5000u}) {
      EXPECT_TRUE(counts.count(c)) << shingle << ": no canary document of " << c << " shingles";
    }
    // Non-ASCII UTF-8, and every document is valid UTF-8 of single-space-separated words.
    EXPECT_NE(docs.text.view().find("東京"), std::string::npos) << shingle;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const std::string_view d = docs.doc(i);
      EXPECT_EQ(d.find("  "), std::string_view::npos) << shingle << " document " << i;
      if (!d.empty()) {
        EXPECT_NE(d.front(), ' ') << shingle << " document " << i;
        EXPECT_NE(d.back(), ' ') << shingle << " document " << i;
      }
    }
    // Exact groups and candidate pairs are not empty (else their stages would be compared on
    // nothing).
    std::vector<std::uint32_t> all;
    for (std::uint32_t i = 0; i < docs.size(); ++i)
      if (!docs.doc(i).empty()) all.push_back(i);
    EXPECT_GE(cpu->candidate_pairs(out.band_keys.data(), p.lsh.bands, all, 0, 1).size(), 3u)
        << shingle;
    std::vector<XXH128_hash_t> h(docs.size());
    std::vector<std::uint8_t> empty(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
      h[i] = XXH3_128bits(docs.doc(i).data(), docs.doc(i).size());
      empty[i] = docs.doc(i).empty();
    }
    std::vector<std::uint32_t> rep(docs.size());
    cpu->exact_representatives(h.data(), empty.data(), docs.size(), rep.data());
    std::size_t copies = 0;
    for (std::size_t i = 0; i < rep.size(); ++i)
      copies += rep[i] != i;
    EXPECT_GE(copies, 2u) << shingle;
  }
}

TEST(Canary, CpuBackendIsNotChecked) {
  const BackendChoice c =
      make_backend("cpu", params_of(SketchKind::compat, Scheme::affine32, "word:5"));
  EXPECT_EQ(c.canary.status, "not run");
  EXPECT_EQ(c.asked, "cpu");
}

TEST(Canary, PassesOnCudaHostForEverySchemeAndTheFastSketch) {
  REQUIRE_CUDA_HOST();
  struct Case {
    SketchKind kind;
    Scheme scheme;
    const char* shingle;
  };
  for (const Case& k : {Case{SketchKind::compat, Scheme::legacy, "word:5"},
                        Case{SketchKind::compat, Scheme::affine32, "word:5"},
                        Case{SketchKind::compat, Scheme::affine64, "word:5"},
                        Case{SketchKind::compat, Scheme::affine32, "char:5"},
                        Case{SketchKind::fast, Scheme::affine32, "word:5"},
                        Case{SketchKind::fast, Scheme::affine32, "char:9"}}) {
    const std::string what =
        std::string(sketch_kind_name(k.kind)) + " " + scheme_name(k.scheme) + " " + k.shingle;
    const BackendChoice c = make_backend("cuda-host", params_of(k.kind, k.scheme, k.shingle));
    EXPECT_EQ(c.backend->name(), "cuda-host") << what;
    EXPECT_EQ(c.canary.status, "passed") << what << ": " << c.canary.difference;
    EXPECT_EQ(c.canary.checked, (std::vector<std::string>{"sketch", "verification sets",
                                                          "exact groups", "candidate pairs"}))
        << what;
    EXPECT_NE(c.note.find("canary passed in"), std::string::npos) << c.note;
    EXPECT_GT(c.canary.milliseconds, 0.0) << what;
    std::cout << "canary on cuda-host, " << what << ": " << c.canary.milliseconds << " ms\n";
  }
}

TEST(Canary, BrokenSketchFailsTheNamedDeviceAndAutoFallsBack) {
  REQUIRE_CUDA_HOST();
  EnvVar fault("DUPSCAN_TEST_DEVICE_FAULT", "signature");
  const SketchParams p = params_of(SketchKind::compat, Scheme::affine32, "word:5");
  try {
    make_backend("cuda-host", p);
    FAIL() << "a broken device was trusted";
  } catch (const UsageError&) {
    FAIL() << "a failed canary is not a usage error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cuda-host backend failed its canary check at sketch: document 0 (0 "),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("Use --backend cpu"), std::string::npos) << m;
  }
  EnvVar device("DUPSCAN_TEST_AUTO_DEVICE", "cuda-host");
  const BackendChoice c = make_backend("auto", p);
  EXPECT_EQ(c.backend->name(), "cpu");
  EXPECT_EQ(c.asked, "auto");
  EXPECT_EQ(c.canary.status, "failed");
  EXPECT_EQ(c.canary.device, "cuda-host");
  EXPECT_EQ(c.canary.stage, "sketch");
  // The first differing value: document 0's first signature value.
  EXPECT_NE(c.canary.difference.find("document 0 (0 shingles) signature 0: cpu 0x"),
            std::string::npos)
      << c.canary.difference;
  EXPECT_NE(c.note.find("running on the CPU"), std::string::npos) << c.note;
}

TEST(Canary, DroppedPairIsFoundAtCandidatePairs) {
  REQUIRE_CUDA_HOST();
  EnvVar fault("DUPSCAN_TEST_DEVICE_FAULT", "pair");
  EnvVar device("DUPSCAN_TEST_AUTO_DEVICE", "cuda-host");
  for (SketchKind kind : {SketchKind::compat, SketchKind::fast}) {
    const BackendChoice c = make_backend("auto", params_of(kind, Scheme::affine64, "word:5"));
    EXPECT_EQ(c.backend->name(), "cpu");
    EXPECT_EQ(c.canary.stage, "candidate pairs");
    EXPECT_NE(c.canary.difference.find("pair 0"), std::string::npos) << c.canary.difference;
    EXPECT_EQ(c.canary.checked.back(), "candidate pairs");
  }
}

TEST(Canary, ADeviceThatFailsOutrightIsAFailedCheck) {
  REQUIRE_CUDA_HOST();
  EnvVar fault("DUPSCAN_TEST_DEVICE_FAULT", "error");
  const SketchParams p = params_of(SketchKind::compat, Scheme::affine32, "word:5");
  EXPECT_THROW(make_backend("cuda-host", p), Error);
  EnvVar device("DUPSCAN_TEST_AUTO_DEVICE", "cuda-host");
  const BackendChoice c = make_backend("auto", p);
  EXPECT_EQ(c.backend->name(), "cpu");
  EXPECT_EQ(c.canary.status, "failed");
  EXPECT_NE(c.note.find("failed its canary check at its device calls: injected device error"),
            std::string::npos)
      << c.note;
}

TEST(Canary, OffSkipsTheCheck) {
  REQUIRE_CUDA_HOST();
  EnvVar fault("DUPSCAN_TEST_DEVICE_FAULT", "signature");
  EnvVar off("DUPSCAN_CANARY", "off");
  const BackendChoice c =
      make_backend("cuda-host", params_of(SketchKind::compat, Scheme::affine32, "word:5"));
  EXPECT_EQ(c.backend->name(), "cuda-host");
  EXPECT_EQ(c.canary.status, "off");
  EXPECT_NE(c.note.find("DUPSCAN_CANARY=off"), std::string::npos) << c.note;
}

TEST(Canary, ContamProbePassesOnCudaHostAndCatchesABrokenProbe) {
  REQUIRE_CUDA_HOST();
  const test::ProbeCase pc = test::random_probe_case(3, 8);
  const auto tables = test::probe_tables(pc, 13, 8, 0.5);
  // The canary's training documents hold the examples: candidates and windows to compare.
  {
    auto cpu = make_cpu_contam_probe(tables);
    ProbeResult r;
    cpu->probe(contam::canary_documents(pc.examples), r);
    EXPECT_GT(r.candidates.size(), 10u);
    EXPECT_GT(r.windows.size(), 3u);
  }
  auto backend = test::contam_backend("cuda-host", 0.5);
  {
    auto probe = backend->contam_probe(tables);
    CanaryReport r;
    r.status = "passed";
    contam::check_probe(*probe, tables, pc.examples, r);
    EXPECT_EQ(r.status, "passed") << r.difference;
    EXPECT_EQ(r.checked, std::vector<std::string>{"contam probe"});
    std::cout << "probe canary on cuda-host: " << r.milliseconds << " ms\n";
  }
  EnvVar fault("DUPSCAN_TEST_DEVICE_FAULT", "probe");
  auto broken = test::contam_backend("cuda-host", 0.5);  // the fault is read when it is made
  auto probe = broken->contam_probe(tables);
  CanaryReport r;
  r.status = "passed";
  contam::check_probe(*probe, tables, pc.examples, r);
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.stage, "contam probe");
  EXPECT_NE(r.difference.find("candidate"), std::string::npos) << r.difference;
}

// ---- whole runs through the CLI
// -------------------------------------------------------------------

// Forty distinct documents and one near copy of the first (one word changed): one near duplicate,
// whose pair is the first candidate pair.
std::string near_pair_corpus() {
  std::string out;
  std::string first;
  for (int i = 0; i < 40; ++i) {
    std::string text = canary::words(200, 1000 + i);
    if (i == 0) first = text;
    out += "{\"id\":" + std::to_string(i) + ",\"text\":\"" + text + "\"}\n";
  }
  std::string copy = first;
  copy.replace(copy.find(' ') + 1, 0, "zz");
  out += "{\"id\":40,\"text\":\"" + copy + "\"}\n";
  return out;
}

TEST(CanaryCli, DedupFallsBackToTheCpuBytesOrExits1) {
  REQUIRE_CUDA_HOST();
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", near_pair_corpus());
  const std::string in = test::shell_quote(dir / "in.jsonl");
  auto run = [&](const Vars& env, const std::string& out, const std::string& backend) {
    return run_with(env, "dedup " + in + " -o " + test::shell_quote(dir / out) + " --backend " +
                             backend + " --threads 2");
  };
  const auto cpu = run({}, "cpu", "cpu");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  const std::string want = test::read_file(dir / "cpu/duplicates.jsonl");
  ASSERT_EQ(test::lines_of(want).size(), 1u) << want;

  // The fault is real: with the check off, the broken device loses the pair.
  const auto off =
      run({{"DUPSCAN_CANARY", "off"}, {"DUPSCAN_TEST_DEVICE_FAULT", "pair"}}, "off", "cuda-host");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_NE(test::read_file(dir / "off/duplicates.jsonl"), want);

  // auto: one line naming the stage and the first difference; the CPU's bytes.
  const auto fell =
      run({{"DUPSCAN_TEST_AUTO_DEVICE", "cuda-host"}, {"DUPSCAN_TEST_DEVICE_FAULT", "pair"}},
          "auto", "auto");
  ASSERT_EQ(fell.exit_code, 0) << fell.err;
  EXPECT_NE(fell.err.find("backend: cpu, "), std::string::npos) << fell.err;
  EXPECT_NE(fell.err.find("the cuda-host backend failed its canary check at candidate pairs: pair "
                          "0"),
            std::string::npos)
      << fell.err;
  EXPECT_EQ(test::read_file(dir / "auto/duplicates.jsonl"), want);
  EXPECT_EQ(test::read_file(dir / "auto/clusters.jsonl"),
            test::read_file(dir / "cpu/clusters.jsonl"));
  simdjson::dom::parser parser;
  auto rep = test::parse_json(parser, test::read_file(dir / "auto/report.json"));
  EXPECT_EQ(test::str(rep["backend"]), "cpu");
  EXPECT_EQ(test::str(rep["backend_asked"]), "auto");
  EXPECT_EQ(test::str(rep["canary"]["status"]), "failed");
  EXPECT_EQ(test::str(rep["canary"]["device"]), "cuda-host");
  EXPECT_EQ(test::str(rep["canary"]["stage"]), "candidate pairs");

  // Named: exit 1, nothing written.
  const auto named = run({{"DUPSCAN_TEST_DEVICE_FAULT", "pair"}}, "named", "cuda-host");
  EXPECT_EQ(named.exit_code, 1) << named.err;
  EXPECT_NE(named.err.find("failed its canary check at candidate pairs"), std::string::npos)
      << named.err;
  EXPECT_FALSE(test::file_exists(dir / "named/duplicates.jsonl"));

  // Healthy: the device runs, the report says the canary passed.
  const auto ok = run({}, "ok", "cuda-host");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("canary passed in"), std::string::npos) << ok.err;
  EXPECT_EQ(test::read_file(dir / "ok/duplicates.jsonl"), want);
  simdjson::dom::parser p2;
  auto rep2 = test::parse_json(p2, test::read_file(dir / "ok/report.json"));
  EXPECT_EQ(test::str(rep2["backend"]), "cuda-host");
  EXPECT_EQ(test::str(rep2["canary"]["status"]), "passed");
}

TEST(CanaryCli, ContamFallsBackToTheCpuBytesOrExits1) {
  REQUIRE_CUDA_HOST();
  test::PlantedContam p;
  const std::string args = "contam --train " + test::shell_quote(p.dir / "train.jsonl") +
                           " --eval " + test::shell_quote("bench=" + (p.dir / "eval.jsonl")) +
                           " --threads 2";
  auto run = [&](const Vars& env, const std::string& out, const std::string& backend) {
    return run_with(env, args + " -o " + test::shell_quote(p.dir / out) + " --backend " + backend);
  };
  const auto cpu = run({}, "cpu", "cpu");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  const std::string want = test::read_file(p.dir / "cpu/contamination.jsonl");

  const auto ok = run({}, "ok", "cuda-host");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  simdjson::dom::parser parser;
  auto rep = test::parse_json(parser, test::read_file(p.dir / "ok/report.json"));
  EXPECT_EQ(test::str(rep["canary"]["status"]), "passed");
  std::vector<std::string> checked;
  const simdjson::dom::array arr = rep["canary"]["checked"].get_array();
  for (simdjson::dom::element s : arr)
    checked.push_back(std::string(std::string_view(s)));
  ASSERT_FALSE(checked.empty());
  EXPECT_EQ(checked.back(), "contam probe");
  EXPECT_EQ(test::read_file(p.dir / "ok/contamination.jsonl"), want);

  const auto off =
      run({{"DUPSCAN_CANARY", "off"}, {"DUPSCAN_TEST_DEVICE_FAULT", "probe"}}, "off", "cuda-host");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_NE(test::read_file(p.dir / "off/contamination.jsonl"), want);

  const auto fell =
      run({{"DUPSCAN_TEST_AUTO_DEVICE", "cuda-host"}, {"DUPSCAN_TEST_DEVICE_FAULT", "probe"}},
          "auto", "auto");
  ASSERT_EQ(fell.exit_code, 0) << fell.err;
  EXPECT_NE(fell.err.find("failed its canary check at contam probe: candidate 0"),
            std::string::npos)
      << fell.err;
  EXPECT_EQ(test::read_file(p.dir / "auto/contamination.jsonl"), want);
  simdjson::dom::parser p2;
  auto rep2 = test::parse_json(p2, test::read_file(p.dir / "auto/report.json"));
  EXPECT_EQ(test::str(rep2["backend"]), "cpu");
  EXPECT_EQ(test::str(rep2["canary"]["stage"]), "contam probe");

  const auto named = run({{"DUPSCAN_TEST_DEVICE_FAULT", "probe"}}, "named", "cuda-host");
  EXPECT_EQ(named.exit_code, 1) << named.err;
  EXPECT_NE(named.err.find("failed its canary check at contam probe"), std::string::npos)
      << named.err;
}

}  // namespace
}  // namespace dupscan
