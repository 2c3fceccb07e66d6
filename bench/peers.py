#!/usr/bin/env python3
"""One benchmark peer on one JSONL corpus, in its own process (so its peak memory is its own).

    .venv/bin/python bench/peers.py ENGINE CORPUS.jsonl --kept KEPT.txt [--num-perm 128] [--seed 1]
        [--bands 16 --rows 8] [--threshold 0.8] [--scheme legacy|affine32|affine64]
        [--hashfunc xxh64|default] [--dump-signatures N --dump FILE]

ENGINE:
  datasketch       read + tokenize + MinHash (--scheme, default legacy; the xxh64 hashfunc of
                   dupscan's spec: its low 32 bits, all 64 for affine64; --hashfunc default: no
                   hashfunc given, datasketch's own SHA-1, what `dupscan --shingle-hash sha1`
                   matches)
                   + MinHashLSH(params=(bands, rows)): each document queries the index and is a
                   duplicate if it finds an earlier one, else it is inserted (keep-first streaming
                   dedup). The whole loop is timed.
  datasketch-sig   MinHash signatures alone (update_batch, --scheme) of pre-tokenized shingles: the
                   timing the brief quotes as ~0.21 M shingles/s.
  rensa            R-MinHash the way rensa's own benchmark runs it: shingle token sets prepared
                   beforehand (not timed, as its token cache), digest_matrix_from_token_sets, then
                   RMinHashLSH(threshold, num_perm, num_bands).query_duplicate_flags_matrix_one_shot.
                   Its flags mark every document that has a near duplicate (both of a pair); the
                   kept set for agreement comes from an untimed keep-first streaming pass instead.
  rensa-rho        the same with digest_matrix_from_token_sets_rho(probes=4), the sketch rensa's
                   benchmark uses when it exists.
  rensa-sig        R-MinHash signatures alone (digest_matrix_from_token_sets).
  dupscan-py       the dupscan package in this process, as the peers run: dupscan.dedup(texts,
                   scheme=--scheme) on the list of texts already in memory (normalize, shingle,
                   MinHash, LSH with --bands x --rows, exact verification, clusters), 1 thread,
                   best of --repeat.
  dupscan-py-sig   dupscan.signatures(texts, scheme=--scheme) on the list, 1 thread: its texts
                   are normalized and shingled inside (the peers' shingles are prepared).
  janitor          lm-eval's Janitor 13-gram contamination check, re-implemented in Python (the
                   lm_eval package pulls torch): --eval names the benchmark JSONL,
                   --eval-field its field (a+b: joined by a newline).

Tokenization: lowercase, words = [a-z0-9]+, word 5-gram shingles joined by one space; on the
corpora bench/gen_corpus writes (ASCII letters and digits) these are exactly dupscan's normalized
words and shingles, which compare.py checks by comparing signatures.

Prints one JSON object on stdout.
"""
import argparse
import json
import re
import sys
import time

import xxhash

TOKEN = re.compile(r"[a-z0-9]+")


def read_corpus(path):
    ids, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            ids.append(rec["id"])
            texts.append(rec["text"])
    return ids, texts


def shingles(text, n=5):
    words = TOKEN.findall(text.lower())
    if not words:
        return []
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]


def hashfunc(b):
    return xxhash.xxh64_intdigest(b) & 0xFFFFFFFF


# --hashfunc: "xxh64" (dupscan's default shingle hash) or "default" (none given to datasketch).
HASHFUNC = "xxh64"


def hashfunc_for(scheme):
    """dupscan's shingle hash for a datasketch scheme: the low 32 bits of XXH64 for legacy and
    affine32, all 64 for affine64 (include/dupscan/spec.hpp steps 4-5); with --hashfunc default,
    None: MinHash() then hashes with its default, SHA-1 (sha1_hash32, sha1_hash64 for affine64),
    which `dupscan --shingle-hash sha1` computes."""
    if HASHFUNC == "default":
        return None
    return xxhash.xxh64_intdigest if scheme == "affine64" else hashfunc


def run_datasketch(texts, args):
    from datasketch import MinHash, MinHashLSH
    c0 = time.process_time()
    t0 = time.perf_counter()
    lsh = MinHashLSH(num_perm=args.num_perm, params=(args.bands, args.rows))
    kept = []
    n_shingles = 0
    for i, text in enumerate(texts):
        sh = [s.encode() for s in shingles(text)]
        n_shingles += len(sh)
        if not sh:
            kept.append(i)
            continue
        m = MinHash(num_perm=args.num_perm, seed=args.seed, scheme=args.scheme,
                    hashfunc=hashfunc_for(args.scheme))
        m.update_batch(sh)
        if lsh.query(m):
            continue
        lsh.insert(i, m)
        kept.append(i)
    CPU["cpu_seconds"] = time.process_time() - c0
    return time.perf_counter() - t0, kept, n_shingles


