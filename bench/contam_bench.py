#!/usr/bin/env python3
"""Throughput of `dupscan contam`: training text scanned per second against benchmarks of 10 k and
100 k examples, with and without the near-duplicate search, one and all threads; and a Python
re-implementation of lm-eval's Janitor 13-gram check on a prefix, for a ratio measured in the
same run.

    .venv/bin/python bench/contam_bench.py [--train bench/work/corpus-1G-s1.jsonl] [--short]

The benchmarks are generated (bench/gen_corpus --lengths short: 20-200 words, like exam
questions) with another seed than the training corpus. The training stream is a copy of the
corpus's first 64 MB (--plant-mb) with 1% of the 10 k benchmark's examples planted into it, so
that matches are found and confirmed, followed by the whole corpus (--short: the copy alone).

On a GPU machine (the GPU pack), the probe on the device against 100 k examples, all threads:

    build/bench/dupscan_gen_corpus --train examples/corpus.jsonl.gz --size 1G --seed 1 \\
        --out bench/work/corpus-1G-s1.jsonl --truth bench/work/truth-1G-s1.jsonl
    for i in 1 2 3 4 5 6 7 8; do cat bench/work/corpus-1G-s1.jsonl; done >bench/work/corpus-8G.jsonl
    .venv/bin/python bench/contam_bench.py --train bench/work/corpus-8G.jsonl --examples 100k \\
        --backend cuda --threads all --no-peer

--backend is passed to dupscan contam (cpu, cuda, auto); --repeat N runs each row N times and
gives the median. Every row's report.json names the backend that ran.
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Child, machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default=os.path.join(ROOT, "bench", "work", "corpus-1G-s1.jsonl"))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--peer-mb", type=float, default=16)
    ap.add_argument("--plant-mb", type=float, default=64)
    ap.add_argument("--short", action="store_true",
                    help="10 k examples, the 64 MB planted copy as the whole training stream")
    ap.add_argument("--examples", choices=["10k", "100k", "both"], default=None,
                    help="benchmark sizes to run (default: both; 10k with --short)")
    ap.add_argument("--backend", default="cpu", help="dupscan contam --backend (default cpu)")
    ap.add_argument("--threads", default="1,all", help="thread counts, e.g. 1,all or 16")
    ap.add_argument("--near", choices=["no", "yes", "both"], default="both")
    ap.add_argument("--repeat", type=int, default=1, help="runs per row; the median is shown")
    ap.add_argument("--no-peer", action="store_true", help="skip the Python Janitor comparison")
    args = ap.parse_args()
    dupscan = os.path.join(args.build_dir, "dupscan")
    gen = os.path.join(args.build_dir, "bench", "dupscan_gen_corpus")
    if not os.path.exists(args.train):
        raise SystemExit("no training corpus: run bench/compare.py --size 1G first, or --train")
    os.makedirs(args.work, exist_ok=True)
    which = args.examples or ("10k" if args.short else "both")
    sizes = {"10k": "7M", "100k": "70M"}
    wanted = ["10k", "100k"] if which == "both" else [which]
    evals = {}
    for name in sorted(set(wanted) | {"10k"}):  # the 10k benchmark is planted
        path = os.path.join(args.work, "eval-%s.jsonl" % name)
        if not os.path.exists(path):
            Child.run([gen, "--train", os.path.join(ROOT, "examples", "corpus.jsonl.gz"), "--size",
                       sizes[name], "--seed", "7", "--lengths", "short", "--exact-rate", "0",
                       "--near-rate", "0", "--out", path, "--truth", path + ".truth"])
        with open(path, encoding="utf-8") as f:
            evals[name] = (path, sum(1 for _ in f))
    # The planted copy: the corpus's first --plant-mb MB, 1% of the 10k benchmark planted.
    planted = os.path.join(args.work, "contam-planted-%dM.jsonl" % args.plant_mb)
    stamp = planted + ".of"
    of = "%s %d" % (os.path.abspath(args.train), os.path.getsize(args.train))
    if not os.path.exists(planted) or not os.path.exists(stamp) or open(stamp).read() != of:
        rnd = random.Random(3)
        with open(evals["10k"][0], encoding="utf-8") as f:
            plants = [json.loads(line)["text"] for line in f if rnd.random() < 0.01]
        n = 0
        with open(args.train, encoding="utf-8") as src, \
                open(planted, "w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if plants and i % 7 == 3:
                    rec = json.loads(line)
                    rec["text"] = rec["text"] + "\n" + plants.pop()
                    line = json.dumps(rec) + "\n"
                dst.write(line)
                n += len(line)
                if n >= args.plant_mb * 1e6:
                    break
        with open(stamp, "w") as f:
            f.write(of)
    train = [planted] if args.short else [planted, args.train]
    size_mb = sum(os.path.getsize(t) for t in train) / 1e6
    cores = os.cpu_count() or 1
    thread_counts = []
    for t in args.threads.split(","):
        t = cores if t == "all" else int(t)
        if t not in thread_counts:
            thread_counts.append(t)
    nears = {"no": [False], "yes": [True], "both": [False, True]}[args.near]
    rows = []
    for name in wanted:
        path, count = evals[name]
        for near in nears:
            for t in thread_counts:
                runs = []
                for _ in range(args.repeat):
                    out = os.path.join(args.work, "contam-out")
                    cmd = [dupscan, "contam", "--train"] + train + [
                        "--eval", "b=" + path, "-o", out, "-q", "--threads", str(t),
                        "--backend", args.backend] + ([] if near else ["--no-near"])
                    secs, rss, _ = Child.run(cmd)
                    with open(os.path.join(out, "report.json")) as f:
                        rep = json.load(f)
                    runs.append((rep["timings_s"]["scan"], secs, rss, rep))
                runs.sort(key=lambda r: r[0])
                scan, secs, rss, rep = runs[len(runs) // 2]
                text = rep["train"]["text_bytes"]
                rows.append({"eval": name, "examples": count, "near": near, "threads": t,
                             "backend": rep.get("backend", "?"), "train_mb": text / 1e6,
                             "seconds": secs, "scan_s": scan,
                             "scan_all": [r[0] for r in runs],
                             "index_s": rep["timings_s"]["index"], "mb_per_s": text / scan / 1e6,
                             "peak_mb": rss, "dirty": rep["benchmarks"][0]["dirty"]})
    m = machine()
    print("# dupscan contam throughput, %s, %s (%d cores), GPU: %s" % (
        m["date"], m["cpu"], m["cores"], m["gpu"]))
    print("training: %s (%.0f MB of JSONL)%s\n" % (
        " + ".join(os.path.relpath(t, ROOT) for t in train), size_mb,
        "; median of %d runs per row" % args.repeat if args.repeat > 1 else ""))
    print("| benchmark | examples | near | backend | threads | train MB of text | scan s | MB/s "
          "| index s | peak MB | dirty |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %d | %s | %s | %d | %.0f | %.2f | %.1f | %.2f | %.0f | %d |" % (
            r["eval"], r["examples"], "yes" if r["near"] else "no", r["backend"], r["threads"],
            r["train_mb"], r["scan_s"], r["mb_per_s"], r["index_s"], r["peak_mb"], r["dirty"]))
    if args.repeat > 1:
        print("\nscan seconds of every run: " + "; ".join(
            "%s %s %dt: %s" % (r["eval"], "near" if r["near"] else "no-near", r["threads"],
                               " ".join("%.3f" % s for s in r["scan_all"])) for r in rows))
    if args.no_peer:
        return 0
    # The Python Janitor on a prefix of the planted copy, against the 10k benchmark.
    prefix = os.path.join(args.work, "contam-prefix.jsonl")
    with open(planted, encoding="utf-8") as src, open(prefix, "w", encoding="utf-8") as dst:
        n = 0
        for line in src:
            dst.write(line)
            n += len(line)
            if n >= args.peer_mb * 1e6:
                break
    py = sys.executable
    _, rss, out = Child.run([py, os.path.join(ROOT, "bench", "peers.py"), "janitor", prefix,
                             "--eval", evals["10k"][0]])
    jan = json.loads(out)
    secs, _, _ = Child.run([dupscan, "contam", "--train", prefix, "--eval", "b=" + evals["10k"][0],
                            "-o", os.path.join(args.work, "contam-prefix-out"), "-q", "--threads",
                            "1", "--no-near", "--backend", args.backend])
    with open(os.path.join(args.work, "contam-prefix-out", "report.json")) as f:
        rep = json.load(f)
    d_mb = rep["train"]["text_bytes"] / 1e6
    print("\nprefix %.1f MB of text, 10k benchmark, one thread: lm-eval Janitor (Python) %.2f s "
          "(%.2f MB/s, %d dirty), dupscan --no-near scan %.3f s (%.1f MB/s, %d dirty): %.0fx" % (
              jan["text_bytes"] / 1e6, jan["seconds"], jan["text_bytes"] / 1e6 / jan["seconds"],
              jan["dirty"], rep["timings_s"]["scan"], d_mb / rep["timings_s"]["scan"],
              rep["benchmarks"][0]["dirty"],
              (d_mb / rep["timings_s"]["scan"]) / (jan["text_bytes"] / 1e6 / jan["seconds"])))
    if jan["dirty"] != rep["benchmarks"][0]["dirty"]:
        print("FAILED: the Janitor and dupscan disagree on the dirty count")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
