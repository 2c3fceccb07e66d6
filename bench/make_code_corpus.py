#!/usr/bin/env python3
"""A code corpus from the Python and C/C++ sources installed on this machine, as JSONL
{"id": path, "text": source}, for `dupscan contam` against HumanEval.

    python3 bench/make_code_corpus.py OUT.jsonl [ROOT...]   (default roots below)

Files are taken in sorted order, UTF-8 text only, up to 1 MB each.
"""
import json
import os
import sys

DEFAULT_ROOTS = ["/usr/lib/python3", "/usr/lib/python3.11", "/root/.pyenv/versions",
                 "/usr/include", "/usr/share/doc"]
SUFFIXES = (".py", ".pyi", ".c", ".h", ".cpp", ".hpp", ".cc", ".rst", ".md", ".txt")


def main():
    out = sys.argv[1]
    roots = sys.argv[2:] or DEFAULT_ROOTS
    seen = set()
    files = 0
    size = 0
    with open(out, "w", encoding="utf-8") as dst:
        for root in roots:
            if not os.path.isdir(root):
                continue
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for name in sorted(filenames):
                    path = os.path.join(dirpath, name)
                    if not name.endswith(SUFFIXES) or os.path.islink(path):
                        continue
                    real = os.path.realpath(path)
                    if real in seen:
                        continue
                    seen.add(real)
                    try:
                        if os.path.getsize(path) > 1 << 20:
                            continue
                        with open(path, encoding="utf-8") as f:
                            text = f.read()
                    except (OSError, UnicodeDecodeError):
                        continue
                    dst.write(json.dumps({"id": path, "text": text}) + "\n")
                    files += 1
                    size += len(text.encode())
    print("code corpus: %d files, %.1f MB" % (files, size / 1e6), file=sys.stderr)


if __name__ == "__main__":
    main()