def run_datasketch_sig(texts, args):
    from datasketch import MinHash
    token_sets = [[s.encode() for s in shingles(t)] for t in texts]
    n = sum(len(t) for t in token_sets)
    hf = hashfunc_for(args.scheme)
    seconds = None
    for _ in range(args.repeat):  # best of --repeat
        t0 = time.perf_counter()
        for sh in token_sets:
            m = MinHash(num_perm=args.num_perm, seed=args.seed, scheme=args.scheme, hashfunc=hf)
            if sh:
                m.update_batch(sh)
        dt = time.perf_counter() - t0
        seconds = dt if seconds is None else min(seconds, dt)
    return seconds, None, n


def rensa_keep_first(token_sets, args):
    # Untimed keep-first pass for the kept-set agreement.
    from rensa import RMinHash, RMinHashLSH
    lsh = RMinHashLSH(threshold=args.threshold, num_perm=args.num_perm, num_bands=args.bands)
    kept = []
    for i, toks in enumerate(token_sets):
        if not toks:
            kept.append(i)
            continue
        m = RMinHash(num_perm=args.num_perm, seed=args.seed)
        m.update(toks)
        if lsh.query(m):
            continue
        lsh.insert(i, m)
        kept.append(i)
    return kept


def run_rensa(texts, args, rho):
    from rensa import RMinHash, RMinHashLSH
    c_tok = time.process_time()
    t_tok = time.perf_counter()
    token_sets = [shingles(t) for t in texts]
    t_tok = time.perf_counter() - t_tok
    CPU["tokenize_cpu_seconds"] = time.process_time() - c_tok
    n = sum(len(t) for t in token_sets)
    seconds = None
    for _ in range(args.repeat):  # best of --repeat, as bench_sketch times dupscan's sketches
        c0 = time.process_time()
        t0 = time.perf_counter()
        if rho:
            matrix = RMinHash.digest_matrix_from_token_sets_rho(
                token_sets, num_perm=args.num_perm, seed=args.seed, probes=4)
        else:
            matrix = RMinHash.digest_matrix_from_token_sets(token_sets, num_perm=args.num_perm,
                                                            seed=args.seed)
        lsh = RMinHashLSH(threshold=args.threshold, num_perm=args.num_perm,
                          num_bands=args.bands)
        flags = lsh.query_duplicate_flags_matrix_one_shot(matrix)
        dt = time.perf_counter() - t0
        if seconds is None or dt < seconds:  # the best run's CPU time with it
            CPU["cpu_seconds"] = time.process_time() - c0
        seconds = dt if seconds is None else min(seconds, dt)
    flagged = sum(1 for f in flags if f)
    kept = rensa_keep_first(token_sets, args) if not rho else None
    return seconds, kept, n, t_tok, flagged


def run_rensa_sig(texts, args):
    from rensa import RMinHash
    token_sets = [shingles(t) for t in texts]
    n = sum(len(t) for t in token_sets)
    seconds = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        RMinHash.digest_matrix_from_token_sets(token_sets, num_perm=args.num_perm, seed=args.seed)
        dt = time.perf_counter() - t0
        seconds = dt if seconds is None else min(seconds, dt)
    return seconds, None, n


# CPU seconds (time.process_time) of what an engine timed, reported beside the wall seconds.
CPU = {}


def run_dupscan_py(texts, args, signatures_only):
    import dupscan
    n = sum(len(shingles(t)) for t in texts)  # for shingles/s, as the peers count them
    seconds, kept = None, None
    for _ in range(args.repeat):  # best of --repeat, as for rensa
        c0 = time.process_time()
        t0 = time.perf_counter()
        if signatures_only:
            dupscan.signatures(texts, num_perm=args.num_perm, seed=args.seed, scheme=args.scheme,
                               threads=1, backend="cpu")
        else:
            r = dupscan.dedup(texts, num_perm=args.num_perm, seed=args.seed, scheme=args.scheme,
                              bands=args.bands, rows=args.rows, threshold=args.threshold,
                              threads=1, backend="cpu")
        dt = time.perf_counter() - t0
        if seconds is None or dt < seconds:
            CPU["cpu_seconds"] = time.process_time() - c0
        seconds = dt if seconds is None else min(seconds, dt)
        if not signatures_only:
            kept = [i for i, k in enumerate(r.keep) if k]
    return seconds, kept, n

JANITOR_TABLE = None


def janitor_normalize(s):
    # lm-eval's Janitor.normalize_string: ASCII lowercase, ASCII punctuation deleted.
    global JANITOR_TABLE
    if JANITOR_TABLE is None:
        import string
        JANITOR_TABLE = str.maketrans(string.ascii_lowercase + string.ascii_uppercase,
                                      string.ascii_lowercase * 2, string.punctuation)
    return s.translate(JANITOR_TABLE)


