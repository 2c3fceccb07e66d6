"""dupscan.signatures equals datasketch 2.x's MinHash.hashvalues on real text, for each scheme;
band_keys are the spec's (xxh64 of each band's values, seeded by the band)."""
import importlib.util
import os

import datasketch
import numpy as np
import pyarrow as pa
import pytest
import xxhash

import dupscan
from conftest import ROOT

# The specification's second reading (normalization, shingles, band keys) in plain Python.
_spec = importlib.util.spec_from_file_location("gen_golden", os.path.join(ROOT, "scripts", "gen_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.fixture(scope="module")
def texts(gsm8k_records):
    # Real questions, plus the edge cases: empty, punctuation only, shorter than a shingle, non-ASCII.
    return [r["question"] for r in gsm8k_records[:300]] + ["", "?!", "two words", "Ünïcödé — text, with marks"]


def hashfunc(scheme):
    if scheme == "affine64":
        return xxhash.xxh64_intdigest
    return lambda b: xxhash.xxh64_intdigest(b) & 0xFFFFFFFF


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
@pytest.mark.parametrize("num_perm,seed,shingle", [(128, 1, "word:5"), (64, 7, "char:9")])
def test_signatures_equal_datasketch(texts, scheme, num_perm, seed, shingle):
    sig = dupscan.signatures(texts, num_perm=num_perm, seed=seed, scheme=scheme, shingle=shingle)
    assert sig.shape == (len(texts), num_perm)
    assert sig.dtype == (np.uint64 if scheme == "affine64" else np.uint32)
    kind, n = shingle.split(":")
    for i, t in enumerate(texts):
        m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=hashfunc(scheme))
        sh = golden.shingles(golden.normalize(t.encode()), kind, int(n))
        if sh:
            m.update_batch(sh)
        assert np.array_equal(sig[i], m.hashvalues.astype(sig.dtype)), (scheme, i, t)


def test_band_keys(texts):
    sig = dupscan.signatures(texts, scheme="affine32")
    keys = dupscan.band_keys(texts, scheme="affine32", threshold=0.8)
    assert keys.shape == (len(texts), 9) and keys.dtype == np.uint64  # 9 x 13 at 0.8, K = 128
    for i, t in enumerate(texts):
        want = golden.band_keys([int(x) for x in sig[i]], 9, 13) if golden.normalize(t.encode()) else [0] * 9
        assert keys[i].tolist() == want
    keys64 = dupscan.band_keys(texts[:20], scheme="affine64", bands=4, rows=8)
    sig64 = dupscan.signatures(texts[:20], scheme="affine64")
    assert keys64[0].tolist() == golden.band_keys64([int(x) for x in sig64[0]], 4, 8)


def test_signatures_of_arrow_and_errors(texts):
    a = dupscan.signatures(texts)
    assert np.array_equal(dupscan.signatures(pa.array(texts, pa.large_string())), a)
    assert np.array_equal(dupscan.signatures(pa.table({"q": texts}), text="q"), a)
    with pytest.raises(ValueError, match="scheme: 'affine16' not in"):
        dupscan.signatures(texts, scheme="affine16")
    with pytest.raises(dupscan.InputError, match="row 1: text column is null"):
        dupscan.signatures(pa.array(["a b c", None]))
