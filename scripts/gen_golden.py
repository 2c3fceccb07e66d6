#!/usr/bin/env python3
"""Generates the golden vectors in tests/data/ from reference implementations:

  - the normalization and shingle specification (include/dupscan/normalize.hpp, shingle.hpp),
    implemented again here in plain Python on top of unicodedata -- an independent second reading;
  - shingle hashes and band keys with the `xxhash` package (the reference xxHash);
  - MinHash signatures and permutations with datasketch itself, for each of its schemes:
    MinHash(num_perm=K, seed=S, scheme="legacy" or "affine32",
            hashfunc=lambda b: xxhash.xxh64_intdigest(b) & 0xffffffff)
    MinHash(num_perm=K, seed=S, scheme="affine64", hashfunc=xxhash.xxh64_intdigest);
    fmix32 / fmix64 with datasketch's own finalizer (datasketch.minhash._fmix);
  - LSH parameters with datasketch.MinHashLSH(threshold=T, num_perm=K);
  - for --shingle-hash sha1: datasketch's own sha1_hash32 / sha1_hash64 (hashlib's SHA-1) of
    byte strings, and MinHash(num_perm=K, seed=S, scheme=SCHEME) as datasketch constructs it by
    default -- no hashfunc -- for every scheme.

    .venv/bin/python scripts/gen_golden.py      # after scripts/install-deps.sh --bench

Writes tests/data/golden_xxh64.json, golden_permutations.json, golden_sketches.jsonl (legacy),
golden_affine.json (affine permutations, fmix vectors, 64-bit band keys), golden_sketches_affine.jsonl
(affine32 and affine64 signatures and band keys), golden_sha1.json (SHA-1 shingle hashes, and
every scheme's signatures with datasketch's default hashfunc), golden_fast_sketch.jsonl (the fast sketch, from a
Python implementation of fast_sketch.hpp), golden_lsh_params.json, and for the end-to-end tests of
the built binary (tests/test_scheme_cli.cpp) e2e_corpus.jsonl (real text from ../shared/data with
planted copies) and golden_end_to_end.json (every scheme's signatures and MinHash estimates of
that corpus and of the example corpus). The tests compare dupscan
against these files; a change of the maths shows up as a diff of them. datasketch is pinned
(DATASKETCH, as in bench/requirements.txt): its schemes are what the files record.
"""
import gzip
import json
import os
import random
import struct
import sys
import unicodedata

import datasketch
import numpy as np
import xxhash
from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash32, sha1_hash64
from datasketch.lsh import _optimal_param
from datasketch.minhash import _fmix

# The datasketch whose schemes the golden files record (bench/requirements.txt pins the same).
DATASKETCH = "2.0.0"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")


# --- the specification, second reading --------------------------------------------------------

def normalize(raw: bytes, lowercase=True, strip_punct=True) -> str:
    text = raw.decode("utf-8", errors="replace")  # maximal-subpart U+FFFD substitution
    words, cur = [], []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        if cat[0] == "M" and not cur:
            continue  # a mark after a separator (or at the start) goes with the separator
        if cat[0] == "M":
            space = False
        elif cat in ("Zs", "Zl", "Zp", "Cc"):
            space = True
        elif cat[0] in "PS":
            space = strip_punct
        else:
            space = False
        if space:
            if cur:
                words.append("".join(cur))
                cur = []
            continue
        if lowercase:
            ch = ch.lower()[0]  # simple mapping; only U+0130 has a longer full mapping
        cur.append(ch)
    if cur:
        words.append("".join(cur))
    return " ".join(words)


def shingles(norm: str, kind: str, n: int) -> list:
    if not norm:
        return []
    units = norm.split(" ") if kind == "word" else list(norm)
    joiner = " " if kind == "word" else ""
    if len(units) < n:
        return [norm.encode()]
    return [joiner.join(units[i:i + n]).encode() for i in range(len(units) - n + 1)]


def shingle_hash(b: bytes) -> int:
    return xxhash.xxh64_intdigest(b) & 0xFFFFFFFF


# --- the fast sketch (include/dupscan/fast_sketch.hpp), second reading -------------------------

M64 = (1 << 64) - 1
P1, P2, P5 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x27D4EB2F165667C5


