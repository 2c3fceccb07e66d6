#!/usr/bin/env bash
# Fuzzes each libFuzzer target (tests/fuzz/) for SECONDS (default 60), built with clang,
# AddressSanitizer and UBSan in build-fuzz/. Starts from the seed corpus and the regressions;
# new inputs go to build-fuzz/corpus/. Fails if a target crashes or breaks an invariant; the
# input is then in build-fuzz/artifacts/ -- fix the bug and add the input to
# tests/fuzz/regressions/<target>/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
"$here/scripts/install-deps.sh"
build=$here/build-fuzz
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDUPSCAN_FUZZ=ON -DDUPSCAN_CUDA=OFF -DDUPSCAN_BUILD_BENCH=OFF -DDUPSCAN_PARQUET=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
mkdir -p "$build/artifacts"
status=0
for target in reader jsonl normalize shingle index; do
  mkdir -p "$build/corpus/$target"
  echo "fuzz: $target for ${seconds}s" >&2
  if ! (cd "$build" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "tests/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$target-" "$build/corpus/$target" \
        "$here/tests/fuzz/corpus/$target" "$here/tests/fuzz/regressions/$target" \
        2>"$build/fuzz-$target.log"); then
    echo "fuzz: $target FAILED, see $build/fuzz-$target.log and $build/artifacts/" >&2
    tail -n 40 "$build/fuzz-$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/fuzz-$target.log" | tail -n 2 >&2 || true
  fi
done
exit $status
