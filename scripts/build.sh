#!/usr/bin/env bash
# Configures and builds dupscan (Release) in build/ (or $BUILD_DIR). Extra arguments go to CMake.
# The CUDA backend is built when nvcc is found (on PATH or in /usr/local/cuda/bin).
# BUILD_TARGET=dupscan builds only that target (scripts/demo.sh); by default everything.
# Ends with one line saying whether the build has Parquet and the CUDA backend.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$here/build}
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j "$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
# One line: whether this build reads Parquet and has the CUDA backend (written by CMake).
cat "$build/dupscan-features.txt" >&2
