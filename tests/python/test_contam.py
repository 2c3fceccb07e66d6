"""dupscan.contam gives the CLI's contamination.jsonl for the same training records and benchmark."""
import json
import os

import pyarrow as pa
import pytest

import dupscan
from conftest import CORPUS, run_cli, shared_file


@pytest.fixture(scope="module")
def gsm8k_test():
    return shared_file("gsm8k_test.jsonl")


def cli_contam(train, bench, out):
    run_cli("contam", "--train", train, "--eval", f"gsm8k={bench}:question", "-o", str(out),
            "--threads", "2", "-q")
    with open(os.path.join(out, "contamination.jsonl"), "rb") as f:
        return f.read()


def test_contam_equals_cli(corpus_table, gsm8k_test, tmp_path):
    want = cli_contam(CORPUS, gsm8k_test, tmp_path / "cli")
    assert want  # the example corpus holds GSM8K test items
    for train in (CORPUS, corpus_table):
        r = dupscan.contam(train, {"gsm8k": gsm8k_test}, id="id", benchmark_text="question",
                           threads=2)
        assert r.contamination_jsonl == want
        assert r.examples.to_pylist() == [json.loads(line) for line in want.splitlines()]
        # Types from the file's layout, not from the rows (coverage 0 or 1 stays a float).
        assert r.examples.schema.field("coverage").type == pa.float64()
        assert r.examples.schema.field("id").type == pa.string()  # "<file>:<line>"
        matches = r.examples.schema.field("matches").type.value_type
        assert matches.field("train_id").type == pa.string()  # the corpus's string ids
        assert r.benchmarks.column("name").to_pylist() == ["gsm8k"]


def test_contam_benchmark_as_data(corpus_table, gsm8k_test):
    questions = [json.loads(line)["question"] for line in open(gsm8k_test, encoding="utf-8")]
    r = dupscan.contam(corpus_table, {"gsm8k": questions}, threads=2)
    from_file = dupscan.contam(corpus_table, {"gsm8k": gsm8k_test}, benchmark_text="question",
                               threads=2)
    assert r.report["benchmarks"][0]["dirty"] == from_file.report["benchmarks"][0]["dirty"] > 0
    # Named by its name, not by the temporary file it was written to (gone by now).
    assert r.report["benchmarks"][0]["path"] == "<gsm8k>"
    with pytest.raises(dupscan.InputError, match=r"^'<empty>' \(benchmark 'empty'\): no benchmark"):
        dupscan.contam(corpus_table, {"empty": []}, threads=2)
    with pytest.raises(TypeError, match="benchmarks must be a non-empty dict"):
        dupscan.contam(corpus_table, [])


def test_contam_result_says_which_backend_ran_and_its_canary(corpus_table, gsm8k_test):
    """contam's result carries the backend and its canary check; on a device the probe's check
    comes after the sketch's."""
    questions = [json.loads(line)["question"] for line in open(gsm8k_test, encoding="utf-8")][:200]
    train = corpus_table.slice(0, 2000)
    cpu = dupscan.contam(train, {"gsm8k": questions}, threads=2, backend="cpu")
    assert cpu.backend == "cpu" and cpu.canary["status"] == "not run"
    if not dupscan._dupscan.have_cuda_host():
        pytest.skip("this build has no cuda-host backend")
    dev = dupscan.contam(train, {"gsm8k": questions}, threads=2, backend="cuda-host")
    assert dev.backend == "cuda-host"
    assert dev.canary["status"] == "passed"
    assert dev.canary["checked"][-1] == "contam probe"
    assert dev.contamination_jsonl == cpu.contamination_jsonl
