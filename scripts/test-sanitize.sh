#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (CPU only), in
# build-asan/. Any finding fails the run. CI runs this after scripts/test.sh. Without Parquet:
# pyarrow's libarrow is not instrumented (and allocates through its own jemalloc), so LeakSanitizer
# would judge Arrow's global state, not dupscan; the Parquet reader is tested by tests/python/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/install-deps.sh"
BUILD_DIR=$here/build-asan "$here/scripts/build.sh" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDUPSCAN_SANITIZE=ON -DDUPSCAN_CUDA=OFF -DDUPSCAN_BUILD_BENCH=OFF -DDUPSCAN_PARQUET=OFF
cd "$here/build-asan"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "$(nproc)" -LE gpu
