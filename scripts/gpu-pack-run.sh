#!/usr/bin/env bash
# gpu-pack/run.sh: the GPU check of dupscan's CUDA backend, in one call, on a machine with an NVIDIA
# GPU (built by scripts/gpu-pack.sh on any machine with nvcc; needs here only the NVIDIA driver and
# bash, coreutils, awk). The first GPU may come with about ten minutes, so the whole run has a
# deadline, PACK_DEADLINE_S (default 400 s: under 7 minutes); a step that would start after it is
# skipped and said so, and every step runs under its own `timeout`, cut to what is left. In order:
#   probe       the GPU, driver, clocks, PCIe generation and width (nvidia-smi), the machine; the
#               generated ~2 GB corpus starts being made in the background (8 parts);
#   tests       the GPU tests (the CUDA backend against the CPU, bit for bit; a skip is a failure);
#   canary      the canary check's verdict and cost, every scheme and the fast sketch;
#   throughput  the host feed alone (bench_backend --backend null: MB/s per core); signatures +
#               band keys per scheme and the fast sketch (bench_backend, ~2 GB, ~30 batches of
#               64 MiB, best of 3); end-to-end dedup GB/s of JSONL (no --write-signatures nor
#               --write-deduped); contam's scan GB/s; peak device memory (the backend's count and
#               nvidia-smi's, sampled with the clocks and the PCIe link under load);
#   sanitizer   compute-sanitizer memcheck (leaks too), racecheck (hazards inside CUB's or
#               Thrust's own kernels counted apart from ours), synccheck, initcheck on small dedup
#               runs, the contam device path and the stage-twin tests; without compute-sanitizer
#               it says so and the step is skipped, not failed;
#   compare     dedup with --backend cpu and cuda on the example corpus and the ~2 GB corpus for
#               every scheme and the fast sketch, every output byte for byte (report.json less
#               timings, backend and paths); contam the same, with and without the near search.
# Each step's lines are appended to $OUT/gpu-check.txt (or the folder given as $1, else
# results-DATE/ here) as they come, so a run cut off still returns what it measured; a summary
# table (step, verdict, seconds, key figure) comes last. Sanitizer logs go to $OUT/sanitizer/.
# Exits 1 without a usable GPU, 2 when a step failed or ran out of time.
#
#   gpu-pack/run.sh                    # OUT=/some/dir gpu-pack/run.sh
#   PACK_REHEARSAL=1 gpu-pack/run.sh   # without a GPU: every step on --backend cuda-host with
#                                      # small sizes (the GPU tests skip, the sanitizers run their
#                                      # commands plainly): checks this script, measures nothing
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
bin=$here/bin
export DUPSCAN_TEST_DATA_DIR=$here/data/tests DUPSCAN_EXAMPLES_DIR=$here/data/examples
export PATH=$PATH:/usr/local/cuda/bin
cores=$(nproc)
rehearsal=${PACK_REHEARSAL:-0}
deadline_s=${PACK_DEADLINE_S:-400}
# Sizes: 8 parts of the generated corpus; MB of it for bench_backend (64 MiB batches on a large
# GPU: ~30 of them) and per thread for the host feed; documents of the sanitizer runs.
dev=cuda
part_size=256M
corpus="the ~2 GB corpus"
bench_mb=2000
feed_mb=256
san_docs=300
if [[ $rehearsal == 1 ]]; then
  dev=cuda-host
  part_size=2M
  corpus="the 16 MB rehearsal corpus"
  bench_mb=16
  feed_mb=16
  san_docs=100
fi
configs=("--scheme legacy" "--scheme affine32" "--scheme affine64" "--sketch fast")

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# figure TEXT: adds to this step's key figure (the summary's last column).
figure() { printf '%s; ' "$*" >>"$work/figure.$step"; }
# json_num NAME TEXT: a number from a one-line JSON object.
json_num() { grep -o "\"$1\":[0-9.e+-]*" <<<"$2" | head -1 | cut -d: -f2; }

