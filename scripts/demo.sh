#!/usr/bin/env bash
# README command 1: installs the dependencies, builds dupscan and deduplicates the example corpus
# (examples/corpus.jsonl.gz: 12,850 real documents with planted copies) into out/example/, with
# out/example/report.html, a page of what it found.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/install-deps.sh" --no-python
# Only the dupscan command: the test suite and the CUDA targets are for scripts/test.sh.
BUILD_TARGET=dupscan "$here/scripts/build.sh"
build=${BUILD_DIR:-$here/build}
out=$here/out/example
echo "+ dupscan dedup examples/corpus.jsonl.gz -o out/example --write-deduped out/example/deduped.jsonl.gz --html" >&2
"$build/dupscan" dedup "$here/examples/corpus.jsonl.gz" -o "$out" \
  --write-deduped "$out/deduped.jsonl.gz" --html
echo >&2
echo "First lines of out/example/duplicates.jsonl:" >&2
head -n 3 "$out/duplicates.jsonl" >&2
echo "First line of out/example/clusters.jsonl:" >&2
head -n 1 "$out/clusters.jsonl" >&2
echo "A page of what was found: out/example/report.html (open it in a browser)." >&2
echo >&2
echo "The command is $build/dupscan; to call it dupscan: export PATH=\"$build:\$PATH\"" >&2
echo "(or install it: cmake --install \"$build\" --prefix ~/.local, with ~/.local/bin on PATH)" >&2
