"""The copies a run writes (--write-deduped, --write-decontaminated) are in the format their name
says -- JSON Lines (plain, .gz, .zst) or Parquet (.parquet) -- whatever the inputs' kind."""
import base64
import datetime
import gzip
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import CORPUS, read_jsonl, run_cli, shared_file, write_jsonl

SAME = "the same words in the same order, a record that is found twice in the file"


def texts(n):
    # Two exact copies (rows 1 and 4 are duplicates of 0), the rest distinct.
    t = [f"record number {i} says something of its own, with words {i * 7} and {i * 13}"
         for i in range(n)]
    t[0] = t[1] = t[4] = SAME
    return t


def mixed_table(n=12):
    utc = datetime.timezone.utc
    return pa.table({
        "id": pa.array(list(range(n)), pa.int64()),
        "text": texts(n),
        "score": [i / 4 if i % 3 else None for i in range(n)],
        "flag": [i % 2 == 0 for i in range(n)],
        "small": pa.array([i - 3 for i in range(n)], pa.int8()),
        "f32": pa.array([0.1 * i for i in range(n)], pa.float32()),
        "tags": [[f"t{i}", "x"] if i % 2 else [] for i in range(n)],
        "meta": [{"a": i, "b": f"b{i}" if i % 4 else None} for i in range(n)],
        "blob": pa.array([bytes([i, 255, 0, i]) for i in range(n)], pa.binary()),
        "day": pa.array([datetime.date(2020, 1, 1 + i) for i in range(n)], pa.date32()),
        "at": pa.array([datetime.datetime(2021, 5, 6, 7, 8, 9, 1000 * i, tzinfo=utc)
                        for i in range(n)], pa.timestamp("us", tz="UTC")),
        "label": pa.array([f"l{i % 3}" for i in range(n)]).dictionary_encode(),
    })


def as_json(row):
    """A row of mixed_table as the JSON object dupscan writes for it."""
    out = dict(row)
    # A float32 is written as the shortest text that reads back as that float32.
    out["f32"] = float(str(np.float32(row["f32"])))
    out["blob"] = base64.b64encode(row["blob"]).decode()
    out["day"] = row["day"].isoformat()
    out["at"] = row["at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return out


def dedup(inputs, out, *args, check=True):
    return run_cli("dedup", *inputs, "-o", str(out), "--threads", "2", "-q", "--id-field", "id",
                   *args, check=check)


def removed_ids(out):
    return {d["id"] for d in read_jsonl(str(out / "duplicates.jsonl"))}


def read_lines(path):
    path = str(path)
    if path.endswith(".zst"):
        with pa.input_stream(path, compression="zstd") as f:
            data = f.read()
    elif path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            data = f.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


@pytest.mark.parametrize("name", ["kept.jsonl", "kept.jsonl.gz", "kept.jsonl.zst", "kept"])
def test_parquet_input_to_jsonl_copy(name, tmp_path):
    table = mixed_table()
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, row_group_size=5)  # several row groups
    dedup([str(path)], tmp_path / "out", "--write-deduped", str(tmp_path / name))
    removed = removed_ids(tmp_path / "out")
    assert removed == {1, 4}
    got = read_lines(tmp_path / name)
    want = [as_json(r) for r in table.to_pylist() if r["id"] not in removed]
    assert got == want


