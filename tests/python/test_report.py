"""The HTML page of a Python result: ``result.report("page.html")`` is the page ``dupscan dedup
--html`` makes of the same records read from a file; ``dupscan report`` on the ``.write()``
directory of data in memory says what to do in one line, and makes a page without texts with
``--no-texts``."""
import copy
import json
import os
import pickle
import re

import pyarrow as pa
import pytest

import dupscan
from conftest import run_cli, write_jsonl

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def page_data(path):
    """The page's HTML with its data taken out, and the data."""
    with open(path, encoding="utf-8") as f:
        html = f.read()
    m = DATA.search(html)
    assert m, f"{path}: no report data"
    return html[: m.start(1)] + html[m.end(1):], json.loads(m.group(1))


# Summary lines that are about the run's numbers, not its time or the input's name and kind.
SUMMARY_LINES = ("  removed", "  kept", "  clusters", "  candidate pairs", "  parameters",
                 "  LSH recall")


def comparable(data):
    """The page's data less what legitimately differs between a file and a table of the same
    records: the run's name and what wrote the page, the timings and the input's name, size and
    kind (in the summary and the inputs table), and where each text was found (file:line or
    <table>:row, compared apart)."""
    d = json.loads(json.dumps(data))
    for k in ("dir", "by", "inputs"):
        d.pop(k)
    d["summary"] = [ln for ln in d["summary"].splitlines() if ln.startswith(SUMMARY_LINES)]
    for k in ("seconds", "bytes", "text_bytes"):  # a file's bytes hold its JSON syntax too
        d["headline"].pop(k)
    for doc in d["docs"]:
        doc.pop("file", None)
        doc.pop("line", None)
    return d


@pytest.fixture(scope="module")
def records(corpus_records):
    return corpus_records[:6000]


def test_report_of_a_table_is_the_cli_page_of_the_same_records(records, tmp_path):
    path = tmp_path / "in.jsonl"
    write_jsonl(path, records)
    run_cli("dedup", str(path), "-o", str(tmp_path / "cli"), "--html", "--threads", "2", "-q")
    r = dupscan.dedup(pa.Table.from_pylist(records), threads=2)
    page = tmp_path / "py.html"
    assert r.report(page) == os.fspath(page)
    assert r.report["counts"]["documents"] == len(records)  # still report.json as a dict
    assert isinstance(r.report, dict) and copy.deepcopy(r.report) == r.report
    assert pickle.loads(pickle.dumps(r.report)) == json.loads(r.report_json)

    cli_html, cli = page_data(tmp_path / "cli" / "report.html")
    py_html, py = page_data(page)
    # The same HTML, CSS and script; the titles name the run.
    assert py_html.replace("DedupResult (Python)", "RUN") == cli_html.replace(
        str(tmp_path / "cli"), "RUN")
    assert py["dir"] == "DedupResult (Python)" and py["by"] == "DedupResult.report() in Python"
    assert [i["path"] for i in py["inputs"]] == ["<table>"]
    assert py["texts"]["read"] and py["summary"].startswith("dupscan dedup: 6,000 documents")
    assert comparable(py) == comparable(cli)
    # Every text shown, from row k of the table where the file has it on line k + 1.
    assert py["docs"] and all("text" in doc for doc in py["docs"])
    for a, b in zip(py["docs"], cli["docs"]):
        assert (a["file"], a["line"] + 1) == ("<table>", b["line"]), (a, b)
    assert len(py["pairs"]["shown"]) == 40 and all("hk" in p for p in py["pairs"]["shown"])


def test_report_of_a_list_and_its_options(records, tmp_path, monkeypatch):
    texts = [r["text"] for r in records[:3000]]
    r = dupscan.dedup(texts, threads=2)
    monkeypatch.chdir(tmp_path)
    assert r.report("list.html", pairs=5, chars=300) == "list.html"
    _, data = page_data(tmp_path / "list.html")
    assert [i["path"] for i in data["inputs"]] == ["<list>"]
    assert len(data["pairs"]["shown"]) == 5 and data["options"]["chars"] == 300
    assert all(len(doc["text"]) <= 300 for doc in data["docs"])
    r.report("bare.html", texts=False)
    _, bare = page_data(tmp_path / "bare.html")
    assert not bare["texts"]["read"] and not any("text" in doc for doc in bare["docs"])
    with pytest.raises(ValueError, match="chars"):
        r.report("x.html", chars=5)


def test_cli_report_of_a_write_directory_says_what_to_do(records, tmp_path):
    r = dupscan.dedup(pa.Table.from_pylist(records[:3000]), threads=2)
    out = tmp_path / "out"
    r.write(out)
    bad = run_cli("report", str(out), check=False)
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1, bad.stderr
    assert "'<table>' was data in memory" in lines[0]
    assert '.report("page.html")' in lines[0] and "--no-texts" in lines[0]
    assert not (out / "report.html").exists()

    ok = run_cli("report", str(out), "--no-texts", "-q")
    assert ok.returncode == 0
    _, data = page_data(out / "report.html")
    assert not data["texts"]["read"]
    assert data["pairs"]["shown"] and data["clusters"]["shown"] and data["removed"]["rows"]
    assert not any("text" in doc for doc in data["docs"])
