#!/usr/bin/env python3
"""dedup at scale under --memory: peak RSS, spill, time, equal outputs, and a killed run resumed.

    .venv/bin/python bench/scale_bench.py [--size 5800M] [--files 16] [--memory 512M]

Makes (once) a corpus of short documents with bench/gen_corpus (`--lengths short --seed 11`:
5800M gives ~10 M chat-length documents, 6.1 GB) and splits it into --files inputs in order.
Then, on the same machine in the same run, three dedup runs of the inputs:
  unbounded   no --memory (--no-resume, as the others keep a work directory only to resume);
  bounded     --memory SIZE: band keys spilled to disk; its duplicates.jsonl and clusters.jsonl
              must equal the unbounded run's, byte for byte (the script fails otherwise);
  killed      --memory SIZE, killed with SIGKILL once input --kill-after is saved (a preempted
              node; the test hook DUPSCAN_TEST_FAULT), then run again: it resumes, and its
              outputs must equal too. Redone work = killed + resumed - bounded.
Peak RSS is the child's (os.wait4: /usr/bin/time -v's "Maximum resident set size").
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Child, machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def split(corpus, files, work):
    """The corpus in `files` inputs of consecutive lines, about equal in bytes."""
    paths = [os.path.join(work, "part-%02d.jsonl" % i) for i in range(files)]
    if all(os.path.exists(p) for p in paths):
        return paths
    size = os.path.getsize(corpus)
    with open(corpus, "rb") as src:
        i, out, written = 0, open(paths[0], "wb"), 0
        for line in src:
            if written >= (i + 1) * size / files and i + 1 < files:
                out.close()
                i += 1
                out = open(paths[i], "wb")
            out.write(line)
            written += len(line)
        out.close()
    return paths


def outputs(out):
    return {f: open(os.path.join(out, f), "rb").read()
            for f in ("duplicates.jsonl", "clusters.jsonl")}


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="5800M", help="gen_corpus --size (5800M: ~10 M documents)")
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--kill-after", type=int, default=13, help="input saved when killed")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--gen", default=None, help="dupscan_gen_corpus (default: BUILD/bench/)")
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    args = ap.parse_args()
    dupscan = os.path.join(args.build_dir, "dupscan")
    gen = args.gen or os.path.join(args.build_dir, "bench", "dupscan_gen_corpus")
    work = os.path.join(args.work, "scale-" + args.size)
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(args.work, "short-%s-s11.jsonl" % args.size)
    if not os.path.exists(corpus):
        t = time.perf_counter()
        subprocess.run([gen, "--train", os.path.join(ROOT, "examples", "corpus.jsonl.gz"),
                        "--size", args.size, "--seed", "11", "--lengths", "short",
                        "--out", corpus + ".tmp", "--truth", corpus + ".truth"], check=True)
        os.rename(corpus + ".tmp", corpus)
        print("generated %s in %.0f s" % (corpus, time.perf_counter() - t), file=sys.stderr)
    inputs = split(corpus, args.files, work)
    base = [dupscan, "dedup", *inputs, "-q"]
    if args.threads:
        base += ["--threads", str(args.threads)]

    rows = {}

    def run(name, extra, env=None):
        out = fresh(os.path.join(work, name))
        secs, rss, _ = Child.run(base + ["-o", out] + extra, env=env)
        rep = json.load(open(os.path.join(out, "report.json")))
        rows[name] = {"seconds": secs, "cpu_s": Child.last_cpu, "peak_rss_mb": rss,
                      "spilled_mb": rep.get("memory", {}).get("spilled_bytes", 0) / 1e6,
                      "spill_runs": rep.get("memory", {}).get("spill_runs", 0),
                      "pass1_s": rep["timings_s"]["read_sketch"],
                      "lsh_s": rep["timings_s"]["lsh"]}
        print(name, json.dumps(rows[name]), file=sys.stderr)
        return out, rep

    ref, rep = run("unbounded", ["--no-resume"])
    bounded, _ = run("bounded", ["--memory", args.memory])
    if outputs(bounded) != outputs(ref):
        raise SystemExit("FAIL: the bounded run's outputs differ from the unbounded run's")

    # Killed once input --kill-after is saved, then the same command again.
    out = fresh(os.path.join(work, "killed"))
    env = dict(os.environ, DUPSCAN_TEST_FAULT="resume-part-saved-%d" % args.kill_after)
    t = time.perf_counter()
    p = subprocess.run(base + ["-o", out, "--memory", args.memory], env=env,
                       stderr=subprocess.PIPE)
    killed_s = time.perf_counter() - t
    if p.returncode != -9:
        raise SystemExit("FAIL: the run was not killed (exit %d)" % p.returncode)
    secs, rss, _ = Child.run(base + ["-o", out, "--memory", args.memory])
    resumed = json.load(open(os.path.join(out, "report.json")))
    if outputs(out) != outputs(ref):
        raise SystemExit("FAIL: the resumed run's outputs differ from the unbounded run's")
    rows["resumed"] = {"seconds": secs, "cpu_s": Child.last_cpu, "peak_rss_mb": rss,
                       "killed_after_s": killed_s,
                       "inputs_already_read": resumed["resume"]["inputs_already_read"],
                       "redone_s": killed_s + secs - rows["bounded"]["seconds"]}
    print("resumed", json.dumps(rows["resumed"]), file=sys.stderr)

    c = rep["counts"]
    result = {"machine": machine(), "corpus": corpus, "bytes": os.path.getsize(corpus),
              "documents": c["documents"], "removed": c["removed"], "files": args.files,
              "memory": args.memory, "runs": rows}
    print(json.dumps(result, indent=1))
    n = c["documents"]
    print("\n| run | wall s | CPU s | peak RSS MB | B/doc | spilled MB | runs |")
    print("|---|---|---|---|---|---|---|")
    for name in ("unbounded", "bounded", "resumed"):
        r = rows[name]
        print("| %s | %.1f | %.1f | %.0f | %.0f | %.0f | %s |" % (
            name, r["seconds"], r["cpu_s"], r["peak_rss_mb"], r["peak_rss_mb"] * 1e6 / n,
            r.get("spilled_mb", 0), r.get("spill_runs", "")))
    print("\nbounded / unbounded time: %.2fx; resumed after %d of %d inputs: %.1f s redone "
          "(one input is %.1f s of the bounded run)" % (
              rows["bounded"]["seconds"] / rows["unbounded"]["seconds"],
              rows["resumed"]["inputs_already_read"], args.files, rows["resumed"]["redone_s"],
              rows["bounded"]["seconds"] / args.files))


if __name__ == "__main__":
    main()
