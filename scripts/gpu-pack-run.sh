#!/usr/bin/env bash
# gpu-pack/run.sh: the GPU check of dupscan's CUDA backend, in one call, on a machine with an NVIDIA
# GPU (built by scripts/gpu-pack.sh on any machine with nvcc; needs here only the NVIDIA driver and
# bash, coreutils, awk). Sized for about five minutes on one H100/H200 with 16 host cores (not yet
# measured on one), it:
#   1. runs the GPU tests (the CUDA backend against the CPU, bit for bit; a GPU is required);
#   1b. prints the canary check's verdict and cost for every scheme and the fast sketch (contam's
#      in step 2c);
#   2. runs dedup with --backend cpu and --backend cuda on the example corpus and on a ~2 GB
#      generated corpus, for each MinHash scheme and the fast sketch, and compares every output
#      file byte for byte (report.json less timings, backend and paths);
#   2c. runs contam with --backend cpu and cuda on that corpus against GSM8K, HumanEval and a
#      benchmark planted from the corpus, with and without the near search, compares the outputs
#      and measures the training scan's GB/s;
#   3. runs compute-sanitizer (memcheck, racecheck) on a small run;
#   4. measures signatures + band keys GB/s and documents/s, end-to-end dedup GB/s of JSONL, and
#      peak GPU memory;
# and writes everything to $OUT/gpu-check.txt (or the folder given as $1, else results-DATE/ here).
# Exits 1 without a usable GPU, and non-zero on any mismatch or sanitizer error.
#
#   gpu-pack/run.sh                 # OUT=/some/dir gpu-pack/run.sh
#   PACK_REHEARSAL=1 gpu-pack/run.sh   # without a GPU: the same steps on --backend cuda-host with a
#                                      # small corpus, GPU tests and sanitizers left out (it says
#                                      # so): checks this script's plumbing, measures nothing
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-${1:-$here/results-$(date -u +%Y%m%dT%H%M%SZ)}}
mkdir -p "$out"
report=$out/gpu-check.txt
work=$(mktemp -d "${TMPDIR:-/tmp}/dupscan-gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
exec > >(tee "$report") 2>&1
bin=$here/bin
export DUPSCAN_TEST_DATA_DIR=$here/data/tests DUPSCAN_EXAMPLES_DIR=$here/data/examples
export PATH=$PATH:/usr/local/cuda/bin
cores=$(nproc)
failures=0
dev=cuda
part_size=256M
bench_mb=1000
if [[ ${PACK_REHEARSAL:-0} == 1 ]]; then
  dev=cuda-host
  part_size=2M
  bench_mb=8
fi
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
section() { echo && echo "== $* ($(date -u +%H:%M:%S))"; }
seconds() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(seconds)" 'BEGIN {printf "%.1f", b - a}'; }

section "machine"
echo "dupscan GPU check, $(date -u +%Y-%m-%dT%H:%MZ), revision $(tr '\n' ' ' <"$here/REVISION")"
uname -srm
echo "host cores: $cores, memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null ||
  echo "(no nvidia-smi)"
if [[ $dev != cuda ]]; then
  echo "REHEARSAL: --backend $dev stands in for the GPU; no GPU figure below means anything"
elif ! "$bin/dupscan_bench_backend" --probe --backend cuda; then
  echo "gpu-pack: no usable GPU here; this check needs one"
  exit 1
fi

section "1. GPU tests (DUPSCAN_GPU_REQUIRED=1: a skip is a failure)"
if [[ $dev == cuda ]]; then
  DUPSCAN_GPU_REQUIRED=1 timeout 600 "$bin/dupscan_gpu_tests" --gtest_brief=1 || fail "GPU tests"
else
  echo "REHEARSAL: left out"
fi

# report.json without what may differ between backends and run directories.
strip_report() {  # file dir
  awk '/"(timings_s|canary)": \{/ {skip = 1} skip && /\}/ {skip = 0; next} !skip' "$1" |
    grep -v -E '"(backend|backend_asked|backend_note|peak_device_bytes|threads)":' |
    sed "s#$2#DIR#g"
}
# run_pair NAME INPUT... -- ARGS: dedup with cpu and cuda into $work/NAME/{cpu,cuda}, compared.
run_pair() {
  local name=$1
  shift
  local inputs=()
  while [[ $1 != -- ]]; do inputs+=("$1"); shift; done
  shift
  local be dir
  for be in cpu $dev; do
    dir=$work/$name/$be
    mkdir -p "$dir"
    if ! "$bin/dupscan" dedup "${inputs[@]}" -o "$dir" --backend "$be" --threads "$cores" -q \
      --write-signatures "$dir/signatures.jsonl" --write-deduped "$dir/deduped.jsonl" "$@"; then
      fail "$name: dedup --backend $be failed"
      return
    fi
  done
  local f same=1
  for f in duplicates.jsonl clusters.jsonl signatures.jsonl deduped.jsonl; do
    if ! cmp -s "$work/$name/cpu/$f" "$work/$name/$dev/$f"; then
      fail "$name: $f differs between cpu and $dev"
      same=0
    fi
  done
  if ! diff <(strip_report "$work/$name/cpu/report.json" "$work/$name/cpu") \
    <(strip_report "$work/$name/$dev/report.json" "$work/$name/$dev") >/dev/null; then
    fail "$name: report.json differs between cpu and $dev (beyond timings, backend, paths)"
    same=0
  fi
  local removed
  removed=$(wc -l <"$work/$name/cpu/duplicates.jsonl")
  ((same)) && echo "same bytes: $name ($removed removed)"
}
# timing NAME REPORT: total seconds of a run and GB/s of its JSONL (the inputs' decompressed bytes).
timing() {
  awk -v name="$1" '
    /"counts": \{/ {counts = 1}
    /"text_bytes":/ && !counts {gsub(/[^0-9]/, "", $2); bytes += $2}
    /"total":/ {gsub(/[^0-9.]/, "", $2); t = $2}
    END {printf "%-34s %8.2f s  %7.3f GB/s of JSONL\n", name, t, bytes / t / 1e9}' "$2"
}

configs=("--scheme legacy" "--scheme affine32" "--scheme affine64" "--sketch fast")
section "1b. the canary check: verdict and cost (built-in documents through $dev and the CPU)"
for cfg in "${configs[@]}"; do
  d=$work/canary${cfg// /}
  # shellcheck disable=SC2086
  if "$bin/dupscan" dedup "$here/data/examples/corpus.jsonl.gz" -o "$d" --backend "$dev" $cfg \
    2>"$d.err" >/dev/null; then
    echo "canary $cfg: $(grep -o 'canary [a-z]* in [0-9.]* ms' "$d.err" | head -1)"
  else
    fail "canary $cfg: $(tail -1 "$d.err")"
  fi
done
# contam's canary (sketch + probe) is printed by step 2c.

section "2a. example corpus: --backend cpu vs $dev, every scheme and the fast sketch"
for cfg in "${configs[@]}"; do
  # shellcheck disable=SC2086
  run_pair "example${cfg// /}" "$here/data/examples/corpus.jsonl.gz" -- $cfg
done

section "2b. a ~2 GB generated corpus (8 files made in parallel)"
t0=$(seconds)
pids=()
for i in 0 1 2 3 4 5 6 7; do
  "$bin/dupscan_gen_corpus" --train "$here/data/examples/corpus.jsonl.gz" --size "$part_size" \
    --seed $((11 + i)) --out "$work/corpus-$i.jsonl" --truth "$work/truth-$i.jsonl" 2>/dev/null &
  pids+=($!)
done
# The generators only: a plain `wait` would also wait for the tee behind this script's output.
for pid in "${pids[@]}"; do
  wait "$pid" || fail "dupscan_gen_corpus (a part of the corpus is missing)"
done
echo "generated $(du -ch "$work"/corpus-*.jsonl | tail -1 | cut -f1) in $(since "$t0") s"
for cfg in "${configs[@]}"; do
  name="corpus${cfg// /}"
  # shellcheck disable=SC2086
  run_pair "$name" "$work"/corpus-*.jsonl -- $cfg
  for be in cpu $dev; do
    [[ -f $work/$name/$be/report.json ]] && timing "dedup $be $cfg" "$work/$name/$be/report.json"
  done
  rm -rf "${work:?}/$name"
done

section "2c. contam: --backend cpu vs $dev, the ~2 GB corpus against three benchmarks"
# Benchmarks: GSM8K's test questions and HumanEval's prompts (real data: few hits), and 2,000
# documents of the corpus itself (every one dirty, so the probe's hit path is exercised).
lines=$(wc -l <"$work/corpus-0.jsonl")
awk -v k=$((lines / 2000 + 1)) 'NR % k == 0' "$work/corpus-0.jsonl" | head -n 2000 \
  >"$work/planted-bench.jsonl"
evals=(--eval "planted=$work/planted-bench.jsonl")
[[ -f $here/data/gsm8k_test.jsonl ]] && evals+=(--eval "gsm8k=$here/data/gsm8k_test.jsonl:question")
[[ -f $here/data/humaneval.jsonl.gz ]] && evals+=(--eval "humaneval=$here/data/humaneval.jsonl.gz:prompt")
# contam_timing NAME REPORT: the training scan's seconds and GB/s of training JSONL.
contam_timing() {
  awk -v name="$1" '
    /"inputs": \[/ {inputs = 1}
    inputs && /"bytes":/ {gsub(/[^0-9]/, "", $2); bytes += $2}
    /"scan":/ {gsub(/[^0-9.]/, "", $2); scan = $2}
    /"total":/ && /\./ {gsub(/[^0-9.]/, "", $2); t = $2}
    END {printf "%-34s scan %7.2f s  %7.3f GB/s of JSONL (total %.2f s)\n", name, scan,
         bytes / scan / 1e9, t}' "$2"
}
for near in "" "--no-near"; do
  ok=1
  for be in cpu $dev; do
    dir=$work/contam$near/$be
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    if ! "$bin/dupscan" contam --train "$work"/corpus-*.jsonl "${evals[@]}" -o "$dir" \
      --backend "$be" --threads "$cores" -q $near; then
      fail "contam $near --backend $be failed"
      ok=0
    fi
  done
  ((ok)) || continue
  same=1
  for f in $(cd "$work/contam$near/cpu" && find . -name '*.jsonl' | sort); do
    if ! cmp -s "$work/contam$near/cpu/$f" "$work/contam$near/$dev/$f"; then
      fail "contam $near: $f differs between cpu and $dev"
      same=0
    fi
  done
  if ! diff <(strip_report "$work/contam$near/cpu/report.json" "$work/contam$near/cpu") \
    <(strip_report "$work/contam$near/$dev/report.json" "$work/contam$near/$dev") >/dev/null; then
    fail "contam $near: report.json differs between cpu and $dev (beyond timings, backend, paths)"
    same=0
  fi
  ((same)) && echo "same bytes: contam $near ($(wc -l <"$work/contam$near/cpu/contamination.jsonl") examples listed)"
  echo "canary contam $near on $dev: $(tr -d ' \n' <"$work/contam$near/$dev/report.json" |
    grep -o '"canary":{[^}]*}')"
  for be in cpu $dev; do
    contam_timing "contam $be $near" "$work/contam$near/$be/report.json"
  done
  rm -rf "${work:?}/contam$near"
done

section "3. compute-sanitizer on a small run"
if [[ $dev != cuda ]]; then
  echo "REHEARSAL: left out"
elif command -v compute-sanitizer >/dev/null; then
  zcat "$here/data/examples/corpus.jsonl.gz" | head -n 1500 >"$work/small.jsonl"
  for tool in memcheck racecheck; do
    for cfg in "--scheme affine32" "--scheme affine64" "--sketch fast"; do
      # shellcheck disable=SC2086
      if compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin/dupscan" dedup "$work/small.jsonl" \
        -o "$work/san" --backend cuda -q $cfg >"$work/san.log" 2>&1; then
        echo "compute-sanitizer $tool $cfg: no errors"
      else
        fail "compute-sanitizer $tool $cfg"
        tail -n 30 "$work/san.log"
      fi
    done
  done
  if DUPSCAN_GPU_REQUIRED=1 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 \
    "$bin/dupscan_gpu_tests" --gtest_filter='CudaBackend.StagesEqualCpu' >"$work/san.log" 2>&1; then
    echo "compute-sanitizer memcheck --leak-check full, stage twins: no errors"
  else
    fail "compute-sanitizer memcheck on the stage twins"
    tail -n 30 "$work/san.log"
  fi
else
  fail "compute-sanitizer not found (it comes with the CUDA toolkit)"
fi

section "4. throughput: signatures + band keys on the GPU ($bench_mb MB of the corpus, K = 128, word:5)"
cat "$work"/corpus-*.jsonl | head -c $((bench_mb * 1100000)) >"$work/bench.jsonl"
for cfg in "--scheme legacy" "--scheme affine32" "--scheme affine64" "--sketch fast"; do
  for sig in "" "--signatures"; do
    # shellcheck disable=SC2086
    "$bin/dupscan_bench_backend" "$work/bench.jsonl" --backend "$dev" --threads "$cores" \
      --max-mb "$bench_mb" --repeat 3 $cfg $sig || fail "bench_backend $cfg $sig"
  done
done
nvidia-smi --query-gpu=memory.used,memory.total --format=csv 2>/dev/null || true

section "summary"
if ((failures)); then
  echo "gpu-check: $failures failure(s) (listed above)"
  exit 2
fi
if [[ $dev != cuda ]]; then
  echo "gpu-check (REHEARSAL on $dev): every output equal to the cpu's; GPU tests and sanitizers left out"
else
  echo "gpu-check: every output equal between cpu and cuda, sanitizers clean"
fi
