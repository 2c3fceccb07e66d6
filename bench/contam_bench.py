#!/usr/bin/env python3
"""Throughput of `dupscan contam`: training text scanned per second against benchmarks of 10 k and
100 k examples, with and without the near-duplicate search, one and all threads; and a Python
re-implementation of lm-eval's Janitor 13-gram check on a prefix, for a ratio measured in the
same run.

    .venv/bin/python bench/contam_bench.py [--train bench/work/corpus-1G-s1.jsonl] [--short]

The benchmarks are generated (bench/gen_corpus --lengths short: 20-200 words, like exam
questions) with another seed than the training corpus, and 1% of their examples planted verbatim
into a copy of the training corpus's first 64 MB, so that matches are found and confirmed.
"""
import argparse
import datetime
import json
import os
import random
import subprocess
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
    ap.add_argument("--short", action="store_true", help="10 k examples only, 64 MB of training")
    args = ap.parse_args()
    dupscan = os.path.join(args.build_dir, "dupscan")
    gen = os.path.join(args.build_dir, "bench", "dupscan_gen_corpus")
    if not os.path.exists(args.train):
        raise SystemExit("no training corpus: run bench/compare.py --size 1G first, or --train")
    os.makedirs(args.work, exist_ok=True)
    sizes = {"10k": "7M", "100k": "70M"}
    if args.short:
        sizes = {"10k": "7M"}
    evals = {}
    for name, size in sizes.items():
        path = os.path.join(args.work, "eval-%s.jsonl" % name)
        if not os.path.exists(path):
            Child.run([gen, "--train", os.path.join(ROOT, "examples", "corpus.jsonl.gz"), "--size",
                       size, "--seed", "7", "--lengths", "short", "--exact-rate", "0",
                       "--near-rate", "0", "--out", path, "--truth", path + ".truth"])
        with open(path, encoding="utf-8") as f:
            evals[name] = (path, sum(1 for _ in f))
    # Training: the corpus, with 1% of the 10k benchmark planted into its first 64 MB.
    train = os.path.join(args.work, "contam-train.jsonl")
    limit = 64e6 if args.short else float("inf")
    if not os.path.exists(train):
        rnd = random.Random(3)
        with open(evals["10k"][0], encoding="utf-8") as f:
            plants = [json.loads(l)["text"] for l in f if rnd.random() < 0.01]
        n = 0
        with open(args.train, encoding="utf-8") as src, open(train, "w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if plants and i % 7 == 3 and n < 64e6:
                    rec = json.loads(line)
                    rec["text"] = rec["text"] + "\n" + plants.pop()
                    line = json.dumps(rec) + "\n"
                dst.write(line)
                n += len(line)
                if n >= limit:
                    break
    size_mb = os.path.getsize(train) / 1e6
    threads = os.cpu_count() or 1
    rows = []
    for name, (path, count) in evals.items():
        for near in (False, True):
            for t in (1, threads):
                out = os.path.join(args.work, "contam-out")
                cmd = [dupscan, "contam", "--train", train, "--eval", "b=" + path, "-o", out, "-q",
                       "--threads", str(t)] + ([] if near else ["--no-near"])
                secs, rss, _ = Child.run(cmd)
                with open(os.path.join(out, "report.json")) as f:
                    rep = json.load(f)
                text = rep["train"]["text_bytes"]
                scan = rep["timings_s"]["scan"]
                rows.append({"eval": name, "examples": count, "near": near, "threads": t,
                             "train_mb": text / 1e6, "seconds": secs, "scan_s": scan,
                             "index_s": rep["timings_s"]["index"], "mb_per_s": text / scan / 1e6,
                             "peak_mb": rss, "dirty": rep["benchmarks"][0]["dirty"]})
    # The Python Janitor on a prefix, against the 10k benchmark.
    prefix = os.path.join(args.work, "contam-prefix.jsonl")
    with open(train, encoding="utf-8") as src, open(prefix, "w", encoding="utf-8") as dst:
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
                            "1", "--no-near"])
    with open(os.path.join(args.work, "contam-prefix-out", "report.json")) as f:
        rep = json.load(f)
    m = machine()
    print("# dupscan contam throughput, %s, %s (%d cores), GPU: %s" % (
        m["date"], m["cpu"], m["cores"], m["gpu"]))
    print("training: %s (%.0f MB of JSONL)\n" % (os.path.relpath(train, ROOT), size_mb))
    print("| benchmark | examples | near | threads | train MB of text | scan s | MB/s | index s | peak MB | dirty |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %d | %s | %d | %.0f | %.2f | %.1f | %.2f | %.0f | %d |" % (
            r["eval"], r["examples"], "yes" if r["near"] else "no", r["threads"], r["train_mb"],
            r["scan_s"], r["mb_per_s"], r["index_s"], r["peak_mb"], r["dirty"]))
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
