#!/usr/bin/env bash
# The GPU checks: the gpu-labelled tests, then the same tests under compute-sanitizer's memcheck
# (with leak checking), racecheck, initcheck and synccheck, each of which must report no error.
# A GPU is required: without a usable one the tests fail instead of skipping, and so does this
# script (a skipped check is not a passed one).
#
#   scripts/gpu-check.sh              builds build/ (or $BUILD_DIR) first unless it already holds
#                                     tests/dupscan_gpu_tests
#   BUILD_DIR=gpu-build scripts/gpu-check.sh   on the device machine, with a build carried there
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$here/build}
export PATH=$PATH:/usr/local/cuda/bin
tests=$build/tests/dupscan_gpu_tests
if [[ ! -x $tests ]]; then
  if ! command -v nvcc >/dev/null; then
    echo "gpu-check: no nvcc, so no CUDA build to check" >&2
    exit 1
  fi
  BUILD_DIR=$build "$here/scripts/build.sh"
fi
if [[ ! -x $tests ]]; then
  echo "gpu-check: $tests was not built (CMake found no CUDA toolkit)" >&2
  exit 1
fi
export DUPSCAN_GPU_REQUIRED=1
echo "gpu-check: $tests" >&2
"$tests"
if ! command -v compute-sanitizer >/dev/null; then
  echo "gpu-check: compute-sanitizer not found (it comes with the CUDA toolkit)" >&2
  exit 1
fi
for tool in memcheck racecheck initcheck synccheck; do
  extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  echo "gpu-check: compute-sanitizer --tool $tool" >&2
  compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 1 "$tests"
done
echo "gpu-check: all passed" >&2
