"""dupscan.dedup on every kind of input gives the CLI's duplicates and clusters, byte for byte."""
import json
import os

import datasets
import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dupscan
from conftest import CORPUS, ROOT, read_jsonl, run_cli, write_jsonl


def cli_dedup(inputs, out, *args):
    run_cli("dedup", *inputs, "-o", str(out), "--threads", "2", "-q", *args)
    with open(os.path.join(out, "duplicates.jsonl"), "rb") as f:
        dups = f.read()
    with open(os.path.join(out, "clusters.jsonl"), "rb") as f:
        clusters = f.read()
    return dups, clusters


def assert_same(result, dups, clusters):
    assert result.duplicates_jsonl == dups
    assert result.clusters_jsonl == clusters
    # ... and the tables are those files' rows.
    assert result.duplicates.to_pylist() == [json.loads(line) for line in dups.splitlines()]
    assert result.clusters.to_pylist() == [json.loads(line) for line in clusters.splitlines()]


@pytest.fixture(scope="module")
def cli_corpus(tmp_path_factory):
    return cli_dedup([CORPUS], tmp_path_factory.mktemp("cli"))


def test_table_equals_cli(corpus_table, cli_corpus, tmp_path):
    r = dupscan.dedup(corpus_table, text="text", id="id", threads=2)
    assert_same(r, *cli_corpus)
    assert r.duplicates.num_rows == 530  # as the README says of this corpus
    # keep: one flag per row, False exactly for the removed ids.
    removed = set(r.duplicates.column("id").to_pylist())
    ids = corpus_table.column("id").to_pylist()
    assert r.keep.dtype == np.bool_ and len(r.keep) == len(ids)
    assert [i not in removed for i in ids] == r.keep.tolist()
    r.write(tmp_path)
    with open(tmp_path / "duplicates.jsonl", "rb") as f:
        assert f.read() == cli_corpus[0]
    assert r.report["counts"]["documents"] == corpus_table.num_rows


def test_list_of_str_equals_cli(corpus_records, tmp_path):
    texts = [r["text"] for r in corpus_records[:4000]]
    path = write_jsonl(tmp_path / "texts.jsonl", [{"id": i, "text": t} for i, t in enumerate(texts)])
    dups, clusters = cli_dedup([str(path)], tmp_path / "cli")
    r = dupscan.dedup(texts, threads=2)
    assert_same(r, dups, clusters)


def test_parquet_equals_cli(corpus_table, cli_corpus, tmp_path):
    path = tmp_path / "corpus.parquet"
    pq.write_table(corpus_table, path, row_group_size=3000)  # several row groups
    # The CLI on the Parquet file, the package on its path: both the JSONL run's bytes.
    dups, clusters = cli_dedup([str(path)], tmp_path / "cli")
    assert (dups, clusters) == cli_corpus
    r = dupscan.dedup(path, id="id", threads=2)
    assert_same(r, *cli_corpus)


def test_parquet_default_ids_and_deduped_copy(corpus_table, tmp_path):
    table = corpus_table.drop_columns(["id"])
    path = tmp_path / "noid.parquet"
    pq.write_table(table, path, row_group_size=5000)
    out = tmp_path / "out"
    run_cli("dedup", str(path), "-o", str(out), "-q", "--write-deduped", str(tmp_path / "kept.parquet"))
    dups = read_jsonl(str(out / "duplicates.jsonl"))
    # ids "<file>:<row>", rows 0-based
    rows = sorted(int(d["id"].rsplit(":", 1)[1]) for d in dups)
    assert all(d["id"].startswith(str(path) + ":") for d in dups)
    kept = pq.read_table(tmp_path / "kept.parquet")
    assert kept.schema == table.schema
    mask = np.ones(table.num_rows, bool)
    mask[rows] = False
    assert kept.equals(table.filter(pa.array(mask)))


def test_parquet_deduped_copy_keeps_rows_without_text(tmp_path):
    # Rows whose text is null or not UTF-8 are skipped, not duplicates: the copy keeps them.
    texts = ["the same words in the same order, a record to be found twice"] * 2
    texts += [None, "another record entirely, about something else", None]
    texts += [f"filler row {i} with words of its own" for i in range(30)]
    table = pa.table({"id": [str(i) for i in range(len(texts))], "text": texts})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=7)
    out = tmp_path / "out"
    run_cli("dedup", str(path), "-o", str(out), "-q", "--write-deduped", str(tmp_path / "kept.parquet"))
    assert [d["id"] for d in read_jsonl(str(out / "duplicates.jsonl"))] == ["1"]
    kept = pq.read_table(tmp_path / "kept.parquet")
    assert kept.equals(table.filter(pa.array([i != 1 for i in range(len(texts))])))
    with open(out / "report.json") as f:
        report = json.load(f)
    assert report["counts"]["skipped"] == 2
    assert report["deduped"]["skipped_passed_through"] == 2
    # The package's keep mask selects exactly the CLI's copy: skipped rows are kept.
    with pytest.warns(UserWarning, match="text column is null"):
        r = dupscan.dedup(table, id="id")
    assert table.filter(pa.array(r.keep)).equals(kept)


