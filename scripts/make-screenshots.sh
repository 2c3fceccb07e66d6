#!/usr/bin/env bash
# Makes the README's screenshots of `dupscan report` (docs/report-dedup.png, docs/report-contam.png)
# from the example runs, with headless Chromium (scripts/install-deps.sh installs it):
#   dedup   examples/corpus.jsonl.gz                                      -> out/example/
#   contam  the corpus's GSM8K test problems and HumanEval prompts as benchmarks, the rest of the
#           corpus (GSM8K train, wikitext, Shakespeare, planted copies) as training data
#                                                                          -> out/example-contam/
# Run from anywhere after scripts/build.sh; the pages stay in out/ (open them in a browser).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
dupscan=${BUILD_DIR:-build}/dupscan
chromium=${DUPSCAN_CHROMIUM:-chromium}
command -v "$chromium" >/dev/null || { echo "make-screenshots: no $chromium (scripts/install-deps.sh)" >&2; exit 1; }

echo "+ dupscan dedup examples/corpus.jsonl.gz -o out/example --html" >&2
"$dupscan" dedup examples/corpus.jsonl.gz -o out/example --html -q

data=out/example-contam-data
mkdir -p "$data"
bench='"id": "(gsm8k-test-[0-9]+|humaneval-[0-9]+)"'
zcat examples/corpus.jsonl.gz | grep -Ev "$bench" >"$data/train.jsonl"
zcat examples/corpus.jsonl.gz | grep -E '"id": "gsm8k-test-[0-9]+"' >"$data/gsm8k.jsonl"
zcat examples/corpus.jsonl.gz | grep -E '"id": "humaneval-[0-9]+"' >"$data/humaneval.jsonl"
echo "+ dupscan contam --train $data/train.jsonl --eval gsm8k=$data/gsm8k.jsonl" \
  "--eval humaneval=$data/humaneval.jsonl -o out/example-contam --html" >&2
"$dupscan" contam --train "$data/train.jsonl" --eval "gsm8k=$data/gsm8k.jsonl" \
  --eval "humaneval=$data/humaneval.jsonl" -o out/example-contam --html -q

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
shoot() {  # page, png, height
  "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
    --no-first-run --user-data-dir="$profile" --window-size="1400,$3" --screenshot="$here/$2" \
    "file://$here/$1" >/dev/null 2>&1
  echo "make-screenshots: $2 ($(stat -c %s "$2") bytes)" >&2
}
mkdir -p docs
shoot out/example/report.html docs/report-dedup.png 1750
shoot out/example-contam/report.html docs/report-contam.png 1750
