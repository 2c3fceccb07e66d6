#!/usr/bin/env bash
# The short benchmark CI runs (about a minute on 2 cores): installs the peers (datasketch, rensa)
# into .venv/ from PyPI, builds, and runs bench/compare.py --short. It fails only if a run fails or
# the outputs disagree (signatures vs datasketch, outputs across thread counts), never on a timing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/install-deps.sh" --bench
"$here/scripts/build.sh"
"$here/.venv/bin/python" "$here/bench/compare.py" --short "$@"