def run_janitor(texts, args):
    """lm-eval's Janitor algorithm, re-implemented (the lm_eval package pulls torch): a set of the
    benchmark's normalized 13-grams, then every training document's 13-grams looked up in it.
    Examples of --min-ngram to 12 words are dirty when all of them occurs (dupscan's rule for
    short examples; lm-eval ignores them). Returns the scan time and the dirty examples' line
    indices; timed over the training scan only, like dupscan's scan."""
    n = args.ngram
    eval_grams = {}
    short = {}  # length -> {joined words: [example indices]}
    fields = args.eval_field.split("+")
    with open(args.eval, encoding="utf-8") as f:
        for i, line in enumerate(f):
            rec = json.loads(line)
            words = janitor_normalize("\n".join(rec[k] for k in fields)).split()
            if len(words) < n:
                if len(words) >= args.min_ngram:
                    short.setdefault(len(words), {}).setdefault(" ".join(words), []).append(i)
                continue
            for j in range(len(words) - n + 1):
                eval_grams.setdefault(" ".join(words[j:j + n]), set()).add(i)
    dirty = set()
    t0 = time.perf_counter()
    for text in texts:
        words = janitor_normalize(text).split()
        for j in range(len(words) - n + 1):
            hit = eval_grams.get(" ".join(words[j:j + n]))
            if hit:
                dirty |= hit
        for length, table in short.items():
            for j in range(len(words) - length + 1):
                hit = table.get(" ".join(words[j:j + length]))
                if hit:
                    dirty.update(hit)
    return time.perf_counter() - t0, sorted(dirty)


def dump_signatures(texts, ids, args):
    from datasketch import MinHash
    out = []
    for i in range(min(args.dump_signatures, len(texts))):
        sh = [s.encode() for s in shingles(texts[i])]
        m = MinHash(num_perm=args.num_perm, seed=args.seed, scheme=args.scheme,
                    hashfunc=hashfunc_for(args.scheme))
        if sh:
            m.update_batch(sh)
        out.append({"id": ids[i], "shingles": len(sh), "signature": [int(x) for x in m.hashvalues]})
    with open(args.dump, "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["datasketch", "datasketch-sig", "rensa", "rensa-rho",
                                       "rensa-sig", "dupscan-py", "dupscan-py-sig", "dump",
                                       "janitor"])
    ap.add_argument("corpus")
    ap.add_argument("--kept")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bands", type=int, default=16)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--dump-signatures", type=int, default=0)
    ap.add_argument("--dump")
    ap.add_argument("--eval", help="janitor: the benchmark JSONL")
    ap.add_argument("--eval-field", default="text")
    ap.add_argument("--ngram", type=int, default=13)
    ap.add_argument("--min-ngram", type=int, default=8)
    ap.add_argument("--scheme", choices=["legacy", "affine32", "affine64"], default="legacy",
                    help="datasketch engines and dump: datasketch's permutation scheme")
    ap.add_argument("--hashfunc", choices=["xxh64", "default"], default="xxh64",
                    help="datasketch engines and dump: the xxh64 hashfunc of dupscan's default "
                    "shingle hash, or none (datasketch's default, SHA-1)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rensa engines and datasketch-sig: time the sketch this many times, "
                    "report the fastest")
    args = ap.parse_args()
    global HASHFUNC
    HASHFUNC = args.hashfunc

    ids, texts = read_corpus(args.corpus)
    text_bytes = sum(len(t.encode()) for t in texts)
    result = {"engine": args.engine, "docs": len(texts), "text_bytes": text_bytes}
    if args.engine == "dump":
        dump_signatures(texts, ids, args)
        print(json.dumps(result))
        return
    extra = {}
    if args.engine == "janitor":
        seconds, dirty = run_janitor(texts, args)
        result.update({"seconds": seconds, "dirty": len(dirty), "dirty_lines": dirty})
        print(json.dumps(result))
        return
    if args.engine == "datasketch":
        seconds, kept, n = run_datasketch(texts, args)
    elif args.engine == "datasketch-sig":
        seconds, kept, n = run_datasketch_sig(texts, args)
    elif args.engine in ("rensa", "rensa-rho"):
        seconds, kept, n, t_tok, flagged = run_rensa(texts, args, rho=args.engine == "rensa-rho")
        extra = {"tokenize_seconds": t_tok, "flagged": flagged}
    elif args.engine in ("dupscan-py", "dupscan-py-sig"):
        seconds, kept, n = run_dupscan_py(texts, args, args.engine == "dupscan-py-sig")
    else:
        seconds, kept, n = run_rensa_sig(texts, args)
    result.update({"seconds": seconds, "shingles": n, **extra, **CPU})
    if kept is not None and args.kept:
        with open(args.kept, "w") as f:
            for i in kept:
                f.write(ids[i] + "\n")
        result["kept"] = len(kept)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
