#!/usr/bin/env python3
"""Fails when a source includes a header of a higher layer (GUIDE.md, docs/architecture.md).

    scripts/check-layers.py          # prints each upward include, exits 1 if there is one

Layers, lowest first (a file may include its own layer and those below):
  0 types    include/dupscan/ headers of plain types and maths (spec, errors, shingle, minhash,
             fast_sketch, normalize, janitor, run, table_input, sha1, choices)
  1 common   src/host/common
  2 text     src/host/text
  3 io       src/host/io
  4 sketch   src/host/sketch, src/kernels, include/dupscan/{backend,contam_probe}.hpp
  5 stages   src/host/{dedup,contam,index}, include/dupscan/{dedup,contam,index}.hpp
  6 dist     src/host/dist, include/dupscan/distributed.hpp
  7 report   src/host/report
  8 front    src/host/{cli,python}
Files of one layer may include each other (dedup, contam and index are siblings).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["types", "common", "text", "io", "sketch", "stages", "dist", "report", "front"]
HOST = {"common": 1, "text": 2, "io": 3, "sketch": 4, "dedup": 5, "contam": 5, "index": 5,
        "dist": 6, "report": 7, "cli": 8, "python": 8}
PUBLIC = {"backend.hpp": 4, "contam_probe.hpp": 4, "dedup.hpp": 5, "contam.hpp": 5,
          "index.hpp": 5, "distributed.hpp": 6}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of_file(rel):
    """The layer of a file under the repository root, or None when it is not layered."""
    parts = rel.split("/")
    if parts[0] == "include" and parts[1] == "dupscan":
        return PUBLIC.get(parts[2], 0)
    if parts[:2] == ["src", "kernels"]:
        return 4
    if parts[:2] == ["src", "host"] and len(parts) > 3:
        return HOST.get(parts[2])
    return None


def layer_of_include(name, including):
    """The layer of an included "path" as the build resolves it (include/, src/host/,
    src/kernels/ or the including file's own folder)."""
    for base in ("include", "src/host", "src/kernels", os.path.dirname(including)):
        rel = os.path.normpath(os.path.join(base, name))
        if os.path.exists(os.path.join(ROOT, rel)):
            return layer_of_file(rel), rel
    return None, name


def main():
    bad = []
    for top in ("include", "src"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not f.endswith((".hpp", ".cpp", ".cu", ".cuh", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(d, f), ROOT)
                mine = layer_of_file(rel)
                if mine is None:
                    continue
                with open(os.path.join(ROOT, rel), encoding="utf-8") as src:
                    text = src.read()
                for m in INCLUDE.finditer(text):
                    theirs, target = layer_of_include(m.group(1), rel)
                    if theirs is not None and theirs > mine:
                        line = text.count("\n", 0, m.start()) + 1
                        bad.append("%s:%d: %s (%s) includes %s (%s)" % (
                            rel, line, NAMES[mine], mine, target, NAMES[theirs]))
    for b in bad:
        print("check-layers: " + b, file=sys.stderr)
    if bad:
        print("check-layers: %d include(s) point up a layer; move the type down, or the code up"
              % len(bad), file=sys.stderr)
        return 1
    print("check-layers: every include points down or sideways", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
