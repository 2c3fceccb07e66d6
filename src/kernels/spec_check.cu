#include <cuda_runtime.h>
#include <sys/stat.h>
#include <cstdlib>

#include <string>
#include <vector>

#include "dupscan/errors.hpp"
#include "dupscan/spec.hpp"
#include "spec_check.hpp"

#define DUPSCAN_CUDA_TRY(call)                                                               \
  do {                                                                                       \
    const cudaError_t dupscan_err_ = (call);                                                 \
    if (dupscan_err_ != cudaSuccess) {                                                       \
      throw ::dupscan::Error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                             cudaGetErrorName(dupscan_err_) + ": " +                         \
                             cudaGetErrorString(dupscan_err_));                              \
    }                                                                                        \
  } while (0)

namespace dupscan::cuda {
namespace {

// Move-only owner of a device allocation.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    if (n_) DUPSCAN_CUDA_TRY(cudaMalloc(&p_, n_ * sizeof(T)));
  }
  DeviceBuffer(const std::vector<T>& h) : DeviceBuffer(h.size()) {
    if (n_) DUPSCAN_CUDA_TRY(cudaMemcpy(p_, h.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  std::vector<T> to_host() const {
    std::vector<T> h(n_);
    if (n_) DUPSCAN_CUDA_TRY(cudaMemcpy(h.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }

 private:
  T* p_ = nullptr;
  std::size_t n_;
};

__global__ void xxh64_kernel(const unsigned char* bytes, const std::uint64_t* offsets,
                             const std::uint64_t* seeds, std::size_t n, std::uint64_t* out) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  out[i] = spec::xxh64(bytes + offsets[i], offsets[i + 1] - offsets[i], seeds[i]);
}

__global__ void sha1_kernel(const unsigned char* bytes, const std::uint64_t* offsets, std::size_t n,
                            std::uint64_t* out) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  out[i] = spec::sha1_prefix64(bytes + offsets[i], offsets[i + 1] - offsets[i]);
}

// One thread per permutation, each scanning all hashes: the plain reading of the spec.
__global__ void minhash_kernel(const std::uint32_t* hashes, std::size_t count,
                               const std::uint64_t* a, const std::uint64_t* b, std::size_t k,
                               std::uint32_t* sig) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= k) return;
  std::uint32_t m = spec::max_hash;
  for (std::size_t j = 0; j < count; ++j) {
    const std::uint32_t v = spec::permute(a[i], b[i], hashes[j]);
    m = v < m ? v : m;
  }
  sig[i] = m;
}

__global__ void band_kernel(const std::uint32_t* sig, std::uint32_t bands, std::uint32_t rows,
                            std::uint64_t* out) {
  const std::uint32_t j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= bands) return;
  out[j] = spec::band_key(sig + static_cast<std::size_t>(j) * rows, rows, j);
}

std::string cuda_version(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

// Why no device is usable. Without a driver the runtime reports cudaErrorInsufficientDriver, which
// would send someone on a machine with no GPU at all to upgrade a driver: that case is named as
// what it is, and the driver message kept for a driver that is there but too old.
// The CUDA version the driver supports (0 when no driver, libcuda, is installed); the test hook
// DUPSCAN_TEST_DRIVER_VERSION (e.g. 12040) stands in for the driver's answer.
int driver_version() {
  if (const char* v = std::getenv("DUPSCAN_TEST_DRIVER_VERSION")) return std::atoi(v);
  int driver = 0;
  cudaDriverGetVersion(&driver);
  return driver;
}

// The driver is there but older than this build's runtime: what it supports, what is needed
// (CUDA 13 needs the R580 driver branch), and the two ways out.
std::string driver_too_old(int driver, int runtime) {
  const std::string need = cuda_version(runtime);
  const std::string branch =
      runtime / 1000 == 13 ? " (NVIDIA driver R580 or newer)" : " (a newer NVIDIA driver)";
  return "the NVIDIA driver is too old for this build of dupscan: it supports CUDA " +
         cuda_version(driver) + ", and this build needs CUDA " + need + branch +
         ". Either install NVIDIA's CUDA forward-compatibility package (cuda-compat-" +
         std::to_string(runtime / 1000) + "-" + std::to_string(runtime % 1000 / 10) +
         ") where NVIDIA supports it for this GPU and driver, or build dupscan from source with "
         "this machine's CUDA " +
         std::to_string(driver / 1000) + " toolkit (scripts/build.sh)";
}

std::string no_device_reason(cudaError_t err) {
  const int driver = driver_version();
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  struct stat st {};
  const bool nodes = ::stat("/dev/nvidiactl", &st) == 0 || ::stat("/dev/nvidia0", &st) == 0 ||
                     ::stat("/dev/dxg", &st) == 0;  // WSL's GPU node
  if (err == cudaErrorNoDevice || driver == 0 || !nodes) {
    return "no usable NVIDIA GPU (no driver / no device)";
  }
  if (driver < runtime) return driver_too_old(driver, runtime);
  return std::string(cudaGetErrorString(err)) + " (the driver supports CUDA " +
         cuda_version(driver) + ", this build needs " + cuda_version(runtime) + ")";
}

unsigned blocks_for(std::size_t n, unsigned threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

}  // namespace

int usable_devices(std::string* why) {
  // A driver older than the runtime is named as such before the runtime is asked anything.
  const int driver = driver_version();
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  if (driver > 0 && driver < runtime) {
    if (why) *why = driver_too_old(driver, runtime);
    return 0;
  }
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver) {
    if (why) *why = no_device_reason(err);
    cudaGetLastError();  // clear it so that later runtime calls do not report it again
    return 0;
  }
  DUPSCAN_CUDA_TRY(err);
  if (count == 0 && why) *why = "no CUDA device";
  return count;
}