# report.json without what may differ between backends and run directories.
strip_report() { # file dir
  awk '/"(timings_s|canary|memory)": \{/ {skip = 1} skip && /\}/ {skip = 0; next} !skip' "$1" |
    grep -v -E '"(backend|backend_asked|backend_note|peak_device_bytes|threads)":' |
    sed "s#$2#DIR#g"
}
# timing REPORT: "S s, G GB/s of JSONL" of a dedup run (the inputs' decompressed bytes).
timing() {
  awk '
    /"counts": \{/ {counts = 1}
    /"text_bytes":/ && !counts {gsub(/[^0-9]/, "", $2); bytes += $2}
    /"total":/ {gsub(/[^0-9.]/, "", $2); t = $2}
    END {printf "%.2f s, %.3f GB/s of JSONL", t, bytes / t / 1e9}' "$1"
}
# contam_timing REPORT: the training scan's seconds and GB/s of training JSONL.
contam_timing() {
  awk '
    /"inputs": \[/ {inputs = 1}
    inputs && /"bytes":/ {gsub(/[^0-9]/, "", $2); bytes += $2}
    /"scan":/ {gsub(/[^0-9.]/, "", $2); scan = $2}
    /"total":/ && /\./ {gsub(/[^0-9.]/, "", $2); t = $2}
    END {printf "scan %.2f s, %.3f GB/s of JSONL (total %.2f s)", scan, bytes / scan / 1e9, t}' "$1"
}

# wait_corpus: waits for the background generator's 8 parts (started after the probe).
wait_corpus() {
  local i
  while :; do
    if compgen -G "$work/corpus-*.failed" >/dev/null; then
      echo "dupscan_gen_corpus failed (a part of the corpus is missing)"
      return 1
    fi
    (($(compgen -G "$work/corpus-*.ok" | wc -l) == 8)) && break
    sleep 0.5
  done
  if [[ ! -f $work/corpus.said ]]; then
    echo "generated corpus: $(du -ch "$work"/corpus-*.jsonl | tail -1 | cut -f1) in 8 parts," \
      "$(awk -v a="$(cat "$work/corpus.t0")" -v b="$(cat "$work"/corpus-*.ok | sort -n | tail -1)" \
        'BEGIN {printf "%.1f", b - a}') s"
    touch "$work/corpus.said"
  fi
  for i in 0 1 2 3 4 5 6 7; do [[ -s $work/corpus-$i.jsonl ]] || return 1; done
}
# make_evals: contam's benchmarks: GSM8K's test questions and HumanEval's prompts (real data: few
# hits), and 2,000 documents of the corpus itself (every one dirty: the probe's hit path).
make_evals() {
  if [[ ! -f $work/planted-bench.jsonl ]]; then
    local lines
    lines=$(wc -l <"$work/corpus-0.jsonl")
    awk -v k=$((lines / 2000 + 1)) 'NR % k == 0' "$work/corpus-0.jsonl" | head -n 2000 \
      >"$work/planted-bench.jsonl"
  fi
  evals=(--eval "planted=$work/planted-bench.jsonl")
  [[ -f $here/data/gsm8k_test.jsonl ]] && evals+=(--eval "gsm8k=$here/data/gsm8k_test.jsonl:question")
  [[ -f $here/data/humaneval.jsonl.gz ]] && evals+=(--eval "humaneval=$here/data/humaneval.jsonl.gz:prompt")
  return 0
}

step_probe() {
  echo "dupscan GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), revision $(tr '\n' ' ' <"$here/REVISION")"
  echo "machine: $(uname -srm), $(ldd --version 2>/dev/null | head -1)"
  echo "host: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $cores cores," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  if command -v nvidia-smi >/dev/null; then
    timeout 20 nvidia-smi -q >"$out/nvidia-smi-q.txt" 2>&1 || true
    timeout 20 nvidia-smi 2>&1 | grep -m1 "Driver Version" || true
    local q=name,pci.bus_id,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem
    q+=,clocks.max.mem,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current
    q+=,pcie.link.width.max,power.limit,temperature.gpu,persistence_mode,mig.mode.current
    local row
    row=$(timeout 20 nvidia-smi --query-gpu="$q" --format=csv,noheader)
    timeout 20 nvidia-smi --query-gpu="$q" --format=csv
    echo "(an idle link may show a lower PCIe generation: the throughput step samples it under load)"
    IFS=, read -r name _ driver mem _ sm_max _ _ gen gen_max width width_max _ <<<"$row"
    figure "${name# }, driver${driver},${mem}, SM max${sm_max}, PCIe gen${gen// /}/${gen_max// /} x${width// /}/${width_max// /} idle"
  else
    echo "(no nvidia-smi)"
    figure "no nvidia-smi"
  fi
  if [[ $dev == cuda ]]; then
    "$bin/dupscan_bench_backend" --probe --backend cuda || {
      echo "gpu-pack: no usable GPU here; this check needs one"
      return 1
    }
  else
    echo "REHEARSAL: --backend $dev stands in for the GPU; no GPU figure below means anything"
    "$bin/dupscan_bench_backend" --probe --backend "$dev"
  fi
}

step_tests() {
  local log=$work/tests.log
  if [[ $dev == cuda ]]; then
    DUPSCAN_GPU_REQUIRED=1 "$bin/dupscan_gpu_tests" --gtest_brief=1 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
  else
    echo "REHEARSAL: no GPU, so every GPU test skips (the binary and its data are checked)"
    "$bin/dupscan_gpu_tests" --gtest_brief=1 >"$log" 2>&1
    local rc=$?
    tail -n 3 "$log"
  fi
  figure "$(grep -o -E '\[ *(PASSED|SKIPPED|FAILED) *\] [0-9]+ tests?' "$log" | tr -s ' []' ' ' |
    sed 's/^ //' | paste -sd, - | sed 's/,/, /g')"
  return "$rc"
}

step_canary() {
  local cfg d ms line all=""
  for cfg in "${configs[@]}"; do
    d=$work/canary${cfg// /}
    # shellcheck disable=SC2086
    if "$bin/dupscan" dedup "$here/data/examples/corpus.jsonl.gz" -o "$d" --backend "$dev" $cfg \
      2>"$d.err" >/dev/null; then
      line=$(grep -o 'canary [a-z]* in [0-9.]* ms' "$d.err" | head -1)
      echo "canary $cfg: $line"
      ms=${line% ms}
      all+="${cfg##* } ${ms##* } ms, "
    else
      fail "canary $cfg: $(tail -1 "$d.err")"
    fi
  done
  # contam's canary (sketch + probe) is printed by the compare step.
  figure "${all%, }"
  return $((failures > 0))
}

step_throughput() {
  wait_corpus || return 1
  local smi="" cfg sig res gbs peak max_peak=0
  if command -v nvidia-smi >/dev/null && [[ $dev == cuda ]]; then
    nvidia-smi --query-gpu=memory.used,utilization.gpu,clocks.sm,clocks.mem,pcie.link.gen.current,pcie.link.width.current \
      --format=csv,noheader,nounits -lms 200 >"$work/smi.csv" 2>/dev/null &
    smi=$!
  fi
  echo "-- the host feed alone: read, parse, normalize, exact hash, batch; $cores threads x $feed_mb MB"
  res=$("$bin/dupscan_bench_backend" "$work/corpus-0.jsonl" --backend null --threads "$cores" \
    --max-mb "$feed_mb" --repeat 2) || fail "bench_backend --backend null"
  echo "$res"
  figure "feed $(json_num jsonl_mb_per_s_per_core "$res") MB/s/core" \
    "($(json_num cores_for_40_gb_per_s "$res") cores for 40 GB/s)"

  echo "-- signatures + band keys on $dev (bench_backend: $bench_mb MB of the corpus, K = 128, word:5," \
    "$cores threads, best of 3)"
  cat "$work"/corpus-*.jsonl | head -c $((bench_mb * 1000000)) >"$work/bench.jsonl"
  for cfg in "${configs[@]}" "--scheme affine32 band-keys-only"; do
    sig=--signatures
    [[ $cfg == *band-keys-only ]] && sig="" && cfg=${cfg% band-keys-only}
    # shellcheck disable=SC2086
    if res=$("$bin/dupscan_bench_backend" "$work/bench.jsonl" --backend "$dev" --threads "$cores" \
      --max-mb "$bench_mb" --repeat 3 $cfg $sig); then
      echo "$res"
      gbs=$(json_num text_gb_per_s "$res")
      peak=$(json_num peak_device_bytes "$res")
      echo "  => $cfg ${sig:-(band keys only)}: $gbs GB/s of text, $(json_num docs_per_s "$res") docs/s," \
        "$(json_num batches "$res") batches, peak device $((peak / 1048576)) MiB"
      ((peak > max_peak)) && max_peak=$peak
      [[ $cfg == "--scheme affine32" && -n $sig ]] && figure "affine32 sketch $gbs GB/s"
      [[ $cfg == "--sketch fast" ]] && figure "fast $gbs GB/s"
    else
      fail "bench_backend $cfg $sig"
    fi
  done
  rm -f "$work/bench.jsonl"
  figure "peak $((max_peak / 1048576)) MiB (backend's count, bench)"

  echo "-- end to end: dedup --backend $dev of $corpus (no signatures, no deduped copy)"
  local dir
  for cfg in "--scheme affine32" "--sketch fast"; do
    dir=$work/e2e
    rm -rf "$dir"
    # shellcheck disable=SC2086
    if "$bin/dupscan" dedup "$work"/corpus-*.jsonl -o "$dir" --backend "$dev" --threads "$cores" \
      -q $cfg; then
      echo "dedup $dev $cfg: $(timing "$dir/report.json")"
      figure "dedup ${cfg##* } $(timing "$dir/report.json" | grep -o '[0-9.]* GB/s')"
    else
      fail "dedup --backend $dev $cfg"
    fi
  done
  rm -rf "$work/e2e"

  make_evals
  echo "-- contam --backend $dev: $corpus against $((${#evals[@]} / 2)) benchmarks"
  dir=$work/contam-speed
  if "$bin/dupscan" contam --train "$work"/corpus-*.jsonl "${evals[@]}" -o "$dir" --backend "$dev" \
    --threads "$cores" -q; then
    echo "contam $dev: $(contam_timing "$dir/report.json")"
    figure "contam $(contam_timing "$dir/report.json" | grep -o '[0-9.]* GB/s')"
  else
    fail "contam --backend $dev"
  fi
  rm -rf "$dir"

  if [[ -n $smi ]]; then
    kill "$smi" 2>/dev/null
    wait "$smi" 2>/dev/null
    awk -F', *' '{if ($1 > m) m = $1; if ($2 > u) u = $2; if ($3 > c) c = $3; if ($4 > cm) cm = $4;
                  if ($5 > g) g = $5; if ($6 > w) w = $6}
      END {printf "nvidia-smi under load (every 200 ms): peak memory.used %d MiB, utilization up to %d%%, SM clock up to %d MHz, memory clock %d MHz, PCIe gen%d x%d\n", m, u, c, cm, g, w}' \
      "$work/smi.csv" | tee "$work/smi.line"
    figure "peak $(grep -o 'memory.used [0-9]* MiB' "$work/smi.line" | cut -d' ' -f2) MiB (nvidia-smi)," \
      "PCIe $(grep -o 'gen[0-9]* x[0-9]*' "$work/smi.line") loaded"
  fi
  return $((failures > 0))
}

# sanitize TOOL LABEL CMD...: one run under compute-sanitizer (in a rehearsal: plainly), its log
# kept in $out/sanitizer/; racecheck's hazards are sorted into ours and CUB's/Thrust's.
sanitize() {
  local tool=$1 label=$2
  shift 2
  local log=$out/sanitizer/$tool-$label.log extra=() rc t_run
  t_run=$(now)
  # Leaks are checked on the tests, which free everything; a CLI run may exit holding memory.
  [[ $tool == memcheck && $label == stage-twins ]] && extra=(--leak-check full)
  if [[ $dev == cuda ]]; then
    timeout 60 compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 9 "$@" >"$log" 2>&1
  else
    timeout 60 "$@" >"$log" 2>&1
  fi
  rc=$?
  local ours=0 theirs=0
  if [[ $tool == racecheck ]]; then
    # A hazard report is a line naming it and the indented lines under it (the two accesses,
    # each with its kernel and source line).
    read -r ours theirs < <(awk '
      in_block && /^=========     / {block[n] = block[n] $0; next}
      {in_block = 0}
      /Race reported|Potential .* hazard/ {n++; block[n] = $0; in_block = 1}
      END {
        for (i = 1; i <= n; i++) {
          b = block[i]
          if (b ~ /dupscan|src\/kernels/ || b !~ /cub::|thrust::|\/cub\/|\/thrust\//) o++; else t++
        }
        print o + 0, t + 0
      }' "$log")
  fi
  head -c 200000 "$log" >"$log.tmp" && mv "$log.tmp" "$log"
  local name="compute-sanitizer $tool"
  [[ $dev != cuda ]] && name="rehearsal (no sanitizer) $tool"
  local only_theirs=0
  [[ $tool == racecheck ]] && ((ours == 0 && theirs > 0)) && only_theirs=1
  if ((rc == 124 || rc == 137)); then
    fail "$name $label: ran past 60 s"
  elif ((ours > 0 || (rc != 0 && !only_theirs))); then
    fail "$name $label (exit $rc$( ((ours > 0)) && echo ", $ours hazard(s) in our kernels")): sanitizer/$tool-$label.log"
    grep -E 'Error|ERROR|Race|hazard|Leaked' "$log" | head -n 12
  elif ((theirs > 0)); then
    echo "$name $label: no error in our kernels; $theirs hazard report(s) inside" \
      "CUB/Thrust's own kernels (listed in sanitizer/$tool-$label.log, not counted as failures)"
    cub_reports=$((cub_reports + theirs))
  else
    echo "$name $label: no errors ($(since "$t_run") s)"
  fi
}

step_sanitizer() {
  if [[ $dev == cuda ]] && ! command -v compute-sanitizer >/dev/null; then
    echo "compute-sanitizer not found (it comes with the CUDA toolkit, not the driver): skipped"
    figure "no compute-sanitizer"
    return 3
  fi
  if [[ $dev != cuda ]]; then
    echo "REHEARSAL: the sanitizer's commands run plainly on $dev (compute-sanitizer here:" \
      "$(command -v compute-sanitizer || echo "none: on a GPU this step would be skipped"))"
  fi
  mkdir -p "$out/sanitizer"
  zcat "$here/data/examples/corpus.jsonl.gz" | head -n "$san_docs" >"$work/small.jsonl"
  # A small contam: the small corpus against its every 10th document and GSM8K's questions.
  awk 'NR % 10 == 0' "$work/small.jsonl" >"$work/small-bench.jsonl"
  local san_evals=(--eval "planted=$work/small-bench.jsonl")
  [[ -f $here/data/gsm8k_test.jsonl ]] && san_evals+=(--eval "gsm8k=$here/data/gsm8k_test.jsonl:question")
  cub_reports=0
  # Most telling first: a step cut off by its timeout has run these.
  local run tool what
  for run in memcheck:affine32 memcheck:contam racecheck:affine32 racecheck:contam \
    synccheck:affine32 initcheck:affine32 synccheck:contam initcheck:contam memcheck:stage-twins \
    memcheck:affine64 memcheck:fast racecheck:fast initcheck:fast; do
    tool=${run%%:*}
    what=${run#*:}
    rm -rf "$work/san"
    case $what in
      contam)
        sanitize "$tool" contam "$bin/dupscan" contam --train "$work/small.jsonl" \
          "${san_evals[@]}" -o "$work/san" --backend "$dev" -q
        ;;
      stage-twins)
        # Without a GPU (a rehearsal) these tests skip.
        DUPSCAN_GPU_REQUIRED=$([[ $dev == cuda ]] && echo 1 || echo 0) sanitize "$tool" stage-twins \
          "$bin/dupscan_gpu_tests" --gtest_filter='CudaBackend.StagesEqualCpu:CudaBackend.ContamProbeEqualsCpu'
        ;;
      fast)
        sanitize "$tool" "dedup-$what" "$bin/dupscan" dedup "$work/small.jsonl" -o "$work/san" \
          --backend "$dev" -q --sketch fast
        ;;
      *)
        sanitize "$tool" "dedup-$what" "$bin/dupscan" dedup "$work/small.jsonl" -o "$work/san" \
          --backend "$dev" -q --scheme "$what"
        ;;
    esac
  done
  figure "$failures error(s); $cub_reports CUB/Thrust-internal hazard report(s)"
  return $((failures > 0))
}

