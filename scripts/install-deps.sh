#!/usr/bin/env bash
# Installs what dupscan needs to build and test, from Debian's packages only. Idempotent: packages
# that are already installed are left alone and apt-get is not called at all when nothing is missing.
#
#   scripts/install-deps.sh            build + test dependencies, and .venv/ with the Python
#                                      package's build and test dependencies (python/requirements.txt,
#                                      from PyPI)
#   scripts/install-deps.sh --bench    also the benchmark peers (datasketch, rensa) in .venv/ from PyPI
#   scripts/install-deps.sh --no-python  Debian packages only (scripts/demo.sh, scripts/gpu-pack.sh)
#
# CUDA (nvcc, Thrust, CUB) is optional and never installed here: CMake builds the CUDA target when it
# finds nvcc.
set -euo pipefail

# The sanitizer runtimes come with the Debian release's default clang (14 on Debian 12); the
# apt lists name it, and 14 stands when they are not there yet.
clang_major=$(apt-cache depends clang 2>/dev/null | grep -o ' clang-[0-9]*$' | head -1 | cut -d- -f2)
packages=(
  build-essential cmake pkg-config python3 python3-venv python3-dev ninja-build
  libxxhash-dev libcli11-dev libgtest-dev libsimdjson-dev zlib1g-dev libzstd-dev
  clang-format
  # scripts/check-function-length.py: function extents from Universal Ctags
  universal-ctags
  # dupscan-mpi and its tests (mpirun -np 1/2/4): Open MPI
  libopenmpi-dev openmpi-bin
  # scripts/fuzz.sh: clang's libFuzzer, AddressSanitizer and UBSan runtimes
  clang "libclang-rt-${clang_major:-14}-dev"
  # the tests of `dupscan report` render its page in headless Chromium (24 packages, 124 MB to
  # download, 35 s to install on the 2-core development VM); fonts so screenshots show text
  chromium fonts-dejavu-core
  # scripts/bench-short.sh's corpus needs none; its Python peers come from PyPI (--bench below)
)

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null && sudo=(sudo)
fi

apt_install() {
  if [[ $(id -u) -ne 0 && ${#sudo[@]} -eq 0 ]]; then
    echo "install-deps: need root or sudo to install $*" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
else
  echo "install-deps: all Debian packages present" >&2
fi

[[ ${1:-} == --no-python ]] && exit 0

# The project's virtual environment: the Python package's wheel is built there
# (scripts/build-wheel.sh, from scripts/test.sh) and installed there for the benchmarks; its
# pyarrow also gives the plain CMake build Parquet (cmake/find_arrow.cmake).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ ! -x $here/.venv/bin/python ]]; then
  python3 -m venv "$here/.venv" 2>/dev/null || {
    apt_install python3-venv
    python3 -m venv --clear "$here/.venv"
  }
fi
pip=("$here/.venv/bin/python" -m pip install -q --disable-pip-version-check)
# pip leaves satisfied pinned requirements alone without asking the index, so this is cheap when
# .venv is complete (a --dry-run check under -q prints nothing and once skipped a fresh venv).
echo "install-deps: python/requirements.txt into .venv" >&2
"${pip[@]}" -r "$here/python/requirements.txt"
# scripts/test-wheel.sh installs the wheel of scripts/build-wheel.sh into a fresh venv without an
# index: the wheel's run-time dependencies (numpy, pyarrow), as PyPI's binary wheels at the versions
# pinned in python/requirements.txt, wait in .venv/wheelhouse (72 MB; downloaded once).
wheelhouse=$here/.venv/wheelhouse
mapfile -t runtime < <(grep -E '^(numpy|pyarrow)==' "$here/python/requirements.txt")
for r in "${runtime[@]}"; do
  if ! compgen -G "$wheelhouse/${r%%==*}-${r##*==}-*.whl" >/dev/null; then
    echo "install-deps: ${runtime[*]} wheels into .venv/wheelhouse" >&2
    "$here/.venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
      --only-binary=:all: -d "$wheelhouse" "${runtime[@]}"
    break
  fi
done
if [[ ${1:-} == --bench ]]; then
  "${pip[@]}" -r "$here/bench/requirements.txt"
fi