std::vector<std::uint64_t> xxh64_on_device(const std::string& bytes,
                                           const std::vector<std::uint64_t>& offsets,
                                           const std::vector<std::uint64_t>& seeds) {
  const std::size_t n = seeds.size();
  std::vector<unsigned char> h_bytes(bytes.begin(), bytes.end());
  h_bytes.push_back(0);  // never an empty allocation
  DeviceBuffer<unsigned char> d_bytes(h_bytes);
  DeviceBuffer<std::uint64_t> d_offsets(offsets), d_seeds(seeds), d_out(n);
  if (n) {
    xxh64_kernel<<<blocks_for(n, 128), 128>>>(d_bytes.get(), d_offsets.get(), d_seeds.get(), n,
                                              d_out.get());
    DUPSCAN_CUDA_TRY(cudaGetLastError());
  }
  return d_out.to_host();
}

std::vector<std::uint64_t> sha1_on_device(const std::string& bytes,
                                          const std::vector<std::uint64_t>& offsets) {
  const std::size_t n = offsets.empty() ? 0 : offsets.size() - 1;
  std::vector<unsigned char> h_bytes(bytes.begin(), bytes.end());
  h_bytes.push_back(0);  // never an empty allocation
  DeviceBuffer<unsigned char> d_bytes(h_bytes);
  DeviceBuffer<std::uint64_t> d_offsets(offsets), d_out(n);
  if (n) {
    sha1_kernel<<<blocks_for(n, 128), 128>>>(d_bytes.get(), d_offsets.get(), n, d_out.get());
    DUPSCAN_CUDA_TRY(cudaGetLastError());
  }
  return d_out.to_host();
}

std::vector<std::uint32_t> minhash_on_device(const std::vector<std::uint32_t>& hashes,
                                             const std::vector<std::uint64_t>& a,
                                             const std::vector<std::uint64_t>& b) {
  std::vector<std::uint32_t> h = hashes;
  h.push_back(0);  // padding so an empty set still allocates; count excludes it
  DeviceBuffer<std::uint32_t> d_hashes(h), d_sig(a.size());
  DeviceBuffer<std::uint64_t> d_a(a), d_b(b);
  if (!a.empty()) {
    minhash_kernel<<<blocks_for(a.size(), 128), 128>>>(d_hashes.get(), hashes.size(), d_a.get(),
                                                       d_b.get(), a.size(), d_sig.get());
    DUPSCAN_CUDA_TRY(cudaGetLastError());
  }
  return d_sig.to_host();
}

std::vector<std::uint64_t> band_keys_on_device(const std::vector<std::uint32_t>& sig,
                                               std::uint32_t bands, std::uint32_t rows) {
  DeviceBuffer<std::uint32_t> d_sig(sig);
  DeviceBuffer<std::uint64_t> d_out(bands);
  if (bands) {
    band_kernel<<<blocks_for(bands, 64), 64>>>(d_sig.get(), bands, rows, d_out.get());
    DUPSCAN_CUDA_TRY(cudaGetLastError());
  }
  return d_out.to_host();
}

}  // namespace dupscan::cuda
