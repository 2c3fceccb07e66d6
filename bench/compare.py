#!/usr/bin/env python3
"""dupscan against datasketch and rensa, on one generated corpus, in one run.

    scripts/install-deps.sh --bench && scripts/build.sh
    .venv/bin/python bench/compare.py              # 200 MB corpus, peers on a 4 MB prefix
    .venv/bin/python bench/compare.py --short      # ~1-2 minutes on 2 cores (CI runs this)
    .venv/bin/python bench/compare.py --size 1G --peer-mb 20 --json out.json
    .venv/bin/python bench/compare.py --short --signatures-only   # per-scheme signatures, ~1 min

What it runs, all with K = 128, word 5-grams, threshold 0.8, seed 1 and the same bands x rows
(--bands/--rows, default 16 x 8: rensa needs bands to divide K, which datasketch's optimum 9 x 13
does not):

  dupscan        `dupscan dedup` end to end (read JSONL -> outputs written), --threads 1 with each
                 --scheme (affine32, the default; affine64; legacy) and --sketch fast, all threads
                 (default scheme), on the whole corpus; also with its default 9 x 13 bands.
  dupscan-sig    signatures alone per scheme (shingle hashing + MinHash + band keys, one thread,
                 fastest SIMD path), from bench/bench_sketch, on the peers' prefix; and the fast
                 sketch's.
  datasketch S   MinHash(scheme=S, the spec's xxh64 hashfunc) + MinHashLSH, keep-first streaming
                 loop, on a prefix (it runs at ~1-3 MB/s), for each scheme S: the same-scheme
                 peer of `dupscan --scheme S`.
  datasketch-sig S  datasketch signatures alone on pre-tokenized shingles, each scheme.
  dupscan-py     the dupscan Python package (pip install .) in a process of its own like the
                 peers: dupscan.dedup(list of texts) and dupscan.signatures(texts), default
                 scheme, on the prefix, the texts in memory as the peers' are, 1 thread, best of
                 3. The fair comparison with the Python peers (same input, same process model,
                 no JSONL read or output files); left out, with a message, when the package is
                 not installed in the Python that runs the peers.
  rensa          R-MinHash + RMinHashLSH one-shot flags on pre-tokenized shingles, timed as rensa's
                 own benchmark times it (tokenizing not counted); rensa-rho likewise with its
                 rho sketch; rensa-sig its signatures alone. Best of 3 runs each (their first
                 run can be half as fast), as dupscan-sketch is best of 10.

Ratios are of throughputs (MB/s of text) measured in this same run, so a noisy machine affects
both sides alike; the peers run on a prefix of the corpus, and the output says so.

Agreement, for each scheme against datasketch's same scheme (datasketch's MinHash of every
document of the prefix and of the first 2,000 documents of planted pairs): dupscan's signatures (--write-signatures --scheme S) must equal
datasketch's bit for bit, and every Jaccard that `dupscan dedup --no-verify --scheme S` reports
for a near duplicate must equal datasketch's MinHash.jaccard of the two signatures; dupscan must
give byte-identical outputs for 1 and N threads. Any failing makes the run fail (exit 1).
Kept-set Jaccard between dupscan (keep first, default scheme) and each peer's keep-first pass
(datasketch with its default scheme, affine32) is reported, not judged.

Targets (issue 17), printed with the ratios: whole dedup with the default scheme >= 100x
datasketch's loop with its default scheme (affine32), one thread each; --sketch fast end to end
>= 3x rensa's pipeline with its tokenizing timed; affine32 signatures >= rensa's R-MinHash
signatures and >= 2x dupscan's legacy ones.

Accuracy: for planted pairs of true Jaccard s (the generator's ground truth), the measured rate at
which they share a band, against the S-curve 1 - (1 - s^r)^b, for s in [0.5, 1.0]; and recall /
precision of dupscan's clusters against the ground truth.

Schemes: dupscan's signatures per permutation scheme (legacy, affine32, affine64: spec.hpp step 5;
shingle hashes + MinHash + band keys of normalized text, one thread, fastest SIMD path, from
bench_sketch's "sketch_scheme" rows) against datasketch's same scheme (datasketch-sig --scheme) and
rensa's R-MinHash signatures (rensa-sig), all in this run. --signatures-only runs just this part
(and rensa-sig) on the prefix: a minute, without the end-to-end runs.

--shingle-hash sha1 (datasketch's default construction, MinHash() with no hashfunc, hashes
shingles with SHA-1): per scheme, dupscan's signatures with SHA-1 shingle hashes ("dupscan-sig S
sha1", bench_sketch's "sketch_scheme_sha1" rows, SHA-NI where the CPU has it) against datasketch's
default construction ("datasketch-sig S default", peers.py --hashfunc default), and the cost of
sha1 against xxh64 in the same run: signatures per scheme (same SIMD path), one hash function over
every shingle ("shingle_hash_fn": xxh64, SHA-1 scalar, SHA-1 SHA-NI), and (not with
--signatures-only) whole dedup, one thread, on the corpus, against datasketch's keep-first loop with
its default construction ("datasketch affine32 default"). Agreement: dupscan's --shingle-hash sha1
signatures and --no-verify estimates must equal datasketch's default construction's, every scheme,
on the prefix and the first documents of planted pairs (also with --signatures-only).

Timings never fail the run.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAMILY = re.compile(r"~\d+$")


def parse_size(s):
    m = re.fullmatch(r"([0-9.]+)([KMG]?)", s)
    if not m:
        raise SystemExit("bad size: " + s)
    return int(float(m.group(1)) * {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}[m.group(2)])


class Child:
    """subprocess with its own peak RSS and CPU time (os.wait4)."""

    last_cpu = None  # user + system seconds of the last child

    @staticmethod
    def run(cmd, env=None):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out = p.stdout.read()
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        Child.last_cpu = ru.ru_utime + ru.ru_stime
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.stderr.write(err.decode(errors="replace"))
            raise SystemExit("failed (exit %d): %s" % (p.returncode, " ".join(cmd)))
        return seconds, ru.ru_maxrss / 1024.0, out.decode()


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = "none"
    if shutil.which("nvidia-smi"):
        try:
            gpu = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                                 timeout=10).stdout.strip() or "none"
        except Exception:
            pass
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "gpu": gpu, "python": platform.python_version()}


def versions():
    out = {}
    for mod in ("datasketch", "rensa", "numpy", "xxhash"):
        try:
            from importlib.metadata import version
            out[mod] = version(mod)
        except Exception:
            out[mod] = "?"
    return out


def prefix_file(corpus, mb, path):
    """The first lines of corpus holding at least mb MB of text."""
    if os.path.exists(path):
        return path
    limit = mb * 1e6
    n = 0
    with open(corpus, encoding="utf-8") as src, open(path + ".tmp", "w", encoding="utf-8") as dst:
        for line in src:
            dst.write(line)
            n += len(json.loads(line)["text"].encode())
            if n >= limit:
                break
    os.replace(path + ".tmp", path)
    return path


def text_bytes(path):
    n = docs = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            n += len(json.loads(line)["text"].encode())
            docs += 1
    return n, docs


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def kept_ids(out_dir, corpus):
    removed = {r["id"] for r in read_jsonl(os.path.join(out_dir, "duplicates.jsonl"))}
    ids = [r["id"] for r in read_jsonl(corpus)]
    return {i for i in ids if i not in removed}


def jaccard(a, b):
    return len(a & b) / len(a | b) if a | b else 1.0


def s_curve(truth, sigs, bands, rows):
    """Measured vs theoretical candidate rate of planted pairs, by true-Jaccard bin."""
    bins = {}
    for t in truth:
        s = t["jaccard"]
        if s < 0.5 or t["id"] not in sigs or t["of"] not in sigs:
            continue
        a, b = sigs[t["id"]], sigs[t["of"]]
        if not a or not b:
            continue
        cand = any(a[j * rows:(j + 1) * rows] == b[j * rows:(j + 1) * rows] for j in range(bands))
        key = min(int(s * 20) / 20.0, 0.95)
        e = bins.setdefault(key, [0, 0, 0.0])
        e[0] += 1
        e[1] += cand
        e[2] += 1 - (1 - s ** rows) ** bands
    return [{"s": k, "pairs": v[0], "measured": v[1] / v[0], "theory": v[2] / v[0]}
            for k, v in sorted(bins.items())]


def cluster_quality(out_dir, truth, present, threshold):
    """Recall: planted pairs (both present) with true Jaccard >= threshold whose two documents
    ended in one cluster. Precision: removed documents whose kept document is of the same planted
    family (an original and its copies)."""
    cluster = {}
    for c in read_jsonl(os.path.join(out_dir, "clusters.jsonl")):
        for m in c["members"]:
            cluster[m] = c["cluster"]
    pos = found = 0
    for t in truth:
        if t["jaccard"] >= threshold and t["id"] in present and t["of"] in present:
            pos += 1
            found += t["id"] in cluster and cluster.get(t["id"]) == cluster.get(t["of"])
    removed = read_jsonl(os.path.join(out_dir, "duplicates.jsonl"))
    same = sum(1 for r in removed
               if FAMILY.sub("", r["id"]) == FAMILY.sub("", r["duplicate_of"]))
    return {"recall_pairs": pos, "recall": found / pos if pos else None,
            "removed": len(removed), "precision": same / len(removed) if removed else None}


SCHEMES = ("legacy", "affine32", "affine64")
DEFAULT_SCHEME = "affine32"  # dupscan's and datasketch 2.0's
# Documents of planted pairs (in corpus order) on which each scheme's signatures and --no-verify
# estimates are compared with datasketch's, besides the prefix.
AGREEMENT_PAIR_DOCS = 2000


def scheme_rows(sketch, peer, prefix_bytes, prefix_docs):
    """Per-scheme signature rows and their same-run ratios. `sketch` holds bench_sketch's rows;
    `peer(engine, scheme)` runs bench/peers.py and returns its JSON. Returns (rows, ratios)."""
    rows, ratios, ours = [], {}, {}
    for scheme in SCHEMES:
        mine = [r for r in sketch if r["what"] == "sketch_scheme" and r["scheme"] == scheme]
        alone = [r for r in sketch if r["what"] == "minhash_scheme" and r["scheme"] == scheme]
        best = mine[-1]  # the fastest SIMD path is listed last
        ours[scheme] = best["mshingles_per_s"] * 1e6
        rows.append({"engine": "dupscan-sig %s (%s)" % (scheme, best["path"]),
                     "seconds": best["seconds"], "mb": prefix_bytes / 1e6, "docs": prefix_docs,
                     "peak_mb": None, "shingles_per_s": ours[scheme],
                     "note": "prefix, shingle hashes + %s MinHash + band keys, 1 thread; MinHash "
                     "alone %.1f M shingles/s" % (scheme, alone[-1]["mshingles_per_s"])})
        r = peer("datasketch-sig", scheme)
        rows.append({"engine": "datasketch-sig %s" % scheme, "seconds": r["seconds"],
                     "mb": prefix_bytes / 1e6, "docs": r["docs"], "peak_mb": None,
                     "shingles_per_s": r["shingles"] / r["seconds"],
                     "note": "prefix, MinHash(scheme=%r).update_batch of pre-tokenized shingles"
                     % scheme})
        ratios["%s_signatures_vs_datasketch_%s" % (scheme, scheme)] = (
            ours[scheme] / rows[-1]["shingles_per_s"])
    r = peer("rensa-sig", None)
    rensa = r["shingles"] / r["seconds"]
    for scheme in SCHEMES:
        ratios["%s_signatures_vs_rensa_rminhash" % scheme] = ours[scheme] / rensa
    ratios["affine32_signatures_vs_dupscan_legacy"] = ours["affine32"] / ours["legacy"]
    ratios["affine64_signatures_vs_dupscan_legacy"] = ours["affine64"] / ours["legacy"]
    return rows, ratios, {"engine": "rensa-sig", "seconds": r["seconds"],
                          "mb": prefix_bytes / 1e6, "docs": r["docs"], "peak_mb": None,
                          "shingles_per_s": rensa,
                          "note": "prefix, R-MinHash signatures of prepared tokens, best of "
                          "several runs"}


def sha1_rows(sketch, peer, prefix_bytes, prefix_docs):
    """--shingle-hash sha1: per scheme, dupscan's signatures with SHA-1 shingle hashes against
    datasketch's default construction (no hashfunc: SHA-1) and against dupscan's own xxh64
    signatures of the same SIMD path; one hash function over every shingle. Returns (rows,
    ratios)."""
    rows, ratios = [], {}
    for fn in [r for r in sketch if r["what"] == "shingle_hash_fn"]:
        rows.append({"engine": "dupscan shingle hash %s (%s)" % (fn["fn"], fn["path"]),
                     "seconds": fn["seconds"], "mb": prefix_bytes / 1e6, "docs": prefix_docs,
                     "peak_mb": None, "shingles_per_s": fn["mshingles_per_s"] * 1e6,
                     "note": "prefix, one hash of every word 5-gram (enumeration included), "
                     "1 thread"})
    xx = [r for r in sketch if r["what"] == "shingle_hash_fn" and r["fn"] == "xxh64"]
    for fn in [r for r in sketch if r["what"] == "shingle_hash_fn" and r["fn"] == "sha1"]:
        ratios["sha1_%s_hash_cost_vs_xxh64" % fn["path"]] = (
            xx[0]["mshingles_per_s"] / fn["mshingles_per_s"])
    for scheme in SCHEMES:
        sha1 = [r for r in sketch if r["what"] == "sketch_scheme_sha1" and r["scheme"] == scheme]
        if not sha1:
            continue  # a bench_sketch built before --shingle-hash
        sha1 = sha1[-1]
        xxh = [r for r in sketch if r["what"] == "sketch_scheme" and r["scheme"] == scheme
               and r["path"] == sha1["path"]][-1]
        ours = sha1["mshingles_per_s"] * 1e6
        rows.append({"engine": "dupscan-sig %s sha1 (%s, %s)" % (scheme, sha1["path"],
                                                               sha1["sha1_path"]),
                     "seconds": sha1["seconds"], "mb": prefix_bytes / 1e6, "docs": prefix_docs,
                     "peak_mb": None, "shingles_per_s": ours,
                     "note": "prefix, SHA-1 shingle hashes + %s MinHash + band keys, 1 thread"
                     % scheme})
        ratios["%s_sha1_signatures_cost_vs_xxh64" % scheme] = (
            xxh["mshingles_per_s"] * 1e6 / ours)
        r = peer("datasketch-sig", scheme, "default")
        rows.append({"engine": "datasketch-sig %s default" % scheme, "seconds": r["seconds"],
                     "mb": prefix_bytes / 1e6, "docs": r["docs"], "peak_mb": None,
                     "shingles_per_s": r["shingles"] / r["seconds"],
                     "note": "prefix, MinHash(scheme=%r) with no hashfunc (SHA-1).update_batch "
                     "of pre-tokenized shingles" % scheme})
        ratios["%s_sha1_signatures_vs_datasketch_default_%s" % (scheme, scheme)] = (
            ours / rows[-1]["shingles_per_s"])
    return rows, ratios


def sha1_agreement(dupscan, py, peers, work, inputs, band_args, failures):
    """dupscan --shingle-hash sha1 --scheme S: signatures and --no-verify estimates against
    datasketch's default construction (peers.py dump --hashfunc default), for every scheme, on
    each (name, path) of `inputs`. Appends to `failures`; returns the counts per scheme."""
    agreement = {}
    for scheme in SCHEMES:
        docs = same = near_n = near_same = 0
        for name, inp in inputs:
            sig_path = os.path.join(work, "%s-signatures-%s-sha1.jsonl" % (name, scheme))
            nv = os.path.join(work, "out-%s-noverify-%s-sha1" % (name, scheme))
            shutil.rmtree(nv, ignore_errors=True)
            Child.run([dupscan, "dedup", inp, "-o", nv, "-q", "--write-signatures", sig_path,
                       "--no-verify", "--threads", "1", "--scheme", scheme, "--shingle-hash",
                       "sha1"] + band_args)
            dump = os.path.join(work, "datasketch-%s-%s-default.jsonl" % (name, scheme))
            Child.run([py, peers, "dump", inp, "--dump-signatures", "1000000000", "--dump", dump,
                       "--scheme", scheme, "--hashfunc", "default"])
            ours = {r["id"]: r for r in read_jsonl(sig_path)}
            theirs = {r["id"]: r for r in read_jsonl(dump)}
            mismatched = [i for i, t in theirs.items() if ours[i]["signature"] != t["signature"]
                          or ours[i]["shingles"] != t["shingles"]]
            if mismatched or len(ours) != len(theirs):
                failures.append("%s sha1, %s: signatures differ from datasketch's default "
                                "construction for %d of %d documents (first: %s)" % (
                                    scheme, name, len(mismatched), len(theirs),
                                    (mismatched or ["?"])[0]))
            near = [d for d in read_jsonl(os.path.join(nv, "duplicates.jsonl"))
                    if d["kind"] == "near"]
            wrong = [d["id"] for d in near if d["jaccard"] != sum(
                x == y for x, y in zip(theirs[d["id"]]["signature"],
                                       theirs[d["duplicate_of"]]["signature"])) / 128.0]
            if wrong:
                failures.append("%s sha1, %s: --no-verify estimates differ from datasketch's "
                                "default construction for %d of %d near duplicates" % (
                                    scheme, name, len(wrong), len(near)))
            docs += len(theirs)
            same += len(theirs) - len(mismatched)
            near_n += len(near)
            near_same += len(near) - len(wrong)
        agreement[scheme + "_sha1_vs_datasketch_default"] = {
            "signatures_identical": "%d/%d" % (same, docs),
            "no_verify_estimates_identical": "%d/%d" % (near_same, near_n)}
    return agreement


def print_rows(rows):
    print("| engine | MB of text | seconds | CPU s | MB/s | docs/s | M shingles/s | peak MB | "
          "what is timed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        sh = "%.2f" % (r["shingles_per_s"] / 1e6) if r.get("shingles_per_s") else ""
        pk = "%.0f" % r["peak_mb"] if r.get("peak_mb") else ""
        cpu = "%.3f" % r["cpu_seconds"] if r.get("cpu_seconds") else ""
        print("| %s | %.1f | %.3f | %s | %.2f | %.0f | %s | %s | %s |" % (
            r["engine"], r["mb"], r["seconds"], cpu, r["mb"] / r["seconds"],
            r["docs"] / r["seconds"], sh, pk, r["note"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="small run for CI (~1-2 minutes)")
    ap.add_argument("--size", default="200M", help="corpus size in text bytes (10M .. 10G)")
    ap.add_argument("--peer-mb", type=float, default=4.0, help="prefix the Python peers run on")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bands", type=int, default=16)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--json", help="write all figures here too")
    ap.add_argument("--signatures-only", action="store_true",
                    help="only the per-scheme signature rows (dupscan, datasketch, rensa)")
    args = ap.parse_args()
    if args.short:
        args.size, args.peer_mb = "40M", 2.0

    dupscan = os.path.join(args.build_dir, "dupscan")
    gen = os.path.join(args.build_dir, "bench", "dupscan_gen_corpus")
    bench_sketch = os.path.join(args.build_dir, "bench", "dupscan_bench_sketch")
    for exe in (dupscan, gen, bench_sketch):
        if not os.access(exe, os.X_OK):
            raise SystemExit("missing %s: run scripts/build.sh first" % exe)
    os.makedirs(args.work, exist_ok=True)
    size = parse_size(args.size)
    threads = os.cpu_count() or 1
    py = sys.executable
    peers = os.path.join(ROOT, "bench", "peers.py")

    # ---- corpus ---------------------------------------------------------------------------
    tag = "%s-s%d" % (args.size, args.seed)
    corpus = os.path.join(args.work, "corpus-%s.jsonl" % tag)
    truth_path = os.path.join(args.work, "truth-%s.jsonl" % tag)
    if not (os.path.exists(corpus) and os.path.exists(truth_path)):
        print("generating %s ..." % corpus, file=sys.stderr)
        Child.run([gen, "--train", os.path.join(ROOT, "examples", "corpus.jsonl.gz"), "--size",
                   str(size), "--seed", str(args.seed), "--out", corpus, "--truth", truth_path])
    truth = read_jsonl(truth_path)
    # One pass over the corpus: its size, its ids, and the documents of planted pairs (whose
    # signatures the accuracy section needs; copies lie up to 5,000 documents after originals).
    wanted = {t["id"] for t in truth} | {t["of"] for t in truth}
    pairs_file = os.path.join(args.work, "pairs-%s.jsonl" % tag)
    corpus_bytes = corpus_docs = 0
    present = set()
    with open(corpus, encoding="utf-8") as src, open(pairs_file, "w", encoding="utf-8") as dst:
        for line in src:
            rec = json.loads(line)
            corpus_bytes += len(rec["text"].encode())
            corpus_docs += 1
            present.add(rec["id"])
            if rec["id"] in wanted:
                dst.write(line)
    prefix = prefix_file(corpus, args.peer_mb, os.path.join(
        args.work, "prefix-%s-%gMB.jsonl" % (tag, args.peer_mb)))
    prefix_bytes, prefix_docs = text_bytes(prefix)
    info = {"machine": machine(), "versions": versions(), "corpus": {
        "path": os.path.relpath(corpus, ROOT), "text_bytes": corpus_bytes, "docs": corpus_docs,
        "planted": len(truth), "prefix_text_bytes": prefix_bytes, "prefix_docs": prefix_docs},
        "params": {"num_perm": 128, "shingle": "word:5", "threshold": 0.8, "seed": 1,
                   "bands": args.bands, "rows": args.rows}}
    rows = []
    failures = []

    def peer(engine, scheme, hashfunc=None):
        # Best of 3 for rensa (as below); --signatures-only, whose rows are all it measures, takes
        # the best of 10 rensa runs and 3 datasketch runs (the development VMs are shared).
        repeat = (10 if engine.startswith("rensa") else 3) if args.signatures_only else (
            3 if engine.startswith("rensa") else 1)
        cmd = [py, peers, engine, prefix, "--repeat", str(repeat)]
        if scheme:
            cmd += ["--scheme", scheme]
        if hashfunc:
            cmd += ["--hashfunc", hashfunc]
        return json.loads(Child.run(cmd)[2])

    band_args = ["--bands", str(args.bands), "--rows", str(args.rows)]
    # Agreement runs on the prefix and on the first documents of planted pairs (the prefix holds
    # few near duplicates: copies lie up to 5,000 documents after their originals).
    sample = os.path.join(args.work, "pairs-sample-%s.jsonl" % tag)
    with open(pairs_file, encoding="utf-8") as src, open(sample, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= AGREEMENT_PAIR_DOCS:
                break
            dst.write(line)
    if args.signatures_only:
        _, _, sk = Child.run([bench_sketch, prefix, "--repeat", "10"])
        sketch = [json.loads(l) for l in sk.splitlines()]
        srows, sratios, rensa_row = scheme_rows(sketch, peer, prefix_bytes, prefix_docs)
        hrows, hratios = sha1_rows(sketch, peer, prefix_bytes, prefix_docs)
        srows += hrows
        sratios.update(hratios)
        failures = []
        sagree = sha1_agreement(dupscan, py, peers, args.work,
                                [("prefix", prefix), ("pairs", sample)], band_args, failures)
        m = info["machine"]
        print("\n# dupscan signatures per scheme, %s, %s (%d cores)" % (m["date"], m["cpu"],
                                                                       m["cores"]))
        print("prefix: %.1f MB of text, %d docs; K=128, word:5, seed 1; versions %s\n" % (
            prefix_bytes / 1e6, prefix_docs, json.dumps(info["versions"])))
        print_rows(srows + [rensa_row])
        print("\nratios (throughput, same run; *_cost_vs_xxh64: how many times slower sha1 is):")
        for k, v in sratios.items():
            print("  %-45s %8.2f x" % (k, v))
        print("\nagreement, --shingle-hash sha1 vs datasketch's default construction: %s"
              % json.dumps(sagree))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({**info, "rows": srows + [rensa_row], "ratios": sratios,
                           "agreement": sagree, "failures": failures}, f, indent=1)
        if failures:
            print("\nFAILED: " + "; ".join(failures))
            return 1
        return 0

    def dedup(name, inp, out, extra, nbytes, ndocs, note):
        shutil.rmtree(out, ignore_errors=True)
        secs, rss, _ = Child.run([dupscan, "dedup", inp, "-o", out, "-q"] + extra)
        rows.append({"engine": name, "seconds": secs, "cpu_seconds": Child.last_cpu,
                     "mb": nbytes / 1e6, "docs": ndocs, "peak_mb": rss, "note": note})
        return out

    # ---- dupscan, whole corpus ------------------------------------------------------------
    one_thread = {}
    for scheme in SCHEMES:
        one_thread[scheme] = dedup(
            "dupscan --threads 1 --scheme %s" % scheme, corpus,
            os.path.join(args.work, "out-t1-%s" % scheme),
            band_args + ["--threads", "1", "--backend", "cpu", "--scheme", scheme], corpus_bytes,
            corpus_docs, "whole corpus, end to end" + (" (the default scheme)"
                                                       if scheme == DEFAULT_SCHEME else ""))
    d1 = one_thread[DEFAULT_SCHEME]
    dedup("dupscan --threads 1 --shingle-hash sha1", corpus, os.path.join(args.work, "out-t1-sha1"),
          band_args + ["--threads", "1", "--backend", "cpu", "--shingle-hash", "sha1"],
          corpus_bytes, corpus_docs, "whole corpus, end to end, default scheme, SHA-1 shingle "
          "hashes (datasketch's default construction)")
    dn = dedup("dupscan --threads %d" % threads, corpus, os.path.join(args.work, "out-tn"),
               band_args + ["--threads", str(threads), "--backend", "cpu"], corpus_bytes,
               corpus_docs, "whole corpus, end to end, default scheme")
    df = dedup("dupscan --sketch fast --threads 1", corpus, os.path.join(args.work, "out-fast"),
               band_args + ["--threads", "1", "--backend", "cpu", "--sketch", "fast"],
               corpus_bytes, corpus_docs, "whole corpus, end to end, OPH sketch")
    dd = dedup("dupscan (9 x 13 default)", corpus, os.path.join(args.work, "out-default"),
               ["--threads", str(threads), "--backend", "cpu"], corpus_bytes, corpus_docs,
               "whole corpus, default bands")
    for f in ("duplicates.jsonl", "clusters.jsonl"):
        with open(os.path.join(d1, f), "rb") as a, open(os.path.join(dn, f), "rb") as b:
            if a.read() != b.read():
                failures.append("dupscan %s differs between 1 and %d threads" % (f, threads))

    # ---- dupscan and peers on the prefix --------------------------------------------------
    dp = os.path.join(args.work, "out-prefix")
    shutil.rmtree(dp, ignore_errors=True)
    Child.run([dupscan, "dedup", prefix, "-o", dp, "-q", "--threads", "1"] + band_args)
    dedup("dupscan --threads 1 (prefix)", prefix, os.path.join(args.work, "out-prefix-t1"),
          band_args + ["--threads", "1"], prefix_bytes, prefix_docs,
          "prefix, end to end, default scheme")
    _, _, sk = Child.run([bench_sketch, prefix, "--repeat", "10"])
    sketch = [json.loads(l) for l in sk.splitlines()]
    fast_row = [r for r in sketch if r["what"] == "sketch" and r["path"] == "fast"][0]
    rows.append({"engine": "dupscan-sig fast", "seconds": fast_row["seconds"],
                 "mb": prefix_bytes / 1e6, "docs": prefix_docs, "peak_mb": None,
                 "shingles_per_s": fast_row["mshingles_per_s"] * 1e6,
                 "note": "prefix, OPH signatures + band keys of normalized text, 1 thread"})

    peer_rows = {}
    engines = ([("datasketch", s) for s in SCHEMES] + [("datasketch-default", DEFAULT_SCHEME)] +
               [("rensa", None), ("rensa-rho", None), ("rensa-sig", None)])
    have_package = subprocess.run([py, "-c", "import dupscan"], capture_output=True).returncode == 0
    if have_package:
        engines += [("dupscan-py", DEFAULT_SCHEME), ("dupscan-py-sig", DEFAULT_SCHEME)]
    else:
        print("the dupscan package is not installed in %s (pip install .): no dupscan-py rows"
              % py, file=sys.stderr)
    for engine, scheme in engines:
        name = "%s %s" % (engine, scheme) if scheme else engine
        kept = os.path.join(args.work, "kept-%s.txt" % name.replace(" ", "-"))
        # rensa takes a fraction of a second on the prefix: best of 3, like dupscan's sketch
        # rows (best of 10); datasketch's runs take seconds and run once.
        repeat = "3" if engine.startswith(("rensa", "dupscan")) else "1"
        cmd = [py, peers, engine.replace("-default", ""), prefix, "--kept", kept, "--bands",
               str(args.bands), "--rows", str(args.rows), "--repeat", repeat]
        if engine == "datasketch-default":
            cmd += ["--hashfunc", "default"]
            name = "datasketch %s default" % scheme
        if scheme:
            cmd += ["--scheme", scheme]
        secs, rss, out = Child.run(cmd)
        r = json.loads(out)
        row = {"engine": name, "seconds": r["seconds"], "wall": secs, "mb": prefix_bytes / 1e6,
               "docs": r["docs"], "peak_mb": rss, "shingles_per_s": r["shingles"] / r["seconds"],
               "note": {"datasketch": "prefix, read+tokenize+MinHash(scheme=%r)+LSH loop"
                                      % scheme,
                        "datasketch-default": "prefix, read+tokenize+MinHash(scheme=%r), no "
                                              "hashfunc (SHA-1)+LSH loop" % scheme,
                        "rensa": "prefix, sketch + one-shot LSH (tokens prepared, not timed), "
                                 "best of 3",
                        "rensa-rho": "prefix, rho sketch + one-shot LSH (tokens not timed), "
                                     "best of 3",
                        "rensa-sig": "prefix, R-MinHash signatures of prepared tokens, "
                                     "best of 3",
                        "dupscan-py": "prefix, dupscan.dedup(list of str) in process, verified, "
                                      "1 thread, best of 3",
                        "dupscan-py-sig": "prefix, dupscan.signatures(list of str), shingling "
                                          "included, 1 thread, best of 3"}[engine]}
        for k in ("tokenize_seconds", "cpu_seconds", "tokenize_cpu_seconds"):
            if k in r:
                row[k] = r[k]
        if os.path.exists(kept) and (name == "datasketch " + DEFAULT_SCHEME or
                                     engine in ("rensa", "dupscan-py")):
            row["kept_ids"] = kept
        rows.append(row)
        peer_rows[name] = row

    srows, sratios, _ = scheme_rows(sketch, peer, prefix_bytes, prefix_docs)
    rows.extend(srows)
    hrows, hratios = sha1_rows(sketch, peer, prefix_bytes, prefix_docs)
    rows.extend(hrows)
    sratios.update(hratios)

    # ---- agreement, each scheme against datasketch's same scheme ----------------------------
    # On the prefix, and on the first documents of planted pairs (`sample`, above).
    agreement = {}
    for scheme in SCHEMES:
        docs = same = near_n = near_same = 0
        for name, inp in (("prefix", prefix), ("pairs", sample)):
            sig_path = os.path.join(args.work, "%s-signatures-%s.jsonl" % (name, scheme))
            nv = os.path.join(args.work, "out-%s-noverify-%s" % (name, scheme))
            shutil.rmtree(nv, ignore_errors=True)
            Child.run([dupscan, "dedup", inp, "-o", nv, "-q", "--write-signatures", sig_path,
                       "--no-verify", "--threads", "1", "--scheme", scheme] + band_args)
            dump = os.path.join(args.work, "datasketch-%s-%s.jsonl" % (name, scheme))
            Child.run([py, peers, "dump", inp, "--dump-signatures", "1000000000", "--dump", dump,
                       "--scheme", scheme])
            ours = {r["id"]: r for r in read_jsonl(sig_path)}
            theirs = {r["id"]: r for r in read_jsonl(dump)}
            mismatched = [i for i, t in theirs.items() if ours[i]["signature"] != t["signature"]
                          or ours[i]["shingles"] != t["shingles"]]
            if mismatched or len(ours) != len(theirs):
                failures.append("%s, %s: datasketch signatures differ for %d of %d documents "
                                "(first: %s)" % (scheme, name, len(mismatched), len(theirs),
                                                 (mismatched or ["?"])[0]))
            # MinHash.jaccard: the share of the K positions where datasketch's signatures agree.
            near = [d for d in read_jsonl(os.path.join(nv, "duplicates.jsonl"))
                    if d["kind"] == "near"]
            wrong = [d["id"] for d in near if d["jaccard"] != sum(
                x == y for x, y in zip(theirs[d["id"]]["signature"],
                                       theirs[d["duplicate_of"]]["signature"])) / 128.0]
            if wrong:
                failures.append("%s, %s: --no-verify estimates differ from datasketch's for %d "
                                "of %d near duplicates (first: %s)" % (
                                    scheme, name, len(wrong), len(near), wrong[0]))
            docs += len(theirs)
            same += len(theirs) - len(mismatched)
            near_n += len(near)
            near_same += len(near) - len(wrong)
        agreement[scheme] = {"signatures_identical": "%d/%d" % (same, docs),
                             "no_verify_estimates_identical": "%d/%d" % (near_same, near_n)}
    agreement.update(sha1_agreement(dupscan, py, peers, args.work,
                                    [("prefix", prefix), ("pairs", sample)], band_args, failures))
    dupscan_kept = kept_ids(dp, prefix)
    for name in ("datasketch " + DEFAULT_SCHEME, "rensa"):
        with open(peer_rows[name]["kept_ids"]) as f:
            agreement["kept_jaccard_vs_" + name.replace(" ", "_")] = jaccard(
                dupscan_kept, {l.strip() for l in f})

    # ---- accuracy --------------------------------------------------------------------------
    # Signatures of every document in a planted pair, from --write-signatures runs on just those.
    accuracy = {}
    for kind in ("compat", "fast"):
        pair_sigs = os.path.join(args.work, "pairs-signatures-%s.jsonl" % kind)
        Child.run([dupscan, "dedup", pairs_file, "-o", os.path.join(args.work, "out-pairs"), "-q",
                   "--no-verify", "--sketch", kind, "--write-signatures", pair_sigs] + band_args)
        sigs = {r["id"]: r["signature"] for r in read_jsonl(pair_sigs)}
        accuracy["s_curve_%s_%dx%d" % (kind, args.bands, args.rows)] = s_curve(
            truth, sigs, args.bands, args.rows)
        if kind == "compat":
            accuracy["s_curve_compat_9x13"] = s_curve(truth, sigs, 9, 13)
        errs = [abs(sum(x == y for x, y in zip(sigs[t["id"]], sigs[t["of"]])) / 128.0 -
                    t["jaccard"]) for t in truth if t["id"] in sigs and t["of"] in sigs]
        accuracy["estimate_mean_abs_error_" + kind] = sum(errs) / len(errs) if errs else None
    accuracy["clusters_compat_%dx%d" % (args.bands, args.rows)] = cluster_quality(
        dn, truth, present, 0.8)
    accuracy["clusters_fast_%dx%d" % (args.bands, args.rows)] = cluster_quality(
        df, truth, present, 0.8)
    accuracy["clusters_compat_9x13"] = cluster_quality(dd, truth, present, 0.8)

    # ---- report ----------------------------------------------------------------------------
    for r in rows:
        r["mb_per_s"] = r["mb"] / r["seconds"]
        r["docs_per_s"] = r["docs"] / r["seconds"]
    by = {r["engine"]: r for r in rows}
    one = by["dupscan --threads 1 --scheme %s" % DEFAULT_SCHEME]["mb_per_s"]
    fast = by["dupscan --sketch fast --threads 1"]["mb_per_s"]
    rensa_tok = by["rensa"]["mb"] / (by["rensa"]["seconds"] + by["rensa"]["tokenize_seconds"])
    ratios = {}
    for scheme in SCHEMES:
        ratios["dedup_1thread_%s_vs_datasketch_loop_%s" % (scheme, scheme)] = (
            by["dupscan --threads 1 --scheme %s" % scheme]["mb_per_s"]
            / by["datasketch %s" % scheme]["mb_per_s"])
    ratios.update({
        "dedup_1thread_vs_rensa_as_benchmarked": one / by["rensa"]["mb_per_s"],
        "dedup_1thread_vs_rensa_rho_as_benchmarked": one / by["rensa-rho"]["mb_per_s"],
        "dedup_1thread_vs_rensa_with_tokenizing": one / rensa_tok,
        "fast_dedup_1thread_vs_rensa_with_tokenizing": fast / rensa_tok,
        "fast_dedup_1thread_vs_rensa_as_benchmarked": fast / by["rensa"]["mb_per_s"],
        "fast_dedup_1thread_vs_datasketch_loop_%s" % DEFAULT_SCHEME:
        fast / by["datasketch %s" % DEFAULT_SCHEME]["mb_per_s"],
        "fast_signatures_vs_rensa_rminhash": by["dupscan-sig fast"]["shingles_per_s"]
        / by["rensa-sig"]["shingles_per_s"],
        "threads_%d_vs_1" % threads: by["dupscan --threads %d" % threads]["mb_per_s"] / one,
        # --shingle-hash sha1: how many times slower than xxh64, and against datasketch's loop
        # with its default construction (SHA-1 too).
        "dedup_1thread_sha1_cost_vs_xxh64": one
        / by["dupscan --threads 1 --shingle-hash sha1"]["mb_per_s"],
        "dedup_1thread_sha1_vs_datasketch_loop_default_%s" % DEFAULT_SCHEME:
        by["dupscan --threads 1 --shingle-hash sha1"]["mb_per_s"]
        / by["datasketch %s default" % DEFAULT_SCHEME]["mb_per_s"],
        **sratios,
    })
    # The same two end-to-end ratios per CPU second (user + system) instead of per wall second:
    # the development VMs are shared, and another job's load lengthens wall time, not CPU time.
    def per_cpu(name):
        return by[name]["mb"] / by[name]["cpu_seconds"]
    dd = "datasketch %s" % DEFAULT_SCHEME
    ratios["dedup_1thread_%s_vs_datasketch_loop_%s_cpu_time" % (DEFAULT_SCHEME, DEFAULT_SCHEME)] = (
        per_cpu("dupscan --threads 1 --scheme %s" % DEFAULT_SCHEME) / per_cpu(dd))
    ratios["fast_dedup_1thread_vs_rensa_with_tokenizing_cpu_time"] = (
        per_cpu("dupscan --sketch fast --threads 1") / (by["rensa"]["mb"] / (
            by["rensa"]["cpu_seconds"] + by["rensa"]["tokenize_cpu_seconds"])))
    package = "dupscan-py %s" % DEFAULT_SCHEME
    if package in by:
        # The package in process against the peers in process, on the same prefix.
        py_one = by[package]["mb_per_s"]
        ratios.update({
            "package_dedup_vs_datasketch_loop_%s" % DEFAULT_SCHEME: py_one / by[dd]["mb_per_s"],
            "package_dedup_vs_rensa_as_benchmarked": py_one / by["rensa"]["mb_per_s"],
            "package_dedup_vs_rensa_with_tokenizing": py_one / rensa_tok,
            "package_signatures_vs_rensa_rminhash":
            by["dupscan-py-sig %s" % DEFAULT_SCHEME]["shingles_per_s"]
            / by["rensa-sig"]["shingles_per_s"],
            "package_dedup_vs_cli_prefix_1thread": py_one
            / by["dupscan --threads 1 (prefix)"]["mb_per_s"],
        })
        with open(peer_rows[package]["kept_ids"]) as f:
            agreement["kept_jaccard_package_vs_cli"] = jaccard(dupscan_kept,
                                                               {l.strip() for l in f})
    targets = [
        ("whole dedup, default scheme, vs datasketch's loop, its default scheme",
         "dedup_1thread_%s_vs_datasketch_loop_%s" % (DEFAULT_SCHEME, DEFAULT_SCHEME), 100.0),
        ("  the same, per CPU second",
         "dedup_1thread_%s_vs_datasketch_loop_%s_cpu_time" % (DEFAULT_SCHEME, DEFAULT_SCHEME),
         100.0),
        ("--sketch fast end to end vs rensa with its tokenizing",
         "fast_dedup_1thread_vs_rensa_with_tokenizing", 3.0),
        ("  the same, per CPU second", "fast_dedup_1thread_vs_rensa_with_tokenizing_cpu_time",
         3.0),
        ("affine32 signatures vs rensa R-MinHash", "affine32_signatures_vs_rensa_rminhash", 1.0),
        ("affine32 signatures vs dupscan legacy", "affine32_signatures_vs_dupscan_legacy", 2.0),
    ]
    result = {**info, "rows": rows, "ratios": ratios, "agreement": agreement,
              "targets": {k: {"ratio": ratios[k], "target": t, "met": ratios[k] >= t}
                          for _, k, t in targets},
              "accuracy": accuracy, "failures": failures}

    m = info["machine"]
    print("\n# dupscan vs peers, %s, %s (%d cores), GPU: %s" % (m["date"], m["cpu"], m["cores"],
                                                              m["gpu"]))
    print("corpus: %s, %d docs, %.1f MB of text, %d planted copies; peers on a %.1f MB prefix "
          "(%d docs)" % (info["corpus"]["path"], corpus_docs, corpus_bytes / 1e6, len(truth),
                         prefix_bytes / 1e6, prefix_docs))
    print("params: K=128, word:5, threshold 0.8, %d bands x %d rows; versions %s\n" % (
        args.bands, args.rows, json.dumps(info["versions"])))
    print_rows(rows)
    print("\nratios (throughput, same run):")
    for k, v in ratios.items():
        print("  %-48s %8.2f x" % (k, v))
    print("\ntargets (issue 17; timings never fail the run):")
    for what, k, t in targets:
        print("  %-72s %8.2f x  (>= %g: %s)" % (what, ratios[k], t,
                                                "met" if ratios[k] >= t else "MISSED"))
    print("\nagreement with datasketch, same scheme: %s" % json.dumps(agreement))
    for k, v in accuracy.items():
        if k.startswith("s_curve"):
            print("\n%s: true Jaccard bin | pairs | measured candidate rate | 1-(1-s^r)^b" % k)
            for b in v:
                print("  [%.2f, %.2f) %5d  %.3f  %.3f" % (b["s"], b["s"] + 0.05, b["pairs"],
                                                          b["measured"], b["theory"]))
        else:
            print("\n%s: %s" % (k, json.dumps(v)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nok: signatures and --no-verify estimates identical to datasketch's for every "
          "scheme (xxh64 hashfunc; and --shingle-hash sha1 against its default construction), "
          "outputs identical across thread counts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
