#!/usr/bin/env python3
"""Builds the example corpus in examples/ from the real text in ../shared/data/:

    python3 scripts/make_examples.py [SHARED_DATA_DIR]

examples/corpus.jsonl.gz   about 9,000 documents (7 MB of text): wikitext-2 validation paragraphs,
                           tinyshakespeare passages, GSM8K train and test problems (question and
                           answer), HumanEval prompts -- plus planted copies:
                             * exact copies, some re-cased, re-punctuated or re-spaced (equal after
                               normalization);
                             * near copies at known edit rates: words substituted, deleted or
                               inserted (1% .. 30%), a boilerplate header/footer added, the end cut;
                           shuffled so that copies lie far from their originals.
                           Fields: "id", "source", "text".
examples/planted.jsonl     the ground truth: one line per planted copy, {"id", "of", "edit",
                           "rate", "jaccard"}: jaccard is the true Jaccard similarity of the word
                           5-gram sets after dupscan's default normalization, computed here with a
                           second, independent implementation of that specification.

Deterministic: the same inputs give the same bytes (fixed seed, gzip mtime 0).
"""
import gzip
import json
import os
import random
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "data")
OUT = os.path.join(ROOT, "examples")
SEED = 20261122


def normalize(text: str) -> str:
    # dupscan's default normalization (include/dupscan/normalize.hpp), second reading.
    words, cur = [], []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf" or (cat[0] == "M" and not cur):
            continue
        if cat[0] in "PSZ" or cat == "Cc":
            if cur:
                words.append("".join(cur))
                cur = []
            continue
        cur.append(ch.lower()[0])
    if cur:
        words.append("".join(cur))
    return " ".join(words)


def shingles(text: str, n: int = 5) -> set:
    w = normalize(text).split(" ")
    if w == [""]:
        return set()
    if len(w) < n:
        return {" ".join(w)}
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0


def load_sources():
    docs = []
    with open(os.path.join(SHARED, "wikitext2_valid.txt"), encoding="utf-8") as f:
        k = 0
        for line in f:
            line = line.strip()
            if not line or line.startswith("= ") or len(line.split()) < 20:
                continue
            docs.append(("wikitext", "wiki-%05d" % k, line))
            k += 1
    with open(os.path.join(SHARED, "tinyshakespeare.txt"), encoding="utf-8") as f:
        speeches = f.read().split("\n\n")
    cur, k = [], 0
    for sp in speeches:
        cur.append(sp)
        if sum(len(s.split()) for s in cur) >= 120:
            docs.append(("shakespeare", "shakespeare-%04d" % k, "\n\n".join(cur)))
            cur, k = [], k + 1
    for split in ("train", "test"):
        with open(os.path.join(SHARED, "gsm8k_%s.jsonl" % split), encoding="utf-8") as f:
            for i, line in enumerate(f):
                d = json.loads(line)
                docs.append(("gsm8k", "gsm8k-%s-%05d" % (split, i), d["question"] + "\n" + d["answer"]))
    with gzip.open(os.path.join(SHARED, "humaneval.jsonl.gz"), "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(("humaneval", d["task_id"].replace("/", "-").lower(), d["prompt"]))
    return docs


HEADERS = ["Home | News | Sport | Weather | Contact us", "Skip to main content. Menu. Search.",
           "Advertisement. Continue reading below."]
FOOTERS = ["Share this article on Facebook, Twitter and email. Comments are closed.",
           "Copyright 2024 All rights reserved. Terms of use. Privacy policy. Cookie settings.",
           "Subscribe to our newsletter for more stories like this one, delivered every morning."]


def edit_words(rnd, text, kind, rate, vocab):
    words = text.split()
    n = max(1, round(len(words) * rate))
    if kind == "substitute":
        for i in rnd.sample(range(len(words)), min(n, len(words))):
            words[i] = rnd.choice(vocab)
    elif kind == "delete":
        drop = set(rnd.sample(range(len(words)), min(n, len(words) - 1)))
        words = [w for i, w in enumerate(words) if i not in drop]
    elif kind == "insert":
        for _ in range(n):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(vocab))
    return " ".join(words)


def restyle(rnd, text):
    # Changes that dupscan's normalization removes: case, punctuation, whitespace.
    style = rnd.randrange(3)
    if style == 0:
        return text.upper()
    if style == 1:
        return "  ".join(text.replace(",", " ,").replace(".", " . ").split())
    return text.replace(" ", "\t").replace(".", "!")


def main():
    rnd = random.Random(SEED)
    docs = load_sources()
    vocab = sorted({w for _, _, t in docs[:3000] for w in t.split() if w.isalpha()})
    records = [{"id": i, "source": s, "text": t} for s, i, t in docs]
    planted = []
    eligible = [d for d in docs if len(d[2].split()) >= 60]
    picks = rnd.sample(eligible, 900)
    for n, (source, did, text) in enumerate(picks):
        variants = []
        if n < 120:
            variants.append(("exact", 0.0, text if n % 2 else restyle(rnd, text)))
        else:
            kind = ["substitute", "delete", "insert", "boilerplate", "truncate"][n % 5]
            if kind == "boilerplate":
                t = rnd.choice(HEADERS) + "\n" + text + "\n" + rnd.choice(FOOTERS)
                variants.append((kind, 0.0, t))
            elif kind == "truncate":
                w = text.split()
                keep = rnd.choice([0.95, 0.9, 0.8, 0.6])
                variants.append((kind, round(1 - keep, 2), " ".join(w[:int(len(w) * keep)])))
            else:
                rate = rnd.choice([0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3])
                variants.append((kind, rate, edit_words(rnd, text, kind, rate, vocab)))
                if n % 7 == 0:  # a second, independent copy: a cluster of three
                    variants.append((kind, rate, edit_words(rnd, text, kind, rate, vocab)))
        for v, (kind, rate, t) in enumerate(variants):
            vid = "%s~%s%d" % (did, kind[:3], v)
            records.append({"id": vid, "source": source, "text": t})
            planted.append({"id": vid, "of": did, "edit": kind, "rate": rate,
                            "jaccard": round(jaccard(text, t), 6)})
    rnd.shuffle(records)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "corpus.jsonl.gz"), "wb") as raw:
        with gzip.GzipFile(filename="corpus.jsonl", mode="wb", fileobj=raw, mtime=0) as f:
            for r in records:
                f.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    with open(os.path.join(OUT, "planted.jsonl"), "w", encoding="utf-8") as f:
        for p in sorted(planted, key=lambda p: p["id"]):
            f.write(json.dumps(p) + "\n")
    text_bytes = sum(len(r["text"].encode()) for r in records)
    print("examples: %d documents, %.1f MB of text, %d planted copies" %
          (len(records), text_bytes / 1e6, len(planted)), file=sys.stderr)


if __name__ == "__main__":
    main()