@pytest.mark.parametrize("with_ids", [True, False])
def test_report_page_of_a_parquet_run_shows_its_texts(corpus_table, with_ids, tmp_path):
    # --html (and dupscan report) read the documents again from the Parquet file, by row.
    table = corpus_table.slice(0, 3000)
    if not with_ids:
        table = table.drop_columns(["id"])
    path = tmp_path / "c.parquet"
    pq.write_table(table, path, row_group_size=1000)
    out = tmp_path / "out"
    run_cli("dedup", str(path), "-o", str(out), "-q", "--html")
    dups = read_jsonl(str(out / "duplicates.jsonl"))
    assert dups
    page = (out / "report.html").read_text(encoding="utf-8")
    texts = dict(zip([str(i) for i in range(table.num_rows)], table.column("text").to_pylist()))
    if with_ids:
        texts = dict(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))
        first = texts[dups[0]["id"]]
    else:
        first = texts[dups[0]["id"].rsplit(":", 1)[1]]
    # The page holds the texts as JSON strings: the duplicate's text begins there.
    assert json.dumps(first[:40], ensure_ascii=False)[1:-1] in page
    assert "shown without text" not in page


def test_dataset_equals_cli(gsm8k_records, tmp_path):
    ds = datasets.Dataset.from_dict(
        {k: [r[k] for r in gsm8k_records] for k in ("id", "question", "answer")}
    )
    path = write_jsonl(tmp_path / "gsm8k.jsonl", gsm8k_records)
    dups, clusters = cli_dedup([str(path)], tmp_path / "cli", "--text-field", "question",
                               "--threshold", "0.5")
    r = dupscan.dedup(ds, text="question", id="id", threshold=0.5, threads=2)
    assert_same(r, dups, clusters)
    # GSM8K's own near duplicates (examples/README.md: five pairs at Jaccard >= 0.5 by brute
    # force). The default affine32 scheme's LSH finds 2 of them at threshold 0.5 (legacy: 4),
    # among them the pair at 0.93.
    pairs = set(zip(r.duplicates.column("id").to_pylist(),
                    r.duplicates.column("duplicate_of").to_pylist()))
    assert (6691, 2483) in pairs
    # A selected (index-mapped) dataset is read in its own row order: reversed, the same
    # clusters (each now keeps its last member) and the ids of the rows as they come.
    sub = ds.select(range(len(ds) - 1, -1, -1))
    rs = dupscan.dedup(sub, text="question", id="id", threshold=0.5, threads=2)
    members = lambda res: sorted(sorted(m) for m in res.clusters.column("members").to_pylist())
    assert members(rs) == members(r)
    for res, first in ((r, min), (rs, max)):  # ids are the original row numbers
        for c in res.clusters.to_pylist():
            assert c["kept"] == first(c["members"])


