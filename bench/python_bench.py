#!/usr/bin/env python3
"""The Python package against the CLI, on the same data, in one run; and its memory on a large
table in memory.

    scripts/test.sh (or: pip install . into .venv) && cmake --build build --target dupscan_gen_corpus
    .venv/bin/python bench/python_bench.py                   # 256 MB corpus, 1 GB memory check
    .venv/bin/python bench/python_bench.py --size 64M --memory-gb 0.25   # quick

Speed: a generated corpus (dupscan_gen_corpus, as bench/compare.py) is loaded once into a
pyarrow Table (not timed: the data is in memory, as a Dataset's or a DataFrame's is);
`dupscan.dedup(table, id="id")` is then timed against `dupscan dedup corpus.jsonl` (the command
the wheel installs, same compiler flags as the module; reading and parsing its JSONL is part of
its work), alternately, best of --repeat each, same thread count. Both must write the same
duplicates and clusters (the run fails otherwise).

Contam: --contam-examples documents of the corpus (every 10th from the start, so each is found)
become a benchmark file; `dupscan.contam(table, {"sample": file}, id="id")` is timed against
`dupscan contam --train corpus.jsonl --eval sample=file`, alternately, best of --repeat each.
Both must write the same contamination.jsonl (the run fails otherwise). 0: skipped.

Results: --results-docs short documents, each text twice (half the documents are duplicates, one
cluster of two per text), so that building the result tables (duplicates, clusters, the keep
mask) is a large part of the run: `dupscan.dedup(table, id="id")` against `dupscan dedup` on the
same rows as JSONL, best of --repeat each, same outputs. 0: skipped.

Memory: a table of --memory-gb GB of distinct synthetic documents (a large_string column built
in place) is deduplicated in a child process; its peak RSS (ru_maxrss) before and after the run
says what the run added: a copy of the text would add the text's size.
Timings never fail the run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * units[s[-1].upper()]) if s[-1].upper() in units else int(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="256M")
    ap.add_argument("--memory-gb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--contam-examples", type=int, default=2000)
    ap.add_argument("--results-docs", type=int, default=400000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    args = ap.parse_args()

    import pyarrow.json as pj

    import dupscan

    cli = os.path.join(os.path.dirname(sys.executable), "dupscan")
    gen = os.path.join(args.build_dir, "bench", "dupscan_gen_corpus")
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, "pycorpus-%s.jsonl" % args.size)
    if not os.path.exists(corpus):
        subprocess.run([gen, "--train", os.path.join(ROOT, "examples", "corpus.jsonl.gz"),
                        "--size", str(parse_size(args.size)), "--seed", "1", "--out", corpus,
                        "--truth", corpus + ".truth"], check=True)
    table = pj.read_json(corpus)
    text_mb = sum(len(t) for t in table.column("text").to_pylist()) / 1e6 if table.num_rows < 2e6 else 0
    print("corpus: %s, %d documents, %.1f MB of text, %d threads" % (
        os.path.relpath(corpus, ROOT), table.num_rows, text_mb, args.threads))

    r = time_against_cli(
        args, lambda: dupscan.dedup(table, id="id", threads=args.threads),
        [cli, "dedup", corpus, "-q", "--threads", str(args.threads)],
        {"duplicates.jsonl": "duplicates_jsonl", "clusters.jsonl": "clusters_jsonl"},
        "dupscan.dedup(pyarrow.Table) ", "dupscan dedup corpus.jsonl   ")
    print("outputs identical: duplicates %d, clusters %d" % (
        r.duplicates.num_rows, r.clusters.num_rows))

    if args.contam_examples > 0:
        bench_contam(args, cli, corpus, table)

    if args.results_docs > 0:
        bench_results(args, cli)

    if args.memory_gb > 0:
        script = textwrap.dedent(
            f"""
            import resource, sys, time
            sys.path.insert(0, {os.path.join(ROOT, 'tests', 'python')!r})
            from test_runtime import synthetic
            import dupscan
            texts = synthetic({int(args.memory_gb * 1024)})
            nbytes = texts.buffers()[2].size
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            t = time.perf_counter()
            r = dupscan.dedup(texts, threads={args.threads})
            t = time.perf_counter() - t
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            print(nbytes, len(texts), base, peak, t)
            """
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True).stdout.split()
        nbytes, docs, base, peak = map(int, out[:4])
        print("memory: %.2f GB of Arrow text (%d documents): peak RSS %.0f MB before the run, "
              "%.0f MB after it: the run added %.0f MB (%.1f%% of the text), %.1f s" % (
                  nbytes / 1e9, docs, base / 1e6, peak / 1e6, (peak - base) / 1e6,
                  100 * (peak - base) / nbytes, float(out[4])))


def time_against_cli(args, run_package, cli_argv, same, package_label, cli_label):
    """Runs the package (run_package()) and the CLI (cli_argv and -o DIR) in turn, args.repeat
    times each; fails unless every file of `same` (file name -> the package result's attribute
    holding its bytes) is equal on both sides; prints the best times and their ratio. Returns
    the package's result."""
    t_py, t_cli = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cli")
        for _ in range(args.repeat):
            start = time.perf_counter()
            r = run_package()
            t_py.append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run(cli_argv + ["-o", out], check=True)
            t_cli.append(time.perf_counter() - start)
            for name, attr in same.items():
                with open(os.path.join(out, name), "rb") as f:
                    if f.read() != getattr(r, attr):
                        raise SystemExit("FAIL: %s differs between the package and the CLI" % name)
    py, cl = min(t_py), min(t_cli)
    print("%s  %.2f s  (runs: %s)" % (package_label, py, ", ".join("%.2f" % t for t in t_py)))
    print("%s  %.2f s  (runs: %s)" % (cli_label, cl, ", ".join("%.2f" % t for t in t_cli)))
    print("package / CLI time: %.3f (%.1f%% %s)" % (py / cl, abs(py / cl - 1) * 100,
                                                   "faster" if py < cl else "slower"))
    return r


