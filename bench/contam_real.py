#!/usr/bin/env python3
"""`dupscan contam` on real benchmarks, each checked against an independent Python implementation
of the same rule (peers.py janitor: lm-eval's Janitor 13-grams, plus dupscan's rule for examples
of 8-12 words) -- the dirty examples must be the same ones.

    .venv/bin/python bench/contam_real.py [--data ../shared/data] [--skip-code]

Cases:
  gsm8k    GSM8K test (question; question+answer) against GSM8K train (question + answer as one
           document per problem): the train/test overlap of the benchmark itself.
  humaneval  HumanEval prompts against a code corpus built from the Python and C/C++ sources
           installed on this machine (bench/make_code_corpus.py; its size is printed, it differs
           between machines).
"""
import argparse
import gzip
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Child, machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def contam(dupscan, train, evals, out, id_field=None):
    cmd = [dupscan, "contam", "--train", train, "-o", out, "-q"]
    for e in evals:
        cmd += ["--eval", e]
    if id_field:
        cmd += ["--eval-id-field", id_field]
    Child.run(cmd)
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    rows = {}
    with open(os.path.join(out, "contamination.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.setdefault(r["benchmark"], []).append(r)
    return rep, rows


def janitor(train, eval_path, field):
    py = sys.executable
    _, _, out = Child.run([py, os.path.join(ROOT, "bench", "peers.py"), "janitor", train, "--eval",
                           eval_path, "--eval-field", field])
    return json.loads(out)


def table(case, rep, rows, refs):
    scan = rep["timings_s"]["scan"]
    mb = rep["train"]["text_bytes"] / 1e6
    print("\n%s: training %s, %d documents, %.1f MB of text, scan %.2f s (%.1f MB/s, %d threads)"
          % (case, os.path.basename(rep["train"]["inputs"][0]["path"]), rep["train"]["documents"], mb,
             scan, mb / scan, rep["threads"]))
    print("\n| benchmark | examples | judged | dirty | dirty % | coverage >= 0.8 | near dups | "
          "Python reference dirty | same examples |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    for b in rep["benchmarks"]:
        name = b["name"]
        got = [i for i, r in enumerate(rows[name]) if r["dirty"]]
        ref = refs[name]["dirty_lines"]
        same = got == ref
        ok &= same
        near = sum(1 for r in rows[name] if r.get("near_duplicates"))
        cov = sum(1 for r in rows[name] if r["judged"] and r["coverage"] >= 0.8)
        print("| %s | %d | %d | %d | %.2f | %d | %d | %d | %s |" % (
            name, b["total"], b["judged"], b["dirty"], 100.0 * b["dirty"] / max(b["total"], 1),
            cov, near, len(ref), "yes" if same else "NO: %s vs %s" % (got[:10], ref[:10])))
    for b in rep["benchmarks"]:
        for r in rows[b["name"]]:
            if r["dirty"] and r["matches"]:
                # A match is a span of the example's words (Janitor-normalized), [eval_start,
                # eval_end), and the training document it occurs in.
                m = r["matches"][0]
                print("- %s %s (coverage %.2f, %d words): words %d-%d (%d n-grams) in %s" % (
                    b["name"], r["id"], r["coverage"], r["words"], m["eval_start"],
                    m["eval_end"], m["ngrams"], m["train_id"]))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--skip-code", action="store_true", help="GSM8K only")
    args = ap.parse_args()
    dupscan = os.path.join(args.build_dir, "dupscan")
    os.makedirs(args.work, exist_ok=True)
    m = machine()
    print("# dupscan contam on real benchmarks, %s, %s (%d cores)" % (m["date"], m["cpu"],
                                                                      m["cores"]))
    ok = True

    # GSM8K test against GSM8K train.
    train = os.path.join(args.work, "gsm8k-train-qa.jsonl")
    with open(os.path.join(args.data, "gsm8k_train.jsonl"), encoding="utf-8") as src, \
            open(train, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            rec = json.loads(line)
            dst.write(json.dumps({"id": "train:%d" % (i + 1),
                                  "text": rec["question"] + "\n" + rec["answer"]}) + "\n")
    test = os.path.join(args.data, "gsm8k_test.jsonl")
    fields = {"gsm8k-q": "question", "gsm8k-qa": "question+answer"}
    rep, rows = contam(dupscan, train, ["%s=%s:%s" % (n, test, f) for n, f in fields.items()],
                       os.path.join(args.work, "contam-gsm8k"))
    refs = {n: janitor(train, test, f) for n, f in fields.items()}
    ok &= table("GSM8K test vs GSM8K train", rep, rows, refs)

    if not args.skip_code:
        code = os.path.join(args.work, "code.jsonl")
        if not os.path.exists(code):
            subprocess.check_call([sys.executable, os.path.join(ROOT, "bench",
                                                                "make_code_corpus.py"), code])
        he = os.path.join(args.work, "humaneval.jsonl")
        with gzip.open(os.path.join(args.data, "humaneval.jsonl.gz"), "rt",
                       encoding="utf-8") as src, open(he, "w", encoding="utf-8") as dst:
            dst.write(src.read())
        rep, rows = contam(dupscan, code, ["humaneval=%s:prompt" % he],
                           os.path.join(args.work, "contam-humaneval"), id_field="task_id")
        refs = {"humaneval": janitor(code, he, "prompt")}
        ok &= table("HumanEval prompts vs installed sources", rep, rows, refs)
    if not ok:
        print("\nFAILED: dupscan and the Python reference disagree")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