def test_readme_hugging_face_example(gsm8k_records):
    """The README's example, as written there, on a Dataset made locally (no hub)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme[readme.index("## From Python"):]
    code = section[section.index("```python\n") + 10:section.index("```", section.index("```python\n") + 10)]
    assert "dupscan.dedup(ds, text=\"text\").keep" in code and len(code.strip().splitlines()) == 3
    questions = [r["question"] for r in gsm8k_records[:3000]]
    ns = {"ds": datasets.Dataset.from_pandas(pd.DataFrame({"text": questions * 2}))}
    exec(code, ns)
    assert len(ns["ds"]) == len(set(questions))
    assert ns["ds"]["text"] == list(dict.fromkeys(questions))  # the first of each, in order


def test_other_arrow_producers(corpus_table):
    base = dupscan.dedup(corpus_table, threads=2)  # ids: the "id" column
    texts = corpus_table.column("text")
    rows = dupscan.dedup(texts, threads=2)  # a column of texts: ids are row numbers
    assert (rows.keep == base.keep).all()
    # A chunked column, a large_string array, string_view, a record batch
    for data in (
        texts,
        pa.chunked_array([c for c in texts.cast(pa.large_string()).chunks]),
        texts.combine_chunks().cast(pa.string_view()),
        corpus_table.select(["text"]).to_batches()[0] if len(corpus_table.to_batches()) == 1 else texts,
    ):
        r = dupscan.dedup(data, threads=2)
        assert r.duplicates_jsonl == rows.duplicates_jsonl
        assert (r.keep == base.keep).all()
    r = dupscan.dedup(pa.Table.from_batches(corpus_table.to_batches(max_chunksize=1000)), threads=2)
    assert r.duplicates_jsonl == base.duplicates_jsonl
    assert (r.keep == base.keep).all()
    r = dupscan.dedup(pl.from_arrow(corpus_table), threads=2)
    assert r.duplicates_jsonl == base.duplicates_jsonl
    r = dupscan.dedup(pl.from_arrow(corpus_table)["text"], threads=2)
    assert r.duplicates_jsonl == rows.duplicates_jsonl
    df = corpus_table.to_pandas()
    assert dupscan.dedup(df["text"], threads=2).duplicates_jsonl == rows.duplicates_jsonl
    assert dupscan.dedup(df, threads=2).duplicates_jsonl == base.duplicates_jsonl
    rel = duckdb.from_arrow(corpus_table)
    assert dupscan.dedup(rel, threads=2).duplicates_jsonl == base.duplicates_jsonl


def test_nested_and_joined_fields():
    t = pa.table({
        "meta": pa.array([{"body": "a b c d e f"}, {"body": "a b c d e f"}, {"body": "x y z"}]),
        "title": ["t", "t", "u"],
    })
    r = dupscan.dedup(t, text="meta.body")
    assert r.keep.tolist() == [True, False, True]
    r = dupscan.dedup(t, text="title+meta.body")
    assert r.keep.tolist() == [True, False, True]


def test_null_texts_are_skipped_records():
    t = pa.table({"text": ["one two three", None, "one two three"] + [f"doc {i} words here" for i in range(20)]})
    with pytest.warns(UserWarning, match=r"<table>:row 1: text column is null"):
        r = dupscan.dedup(t)
    # The null row is no duplicate of anything known: kept, as the CLI's --write-deduped copies
    # a skipped record through; the third row is the first's copy.
    assert r.keep.tolist()[:3] == [True, True, False]
    assert r.report["counts"]["skipped"] == 1


def test_usage_errors_are_value_and_type_errors(corpus_table):
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]"):
        dupscan.dedup(["a b"], threshold=1.5)
    with pytest.raises(ValueError, match=r"num_perm must be in \[1, 8192\]"):
        dupscan.dedup(["a b"], num_perm=0)
    with pytest.raises(ValueError, match="keep: 'last' not in"):
        dupscan.dedup(["a b"], keep="last")
    with pytest.raises(ValueError, match="shingle"):
        dupscan.dedup(["a b"], shingle="words:5")
    with pytest.raises(TypeError, match="threshold must be int or float"):
        dupscan.dedup(["a b"], threshold="0.8")
    with pytest.raises(TypeError, match="data must be a path"):
        dupscan.dedup(42)
    with pytest.raises(TypeError, match="must hold str"):
        dupscan.dedup(["a", 3])


def test_input_errors_name_the_record(tmp_path, corpus_table):
    with pytest.raises(dupscan.InputError, match=r"no column 'body' \(columns: id, source, text\)"):
        dupscan.dedup(corpus_table, text="body")
    with pytest.raises(dupscan.InputError, match="column 'id' is int64, not a string column"):
        dupscan.dedup(pa.table({"id": [1, 2]}), text="id")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine words here"}\n{"text": oops}\n')
    with pytest.raises(dupscan.InputError, match=r"bad.jsonl:2: malformed JSON"):
        dupscan.dedup(bad, strict=True)
    with pytest.raises(dupscan.InputError, match="cannot open input"):
        dupscan.dedup(tmp_path / "missing.jsonl")


def test_messages_name_keyword_arguments(corpus_table, tmp_path):
    # The records are {id, source, text}: the suggestion is the default field, as a keyword.
    with pytest.raises(dupscan.InputError, match=r'\(columns: id, source, text\); use text="text"$'):
        dupscan.dedup(corpus_table, text="body")
    path = write_jsonl(tmp_path / "c.jsonl", corpus_table.slice(0, 50).to_pylist())
    with pytest.raises(dupscan.InputError) as e:
        dupscan.dedup(path, text="body")
    assert 'records have fields: id, source, text; use text="text"' in str(e.value)
    assert "--" not in str(e.value)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine words here"}\n' * 5 + '{"text": oops}\n' * 2)
    with pytest.raises(dupscan.InputError, match=r"more than max_skipped=0\.1\b.*max_skipped"):
        dupscan.dedup(bad)
    with pytest.raises(ValueError, match=r"^shingle must be word:N or char:N"):
        dupscan.dedup(["a b"], shingle="word:0")
    plain = tmp_path / "plain.txt"
    plain.write_text("plain words, one document a line\n" * 10)
    with pytest.raises(dupscan.InputError) as e:
        dupscan.dedup(plain)
    assert str(e.value).endswith('use format="text"')
    # Three bad records one by one, each on one line, then one line counting the others.
    plain.write_text('{"text": "some words"}\n' * 2 + "plain words, one document a line\n" * 10)
    with pytest.warns(UserWarning) as seen:
        r = dupscan.dedup(plain, max_skipped=1.0)
    said = [str(w.message).replace(str(plain), "<f>") for w in seen]
    assert len(said) == 4 and r.report["counts"]["skipped"] == 10, said
    assert all(w.startswith(f"<f>:{i + 3}: malformed JSON (") for i, w in enumerate(said[:3])), said
    assert all("\n" not in w and len(w) < 100 for w in said), said
    assert said[3] == "<f>: ... and 7 more records skipped; report.json counts them by reason"
    assert [w.replace(str(plain), "<f>") for w in r.warnings] == said


def test_bytes_are_refused():
    with pytest.raises(TypeError, match="must not be bytes"):
        dupscan.dedup(b"corpus.jsonl")
    with pytest.raises(TypeError, match="must not be bytes"):
        dupscan.contam(["some training text"], {"b": b"bench.jsonl"})


def test_ids_follow_the_command_lines_rule(corpus_table, tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", corpus_table.to_pylist())
    cli_dups, cli_clusters = cli_dedup([str(path)], tmp_path / "cli")
    # Left out, id is the "id" field where there is one: the command line's ids, bytes and all.
    r = dupscan.dedup(path, threads=2)
    assert_same(r, cli_dups, cli_clusters)
    assert r.report["parameters"]["id_field"] == "id"
    assert set(r.duplicates.column("id").to_pylist()) <= set(corpus_table.column("id").to_pylist())
    assert dupscan.dedup(corpus_table, threads=2).duplicates_jsonl == cli_dups
    # Named on purpose, it must exist: an error naming what there is, never row numbers.
    with pytest.raises(dupscan.InputError, match=r"no id column 'nope' \(columns: id, source, text\)"):
        dupscan.dedup(corpus_table, id="nope")
    with pytest.raises(dupscan.InputError,
                       match=r"no record has the id field 'nope' \(records have fields: id, source, text\)"):
        dupscan.dedup(path, id="nope")
    pq.write_table(corpus_table.slice(0, 100), tmp_path / "c.parquet")
    with pytest.raises(dupscan.InputError, match=r"no id column 'nope' \(columns: id, source, text\)"):
        dupscan.dedup(tmp_path / "c.parquet", id="nope")
    with pytest.raises(dupscan.InputError, match="no id column 'nope'"):
        dupscan.contam(corpus_table, {"b": ["some benchmark text of a few words"]}, id="nope")


def test_index_against(corpus_table, tmp_path):
    first = tmp_path / "first.jsonl"
    rows = corpus_table.slice(0, 6000).to_pylist()
    write_jsonl(first, rows)
    idx = dupscan.Index.build(tmp_path / "idx", first, text="text", id="id")
    assert len(idx) == 6000
    r = dupscan.dedup(corpus_table.slice(6000), id="id", against=idx, threads=2)
    # The CLI against the same index, on the same records in JSONL:
    second = write_jsonl(tmp_path / "second.jsonl", corpus_table.slice(6000).to_pylist())
    dups, clusters = cli_dedup([str(second)], tmp_path / "cli", "--against", str(tmp_path / "idx"))
    assert_same(r, dups, clusters)
    assert r.duplicates.num_rows > 0


def test_index_writers_take_turns(tmp_path):
    # One run writes an index at a time (the CLI's index add --wait): with its lock held
    # elsewhere, add fails naming the holder, or with wait=True waits for it, then adds.
    import fcntl
    import threading
    import time

    def batch(name):
        rows = [{"id": f"{name}{i}", "text": f"record {i} of batch {name}, which says little"}
                for i in range(50)]
        return write_jsonl(tmp_path / f"{name}.jsonl", rows)

    idx = dupscan.Index.build(tmp_path / "idx", batch("a"))
    b = batch("b")
    added = []
    with open(tmp_path / "idx" / ".dupscan.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write("pid 4242 on host elsewhere, started now\n")
        lock.flush()
        with pytest.raises(dupscan.InputError, match="pid 4242 on host elsewhere"):
            idx.add(b)
        waiter = threading.Thread(target=lambda: added.append(idx.add(b, wait=True)))
        waiter.start()
        time.sleep(1.0)
        assert waiter.is_alive(), "add(wait=True) did not wait"
    waiter.join(timeout=60)
    assert added == [50]
    assert len(idx) == 100


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_each_scheme_equals_cli(corpus_table, scheme, tmp_path):
    dups, clusters = cli_dedup([CORPUS], tmp_path / "cli", "--scheme", scheme)
    r = dupscan.dedup(corpus_table, id="id", scheme=scheme, threads=2)
    assert_same(r, dups, clusters)
    assert r.report["parameters"]["scheme"] == scheme


def test_scheme_is_checked():
    with pytest.raises(ValueError, match=r"scheme: 'affine16' not in \{affine32, affine64, legacy\}"):
        dupscan.dedup(["a b c d e"], scheme="affine16")
    with pytest.raises(TypeError):
        dupscan.dedup(["a b c d e"], scheme=32)


def test_index_parameters_are_adopted(corpus_table, tmp_path):
    # An index of the legacy scheme at 0.7 with another text field name: dedup(against=...)
    # takes them all from the index, as the command line does when the options are left out.
    rows = [{"key": r["id"], "body": r["text"]} for r in corpus_table.slice(0, 6000).to_pylist()]
    first = write_jsonl(tmp_path / "first.jsonl", rows)
    idx = dupscan.Index.build(tmp_path / "idx", first, text="body", id="key", scheme="legacy",
                              threshold=0.7)
    assert idx.manifest["parameters"]["scheme"] == "legacy"
    rest = [{"key": r["id"], "body": r["text"]} for r in corpus_table.slice(6000).to_pylist()]
    second = write_jsonl(tmp_path / "second.jsonl", rest)
    r = dupscan.dedup(second, against=idx, threads=2)
    dups, clusters = cli_dedup([str(second)], tmp_path / "cli", "--against", str(tmp_path / "idx"))
    assert_same(r, dups, clusters)
    assert r.report["parameters"]["scheme"] == "legacy"
    assert r.duplicates.num_rows > 0
    # A parameter set on purpose must match the index.
    with pytest.raises(ValueError, match=r"scheme affine64 \(the index: legacy\)"):
        dupscan.dedup(second, against=idx, scheme="affine64")


def test_result_says_which_backend_ran_and_what_its_canary_found(corpus_table, monkeypatch):
    """The result carries report.json's backend and canary check: "not run" on the CPU; on a
    device (cuda-host here) "passed", with the stages it compared; and with the device broken on
    purpose (a test hook) under backend="auto", the CPU's results and the failure named."""
    texts = corpus_table.column("text").slice(0, 2000)
    cpu = dupscan.dedup(texts, backend="cpu", threads=2)
    assert cpu.backend == "cpu"
    assert cpu.canary["status"] == "not run"
    assert cpu.report["backend_asked"] == "cpu"
    if not dupscan._dupscan.have_cuda_host():
        pytest.skip("this build has no cuda-host backend")
    dev = dupscan.dedup(texts, backend="cuda-host", threads=2)
    assert dev.backend == "cuda-host"
    assert dev.canary["status"] == "passed"
    assert dev.canary["checked"] == ["sketch", "verification sets", "exact groups",
                                     "candidate pairs"]
    assert dev.duplicates.equals(cpu.duplicates)
    monkeypatch.setenv("DUPSCAN_TEST_DEVICE_FAULT", "pair")
    monkeypatch.setenv("DUPSCAN_TEST_AUTO_DEVICE", "cuda-host")
    fell = dupscan.dedup(texts, threads=2)
    assert fell.backend == "cpu"
    assert fell.canary["status"] == "failed"
    assert fell.canary["stage"] == "candidate pairs"
    assert fell.duplicates.equals(cpu.duplicates)
    monkeypatch.delenv("DUPSCAN_TEST_AUTO_DEVICE")
    with pytest.raises(dupscan.InputError, match="failed its canary check at candidate pairs"):
        dupscan.dedup(texts, backend="cuda-host", threads=2)