def bench_results(args, cli):
    import pyarrow as pa

    import dupscan

    n = args.results_docs // 2 * 2
    # Each text twice: rows i and i + n / 2.
    texts = ["text %d of the many short documents of this table" % (i % (n // 2))
             for i in range(n)]
    ids = ["doc-%08d" % i for i in range(n)]
    table = pa.table({"id": ids, "text": texts})
    path = os.path.join(args.work, "pyresults-%d.jsonl" % n)
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            for i, t in zip(ids, texts):
                f.write(json.dumps({"id": i, "text": t}) + "\n")
    r = time_against_cli(
        args, lambda: dupscan.dedup(table, id="id", threads=args.threads),
        [cli, "dedup", path, "-q", "--threads", str(args.threads)],
        {"duplicates.jsonl": "duplicates_jsonl"},
        "dupscan.dedup(pyarrow.Table) ", "dupscan dedup table.jsonl    ")
    print("results: %d documents, %d duplicates, %d clusters" % (
        n, r.duplicates.num_rows, r.clusters.num_rows))


def bench_contam(args, cli, corpus, table):
    import dupscan

    sample = os.path.join(args.work, "pysample-%s-%d.jsonl" % (args.size, args.contam_examples))
    if not os.path.exists(sample):
        rows = table.slice(0, args.contam_examples * 10).to_pylist()[::10]
        with open(sample, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
    r = time_against_cli(
        args, lambda: dupscan.contam(table, {"sample": sample}, id="id", threads=args.threads),
        [cli, "contam", "--train", corpus, "--eval", "sample=" + sample, "-q", "--no-resume",
         "--threads", str(args.threads)],
        {"contamination.jsonl": "contamination_jsonl"},
        "dupscan.contam(pyarrow.Table)", "dupscan contam corpus.jsonl  ")
    print("outputs identical: %d examples found of %d" % (r.examples.num_rows,
                                                         args.contam_examples))


if __name__ == "__main__":
    sys.exit(main())
