#!/usr/bin/env bash
# Installs a wheel from scripts/build-wheel.sh into a fresh virtual environment where no compiler
# can be reached, and runs the Python tests (tests/python) against it. Fails if the wheel does not
# install or import there, if its `dupscan` command does not run, or if a test fails.
#
#   scripts/test-wheel.sh dist/dupscan-0.1.0-cp311-cp311-manylinux_2_36_x86_64.whl
#
# How "no compiler" is made sure of, for the install and the tests alike:
#  - PATH is one folder of links to the programs of /usr/local/bin, /usr/bin and /bin except the
#    compilers, linkers and build tools (gcc, g++, cc, c++, cpp, clang, nvcc, cmake, ninja, make,
#    ld, as, ...), after the fresh venv's bin/; the script checks that none of them is found;
#  - CC, CXX, CUDACXX and CMAKE are /bin/false, so a build that looked there would fail;
#  - pip installs with --no-index --only-binary=:all: (it may not build anything, nor reach an
#    index): the wheel itself, and its dependencies numpy and pyarrow as PyPI's binary wheels
#    from .venv/wheelhouse (scripts/install-deps.sh downloads them), so the wheel's declared
#    dependencies are what makes it import, in the layout a user gets (site-packages/pyarrow beside
#    site-packages/dupscan: the module and the command find libarrow there).
# The test-only dependencies (pytest, datasets, pandas, polars, duckdb, datasketch, xxhash) are not
# installed again: a .pth file puts .venv's site-packages after the fresh venv's own, so the fresh
# venv's dupscan, numpy and pyarrow come first. The tests check that the dupscan they import is the
# fresh venv's (DUPSCAN_PACKAGE_DIR, tests/python/conftest.py).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
whl=${1:?usage: scripts/test-wheel.sh WHEEL}
whl=$(cd "$(dirname "$whl")" && pwd)/$(basename "$whl")
start=$SECONDS
step() { printf 'test-wheel: [%4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }
dev=$here/.venv/bin/python
wheelhouse=$here/.venv/wheelhouse

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dupscan-test-wheel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
venv=$tmp/venv

# The same interpreter .venv was made from: the wheel is for its version (cp3XX).
base=$("$dev" -c 'import sys; print(sys._base_executable)')
dev_site=$("$dev" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# Without pip of its own (ensurepip takes seconds): .venv's pip installs into it (pip --python).
step "fresh venv from $base"
"$base" -m venv --without-pip "$venv"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

tools=$tmp/tools
mkdir "$tools"
declare -A seen=()
links=()
for dir in /usr/local/bin /usr/bin /bin; do
  for f in "$dir"/*; do
    name=${f##*/}
    case $name in
      cc | c++ | c89* | c99* | gcc* | g++* | cpp* | *-gcc* | *-g++* | *-cpp* | clang* | nvcc* | \
        cmake | ctest | cpack | ninja | make | gmake | ld | ld.* | *-ld | *-ld.* | as | *-as | \
        gold | lld* | tcc | icc | icpc | icx | icpx | nvc | nvc++ | gfortran* | rustc | cargo | go)
        continue
        ;;
    esac
    [[ -x $f && -z ${seen[$name]:-} ]] || continue
    seen[$name]=1
    links+=("$f")
  done
done
ln -s -t "$tools" "${links[@]}"
export PATH=$venv/bin:$tools
export CC=/bin/false CXX=/bin/false CUDACXX=/bin/false CMAKE=/bin/false
unset CPATH LIBRARY_PATH
for c in cc c++ gcc g++ clang clang++ nvcc cmake ninja make ld as; do
  if command -v "$c" >/dev/null; then
    echo "test-wheel: $c is on PATH ($(command -v "$c")): the test would not prove anything" >&2
    exit 1
  fi
done

step "pip install ${whl#"$here"/} (+ numpy, pyarrow from ${wheelhouse#"$here"/}; no index, binaries only)"
t0=$SECONDS
"$dev" -m pip --python "$venv/bin/python" install -q --disable-pip-version-check --no-index \
  --only-binary=:all: --find-links "$wheelhouse" "$whl"
step "installed in $((SECONDS - t0)) s"
# The test-only dependencies from .venv, after the fresh venv's own packages.
echo "$dev_site" >"$site/zz-dupscan-test-deps.pth"

export DUPSCAN_PACKAGE_DIR=$site/dupscan
"$venv/bin/python" - <<'EOF'
import os, shutil
import dupscan
where = os.path.dirname(os.path.abspath(dupscan.__file__))
assert where == os.environ["DUPSCAN_PACKAGE_DIR"], f"imported {where}, not the wheel's copy"
for c in ("cc", "gcc", "g++", "nvcc", "cmake"):
    assert shutil.which(c) is None, c
print("test-wheel: import dupscan from", where)
EOF
"$venv/bin/dupscan" --version >&2

step "pytest tests/python against the installed wheel"
cd "$tmp"
DUPSCAN_DATA_REQUIRED=${DUPSCAN_DATA_REQUIRED:-1} HF_HUB_OFFLINE=1 \
  "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$here/tests/python"
step "done"
