// The CUDA backend at scale, proven on cuda-host: no Thrust call takes more items than its cap
// (below 2^31: Thrust and CUB count some algorithms' items in 32-bit ints), and a tiny cap set by
// the test hook DUPSCAN_TEST_DEVICE_ITEM_CAP forces every chunked path -- a band cut into parts,
// pairs sorted in runs the host merges, exact groups in parts, pass 1's and the probe's batches
// split to fit -- with the CPU's bits; a backend destroyed with a batch never waited for; a driver
// too old for the build named as such (the driver's answer faked by DUPSCAN_TEST_DRIVER_VERSION).
#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <string>

#include "backend_cases.hpp"
#include "contam_cases.hpp"
#include "device_api.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::EnvVar;

SketchParams params(Scheme scheme, SketchKind kind = SketchKind::compat) {
  SketchParams p;
  p.kind = kind;
  p.shingle = ShingleSpec::parse("word:5");
  p.perms = make_permutations(128, 1, scheme);
  p.lsh = optimal_lsh_params(0.8, 128);
  return p;
}

#define REQUIRE_CUDA_HOST() \
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend"

TEST(DeviceScale, ItemCapDefaultIsFarBelow2To31) {
  REQUIRE_CUDA_HOST();
#ifdef DUPSCAN_HAVE_CUDA_HOST  // device_item_cap() is linked in only then
  ASSERT_EQ(std::getenv("DUPSCAN_TEST_DEVICE_ITEM_CAP"), nullptr);
  EXPECT_LE(cuda_host::device_item_cap(), std::size_t{1} << 30);
  EXPECT_LT(cuda_host::device_item_cap(), std::size_t{INT_MAX});
  EXPECT_GE(cuda_host::device_item_cap(), std::size_t{1} << 26);  // not a needless slowdown
  EnvVar cap("DUPSCAN_TEST_DEVICE_ITEM_CAP", "1000");
  EXPECT_EQ(cuda_host::device_item_cap(), 1000u);
#endif
}

TEST(DeviceScale, TileTextCapacityIsFourKibibytesUnlessATestShrinksIt) {
  REQUIRE_CUDA_HOST();
#ifdef DUPSCAN_HAVE_CUDA_HOST  // device_tile_text_capacity() is linked in only then
  ASSERT_EQ(std::getenv("DUPSCAN_TEST_TILE_TEXT_BYTES"), nullptr);
  EXPECT_EQ(cuda_host::device_tile_text_capacity(), 4096u);
  {
    EnvVar cap("DUPSCAN_TEST_TILE_TEXT_BYTES", "17");
    EXPECT_EQ(cuda_host::device_tile_text_capacity(), 17u);
  }
  EnvVar cap("DUPSCAN_TEST_TILE_TEXT_BYTES", "100000");  // never more than the buffer holds
  EXPECT_EQ(cuda_host::device_tile_text_capacity(), 4096u);
#endif
}

TEST(DeviceScale, StagesUnderATinyItemCapEqualCpu) {
  REQUIRE_CUDA_HOST();
  // 5,000 documents, 9 bands, a third of them in 40 shared buckets: with 1,000 items per call
  // every band is cut into parts and the ~10,000 pairs are sorted in runs the host merges.
  EnvVar cap("DUPSCAN_TEST_DEVICE_ITEM_CAP", "1000");
  for (Scheme scheme : {Scheme::affine32, Scheme::legacy}) {
    auto cpu = make_cpu_backend(params(scheme));
    auto dev = make_backend("cuda-host", params(scheme)).backend;
    for (unsigned seed : {1u, 2u, 3u})
      test::expect_same_stages(*cpu, *dev, seed);
  }
}