# run_pair NAME INPUT... -- ARGS: dedup with cpu and $dev into $work/NAME/{cpu,$dev}, compared.
run_pair() {
  local name=$1
  shift
  local inputs=()
  while [[ $1 != -- ]]; do
    inputs+=("$1")
    shift
  done
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
  ((same)) && echo "same bytes: $name ($(wc -l <"$work/$name/cpu/duplicates.jsonl") removed;" \
    "cpu $(timing "$work/$name/cpu/report.json"), $dev $(timing "$work/$name/$dev/report.json"))"
  compared=$((compared + same))
}

step_compare() {
  local cfg near be dir f same ok
  compared=0
  echo "-- the example corpus, every scheme and the fast sketch"
  for cfg in "${configs[@]}"; do
    # shellcheck disable=SC2086
    run_pair "example${cfg// /}" "$here/data/examples/corpus.jsonl.gz" -- $cfg
  done
  wait_corpus || return 1
  echo "-- $corpus, every scheme and the fast sketch"
  for cfg in "${configs[@]}"; do
    # shellcheck disable=SC2086
    run_pair "corpus${cfg// /}" "$work"/corpus-*.jsonl -- $cfg
    rm -rf "${work:?}/corpus${cfg// /}"
  done
  echo "-- contam on $corpus, with and without the near search"
  make_evals
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
    ((same)) && echo "same bytes: contam $near ($(wc -l <"$work/contam$near/cpu/contamination.jsonl")" \
      "examples listed; cpu $(contam_timing "$work/contam$near/cpu/report.json"))"
    compared=$((compared + same))
    echo "canary contam $near on $dev: $(tr -d ' \n' <"$work/contam$near/$dev/report.json" |
      grep -o '"canary":{[^}]*}')"
    rm -rf "${work:?}/contam$near"
  done
  figure "$compared of 10 comparisons the same bytes"
  return $((failures > 0))
}

