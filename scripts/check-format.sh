#!/usr/bin/env bash
# Fails when a C++/CUDA source is not clang-format clean (.clang-format at the root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cu' '*.cuh' 2>/dev/null ||
  find include src tests bench -name '*.[ch]pp' -o -name '*.cu')
[[ ${#files[@]} -eq 0 ]] && exit 0
clang-format --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files clean" >&2