TEST(DeviceScale, SketchesAndSetsUnderASmallItemCapEqualCpu) {
  REQUIRE_CUDA_HOST();
  // The example corpus's documents are under 3,600 bytes: its 1 MiB batches are split until
  // each part fits 4,096 items per call.
  EnvVar cap("DUPSCAN_TEST_DEVICE_ITEM_CAP", "4096");
  const test::BackendCase c = test::real_text_case(1500);
  for (Scheme scheme : {Scheme::affine32, Scheme::affine64}) {
    auto cpu = make_cpu_backend(params(scheme));
    auto dev = make_backend("cuda-host", params(scheme)).backend;
    test::expect_same_sketches(*cpu, *dev, c, std::string("4096-item cap, ") + scheme_name(scheme));
  }
  auto cpu = make_cpu_backend(params(Scheme::affine32, SketchKind::fast));
  auto dev = make_backend("cuda-host", params(Scheme::affine32, SketchKind::fast)).backend;
  test::expect_same_sketches(*cpu, *dev, c, "4096-item cap, fast");
  // A document over the cap alone: refused on the device, saying why and what to do.
  NormalizedBatch big;
  big.add(test::words(1000, 7));
  SketchBatch out;
  try {
    dev->sketch(big, out);
    FAIL() << "a document over the item cap was sketched";
  } catch (const DocumentTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("32-bit counts"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--backend cpu"), std::string::npos) << e.what();
  }
}

TEST(DeviceScale, ContamProbeUnderASmallItemCapEqualsCpu) {
  REQUIRE_CUDA_HOST();
  // Its longest document holds 3,600 bytes over 6 window classes; its batches are split.
  EnvVar cap("DUPSCAN_TEST_DEVICE_ITEM_CAP", "40000");
  test::expect_probe_equals_cpu("cuda-host", 0);
}

TEST(DeviceScale, DedupUnderASmallItemCapWritesTheCpusBytes) {
  REQUIRE_CUDA_HOST();
  test::TempDir dir;
  const std::string in = test::shell_quote(std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz");
  const auto cpu = test::run_dupscan("dedup " + in + " -o " + test::shell_quote(dir / "cpu") +
                                     " --backend cpu --threads 2");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EnvVar cap("DUPSCAN_TEST_DEVICE_ITEM_CAP", "4096");
  const auto dev = test::run_dupscan("dedup " + in + " -o " + test::shell_quote(dir / "dev") +
                                     " --backend cuda-host --threads 2");
  ASSERT_EQ(dev.exit_code, 0) << dev.err;
  for (const char* f : {"duplicates.jsonl", "clusters.jsonl"}) {
    EXPECT_EQ(test::read_file(dir / (std::string("dev/") + f)),
              test::read_file(dir / (std::string("cpu/") + f)))
        << f;
  }
  EXPECT_FALSE(test::read_file(dir / "cpu/duplicates.jsonl").empty());
}

TEST(DeviceScale, BackendDestroyedWithABatchNeverWaitedFor) {
  REQUIRE_CUDA_HOST();
  // The backend's buffers outlive every batch in flight (under ASan in scripts/test-sanitize.sh).
  const test::BackendCase c = test::real_text_case(200);
  auto dev = make_backend("cuda-host", params(Scheme::affine32)).backend;
  SketchBatch a, b;
  dev->submit(c.batch, true, a);
  dev->submit(c.batch, false, b);
  dev.reset();
  SUCCEED();
}

TEST(DeviceScale, DriverTooOldForTheBuildIsNamedAndAutoRunsOnTheCpu) {
  if (!have_cuda_backend()) GTEST_SKIP() << "this build has no CUDA backend (CMake found no nvcc)";
  EnvVar driver("DUPSCAN_TEST_DRIVER_VERSION", "12040");  // an R550 driver: CUDA 12.4
  const SketchParams p = params(Scheme::affine32);
  const BackendChoice c = make_backend("auto", p);
  EXPECT_EQ(c.backend->name(), "cpu");
  for (const char* words : {"the NVIDIA driver is too old for this build of dupscan",
                            "it supports CUDA 12.4", "needs CUDA 13.", "R580 or newer",
                            "forward-compatibility package (cuda-compat-13-", "CUDA 12 toolkit"}) {
    EXPECT_NE(c.note.find(words), std::string::npos) << c.note;
  }
  EXPECT_EQ(c.note.find("no usable"), std::string::npos) << c.note;
  try {
    make_backend("cuda", p);
    FAIL() << "--backend cuda ran with a driver too old for it";
  } catch (const UsageError&) {
    FAIL() << "not a usage error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the NVIDIA driver is too old"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("forward-compatibility"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dupscan
