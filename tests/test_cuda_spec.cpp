// The device port of spec.hpp equals the host (and so libxxhash and datasketch), in kernels.
// Labelled `gpu`: skipped, with the reason, where no CUDA device is usable.
#include <sys/stat.h>
#include <xxhash.h>

#include <cstdlib>
#include <random>

#include "dupscan/minhash.hpp"
#include "dupscan/spec.hpp"
#include "gpu_test.hpp"
#include "spec_check.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

// A machine without an NVIDIA driver or device node is told so, not sent to upgrade a driver.
TEST(CudaSpec, NoGpuIsNamedAsSuch) {
  struct stat st {};
  for (const char* node : {"/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg"}) {
    if (::stat(node, &st) == 0) GTEST_SKIP() << node << " exists: this machine may have a GPU";
  }
  std::string why;
  EXPECT_EQ(cuda::usable_devices(&why), 0);
  EXPECT_EQ(why, "no usable NVIDIA GPU (no driver / no device)");
}

TEST(CudaSpec, Xxh64InKernelEqualsLibxxhash) {
  DUPSCAN_REQUIRE_GPU();
  std::mt19937_64 rng(3);
  std::string bytes;
  std::vector<std::uint64_t> offsets{0}, seeds;
  // Lengths around the 32-byte stripe and 8/4-byte tails, plus long inputs.
  for (std::size_t len = 0; len < 300; ++len) {
    for (std::size_t i = 0; i < len; ++i)
      bytes.push_back(static_cast<char>(rng()));
    offsets.push_back(bytes.size());
    seeds.push_back(len % 3 == 0 ? 0 : rng());
  }
  const auto got = cuda::xxh64_on_device(bytes, offsets, seeds);
  ASSERT_EQ(got.size(), seeds.size());
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    EXPECT_EQ(got[i], XXH64(bytes.data() + offsets[i], offsets[i + 1] - offsets[i], seeds[i])) << i;
  }
}

// --shingle-hash sha1: the scalar SHA-1 of sha1.hpp in a kernel equals the host's on every
// length 0..200 (the padding's one/two-block cut at 55/56, block ends 63/64, 119/120) and long
// ones (the host's equals hashlib: tests/test_sha1.cpp).
TEST(CudaSpec, Sha1InKernelEqualsHost) {
  DUPSCAN_REQUIRE_GPU();
  std::mt19937_64 rng(5);
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::size_t> lengths;
  for (std::size_t len = 0; len <= 200; ++len)
    lengths.push_back(len);
  for (std::size_t len : {255, 256, 1000, 4096, 65599})
    lengths.push_back(len);
  for (std::size_t len : lengths) {
    for (std::size_t i = 0; i < len; ++i)
      bytes.push_back(static_cast<char>(rng()));
    offsets.push_back(bytes.size());
  }
  const auto got = cuda::sha1_on_device(bytes, offsets);
  ASSERT_EQ(got.size(), lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    EXPECT_EQ(got[i], spec::sha1_prefix64(bytes.data() + offsets[i], offsets[i + 1] - offsets[i]))
        << "length " << lengths[i];
  }
}

TEST(CudaSpec, MinHashAndBandKeysInKernelEqualHost) {
  DUPSCAN_REQUIRE_GPU();
  const Permutations perms = make_permutations(128, 1);
  std::mt19937 rng(4);
  for (std::size_t count : {0u, 1u, 31u, 32u, 33u, 1000u}) {
    std::vector<std::uint32_t> hashes(count);
    for (auto& h : hashes)
      h = rng();
    hashes.push_back(0xFFFFFFFFu);
    std::vector<std::uint32_t> host(128, spec::max_hash);
    minhash_update(hashes.data(), hashes.size(), perms, host.data());
    EXPECT_EQ(cuda::minhash_on_device(hashes, perms.a, perms.b), host) << count;
    std::vector<std::uint64_t> keys(9);
    band_keys(host.data(), LshParams{9, 13}, keys.data());
    EXPECT_EQ(cuda::band_keys_on_device(host, 9, 13), keys) << count;
  }
}

}  // namespace
}  // namespace dupscan
