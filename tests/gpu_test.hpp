// What the gpu-labelled tests share: a GPU check that skips visibly, or fails where a GPU is
// required (DUPSCAN_GPU_REQUIRED=1, as scripts/gpu-check.sh and gpu-pack/run.sh set it).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "spec_check.hpp"

// A macro, not a function: GTEST_SKIP() returns from the function it is written in.
#define DUPSCAN_REQUIRE_GPU()                                         \
  do {                                                                \
    std::string why_;                                                 \
    if (::dupscan::cuda::usable_devices(&why_) == 0) {                \
      const char* required_ = std::getenv("DUPSCAN_GPU_REQUIRED");    \
      if (required_ && std::string(required_) == "1") FAIL() << why_; \
      GTEST_SKIP() << why_;                                           \
    }                                                                 \
  } while (0)