def fmix64(x):
    x ^= x >> 33
    x = (x * 0xff51afd7ed558ccd) & M64
    x ^= x >> 33
    x = (x * 0xc4ceb9fe1a85ec53) & M64
    x ^= x >> 33
    return x


def rotl64(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def fast_word_hash(b: bytes) -> int:
    h = 0
    for i in range(0, len(b), 8):
        c = int.from_bytes(b[i:i + 8], "little")  # the last chunk zero-padded
        h = ((rotl64(h, 27) ^ c) * P2) & M64
    return h


def fast_values(norm: str, kind: str, n: int) -> list:
    if not norm:
        return []
    if kind == "word":
        units = [fast_word_hash(w.encode()) for w in norm.split(" ")]
    else:
        units = [(ord(c) * P2) & M64 for c in norm]
    m = len(units)
    windows = [units] if m < n else [units[j:j + n] for j in range(m - n + 1)]
    out = []
    for win in windows:
        s = 0
        for u in win:
            s = (s * P1 + u) & M64
        out.append(fmix64(s))
    return out


def oph(values: list, k: int) -> list:
    sig = [0xFFFFFFFF] * k
    filled = [False] * k
    for v in values:
        b = ((v >> 32) * k) >> 32
        sig[b] = min(sig[b], v & 0xFFFFFFFF)
        filled[b] = True
    if not values:
        return sig
    out = list(sig)
    for i in range(k):
        if filled[i]:
            continue
        t = 1
        while True:
            j = (i - (((fmix64(t) >> 32) * k) >> 32)) % k
            if filled[j]:
                out[i] = sig[j]
                break
            t += 1
    return out


def band_keys(sig, bands, rows):
    return [xxhash.xxh64_intdigest(struct.pack("<%dI" % rows, *sig[j * rows:(j + 1) * rows]), seed=j)
            for j in range(bands)]


def band_keys64(sig, bands, rows):
    """spec.hpp step 6 for 64-bit values (affine64): 8*rows little-endian bytes per band."""
    return [xxhash.xxh64_intdigest(struct.pack("<%dQ" % rows, *sig[j * rows:(j + 1) * rows]), seed=j)
            for j in range(bands)]


def shingle_hash64(b: bytes) -> int:
    return xxhash.xxh64_intdigest(b)


# --- inputs -----------------------------------------------------------------------------------

def sample_texts():
    texts = []
    with open(os.path.join(SHARED, "gsm8k_test.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 8:
                break
            texts.append(("gsm8k", json.loads(line)["question"].encode()))
    with gzip.open(os.path.join(SHARED, "humaneval.jsonl.gz"), "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 3:
                break
            texts.append(("humaneval", json.loads(line)["prompt"].encode()))
    with open(os.path.join(SHARED, "wikitext2_valid.txt"), "rb") as f:
        wiki = f.read()
    texts.append(("wikitext", wiki[:3000]))
    texts.append(("wikitext-long", wiki[10000:30000]))
    with open(os.path.join(SHARED, "tinyshakespeare.txt"), "rb") as f:
        texts.append(("shakespeare", f.read()[:2000]))
    u = lambda s: s.encode("utf-8")
    texts += [
        ("empty", b""),
        ("spaces-only", b" \t\r\n  "),
        ("punct-only", u("!!! ... ---")),
        ("one-word", b"Hello"),
        ("four-words", b"The quick brown fox"),
        ("five-words", b"The quick brown fox jumps"),
        ("six-words", b"The quick brown fox jumps over"),
        ("repeated", b"a b a b a b a b a b a b"),
        ("greek", u("ΣΊΣΥΦΟΣ ΚΑΙ Η ΠΕΤΡΑ του βουνού, όπως πάντα· τέλος.")),
        ("turkish", u("İSTANBUL'da ılık bir gün; IŞIK ve ışık.")),
        ("german", u("Straße STRASSE Grüße — „Anführungszeichen“ und ẞ.")),
        ("cyrillic", u("Съешь же ещё этих мягких французских булок, да выпей чаю")),
        ("cjk", u("東京都は日本の首都です。人口は約1400万人。")),
        ("emoji", u("I ❤️ data 🚀🚀 dedup 👩‍👩‍👧 — ok? €5 + 3 = €8")),
        ("combining", u("Cafe\u0301 re\u0301sume\u0301 vs café résumé")),
        ("format-chars", u("co\u00adoperate zero\u200bwidth joi\u200dner \ufeffBOM")),
        ("nbsp-and-tabs", u("one\u00a0two\tthree\r\nfour\u2028five\u3000six")),
        ("controls", b"nul\x00byte bell\x07 esc\x1b[0m end"),
        ("invalid-utf8", b"bad \xff\xfe bytes \xe2\x82 truncated \xf0\x80\x80 overlong \xed\xa0\x80 surrogate ok"),
        ("fullwidth", u("ＡＢＣ ｆｕｌｌ ｗｉｄｔｈ １２３")),
        ("digits", u("Order #12345: 3.14159, 2,718; ٣٤٥ and ४२ end")),
    ]
    rnd = random.Random(20261122)
    alphabet = "abcdefghij klmnop ÀÉÎõü ΣσΩ дЖ 中文 😀 ,.;!?- \t\n"
    for n in (1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257):
        texts.append(("random-%d" % n, "".join(rnd.choice(alphabet) for _ in range(n)).encode()))
    return texts


CONFIGS = [
    # (name, kind, n, lowercase, strip_punct, K, seed, bands, rows)
    ("default", "word", 5, True, True, 128, 1, 9, 13),
    ("char9-k64-seed7", "char", 9, True, True, 64, 7, 8, 8),
    ("word1-keepcase", "word", 1, False, True, 32, 2, 4, 8),
    ("word13-keeppunct", "word", 13, True, False, 256, 42, 20, 12),
    ("char3-raw", "char", 3, False, False, 16, 0, 16, 1),
]


def main() -> None:
    if datasketch.__version__ != DATASKETCH:
        raise SystemExit("gen_golden.py records datasketch %s's schemes, found %s: "
                         "pip install -r bench/requirements.txt" % (DATASKETCH, datasketch.__version__))
    os.makedirs(OUT, exist_ok=True)
    meta = {"datasketch": datasketch.__version__ if hasattr(datasketch, "__version__") else "?",
            "numpy": np.__version__, "xxhash": xxhash.VERSION,
            "unicode": unicodedata.unidata_version, "python": sys.version.split()[0]}

    # XXH64 of random byte strings of every length 0..100 and a few long ones, several seeds.
    rnd = random.Random(7)
    vec = []
    for n in list(range(0, 101)) + [255, 256, 1000, 4096]:
        data = bytes(rnd.randrange(256) for _ in range(n))
        for seed in (0, 1, 0x9E3779B97F4A7C15):
            vec.append({"hex": data.hex(), "seed": str(seed), "xxh64": str(xxhash.xxh64_intdigest(data, seed=seed)),
                        "xxh3_128": str(xxhash.xxh3_128_intdigest(data)) if seed == 0 else None})
    with open(os.path.join(OUT, "golden_xxh64.json"), "w") as f:
        json.dump({"meta": meta, "vectors": vec}, f, indent=0)

    perms = []
    for k, seed in ((128, 1), (256, 42), (16, 0), (64, 4294967295), (1, 123)):
        m = MinHash(num_perm=k, seed=seed, scheme="legacy")
        a, b = m.permutations
        perms.append({"num_perm": k, "seed": seed, "a": [str(int(x)) for x in a], "b": [str(int(x)) for x in b]})
    with open(os.path.join(OUT, "golden_permutations.json"), "w") as f:
        json.dump({"meta": meta, "permutations": perms}, f, indent=0)

    with open(os.path.join(OUT, "golden_sketches.jsonl"), "w") as f:
        f.write(json.dumps({"meta": meta}) + "\n")
        for name, raw in sample_texts():
            for (cname, kind, n, lower, strip, k, seed, bands, rows) in CONFIGS:
                if cname != "default" and name.startswith("random-") and n > 1:
                    continue
                norm = normalize(raw, lower, strip)
                sh = shingles(norm, kind, n)
                hashes = [shingle_hash(s) for s in sh]
                m = MinHash(num_perm=k, seed=seed, scheme="legacy", hashfunc=shingle_hash)
                if sh:
                    m.update_batch(sh)
                sig = [int(x) for x in m.hashvalues]
                rec = {
                    "name": name, "config": cname, "shingle": "%s:%d" % (kind, n),
                    "lowercase": lower, "strip_punct": strip, "num_perm": k, "seed": seed,
                    "bands": bands, "rows": rows,
                    "normalized": norm, "words": len(norm.split(" ")) if norm else 0,
                    "shingle_count": len(hashes),
                    # Long lists are stored as a digest: XXH64 of the hashes as little-endian uint32.
                    "shingle_hashes_xxh64": str(xxhash.xxh64_intdigest(struct.pack("<%dI" % len(hashes), *hashes))),
                    "signature": sig,
                    "band_keys": [str(x) for x in band_keys(sig, bands, rows)] if sh else [],
                    "exact_hash": str(xxhash.xxh3_128_intdigest(norm.encode())) if norm else None,
                }
                try:
                    rec["raw"] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    rec["raw_hex"] = raw.hex()
                if len(hashes) <= 64:
                    rec["shingle_hashes"] = hashes
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    assert (MinHashLSH(threshold=0.8, num_perm=128).b, MinHashLSH(threshold=0.8, num_perm=128).r) == \
        _optimal_param(0.8, 128, 0.5, 0.5)
    with open(os.path.join(OUT, "golden_fast_sketch.jsonl"), "w") as f:
        for name, raw in sample_texts():
            for (cname, kind, n, lower, strip, k, seed, bands, rows) in CONFIGS:
                if cname not in ("default", "char9-k64-seed7", "word13-keeppunct"):
                    continue
                norm = normalize(raw, lower, strip)
                values = fast_values(norm, kind, n)
                sig = oph(values, k)
                rec = {"name": name, "config": cname, "shingle": "%s:%d" % (kind, n),
                       "num_perm": k, "bands": bands, "rows": rows, "normalized": norm,
                       "shingle_count": len(values),
                       "values_xxh64": str(xxhash.xxh64_intdigest(
                           struct.pack("<%dQ" % len(values), *values))),
                       "signature": sig,
                       "band_keys": [str(x) for x in band_keys(sig, bands, rows)] if values else []}
                if len(values) <= 16:
                    rec["values"] = [str(v) for v in values]
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    write_affine(meta)
    write_end_to_end(meta)
    write_sha1(meta)

    params = []
    for k in (8, 16, 32, 64, 100, 128, 200, 256):
        for t in [x / 100 for x in range(10, 100, 5)] + [0.99]:
            # MinHashLSH(threshold=t, num_perm=k) calls exactly this, then refuses b < 2.
            b, r = _optimal_param(t, k, 0.5, 0.5)
            params.append({"threshold": t, "num_perm": k, "bands": b, "rows": r})
    with open(os.path.join(OUT, "golden_lsh_params.json"), "w") as f:
        json.dump({"meta": meta, "params": params}, f, indent=0)


def write_affine(meta) -> None:
    """golden_affine.json and golden_sketches_affine.jsonl: datasketch's affine32 / affine64."""
    rnd = random.Random(17)
    perms = []
    for scheme in ("affine32", "affine64"):
        for k, seed in ((128, 1), (256, 42), (16, 0), (64, 4294967295), (1, 123), (100, 7), (129, 1)):
            a, b = MinHash(num_perm=k, seed=seed, scheme=scheme).permutations
            perms.append({"scheme": scheme, "num_perm": k, "seed": seed,
                          "a": [str(int(x)) for x in a], "b": [str(int(x)) for x in b]})
    edges32 = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]
    edges64 = [0, 1, 2, (1 << 63) - 1, 1 << 63, (1 << 64) - 2, (1 << 64) - 1, 0xFFFFFFFF, 1 << 32]
    x32 = edges32 + [rnd.getrandbits(32) for _ in range(60)]
    x64 = edges64 + [rnd.getrandbits(64) for _ in range(60)]
    fmix32 = [int(v) for v in _fmix(np.array(x32, dtype=np.uint32), 32)]
    fmix64 = [int(v) for v in _fmix(np.array(x64, dtype=np.uint64), 64)]
    keys = []
    for rows in (1, 2, 3, 4, 7, 8, 13):
        for band in (0, 1, 5, 4294967295):
            values = [rnd.choice(edges64 + [rnd.getrandbits(64)]) for _ in range(rows)]
            key = xxhash.xxh64_intdigest(struct.pack("<%dQ" % rows, *values), seed=band)
            keys.append({"values": [str(v) for v in values], "band": band, "key": str(key)})
    with open(os.path.join(OUT, "golden_affine.json"), "w") as f:
        json.dump({"meta": meta, "permutations": perms,
                   "fmix32": [{"in": i, "out": o} for i, o in zip(x32, fmix32)],
                   "fmix64": [{"in": str(i), "out": str(o)} for i, o in zip(x64, fmix64)],
                   "band_keys64": keys}, f, indent=0)

    with open(os.path.join(OUT, "golden_sketches_affine.jsonl"), "w") as f:
        f.write(json.dumps({"meta": meta}) + "\n")
        for name, raw in sample_texts():
            for (cname, kind, n, lower, strip, k, seed, bands, rows) in CONFIGS:
                if cname != "default" and name.startswith("random-") and n > 1:
                    continue
                norm = normalize(raw, lower, strip)
                sh = shingles(norm, kind, n)
                h64 = [shingle_hash64(s) for s in sh]
                rec = {"name": name, "config": cname, "shingle": "%s:%d" % (kind, n),
                       "num_perm": k, "seed": seed, "bands": bands, "rows": rows,
                       "normalized": norm, "shingle_count": len(sh),
                       # XXH64 of the full 64-bit shingle hashes as little-endian uint64.
                       "shingle_hashes64_xxh64": str(xxhash.xxh64_intdigest(
                           struct.pack("<%dQ" % len(h64), *h64)))}
                for scheme, hashfunc, keyfunc in (("affine32", shingle_hash, band_keys),
                                                  ("affine64", shingle_hash64, band_keys64)):
                    m = MinHash(num_perm=k, seed=seed, scheme=scheme, hashfunc=hashfunc)
                    if sh:
                        m.update_batch(sh)
                    sig = [int(x) for x in m.hashvalues]
                    if scheme == "affine32":
                        # datasketch 2.0's default scheme is affine32: the same sketch unasked.
                        d = MinHash(num_perm=k, seed=seed, hashfunc=hashfunc)
                        if sh:
                            d.update_batch(sh)
                        assert d.scheme == "affine32" and [int(x) for x in d.hashvalues] == sig
                    rec[scheme] = {
                        "signature": sig if scheme == "affine32" else [str(x) for x in sig],
                        "band_keys": [str(x) for x in keyfunc(sig, bands, rows)] if sh else []}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")


# --- end to end: what `dupscan dedup --scheme S --write-signatures F --no-verify` must write ------

SCHEMES = ("affine32", "affine64", "legacy")
E2E_CHUNK = 128  # documents per digest of the example corpus's signatures


def scheme_minhash(scheme, sh, k=128, seed=1):
    """datasketch's MinHash of a document's shingles as a user of each scheme writes it: the low
    32 bits of XXH64 for affine32 (datasketch 2.0's default: no scheme= given) and legacy, the
    full XXH64 for affine64."""
    if scheme == "affine32":
        m = MinHash(num_perm=k, seed=seed, hashfunc=shingle_hash)
        assert m.scheme == "affine32"
    else:
        m = MinHash(num_perm=k, seed=seed, scheme=scheme,
                    hashfunc=shingle_hash64 if scheme == "affine64" else shingle_hash)
    if sh:
        m.update_batch(sh)
    return m


def e2e_corpus():
    """A small corpus of real text from ../shared/data with planted near and exact copies:
    GSM8K test questions, HumanEval prompts, wikitext-2 paragraphs, tinyshakespeare passages,
    and a few edge cases. Deterministic."""
    rnd = random.Random(20261129)
    docs = []

    def add(text):
        docs.append({"id": "e2e-%02d" % len(docs), "text": text})

    def near(text, edits):
        words = text.split(" ")
        for _ in range(edits):
            i = rnd.randrange(len(words))
            op = rnd.choice(("sub", "del", "ins"))
            if op == "sub":
                words[i] = rnd.choice(("apple", "river", "seven", "quietly", "blue"))
            elif op == "del" and len(words) > 10:
                del words[i]
            else:
                words.insert(i, rnd.choice(("indeed", "also", "then", "perhaps")))
        return " ".join(words)

    originals = []
    with open(os.path.join(SHARED, "gsm8k_test.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 14:
                break
            originals.append(json.loads(line)["question"])
    with gzip.open(os.path.join(SHARED, "humaneval.jsonl.gz"), "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 4:
                break
            originals.append(json.loads(line)["prompt"])
    with open(os.path.join(SHARED, "wikitext2_valid.txt"), encoding="utf-8") as f:
        paras = [l.strip() for l in f if 60 <= len(l.split()) <= 160 and not l.startswith(" =")]
    originals += paras[:8]
    with open(os.path.join(SHARED, "tinyshakespeare.txt"), encoding="utf-8") as f:
        play = f.read()
    for start in (0, 5000, 20000, 40000):
        originals.append(play[start:start + 600])
    for text in originals:
        add(text)
    # Near copies of every other original (1 to 3 word edits), two exact ones (one equal only
    # after normalization), and edge cases.
    for i, text in enumerate(originals):
        if i % 2 == 0:
            add(near(text, 1 + i % 3))
    add(originals[1])
    add(originals[20].upper().replace(",", " ,"))
    for text in ("", "!!! ... ---", "Hello", "ΣΊΣΥΦΟΣ ΚΑΙ Η ΠΕΤΡΑ του βουνού, όπως πάντα· τέλος.",
                 "I \u2764\ufe0f data \U0001F680\U0001F680 dedup \u2014 ok? \u20ac5 + 3 = \u20ac8"):
        add(text)
    return docs


def write_end_to_end(meta) -> None:
    """tests/data/e2e_corpus.jsonl and golden_end_to_end.json: for each scheme, datasketch's
    signature of every document of that corpus (K = 128, seed 1, word 5-grams, default
    normalization) and its MinHash.jaccard for every pair of documents where it is above 0; for
    the example corpus (examples/corpus.jsonl.gz), XXH64 digests of the signatures of each
    E2E_CHUNK documents in input order (values as little-endian uint32, uint64 for affine64) and
    MinHash.jaccard of every planted near pair (examples/planted.jsonl; "planted" lists the pairs,
    "planted_jaccard" the estimates in that order). Signature values are JSON integers, as
    dupscan's --write-signatures writes them (the older golden files write 64-bit values as
    strings)."""
    docs = e2e_corpus()
    with open(os.path.join(OUT, "e2e_corpus.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    corpus = {}
    for scheme in SCHEMES:
        sketches = []
        for d in docs:
            sh = shingles(normalize(d["text"].encode()), "word", 5)
            sketches.append((d["id"], len(sh), scheme_minhash(scheme, sh)))
        pairs = []
        for i in range(len(sketches)):
            for j in range(i + 1, len(sketches)):
                if sketches[i][1] and sketches[j][1]:
                    est = sketches[i][2].jaccard(sketches[j][2])
                    if est > 0:
                        pairs.append([sketches[i][0], sketches[j][0], est])
        corpus[scheme] = {
            "documents": [{"id": i, "shingles": n, "signature": [int(x) for x in m.hashvalues]}
                          for i, n, m in sketches],
            "jaccard": pairs}

    with gzip.open(os.path.join(ROOT, "examples", "corpus.jsonl.gz"), "rt", encoding="utf-8") as f:
        example = [json.loads(l) for l in f if l.strip()]
    with open(os.path.join(ROOT, "examples", "planted.jsonl"), encoding="utf-8") as f:
        planted = [json.loads(l) for l in f if l.strip()]
    shingled = {d["id"]: shingles(normalize(d["text"].encode()), "word", 5) for d in example}
    examples = {}
    for scheme in SCHEMES:
        fmt = "<%dQ" if scheme == "affine64" else "<%dI"
        chunks = []
        sketch = {}
        for c in range(0, len(example), E2E_CHUNK):
            values, n = [], 0
            for d in example[c:c + E2E_CHUNK]:
                m = scheme_minhash(scheme, shingled[d["id"]])
                sketch[d["id"]] = m
                values += [int(x) for x in m.hashvalues]
                n += len(shingled[d["id"]])
            chunks.append({"documents": len(example[c:c + E2E_CHUNK]), "shingles": n,
                           "xxh64": str(xxhash.xxh64_intdigest(
                               struct.pack(fmt % len(values), *values)))})
        examples[scheme] = {"chunks": chunks, "planted_jaccard": [
            sketch[p["id"]].jaccard(sketch[p["of"]]) for p in planted if p["edit"] != "exact"]}
    with open(os.path.join(OUT, "golden_end_to_end.json"), "w") as f:
        json.dump({"meta": meta, "num_perm": 128, "seed": 1, "shingle": "word:5",
                   "chunk": E2E_CHUNK, "corpus": corpus,
                   "planted": [[p["id"], p["of"]] for p in planted if p["edit"] != "exact"],
                   "examples": examples}, f)


# --- --shingle-hash sha1: datasketch's default construction (no hashfunc) ---------------------

def default_minhash(scheme, sh, k=128, seed=1):
    """MinHash as datasketch constructs it by default: no hashfunc (sha1_hash32, or sha1_hash64
    for affine64); affine32 is also what no scheme= gives."""
    m = MinHash(num_perm=k, seed=seed, scheme=scheme)
    assert m.hashfunc is (sha1_hash64 if scheme == "affine64" else sha1_hash32)
    if sh:
        m.update_batch(sh)
    return m


def write_sha1(meta) -> None:
    """golden_sha1.json: datasketch's sha1_hash32 / sha1_hash64 of random byte strings of every
    length 0..200 and a few long ones (the SHA-1 block boundaries 55/56/63/64/119/120 among them);
    every scheme's signatures and band keys of the sample texts under datasketch's default
    construction; and, as golden_end_to_end.json's "corpus" does for XXH64, every scheme's
    signatures of tests/data/e2e_corpus.jsonl with its MinHash.jaccard of every pair above 0."""
    rnd = random.Random(1)
    vec = []
    for n in list(range(0, 201)) + [255, 256, 1000, 4096]:
        data = bytes(rnd.randrange(256) for _ in range(n))
        vec.append({"hex": data.hex(), "sha1_hash32": sha1_hash32(data),
                    "sha1_hash64": str(sha1_hash64(data))})
    sketches = []
    seen = {}
    for name, raw in sample_texts():
        seen[name] = seen.get(name, 0) + 1
        if name.startswith("random-") or seen[name] > 2:
            continue
        for (cname, kind, n, lower, strip, k, seed, bands, rows) in CONFIGS:
            if cname not in ("default", "char9-k64-seed7") or (cname != "default" and name not in (
                    "gsm8k", "wikitext", "greek", "cjk", "emoji", "one-word")):
                continue
            norm = normalize(raw, lower, strip)
            sh = shingles(norm, kind, n)
            rec = {"name": name, "config": cname, "shingle": "%s:%d" % (kind, n), "num_perm": k,
                   "seed": seed, "bands": bands, "rows": rows, "normalized": norm,
                   "shingle_count": len(sh)}
            for scheme in SCHEMES:
                sig = [int(x) for x in default_minhash(scheme, sh, k, seed).hashvalues]
                keyfunc = band_keys64 if scheme == "affine64" else band_keys
                rec[scheme] = {"signature": [str(x) for x in sig] if scheme == "affine64" else sig,
                               "band_keys": [str(x) for x in keyfunc(sig, bands, rows)] if sh else []}
            sketches.append(rec)
    docs = e2e_corpus()
    corpus = {}
    for scheme in SCHEMES:
        sk = []
        for d in docs:
            sh = shingles(normalize(d["text"].encode()), "word", 5)
            sk.append((d["id"], len(sh), default_minhash(scheme, sh)))
        pairs = []
        for i in range(len(sk)):
            for j in range(i + 1, len(sk)):
                if sk[i][1] and sk[j][1]:
                    est = sk[i][2].jaccard(sk[j][2])
                    if est > 0:
                        pairs.append([sk[i][0], sk[j][0], est])
        corpus[scheme] = {
            "documents": [{"id": i, "shingles": n, "signature": [int(x) for x in m.hashvalues]}
                          for i, n, m in sk],
            "jaccard": pairs}
    with open(os.path.join(OUT, "golden_sha1.json"), "w") as f:
        json.dump({"meta": meta, "vectors": vec, "sketches": sketches, "num_perm": 128, "seed": 1,
                   "shingle": "word:5", "corpus": corpus}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
