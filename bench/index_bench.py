#!/usr/bin/env python3
"""`dupscan dedup --against` an index, against one run over old and new together.

    .venv/bin/python bench/index_bench.py [--corpus bench/work/corpus-1G-s1.jsonl] [--new-mb 16]

The corpus (bench/compare.py --size 1G makes it) is split: its last --new-mb MB are the new
shard, the rest is indexed (`dupscan index build`). Then, on the same machine in the same run:
the shard --against the index, the shard alone, and old + new in one dedup run; the new
documents removed must be the same in the first and the last (the script fails otherwise).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Child, machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def removed_ids(out_dir):
    with open(os.path.join(out_dir, "duplicates.jsonl"), encoding="utf-8") as f:
        return {json.loads(line)["id"] for line in f}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "bench", "work", "corpus-1G-s1.jsonl"))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--new-mb", type=float, default=16)
    args = ap.parse_args()
    dupscan = os.path.join(args.build_dir, "dupscan")
    if not os.path.exists(args.corpus):
        raise SystemExit("no corpus: run bench/compare.py --size 1G first, or --corpus")
    old = os.path.join(args.work, "index-old.jsonl")
    new = os.path.join(args.work, "index-new.jsonl")
    size = os.path.getsize(args.corpus)
    cut = size - int(args.new_mb * 1e6)
    n_old = n_new = 0
    new_ids = set()
    with open(args.corpus, "rb") as src, open(old, "wb") as o, open(new, "wb") as n:
        pos = 0
        for line in src:
            if pos < cut:
                o.write(line)
                n_old += 1
            else:
                n.write(line)
                n_new += 1
                new_ids.add(json.loads(line)["id"])
            pos += len(line)
    idx = os.path.join(args.work, "index-idx")
    if os.path.exists(idx):
        for f in os.listdir(idx):
            os.remove(os.path.join(idx, f))
        os.rmdir(idx)
    out = lambda name: os.path.join(args.work, "index-" + name)  # noqa: E731
    t_build, m_build, _ = Child.run([dupscan, "index", "build", old, "--index", idx, "-q"])
    t_against, m_against, _ = Child.run([dupscan, "dedup", new, "--against", idx, "-o",
                                         out("against"), "-q"])
    t_alone, m_alone, _ = Child.run([dupscan, "dedup", new, "-o", out("alone"), "-q"])
    t_all, m_all, _ = Child.run([dupscan, "dedup", old, new, "-o", out("all"), "-q"])
    seg = sum(os.path.getsize(os.path.join(idx, f)) for f in os.listdir(idx))
    a = removed_ids(out("against"))
    c = removed_ids(out("all")) & new_ids
    alone = removed_ids(out("alone"))
    m = machine()
    old_mb = os.path.getsize(old) / 1e6
    new_mb = os.path.getsize(new) / 1e6
    print("# dupscan index / dedup --against, %s, %s (%d cores)" % (m["date"], m["cpu"],
                                                                     m["cores"]))
    print("index: %d documents, %.0f MB of JSONL, %.1f MB on disk (%.0f B per document)" % (
        n_old, old_mb, seg / 1e6, seg / max(n_old, 1)))
    print("new shard: %d documents, %.1f MB\n" % (n_new, new_mb))
    print("| run | seconds | peak MB | new documents removed |")
    print("|---|---:|---:|---:|")
    print("| index build (old) | %.2f | %.0f | |" % (t_build, m_build))
    print("| dedup new --against index | %.2f | %.0f | %d |" % (t_against, m_against, len(a)))
    print("| dedup new alone | %.2f | %.0f | %d |" % (t_alone, m_alone, len(alone)))
    print("| dedup old + new in one run | %.2f | %.0f | %d |" % (t_all, m_all, len(c)))
    print("\n--against is %.1fx faster than the run over everything; memory per indexed document "
          "%.0f B (peak against - peak alone)" % (
              t_all / t_against, (m_against - m_alone) * 1048576 / max(n_old, 1)))
    if a != c:
        print("FAILED: --against and the run over everything remove different new documents "
              "(%d only --against, %d only the full run)" % (len(a - c), len(c - a)))
        return 1
    print("same new documents removed: yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
