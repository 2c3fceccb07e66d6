"""shingle_hash="sha1": dupscan's signatures and --no-verify estimates equal datasketch 2.x's
MinHash as it constructs it by default -- no hashfunc, so SHA-1 (datasketch.hashfunc.sha1_hash32,
sha1_hash64 for affine64) -- for every scheme, on real text (GSM8K questions and wikitext-2
paragraphs from ../shared/data)."""
import importlib.util
import os

import datasketch
import numpy as np
import pyarrow as pa
import pytest

import dupscan
from conftest import ROOT, shared_file

_spec = importlib.util.spec_from_file_location("gen_golden", os.path.join(ROOT, "scripts", "gen_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

SCHEMES = ["affine32", "affine64", "legacy"]


@pytest.fixture(scope="module")
def texts(gsm8k_records):
    with open(shared_file("wikitext2_valid.txt"), encoding="utf-8") as f:
        wiki = [p.strip() for p in f.read().split("\n") if len(p.strip()) > 200][:100]
    # Real text, plus the edge cases: empty, punctuation only, shorter than a shingle, non-ASCII.
    return ([r["question"] for r in gsm8k_records[:200]] + wiki +
            ["", "?!", "two words", "Ünïcödé — text, with marks"])


def default_minhash(scheme, num_perm, seed, shingles):
    """datasketch's MinHash with no hashfunc (its default: SHA-1); affine32 with no scheme= either."""
    if scheme == "affine32":
        m = datasketch.MinHash(num_perm=num_perm, seed=seed)
        assert m.scheme == "affine32"
    else:
        m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
    assert m.hashfunc is (datasketch.hashfunc.sha1_hash64 if scheme == "affine64"
                          else datasketch.hashfunc.sha1_hash32)
    if shingles:
        m.update_batch(shingles)
    return m


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("num_perm,seed,shingle", [(128, 1, "word:5"), (64, 7, "char:9")])
def test_sha1_signatures_equal_datasketch_default(texts, scheme, num_perm, seed, shingle):
    sig = dupscan.signatures(texts, num_perm=num_perm, seed=seed, scheme=scheme, shingle=shingle,
                             shingle_hash="sha1")
    assert sig.dtype == (np.uint64 if scheme == "affine64" else np.uint32)
    kind, n = shingle.split(":")
    for i, t in enumerate(texts):
        sh = golden.shingles(golden.normalize(t.encode()), kind, int(n))
        m = default_minhash(scheme, num_perm, seed, sh)
        assert np.array_equal(sig[i], m.hashvalues.astype(sig.dtype)), (scheme, i, t[:60])
    # The default stays xxh64: a different sketch.
    other = dupscan.signatures(texts[:5], num_perm=num_perm, seed=seed, scheme=scheme,
                               shingle=shingle)
    assert not np.array_equal(other, sig[:5])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_sha1_no_verify_estimates_equal_datasketch_jaccard(texts, scheme):
    # Planted near copies (a word changed) of the first 40 texts, so that LSH has pairs to estimate.
    base = [t for t in texts if len(t.split()) > 20][:40]
    near = [" ".join(w if j != len(t.split()) // 2 else "changed" for j, w in enumerate(t.split()))
            for t in base]
    docs = base + near
    ids = [str(i) for i in range(len(docs))]
    table = pa.table({"id": ids, "text": docs})
    r = dupscan.dedup(table, id="id", scheme=scheme, shingle_hash="sha1", verify=False, bands=32,
                      rows=4, threshold=0.5, threads=2)
    assert r.report["parameters"]["shingle_hash_function"] == "sha1"
    sketches = [default_minhash(scheme, 128, 1, golden.shingles(golden.normalize(d.encode()), "word", 5))
                for d in docs]
    rows = [x for x in r.duplicates.to_pylist() if x["kind"] == "near"]
    assert len(rows) >= 30
    for x in rows:
        a, b = int(x["id"]), int(x["duplicate_of"])
        assert x["jaccard"] == sketches[a].jaccard(sketches[b]), (scheme, a, b)


def test_shingle_hash_is_checked(tmp_path):
    with pytest.raises(ValueError, match=r"shingle_hash: 'md5' not in \{xxh64, sha1\}"):
        dupscan.signatures(["a b c d e"], shingle_hash="md5")
    with pytest.raises(TypeError):
        dupscan.dedup(["a b c d e"], shingle_hash=1)
    with pytest.raises(ValueError, match="shingle_hash applies to sketch compat only"):
        dupscan.dedup(["a b c d e"], sketch="fast", shingle_hash="sha1")
    r = dupscan.dedup(["a b c d e f"], threads=1)
    assert r.report["parameters"]["shingle_hash_function"] == "xxh64"


def test_index_remembers_sha1(tmp_path, gsm8k_records):
    from conftest import write_jsonl
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": r["id"], "text": r["question"]}
                                               for r in gsm8k_records[:300]])
    copies = [{"id": f"copy-{r['id']}", "text": r["question"] + " again"} for r in gsm8k_records[:30]]
    second = write_jsonl(tmp_path / "b.jsonl", copies)
    idx = dupscan.Index.build(tmp_path / "idx", first, shingle_hash="sha1")
    assert idx.manifest["parameters"]["shingle_hash"] == "sha1"
    r = dupscan.dedup(second, against=idx, threads=2)
    assert r.report["parameters"]["shingle_hash_function"] == "sha1"
    assert r.duplicates.num_rows >= 25
    with pytest.raises(ValueError, match=r"shingle_hash xxh64 \(the index: sha1\)"):
        dupscan.dedup(second, against=idx, shingle_hash="xxh64")
