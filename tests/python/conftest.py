"""Fixtures of the Python package's tests: the example corpus, the real data beside the checkout
(../shared/data), and the `dupscan` command that `pip install .` (or the wheel of
scripts/build-wheel.sh) put beside this Python."""
import gzip
import json
import os
import shutil
import subprocess
import sys

import pyarrow as pa
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
CORPUS = os.path.join(ROOT, "examples", "corpus.jsonl.gz")

# DUPSCAN_DATA_REQUIRED=1 (scripts/test.sh sets it): a missing ../shared/data fails the tests that
# read it instead of skipping them.
DATA_REQUIRED = os.environ.get("DUPSCAN_DATA_REQUIRED", "") not in ("", "0")


def shared_file(name):
    """The path of ../shared/data/NAME; skips the test when it is not there, or fails it under
    DUPSCAN_DATA_REQUIRED=1."""
    path = os.path.join(SHARED, name)
    if not os.path.exists(path):
        message = f"{path} is not there (../shared/data beside the checkout)"
        if DATA_REQUIRED:
            pytest.fail(message + " and DUPSCAN_DATA_REQUIRED is set", pytrace=False)
        pytest.skip(message)
    return path


# scripts/test-wheel.sh runs these tests against a wheel installed in a fresh venv and names its
# package folder: the dupscan imported must be that one, not one found elsewhere on sys.path.
if os.environ.get("DUPSCAN_PACKAGE_DIR"):
    import dupscan

    _where = os.path.dirname(os.path.abspath(dupscan.__file__))
    if os.path.realpath(_where) != os.path.realpath(os.environ["DUPSCAN_PACKAGE_DIR"]):
        raise RuntimeError(f"dupscan imported from {_where}, not DUPSCAN_PACKAGE_DIR "
                           f"{os.environ['DUPSCAN_PACKAGE_DIR']}")

# No Hugging Face hub access in any test.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def cli_path():
    # DUPSCAN_CLI: a dupscan built apart (build/dupscan) for the tests that only run the command.
    if os.environ.get("DUPSCAN_CLI"):
        return os.environ["DUPSCAN_CLI"]
    exe = os.path.join(os.path.dirname(sys.executable), "dupscan")
    return exe if os.path.exists(exe) else shutil.which("dupscan")


def run_cli(*args, check=True):
    r = subprocess.run([cli_path(), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"dupscan {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
    return r


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def corpus_records():
    return read_jsonl(CORPUS)


@pytest.fixture(scope="session")
def corpus_table(corpus_records):
    return pa.Table.from_pylist(corpus_records)


@pytest.fixture(scope="session")
def gsm8k_records():
    """GSM8K train and test questions from ../shared/data, with an integer id = row number."""
    rows = []
    for name in ("gsm8k_train.jsonl", "gsm8k_test.jsonl"):
        path = shared_file(name)
        rows += [{"question": r["question"], "answer": r["answer"]} for r in read_jsonl(path)]
    return [dict(r, id=i) for i, r in enumerate(rows)]


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path
