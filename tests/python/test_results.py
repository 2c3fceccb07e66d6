"""The result tables' types follow the files' JSON, not pyarrow's guesses; write() replaces files
atomically; settings and inputs the command line refuses are refused here too."""
import json
import os
import pathlib

import pyarrow as pa
import pytest

import dupscan
from conftest import run_cli, write_jsonl

TEXTS = ["a b c d e f g", "a b c d e f g", "h i j k l m n", "a b c d e f g x"]


def test_date_like_ids_stay_strings():
    ids = ["2021-03-04", "2021-03-05", "2021-03-06", "2021-03-07"]
    r = dupscan.dedup(pa.table({"id": ids, "text": TEXTS}), id="id", threshold=0.5)
    assert r.duplicates.schema.field("id").type == pa.string()
    assert r.duplicates.schema.field("duplicate_of").type == pa.string()
    assert r.clusters.schema.field("kept").type == pa.string()
    assert r.clusters.schema.field("members").type == pa.list_(pa.string())
    assert r.duplicates.column("duplicate_of").to_pylist() == ["2021-03-04", "2021-03-04"]
    assert r.clusters.to_pylist() == [json.loads(l) for l in r.clusters_jsonl.splitlines()]


def test_column_types_do_not_follow_the_data():
    # Only exact copies: the jaccard values are written as 1, and stay a float column.
    r = dupscan.dedup(pa.table({"id": [10, 11, 12], "text": TEXTS[:3]}), id="id")
    assert r.duplicates.schema == pa.schema(
        [("id", pa.int64()), ("duplicate_of", pa.int64()), ("cluster", pa.int64()),
         ("kind", pa.string()), ("jaccard", pa.float64())]
    )
    assert r.duplicates.to_pylist() == [
        {"id": 11, "duplicate_of": 10, "cluster": 0, "kind": "exact", "jaccard": 1.0}
    ]
    assert r.clusters.schema.field("members").type == pa.list_(pa.int64())
    # Nothing found: the same column names.
    r = dupscan.dedup(["one two three four five", "six seven eight nine ten"])
    assert r.duplicates.column_names == ["id", "duplicate_of", "cluster", "kind", "jaccard"]
    assert r.duplicates.schema.field("jaccard").type == pa.float64()
    assert r.clusters.column_names == ["cluster", "kept", "members"]


def test_ids_of_mixed_json_types_are_json_values(tmp_path):
    path = write_jsonl(tmp_path / "mixed.jsonl", [
        {"id": 7, "text": TEXTS[0]}, {"id": "seven", "text": TEXTS[1]},
        {"id": 7.5, "text": TEXTS[2]}, {"id": [7], "text": TEXTS[0]},
    ])
    r = dupscan.dedup(path, id="id")
    assert r.duplicates.schema.field("id").type == pa.json_(pa.string())
    assert r.clusters.schema.field("members").type == pa.list_(pa.json_(pa.string()))
    members = r.clusters.column("members").to_pylist()[0]
    assert [json.loads(m) for m in members] == [7, "seven", [7]]


def test_a_cluster_line_over_3_mib():
    # pyarrow.json's 1 MiB blocks: a line across two block boundaries (> 2 MiB) was an error.
    n = 40_000
    ids = [f"document-{i:08d}-" + "x" * 60 for i in range(n)]
    r = dupscan.dedup(pa.table({"id": ids, "text": ["the very same words here"] * n}), id="id")
    assert max(len(l) for l in r.clusters_jsonl.splitlines()) > 3 << 20
    assert r.clusters.num_rows == 1
    assert r.clusters.column("members").to_pylist() == [ids]
    assert r.clusters.schema.field("members").type == pa.list_(pa.string())
    assert r.duplicates.num_rows == n - 1


def test_stdin_is_refused(tmp_path):
    for data in ("-", pathlib.Path("-"), [pathlib.Path("-")]):  # b"-": bytes are a TypeError
        with pytest.raises(ValueError, match=r"stdin \('-'\) is not an input from Python"):
            dupscan.dedup(data)
    with pytest.raises(ValueError, match="stdin"):
        dupscan.Index.build(str(tmp_path / "idx"), "-")
    with pytest.raises(ValueError, match="stdin"):
        dupscan.contam(["some training text here"], {"b": "-"})