def test_jsonl_input_to_parquet_copy(tmp_path):
    records = []
    for i, t in enumerate(texts(10)):
        r = {"id": i, "text": t, "score": i if i % 2 else i + 0.5, "ok": i % 3 == 0,
             "meta": {"k": [i, "v"]}, "mixed": "s" if i % 2 else i}
        if i == 3:
            del r["score"]  # a field a record lacks is null in its row
        if i == 5:
            r["ok"] = None
        if i == 7:
            r["extra"] = "only here"
        records.append(r)
    path = write_jsonl(tmp_path / "data.jsonl", records)
    dedup([str(path)], tmp_path / "out", "--write-deduped", str(tmp_path / "kept.parquet"))
    removed = removed_ids(tmp_path / "out")
    assert removed == {1, 4}
    kept = pq.read_table(tmp_path / "kept.parquet")
    schema = kept.schema
    assert schema.names == ["id", "text", "score", "ok", "meta", "mixed", "extra"]
    assert schema.field("id").type == pa.int64()
    assert schema.field("text").type == pa.string()
    assert schema.field("score").type == pa.float64()  # integers and floats mixed
    assert schema.field("ok").type == pa.bool_()
    assert schema.field("extra").type == pa.string()
    # Objects and values of several JSON types: each value's JSON text, typed arrow.json.
    for name in ("meta", "mixed"):
        t = schema.field(name).type
        storage = t.storage_type if isinstance(t, pa.ExtensionType) else t
        assert storage == pa.string()
        assert getattr(t, "extension_name", "arrow.json") == "arrow.json"
    rows = kept.to_pylist()
    want = [r for r in records if r["id"] not in removed]
    assert [r["id"] for r in rows] == [r["id"] for r in want]
    for got, w in zip(rows, want):
        assert got["text"] == w["text"]
        assert got["score"] == w.get("score")
        assert got["ok"] == w["ok"]
        assert json.loads(str(got["meta"])) == w["meta"]
        assert json.loads(str(got["mixed"])) == w["mixed"]
        assert got["extra"] == w.get("extra")


def test_jsonl_to_parquet_with_a_nested_text_field_and_nothing_kept(tmp_path):
    # The text column is the nested field's top-level one (no column named "meta.body").
    records = [{"id": i, "meta": {"body": t}} for i, t in enumerate(texts(6))]
    path = write_jsonl(tmp_path / "nested.jsonl", records)
    dedup([str(path)], tmp_path / "out", "--text-field", "meta.body", "--write-deduped",
          str(tmp_path / "kept.parquet"))
    kept = pq.read_table(tmp_path / "kept.parquet")
    assert kept.schema.names == ["id", "meta"]
    assert [json.loads(str(m)) for m in kept.column("meta").to_pylist()] == [
        r["meta"] for r in records if r["id"] not in (1, 4)]
    # No records at all: one string column, the text field's.
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    dedup([str(empty)], tmp_path / "out2", "--write-deduped", str(tmp_path / "none.parquet"))
    none = pq.read_table(tmp_path / "none.parquet")
    assert none.num_rows == 0 and none.schema == pa.schema([("text", pa.string())])


def test_parquet_column_without_json_form_is_a_usage_error_before_any_work(tmp_path):
    table = mixed_table().append_column("clock", pa.array([1000 * i for i in range(12)],
                                                          pa.time64("us")))
    path = tmp_path / "data.parquet"
    pq.write_table(table, path)
    r = dedup([str(path)], tmp_path / "out", "--write-deduped", str(tmp_path / "kept.jsonl"),
              check=False)
    assert r.returncode == 2, r.stderr
    assert "column 'clock' (time64[us])" in r.stderr
    assert ".parquet" in r.stderr  # what to do
    assert not (tmp_path / "out").exists()  # before any work: not even the output directory
    assert not (tmp_path / "kept.jsonl").exists()
    # Named .parquet, the rows keep every column.
    dedup([str(path)], tmp_path / "out2", "--write-deduped", str(tmp_path / "kept.parquet"))
    kept = pq.read_table(tmp_path / "kept.parquet")
    assert kept.schema.names == table.schema.names and kept.num_rows == table.num_rows - 2
    assert kept.schema.field("clock").type == pa.time64("us")


def test_text_lines_to_parquet_is_a_usage_error(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(texts(6)) + "\n")
    r = run_cli("dedup", str(path), "--format", "text", "-o", str(tmp_path / "out"), "-q",
                "--write-deduped", str(tmp_path / "kept.parquet"), check=False)
    assert r.returncode == 2, r.stderr
    assert "plain text lines" in r.stderr and not (tmp_path / "out").exists()