if [[ ${1:-} == --step ]]; then
  # One step, in its own process (run by the main process under `timeout`).
  step=$2
  work=$PACK_WORK
  out=$PACK_OUT
  failures=0
  "step_$step"
  exit $?
fi

out=${OUT:-${1:-$here/results-$(date -u +%Y%m%dT%H%M%SZ)}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
report=$out/gpu-check.txt
work=$(mktemp -d "${TMPDIR:-/tmp}/dupscan-gpu-check.XXXXXX")
export PACK_WORK=$work PACK_OUT=$out
gen_pids=()
cleanup() {
  local pid
  for pid in "${gen_pids[@]}"; do kill "$pid" 2>/dev/null; done
  # Their last words (a marker file) before the folder goes, not after.
  for pid in "${gen_pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$work"
  # Lets tee write the last lines before the caller collects $OUT.
  exec >&- 2>&-
  wait "$tee_pid" 2>/dev/null
}
trap cleanup EXIT
exec > >(tee -a "$report") 2>&1
tee_pid=$!
t_start=$(now)
deadline=$(awk -v a="$t_start" -v d="$deadline_s" 'BEGIN {printf "%.0f", a + d}')
rows=()
any_bad=0

summary() {
  echo
  echo "== summary ($(date -u +%H:%M:%S), $(since "$t_start") s of a $deadline_s s deadline$([[ $dev != cuda ]] && echo ", REHEARSAL on $dev"))"
  printf '%-11s %-8s %8s  %s\n' step verdict seconds "key figure"
  local r
  for r in "${rows[@]}"; do printf '%s\n' "$r"; done
}
# Stopped from outside: the running step is stopped too (timeout passes the signal on to it and
# its commands), and what was measured so far is summed up.
step_pid=""
interrupted() {
  if [[ -n $step_pid ]]; then
    kill -TERM "$step_pid" 2>/dev/null
    wait "$step_pid" 2>/dev/null
    rows+=("$(printf '%-11s %-8s %8s  %s' "$step_name" STOPPED - "stopped from outside")")
  fi
  echo "gpu-check: interrupted"
  summary
  exit 143
}
trap interrupted TERM INT HUP

# run_step NAME MAX_SECONDS: runs step_NAME under timeout (its maximum, or what is left before the
# deadline when less), then adds its row to the summary.
run_step() {
  local name=$1 max=$2 left limit t0 rc verdict secs fig
  left=$(awk -v d="$deadline" -v n="$(now)" 'BEGIN {printf "%d", d - n}')
  if ((left < 10)); then
    echo && echo "== $name: skipped, the deadline ($deadline_s s) has passed"
    rows+=("$(printf '%-11s %-8s %8s  %s' "$name" SKIPPED - "not started: past the deadline")")
    any_bad=1
    return 1
  fi
  limit=$((max < left ? max : left))
  echo && echo "== $name ($(date -u +%H:%M:%S), at most $limit s)"
  t0=$(now)
  # In the background, so that a signal to this script is handled while the step runs.
  step_name=$name
  timeout -k 5 "$limit" bash "$self" --step "$name" </dev/null &
  step_pid=$!
  wait "$step_pid"
  rc=$?
  step_pid=""
  secs=$(since "$t0")
  # A command cut off may still be saying so: its words before the verdict, not after it.
  ((rc == 124 || rc == 137)) && sleep 1
  case $rc in
    0) verdict=PASS ;;
    3) verdict=SKIPPED ;;
    124 | 137) verdict=TIMEOUT ;;
    *) verdict=FAIL ;;
  esac
  [[ $verdict == PASS || $verdict == SKIPPED ]] || any_bad=1
  fig=$(sed 's/; $//' "$work/figure.$name" 2>/dev/null)
  [[ $verdict == TIMEOUT ]] && fig="cut off after $limit s; ${fig}"
  echo "-- $name: $verdict in $secs s${fig:+: $fig}"
  rows+=("$(printf '%-11s %-8s %8s  %s' "$name" "$verdict" "$secs" "$fig")")
  return $((rc != 0 && rc != 3))
}

