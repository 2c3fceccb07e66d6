#!/usr/bin/env bash
# Checks that this tree writes the same outputs as another revision: every output file of dedup
# (duplicates.jsonl, clusters.jsonl, --write-deduped, --write-signatures), report.json less its
# timings, index segments, dupscan-mpi on 1/2/4 ranks, and contam (contamination.jsonl, clean/,
# report.json) -- byte for byte, on the example corpus and a generated corpus, compat and fast, 1
# and 2 threads. Exits 1 on the first difference it lists.
#
#   scripts/check-equivalence.sh BASE_REV [--size 1G] [--backends "cpu cuda-host"] [--only GLOB]
#
# --only runs the cases whose name matches GLOB (e.g. 'contam*', 'mpi-*'); by default all.
# BASE_REV is built in a temporary worktree. NEW_ARGS (environment) is added to every dedup and
# index command of this tree only -- not to contam, nor to a --sketch fast run (the fast sketch
# takes no --scheme) -- e.g. NEW_ARGS="--scheme legacy" against a revision older than the schemes;
# IGNORE_REPORT_KEYS lists report.json and index.json keys (dotted paths) this tree may add or
# change.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base_rev=${1:?usage: check-equivalence.sh BASE_REV [--size 1G] [--backends LIST] [--only GLOB]}
shift
size=1G
backends=cpu
only='*'
while (($#)); do
  case $1 in
    --size) size=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "check-equivalence: unknown option $1" >&2; exit 2 ;;
  esac
done
new_args=${NEW_ARGS:-}
# The index directory an --against run names, and the work directory, differ by side.
IGNORE_REPORT_KEYS="against.index resume.work_dir ${IGNORE_REPORT_KEYS:-}"
work=$here/bench/work/equivalence
base_src=$work/base-src
mkdir -p "$work"

echo "check-equivalence: building $base_rev in $base_src" >&2
# The same revision's worktree and build are kept from an earlier check, so that checking again
# against one base rebuilds only this tree.
base_commit=$(git -C "$here" rev-parse "$base_rev^{commit}")
if [[ -d $base_src && $(git -C "$base_src" rev-parse HEAD 2>/dev/null) != "$base_commit" ]]; then
  git -C "$here" worktree remove --force "$base_src"
fi
if [[ ! -d $base_src ]]; then
  git -C "$here" worktree prune
  git -C "$here" worktree add --detach "$base_src" "$base_commit" >/dev/null
fi
cmake -S "$base_src" -B "$base_src/build" -DCMAKE_BUILD_TYPE=Release -DDUPSCAN_BUILD_TESTS=OFF \
  >/dev/null
cmake --build "$base_src/build" -j "$(nproc)" --target dupscan dupscan_gen_corpus >/dev/null
cmake --build "$base_src/build" -j "$(nproc)" --target dupscan-mpi >/dev/null 2>&1 || true
echo "check-equivalence: building this tree" >&2
"$here/scripts/build.sh" >/dev/null
old=$base_src/build/dupscan
new=$here/build/dupscan
old_mpi=$base_src/build/dupscan-mpi
new_mpi=$here/build/dupscan-mpi

corpus=$work/corpus-$size.jsonl
if [[ ! -s $corpus ]]; then
  echo "check-equivalence: generating a $size corpus" >&2
  "$base_src/build/bench/dupscan_gen_corpus" --train "$here/examples/corpus.jsonl.gz" \
    --size "$size" --out "$corpus" --truth "$work/truth-$size.jsonl" --seed 5 >/dev/null
fi
parts=$work/parts-$size
if [[ ! -d $parts ]]; then
  mkdir -p "$parts"
  split -n l/8 -d --additional-suffix=.jsonl "$corpus" "$parts/part-"
fi

failed=0
compare_dirs() {  # what a b [extra report keys to ignore]
  local what=$1 a=$2 b=$3 ignore="${IGNORE_REPORT_KEYS} ${4:-}"
  local f
  for f in $(cd "$a" && find . -type f ! -name '.dupscan-write-test' | sort); do
    if [[ ! -f $b/$f ]]; then
      echo "DIFF $what: $f missing in this tree's output" >&2
      failed=1
      continue
    fi
    if [[ $(basename "$f") == report.json || $(basename "$f") == index.json ]]; then
      if ! python3 - "$a/$f" "$b/$f" "$ignore" <<'PY'; then
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ignore = set(sys.argv[3].split())
def strip(d, path=""):
    if isinstance(d, dict):
        return {k: strip(v, path + k + ".") for k, v in d.items()
                if k not in ("timings_s", "outputs", "threads", "created", "mtime_ns", "seconds",
                             "canary", "backend_asked", "memory")
                and (path + k) not in ignore}
    if isinstance(d, list):
        return [strip(v, path) for v in d]
    return d
sa, sb = strip(a), strip(b)
if sa != sb:
    for k in sorted(set(sa) | set(sb)):
        if sa.get(k) != sb.get(k):
            print("   ", k, ":", json.dumps(sa.get(k))[:200], "->", json.dumps(sb.get(k))[:200])
    sys.exit(1)
PY
        echo "DIFF $what: $f (report, less timings)" >&2
        failed=1
      fi
    elif ! cmp -s "$a/$f" "$b/$f"; then
      echo "DIFF $what: $f" >&2
      failed=1
    fi
  done
  echo "done  $what" >&2
  return 0
}

# check NAME BIN_KIND ARGS...: runs ARGS with this tree's and the base's binary (BIN_KIND: dupscan
# or mpi:RANKS), "{out}" in ARGS standing for the case's output directory, and compares the two
# directories; "{side}" stands for old or new. This tree runs once per backend in --backends.
check() {
  local name=$1 kind=$2
  shift 2
  # shellcheck disable=SC2053
  [[ $name == $only ]] || return 0
  local side bin out backend
  rm -rf "$work/old/$name"
  mkdir -p "$work/old/$name"
  run_side old "$kind" "$work/old/$name" "" "$@"
  for backend in $backends; do
    rm -rf "$work/new/$name"
    mkdir -p "$work/new/$name"
    run_side new "$kind" "$work/new/$name" "$backend" "$@"
    # report.json names the backend that ran: the one thing that may differ between them.
    compare_dirs "$name [$backend]" "$work/old/$name" "$work/new/$name" \
      "$([[ $backend != cpu ]] && echo backend)"
  done
}

run_side() {  # side kind out backend args...
  local side=$1 kind=$2 out=$3 backend=$4
  shift 4
  local args=() a
  for a in "$@"; do
    a=${a//\{out\}/$out}
    args+=("${a//\{side\}/$side}")
  done
  local extra=() fast=0
  for a in "${args[@]}"; do [[ $a == fast ]] && fast=1; done
  if [[ $side == new ]]; then
    # shellcheck disable=SC2206
    [[ ${args[0]} != contam && $fast == 0 ]] && extra=($new_args)
    [[ -n $backend ]] && extra+=(--backend "$backend")
  fi
  case $kind in
    dupscan)
      local bin=$old
      [[ $side == new ]] && bin=$new
      "$bin" "${args[@]}" "${extra[@]}" -q
      ;;
    mpi:*)
      local bin=$old_mpi ranks=${kind#mpi:}
      [[ $side == new ]] && bin=$new_mpi
      local root=()
      [[ $(id -u) == 0 ]] && root=(--allow-run-as-root)
      mpirun "${root[@]}" --oversubscribe -np "$ranks" --bind-to none "$bin" "${args[@]}" \
        "${extra[@]}" -q
      ;;
  esac
}

example=$here/examples/corpus.jsonl.gz
for sketch in compat fast; do
  for threads in 1 2; do
    check "example-$sketch-t$threads" dupscan dedup "$example" -o "{out}/o" --sketch "$sketch" \
      --threads "$threads" --write-deduped "{out}/deduped.jsonl.gz" \
      --write-signatures "{out}/signatures.jsonl"
    check "corpus-$sketch-t$threads" dupscan dedup "$corpus" -o "{out}/o" --sketch "$sketch" \
      --threads "$threads" --write-deduped "{out}/deduped.jsonl"
  done
  check "example-$sketch-noverify" dupscan dedup "$example" -o "{out}/o" --sketch "$sketch" \
    --no-verify --keep longest
done
if [[ -x $old_mpi && -x $new_mpi ]]; then
  for ranks in 1 2 4; do
    check "mpi-$ranks" "mpi:$ranks" dedup "$parts"/part-0{0..7}.jsonl -o "{out}/o" --threads 1 \
      --write-deduped "{out}/deduped.jsonl"
  done
elif [[ mpi-1 == $only ]]; then  # shellcheck disable=SC2053
  echo "check-equivalence: no dupscan-mpi in one of the builds; MPI not compared" >&2
  failed=1
fi
# An index of half the parts, and the other half against it (segments compared byte for byte).
check index-build dupscan index build "$parts"/part-0{0..3}.jsonl --index "{out}/idx"
check index-against dupscan dedup "$parts"/part-0{4..7}.jsonl --against \
  "$work/{side}/index-build/idx" -o "{out}/o"
shared=$(cd "$here/.." && pwd)/shared/data
check contam dupscan contam --train "$example" --eval "gsm8k=$shared/gsm8k_test.jsonl:question" \
  --eval "humaneval=$shared/humaneval.jsonl.gz:prompt" --eval-id-field task_id -o "{out}/o" \
  --write-decontaminated "{out}/decontaminated.jsonl"
# The generated corpus holds the example corpus's GSM8K test problems, whole and edited: two
# threads, question and answer joined, and the Llama 3 style 8-grams without near duplicates.
check contam-corpus dupscan contam --train "$corpus" "$example" --threads 2 \
  --eval "gsm8k=$shared/gsm8k_test.jsonl:question+answer" \
  --eval "humaneval=$shared/humaneval.jsonl.gz:prompt" --eval-id-field task_id -o "{out}/o" \
  --write-decontaminated "{out}/decontaminated.jsonl"
check contam-ngram8 dupscan contam --train "$example" "$corpus" --threads 2 --ngram 8 --min-ngram 8 --no-near \
  --eval "gsm8k=$shared/gsm8k_test.jsonl:question" -o "{out}/o"

# The base's worktree and build stay for the next check against it (removed when another base
# is checked); `git worktree remove --force bench/work/equivalence/base-src` removes them.
if [[ $failed != 0 ]]; then
  echo "check-equivalence: outputs differ from $base_rev (listed above)" >&2
  exit 1
fi
echo "check-equivalence: every output equals $base_rev's" >&2
