#!/usr/bin/env bash
# README command 2 (and CI's): installs the dependencies, builds dupscan with its tests, checks the
# formatting and runs the whole test suite, then builds the Python package as a wheel
# (scripts/build-wheel.sh), installs it where no compiler is (scripts/test-wheel.sh) and runs its
# tests there (pytest tests/python). Tests labelled `gpu` run too; without a usable GPU they
# report themselves skipped, with the reason; the MPI and Chromium tests, and the Python tests
# of ../shared/data, may not skip (DUPSCAN_MPI_REQUIRED, DUPSCAN_CHROMIUM_REQUIRED,
# DUPSCAN_DATA_REQUIRED).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
"$here/scripts/check-format.sh"
python3 "$here/scripts/check-layers.py"
python3 "$here/scripts/check-function-length.py"
cd "${BUILD_DIR:-$here/build}"
# install-deps.sh installed Open MPI: the mpirun tests must run, not skip.
export DUPSCAN_MPI_REQUIRED=${DUPSCAN_MPI_REQUIRED:-1}
# ... and Chromium: the report's browser tests must run, not skip.
export DUPSCAN_CHROMIUM_REQUIRED=${DUPSCAN_CHROMIUM_REQUIRED:-1}
ctest --output-on-failure -j "$(nproc)"

# The Python package, as a user gets it: scripts/build-wheel.sh builds the binary wheel from this
# checkout in .venv (scikit-build-core through the same CMakeLists.txt, against the pinned build
# dependencies that install-deps.sh put there; build-python/wheel-cpu/ is reused when it is there)
# and repairs it to a manylinux tag; scripts/test-wheel.sh installs it into a fresh venv where no
# compiler can be reached and runs tests/python against it. Without the CUDA backend: the tests run
# on the CPU, and the build above compiled and tested the CUDA code already (it would add a third
# to this build); `scripts/build-wheel.sh --cuda` makes the wheel with it. The tests that read
# ../shared/data (GSM8K) must run, not skip (DUPSCAN_DATA_REQUIRED=0 lets them skip where that
# directory is absent); -rs lists any skip with its reason.
cd "$here"
whl=$("$here/scripts/build-wheel.sh" --no-cuda)
"$here/scripts/test-wheel.sh" "$whl"
# The same wheel into .venv, for bench/compare.py's dupscan-py rows (scripts/bench-short.sh).
"$here/.venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --no-deps \
  --force-reinstall "$whl"