def test_in_place_keeps_the_inputs_format(tmp_path):
    # An input replaced in place keeps its own format, whatever its name says: JSON Lines named
    # .parquet stays JSON Lines, and a Parquet file named otherwise stays Parquet.
    records = [{"id": i, "text": t} for i, t in enumerate(texts(8))]
    lines = write_jsonl(tmp_path / "rows.parquet", records)
    dedup([str(lines)], tmp_path / "out", "--write-deduped", str(lines), "--in-place")
    assert read_lines(lines) == [r for r in records if r["id"] not in (1, 4)]
    table = mixed_table()
    path = tmp_path / "rows.data"
    pq.write_table(table, path)
    dedup([str(path)], tmp_path / "out2", "--write-deduped", str(path), "--in-place")
    kept = pq.read_table(path)
    assert kept.num_rows == table.num_rows - 2 and kept.schema.names == table.schema.names


def test_contam_decontaminated_copy_as_parquet(tmp_path):
    bench = shared_file("gsm8k_test.jsonl")
    outs = {}
    for name in ("clean.jsonl", "clean.parquet"):
        run_cli("contam", "--train", CORPUS, "--eval", f"gsm8k={bench}:question", "-o",
                str(tmp_path / name.replace(".", "_")), "--threads", "2", "-q",
                "--write-decontaminated", str(tmp_path / name))
        outs[name] = tmp_path / name
    want = read_lines(outs["clean.jsonl"])
    got = pq.read_table(outs["clean.parquet"])
    assert got.num_rows == len(want) > 0
    assert got.column("text").to_pylist() == [r["text"] for r in want]
    assert got.column("id").to_pylist() == [r["id"] for r in want]


def test_contam_parquet_training_rows_are_cut_as_their_json_objects(tmp_path):
    # A Parquet training file of mixed columns, one row holding an eval example: the copy is the
    # rows as JSON objects, the matched one cut away (dropped: no piece long enough), the others
    # whole; named .parquet, the same records as rows.
    question = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning "
                "and bakes muffins for her friends every day with four.")
    table = mixed_table()
    texts_ = table.column("text").to_pylist()
    texts_[5] = question
    table = table.set_column(table.schema.get_field_index("text"), "text", pa.array(texts_))
    path = tmp_path / "train.parquet"
    pq.write_table(table, path)
    bench = write_jsonl(tmp_path / "bench.jsonl", [{"id": "q", "question": question}])
    for name in ("clean.jsonl", "clean.parquet"):
        run_cli("contam", "--train", str(path), "--eval", f"b={bench}:question", "-o",
                str(tmp_path / name.replace(".", "_")), "-q", "--write-decontaminated",
                str(tmp_path / name))
    want = [as_json(r) for r in table.to_pylist() if r["id"] != 5]
    assert read_lines(tmp_path / "clean.jsonl") == want
    removed = read_lines(tmp_path / "clean_jsonl" / "removed.jsonl")
    assert [(r["train_id"], r["action"]) for r in removed] == [(5, "dropped")]
    got = pq.read_table(tmp_path / "clean.parquet")
    assert got.column("text").to_pylist() == [r["text"] for r in want]
    assert got.column("id").to_pylist() == [r["id"] for r in want]


def test_contam_parquet_column_without_json_form_is_a_usage_error_before_any_work(tmp_path):
    table = mixed_table().append_column("clock", pa.array([1000 * i for i in range(12)],
                                                          pa.time64("us")))
    path = tmp_path / "data.parquet"
    pq.write_table(table, path)
    bench = write_jsonl(tmp_path / "bench.jsonl", [{"id": 1, "text": SAME}])
    # The rows are cut as JSON objects whatever the copy's format: refused for both.
    for name in ("clean.jsonl", "clean.parquet"):
        out = tmp_path / name.replace(".", "_")
        r = run_cli("contam", "--train", str(path), "--eval", f"b={bench}", "-o", str(out), "-q",
                    "--write-decontaminated", str(tmp_path / name), check=False)
        assert r.returncode == 2, r.stderr
        assert "column 'clock' (time64[us])" in r.stderr and str(path) in r.stderr
        assert "NAME.parquet" not in r.stderr  # a Parquet copy would not help: not suggested
        assert not out.exists() and not (tmp_path / name).exists()