def test_settings_the_cli_refuses(tmp_path):
    message = "--scheme applies to --sketch compat only"
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": t} for t in TEXTS])
    cli = run_cli("dedup", str(path), "-o", str(tmp_path / "o"), "--sketch", "fast",
                  "--scheme", "affine32", check=False)
    assert cli.returncode != 0 and message in cli.stderr
    # The same message, naming the package's keyword arguments.
    message = r'^scheme applies to sketch compat only: .*\(leave scheme out, or use sketch="compat"\)$'
    with pytest.raises(ValueError, match=message):
        dupscan.dedup(TEXTS, sketch="fast", scheme="affine32")
    with pytest.raises(ValueError, match=message):
        dupscan.signatures(TEXTS, sketch="fast", scheme="affine64")
    assert dupscan.signatures(TEXTS, sketch="fast").shape == (4, 128)
    # Band counts beyond 32 bits are refused, not narrowed (2^32 + 1 would become 1).
    for bands, rows in ((2**32 + 1, 1), (1, 2**32 + 1), (2**32, 2**32)):
        with pytest.raises(ValueError, match=r"must not exceed num_perm \(128\)"):
            dupscan.dedup(TEXTS, bands=bands, rows=rows)
        with pytest.raises(ValueError, match=r"must not exceed num_perm \(128\)"):
            dupscan.band_keys(TEXTS, bands=bands, rows=rows)


def test_scheme_reaches_dedup(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": t} for t in TEXTS])
    run_cli("dedup", str(path), "-o", str(tmp_path / "cli"), "--scheme", "affine64", "-q",
            "--threshold", "0.5")
    r = dupscan.dedup(path, scheme="affine64", threshold=0.5)
    with open(tmp_path / "cli" / "duplicates.jsonl", "rb") as f:
        assert r.duplicates_jsonl == f.read()
    assert r.report["parameters"]["scheme"] == "affine64"


def test_write_replaces_files_atomically(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "duplicates.jsonl").write_bytes(b"old\n")
    os.link(out / "duplicates.jsonl", tmp_path / "old-link")  # the old file, by another name
    r = dupscan.dedup(TEXTS)
    r.write(str(out))
    # A new file took the name (the old one, still open elsewhere, is untouched) ...
    assert (tmp_path / "old-link").read_bytes() == b"old\n"
    assert (out / "duplicates.jsonl").read_bytes() == r.duplicates_jsonl
    assert (out / "clusters.jsonl").read_bytes() == r.clusters_jsonl
    assert (out / "report.json").read_bytes() == r.report_json
    # ... and no temporary file is left behind.
    assert sorted(os.listdir(out)) == ["clusters.jsonl", "duplicates.jsonl", "report.json"]


def test_write_leaves_only_this_result_and_refuses_foreign_files(tmp_path):
    # As the command line: an earlier run's outputs there go (contam's, a report page), in one
    # step; files no dupscan run wrote refuse the directory unless force=True (left alone).
    out = tmp_path / "out"
    out.mkdir()
    (out / "clean").mkdir()
    (out / "clean" / "b.jsonl").write_bytes(b"")
    (out / "contamination.jsonl").write_bytes(b"")
    (out / "report.html").write_bytes(b"<html>")
    (out / "report.json").write_text(json.dumps(
        {"output_dir_files": ["clean/", "clean/b.jsonl", "contamination.jsonl", "report.json"]}))
    r = dupscan.dedup(TEXTS)
    r.write(str(out))
    assert sorted(os.listdir(out)) == ["clusters.jsonl", "duplicates.jsonl", "report.json"]
    (out / "notes.txt").write_bytes(b"mine")
    (out / ".hidden").write_bytes(b"")
    with pytest.raises(FileExistsError, match="holds files no dupscan run wrote: 'notes.txt'"):
        r.write(str(out))
    r.write(str(out), force=True)
    assert (out / "notes.txt").read_bytes() == b"mine"
    assert sorted(os.listdir(out)) == [".hidden", "clusters.jsonl", "duplicates.jsonl",
                                       "notes.txt", "report.json"]
