// Stage timings (report.json's timings_s) and the hash of 64-bit pairs that unordered sets of
// exact hashes and document pairs use.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace dupscan {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct PairHash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const {
    return static_cast<std::size_t>(p.first ^ (p.second * 0x9E3779B97F4A7C15ULL));
  }
};

}  // namespace dupscan
