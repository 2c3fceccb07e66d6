"""The result tables cross from the core as Arrow arrays (the C data interface): the same rows as
the output files, ids typed by the JSON type they all have, nothing found giving the same columns,
and every Arrow struct released whether pyarrow imports it or not."""
import gc
import json

import numpy as np
import pyarrow as pa
import pytest

import dupscan
from dupscan import _dupscan
from conftest import write_jsonl

TEXTS = ["a b c d e f g", "a b c d e f g", "h i j k l m n", "a b c d e f g x"]
CONTAMINATED = "one two three four five six seven eight nine ten eleven twelve thirteen"
JSON = pa.json_(pa.string())


def rows(jsonl):
    return [json.loads(line) for line in jsonl.splitlines()]


def dedup_file(tmp_path, ids):
    path = write_jsonl(tmp_path / "ids.jsonl",
                       [{"id": i, "text": TEXTS[0]} for i in ids] + [{"text": TEXTS[2]}])
    return dupscan.dedup(path, id="id")


def id_types(r):
    return (r.duplicates.schema.field("id").type, r.duplicates.schema.field("duplicate_of").type,
            r.clusters.schema.field("kept").type, r.clusters.schema.field("members").type)


def test_nothing_found_has_the_columns_and_null_ids():
    r = dupscan.dedup(["one two three four five", "six seven eight nine ten"])
    assert r.duplicates.num_rows == 0 and r.clusters.num_rows == 0
    assert r.duplicates.schema == pa.schema(
        [("id", pa.null()), ("duplicate_of", pa.null()), ("cluster", pa.int64()),
         ("kind", pa.string()), ("jaccard", pa.float64())])
    assert r.clusters.schema == pa.schema(
        [("cluster", pa.int64()), ("kept", pa.null()), ("members", pa.list_(pa.null()))])
    assert r.keep.dtype == np.bool_ and r.keep.tolist() == [True, True]


def test_keep_mask_past_a_byte_of_bits():
    # Bits packed eight to a byte in the core: rows on both sides of each byte's edge.
    texts = [f"document number {i} of the set" for i in range(19)]
    texts[9] = texts[8] = texts[0]
    texts[17] = texts[16]
    r = dupscan.dedup(texts)
    want = [True] * 19
    want[8] = want[9] = want[17] = False
    assert r.keep.dtype == np.bool_ and r.keep.tolist() == want


@pytest.mark.parametrize(
    "ids, want",
    [
        ([2**63 + 5, 2**64 - 1], pa.uint64()),  # past int64, within uint64
        ([-(2**63), 2**63 - 1], pa.int64()),  # the ends of int64
        ([-3, 2**63], JSON),  # neither int64 nor uint64 holds both
        ([2**70, 5], JSON),  # past 64 bits: the JSON text as written
        ([True, False], pa.bool_()),
        ([1e5, 2.5], pa.float64()),
        (["é\"\\\t😀", "x\u2028", ""], pa.string()),  # escapes and non-ASCII, unescaped
    ],
)
def test_ids_take_the_json_type_they_all_have(tmp_path, ids, want):
    r = dedup_file(tmp_path, ids)
    assert id_types(r) == (want, want, want, pa.list_(want))
    if want == JSON:
        # Each id's JSON text as the files write it.
        texts = [json.dumps(i) for i in ids]
        members = r.clusters.column("members").to_pylist()[0]
        assert members == texts
        assert r.duplicates.column("id").to_pylist() == texts[1:]
    else:
        assert r.duplicates.to_pylist() == rows(r.duplicates_jsonl)
        assert r.clusters.to_pylist() == rows(r.clusters_jsonl)
        assert r.clusters.column("members").to_pylist() == [ids]


def test_escaped_string_ids_are_unescaped(tmp_path):
    # \u escapes as the file writes them (ensure_ascii): surrogate pairs become one character.
    ids = ["\u00e9\U0001F600", "tab\there \"q\" \\ /", "\u2028"]
    path = tmp_path / "escaped.jsonl"
    with open(path, "w", encoding="ascii") as f:
        for i in ids:
            f.write(json.dumps({"id": i, "text": TEXTS[0]}, ensure_ascii=True) + "\n")
    r = dupscan.dedup(str(path), id="id")
    assert r.clusters.column("members").to_pylist() == [ids]
    assert r.duplicates.to_pylist() == rows(r.duplicates_jsonl)


def test_composite_ids_are_their_json_text(tmp_path):
    r = dedup_file(tmp_path, [{"a": [1, "b,]}"]}, [2, {"c": None}], "s"])
    assert id_types(r)[0] == JSON
    members = r.clusters.column("members").to_pylist()[0]
    assert [json.loads(m) for m in members] == [{"a": [1, "b,]}"]}, [2, {"c": None}], "s"]
    # The text is the file's: each member is a part of clusters.jsonl, byte for byte.
    line = r.clusters_jsonl.decode()
    assert all(m in line for m in members)


def test_an_id_of_null_is_no_id(tmp_path):
    # A null id is a record without one: its "<file>:<line>" stands in (a string among ints).
    r = dedup_file(tmp_path, [None, 4])
    members = r.clusters.column("members").to_pylist()[0]
    assert id_types(r)[0] == JSON
    assert json.loads(members[1]) == 4 and json.loads(members[0]).endswith("ids.jsonl:1")


def test_contam_tables_nothing_found_and_found():
    r = dupscan.contam(["nothing like it at all in here"], {"b": [CONTAMINATED]})
    assert r.examples.to_pylist() == rows(r.contamination_jsonl)
    matches = r.examples.schema.field("matches").type.value_type
    assert matches.field("train_id").type == pa.null()  # no training id met: type null
    assert r.examples.column("matches").to_pylist() == [[]]  # empty lists, not nulls
    r = dupscan.contam([CONTAMINATED + " fourteen"], {"b": [CONTAMINATED]})
    got = r.examples.to_pylist()
    assert got == rows(r.contamination_jsonl)
    assert got[0]["dirty"] is True and got[0]["matches"][0]["train_id"] == 0
    near = r.examples.schema.field("near_duplicates").type.value_type
    assert near == pa.struct([("train_id", pa.int64()), ("jaccard", pa.float64())])


def test_capsules_not_imported_are_released():
    # The core's structs freed by their capsules when nobody imports them (no leak, no crash),
    # and imported once only (the Arrow PyCapsule protocol moves them out).
    for _ in range(3):
        out = _dupscan.dedup(_dupscan.DedupSettings(), [], [_dupscan.table_from_array(
            *pa.array(TEXTS, pa.large_string()).__arrow_c_array__(), "<t>")], 0.0)
        assert len(out) == 7
        del out
        gc.collect()
    r = dupscan.dedup(TEXTS)
    assert r.duplicates.num_rows == 1