if ! run_step probe 60 && [[ $dev == cuda ]]; then
  summary
  exit 1
fi
# The corpus for throughput and compare, made while the tests run: 8 parts in parallel.
date +%s.%N >"$work/corpus.t0"
for i in 0 1 2 3 4 5 6 7; do
  (
    # A stop (cleanup's kill) reaches the generator too.
    trap 'kill "$gen" 2>/dev/null' TERM
    "$bin/dupscan_gen_corpus" --train "$here/data/examples/corpus.jsonl.gz" --size "$part_size" \
      --seed $((11 + i)) --out "$work/corpus-$i.jsonl" --truth "$work/truth-$i.jsonl" &
    gen=$!
    if wait "$gen"; then
      date +%s.%N >"$work/corpus-$i.ok"
    else
      touch "$work/corpus-$i.failed"
    fi
  ) >/dev/null 2>&1 &
  gen_pids+=($!)
done
run_step tests 150
run_step canary 60
run_step throughput 150
run_step sanitizer 150
run_step compare 400
summary
if ((any_bad)); then
  echo "gpu-check: a step failed, ran out of time or was skipped (above)"
  exit 2
fi
if [[ $dev != cuda ]]; then
  echo "gpu-check (REHEARSAL on $dev): every step ran, every output equal to the cpu's"
else
  echo "gpu-check: every step passed, every output equal between cpu and cuda"
fi
