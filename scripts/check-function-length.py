#!/usr/bin/env python3
"""Fails on a function of more than 80 lines with no reason written above it.

The style guide's rule (issue 28, item 6): a function that long is cut into parts, unless a
comment right above it (above its template line, if any) says why it is one piece -- a list of
report fields, a switch over types, locals that its lambdas share. Functions are found by
Universal Ctags (Debian's universal-ctags, installed by scripts/install-deps.sh) with their
end lines; lambdas are parts of the function that holds them and are not counted alone.

    python3 scripts/check-function-length.py [--max N]
"""
import json
import os
import shutil
import subprocess
import sys

ROOTS = ["src/host", "src/kernels", "include"]
SUFFIXES = (".cpp", ".hpp", ".cuh", ".cu", ".h")


def main():
    limit = 80
    if len(sys.argv) == 3 and sys.argv[1] == "--max":
        limit = int(sys.argv[2])
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(here)
    # Debian's universal-ctags installs ctags-universal (and `ctags` as an alternative, which
    # another ctags may hold).
    ctags = shutil.which("ctags-universal") or shutil.which("ctags")
    if not ctags:
        print("check-function-length: ctags not found; run scripts/install-deps.sh", file=sys.stderr)
        return 2
    files = sorted(
        os.path.join(d, f)
        for root in ROOTS
        for d, _, names in os.walk(root)
        for f in names
        if f.endswith(SUFFIXES)
    )
    out = subprocess.run(
        [ctags, "--output-format=json", "--fields=+ne", "--c++-kinds=f",
         "--language-force=C++", "-o", "-"] + files,
        capture_output=True, text=True, check=True).stdout
    long_ones = []
    for line in out.splitlines():
        tag = json.loads(line)
        if tag.get("kind") != "function" or tag["name"].startswith("__anon") or "end" not in tag:
            continue
        length = tag["end"] - tag["line"] + 1
        if length <= limit:
            continue
        with open(tag["path"], encoding="utf-8") as f:
            src = f.read().split("\n")
        i = tag["line"] - 2  # the line above the function's first line
        while i >= 0 and src[i].lstrip().startswith("template"):
            i -= 1
        above = src[i].strip() if i >= 0 else ""
        if not (above.startswith("//") or above.endswith("*/")):
            long_ones.append(f"{tag['path']}:{tag['line']}: {tag['name']} is {length} lines")
    if long_ones:
        print(f"check-function-length: functions over {limit} lines with no reason above them "
              "(cut them, or say in a comment above why they are one piece):", file=sys.stderr)
        for l in long_ones:
            print("  " + l, file=sys.stderr)
        return 1
    print(f"check-function-length: every function over {limit} lines says why", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
