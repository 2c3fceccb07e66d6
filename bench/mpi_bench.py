#!/usr/bin/env python3
"""dupscan-mpi under mpirun against one dupscan process, on the same files in the same run.

    python3 bench/mpi_bench.py [--corpus bench/work/corpus-1G-s1.jsonl] [--files 8] [--ranks 1,2,4]

The corpus (bench/compare.py --size 1G makes it) is cut into --files files of whole lines (a
distributed run splits its work by file). Then: dupscan with 1 thread and with all cores, and
dupscan-mpi with 1 thread per rank for each rank count. duplicates.jsonl and clusters.jsonl of
every distributed run must equal the one-process run's byte for byte (the script fails otherwise).
Printed: seconds, MB/s, speed-up over one thread, the largest process's peak memory, and each
stage's time (report.json: the slowest rank per stage).
"""
import argparse
import filecmp
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Child, machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGES = ("read_sketch", "exact", "lsh", "verify", "cluster", "write")


def split(corpus, files, out_dir):
    """Whole lines, about equal bytes per file; reused when already there for this corpus."""
    os.makedirs(out_dir, exist_ok=True)
    stamp = os.path.join(out_dir, "source")
    want = "%s %d %d\n" % (os.path.abspath(corpus), os.path.getsize(corpus), files)
    paths = [os.path.join(out_dir, "part-%03d.jsonl" % i) for i in range(files)]
    if os.path.exists(stamp) and open(stamp).read() == want:
        return paths
    size = os.path.getsize(corpus)
    with open(corpus, "rb") as src:
        for i, path in enumerate(paths):
            end = size * (i + 1) // files
            with open(path, "wb") as dst:
                while src.tell() < end or i == files - 1:
                    line = src.readline()
                    if not line:
                        break
                    dst.write(line)
    with open(stamp, "w") as f:
        f.write(want)
    return paths


def report(out_dir):
    with open(os.path.join(out_dir, "report.json")) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "bench", "work", "corpus-1G-s1.jsonl"))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--ranks", default="1,2,4")
    args = ap.parse_args()
    dupscan = os.path.join(args.build_dir, "dupscan")
    dupscan_mpi = os.path.join(args.build_dir, "dupscan-mpi")
    if not os.path.exists(args.corpus):
        raise SystemExit("no corpus: run bench/compare.py --size 1G first, or give --corpus")
    if not os.path.exists(dupscan_mpi):
        raise SystemExit("no %s: install libopenmpi-dev and build again" % dupscan_mpi)
    parts = split(args.corpus, args.files, os.path.join(args.work, "mpi-parts"))
    mb = sum(os.path.getsize(p) for p in parts) / 1e6
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cores = os.cpu_count()

    runs = [("dupscan, 1 thread", [dupscan, "dedup", *parts, "--threads", "1"]),
            ("dupscan, %d threads" % cores, [dupscan, "dedup", *parts, "--threads", str(cores)])]
    for n in [int(x) for x in args.ranks.split(",")]:
        runs.append(("dupscan-mpi, %d rank%s x 1 thread" % (n, "" if n == 1 else "s"),
                     ["mpirun", "-np", str(n), "--oversubscribe", "--bind-to", "none", dupscan_mpi, "dedup", *parts,
                      "--threads", "1"]))
    print("machine: %s" % json.dumps(machine()))
    print("corpus: %s, %d files, %.0f MB" % (args.corpus, len(parts), mb))
    rows = []
    first_out = None
    for i, (name, cmd) in enumerate(runs):
        out = os.path.join(args.work, "mpi-out-%d" % i)
        seconds, peak, _ = Child.run(cmd + ["-o", out, "-q"], env=env)
        r = report(out)
        if first_out is None:
            first_out = out
        else:
            for f in ("duplicates.jsonl", "clusters.jsonl"):
                if not filecmp.cmp(os.path.join(first_out, f), os.path.join(out, f),
                                   shallow=False):
                    raise SystemExit("%s: %s differs from the one-process run" % (name, f))
        rows.append((name, seconds, peak, r))
    base = rows[0][1]
    print("| run | s | MB/s | vs 1 thread | peak MB (largest process) | %s |"
          % " | ".join(STAGES))
    print("|---|---|---|---|---|%s" % ("---|" * len(STAGES)))
    for name, seconds, peak, r in rows:
        t = r["timings_s"]
        print("| %s | %.1f | %.1f | %.2fx | %.0f | %s |" % (
            name, seconds, mb / seconds, base / seconds, peak,
            " | ".join("%.2f" % t[s] for s in STAGES)))
    c = rows[0][3]["counts"]
    print("documents %d, removed %d (%d exact, %d near), candidate pairs %d; every distributed "
          "run wrote the same duplicates.jsonl and clusters.jsonl" % (
              c["documents"], c["removed"], c["exact_duplicates"], c["near_duplicates"],
              c["candidate_pairs"]))


if __name__ == "__main__":
    main()
