#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then: the installed dupscan runs, and a small CMake
# project finds the package (find_package(dupscan)), builds against it and deduplicates.
#   tests/install/check.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$tmp/prefix/bin/dupscan" --version
test -f "$tmp/prefix/include/dupscan/dedup.hpp"
cmake -S "$here/consumer" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
mkdir "$tmp/run"
"$tmp/consumer/consumer" "$tmp/run"
