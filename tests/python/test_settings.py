"""The settings the package hands its core: typed (dupscan._dupscan.DedupSettings, ContamSettings,
ReportSettings), so that a value of the wrong type is a TypeError naming the keyword, and checked
by the command line's own parsers, so that a bad choice lists exactly the command's choices."""
import os
import re
import tempfile

import pytest

import dupscan
from conftest import run_cli, write_jsonl

TEXTS = ["the cat sat on the mat today", "the cat sat on the mat today", "another text here"]


def bench(**kw):
    return dupscan.contam(["some training words of a document"], {"b": ["some words"]}, **kw)


def report(**kw):
    return dupscan.dedup(TEXTS).report(os.path.join(tempfile.gettempdir(), "page.html"), **kw)


@pytest.mark.parametrize(
    "call, name, value, want",
    [
        (dupscan.dedup, "threshold", "high", "int or float"),
        (dupscan.dedup, "num_perm", "x", "int"),
        (dupscan.dedup, "num_perm", 128.0, "int"),
        (dupscan.dedup, "seed", "1", "int"),
        (dupscan.dedup, "bands", 9.5, "int"),
        (dupscan.dedup, "max_skipped", "10%", "int or float"),
        (dupscan.dedup, "verify", "yes", "bool"),
        (dupscan.dedup, "strict", 1, "bool"),
        (dupscan.dedup, "keep", 1, "str"),
        (dupscan.dedup, "format", b"jsonl", "str"),
        (dupscan.dedup, "threads", "2", "int"),
        (dupscan.signatures, "num_perm", "x", "int"),
        (dupscan.band_keys, "rows", "13", "int"),
        (bench, "ngram", "x", "int"),
        (bench, "near_threshold", "high", "int or float"),
        (bench, "near", "no", "bool"),
        (bench, "max_matches", 2.5, "int"),
        (bench, "boilerplate_docs", "10", "int"),
        (bench, "benchmark_id", 3, "str"),
        (report, "clusters", "many", "int"),
        (report, "seed", 1.5, "int"),
    ],
)
def test_a_wrong_type_is_a_type_error_naming_the_keyword(call, name, value, want):
    args = () if call in (bench, report) else (TEXTS,)
    got = type(value).__name__
    with pytest.raises(TypeError, match=rf"^dupscan: {name} must be {want}, got {got}$"):
        call(*args, **{name: value})


def test_index_settings_are_typed(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": t} for t in TEXTS])
    with pytest.raises(TypeError, match=r"^dupscan: threshold must be int or float, got str$"):
        dupscan.Index.build(tmp_path / "idx", path, threshold="0.8")
    idx = dupscan.Index.build(tmp_path / "idx", path)
    with pytest.raises(TypeError, match=r"^dupscan: threads must be int, got str$"):
        idx.add(path, threads="2")


def test_a_bool_is_no_number():
    # Python's bool is an int; a number's keyword takes none (True is no num_perm).
    with pytest.raises(TypeError, match=r"^dupscan: num_perm must be int, got bool$"):
        dupscan.dedup(TEXTS, num_perm=True)
    with pytest.raises(TypeError, match=r"^dupscan: threshold must be int or float, got bool$"):
        dupscan.dedup(TEXTS, threshold=True)
    with pytest.raises(TypeError, match=r"^dupscan: seed must be int, got bool$"):
        dupscan.signatures(TEXTS, seed=False)


def test_numbers_of_other_kinds_are_taken():
    np = pytest.importorskip("numpy")
    a = dupscan.dedup(TEXTS, num_perm=np.int64(64), threshold=np.float32(0.5), seed=np.uint8(3))
    b = dupscan.dedup(TEXTS, num_perm=64, threshold=0.5, seed=3)
    assert a.keep.tolist() == b.keep.tolist() == [True, False, True]
    assert dupscan.dedup(TEXTS, threshold=1).report["parameters"]["threshold"] == 1.0


def test_counts_out_of_range_are_value_errors_naming_the_keyword():
    with pytest.raises(ValueError, match=r"^num_perm must be in \[0, 4294967295\], got -1$"):
        dupscan.dedup(TEXTS, num_perm=-1)
    with pytest.raises(ValueError, match=r"^seed must be in \[0, 4294967295\], got 4294967296$"):
        dupscan.signatures(TEXTS, seed=2**32)
    with pytest.raises(ValueError, match=r"^boilerplate_docs must be in \[0, 4294967295\]"):
        bench(boilerplate_docs=-3)
    with pytest.raises(ValueError, match=r"^dupscan: bands \d+ is out of range$"):
        dupscan.dedup(TEXTS, bands=2**70, rows=1)


def cli_choices(command, option):
    """The values `dupscan COMMAND --help` lists for OPTION (CLI11: --opt NAME:{a,b,c})."""
    text = run_cli(*command.split(), "--help").stdout
    m = re.search(rf"{re.escape(option)}\s+\S*?\{{([^}}]*)\}}", text)
    assert m, f"{option} lists no choices in dupscan {command} --help:\n{text}"
    return m.group(1).split(",")


@pytest.mark.parametrize(
    "call, keyword, command, option",
    [
        (dupscan.dedup, "format", "dedup", "--format"),
        (dupscan.dedup, "scheme", "dedup", "--scheme"),
        (dupscan.dedup, "shingle_hash", "dedup", "--shingle-hash"),
        (dupscan.dedup, "sketch", "dedup", "--sketch"),
        (dupscan.dedup, "keep", "dedup", "--keep"),
        (dupscan.dedup, "backend", "dedup", "--backend"),
        (dupscan.signatures, "scheme", "dedup", "--scheme"),
        (dupscan.band_keys, "sketch", "dedup", "--sketch"),
        (bench, "backend", "contam", "--backend"),
    ],
)
def test_a_bad_choice_lists_the_command_lines_choices(call, keyword, command, option):
    args = () if call is bench else (TEXTS,)
    with pytest.raises(ValueError) as e:
        call(*args, **{keyword: "nonsense"})
    m = re.fullmatch(rf"{keyword}: 'nonsense' not in \{{(.*)\}}", str(e.value))
    assert m, str(e.value)
    assert m.group(1).split(", ") == cli_choices(command, option)


def test_index_build_choices_are_the_command_lines(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": t} for t in TEXTS])
    with pytest.raises(ValueError, match=r"^scheme: 'x' not in \{affine32, affine64, legacy\}$"):
        dupscan.Index.build(tmp_path / "idx", path, scheme="x")
    assert cli_choices("index build", "--scheme") == ["affine32", "affine64", "legacy"]


def test_the_settings_are_typed_classes():
    s = dupscan._dupscan.DedupSettings()
    assert s.threshold is None and s.given == []
    s.threshold = 0.5
    s.num_perm = 64
    with pytest.raises(TypeError):
        s.num_perm = "64"
    assert (s.threshold, s.num_perm) == (0.5, 64)
    assert dupscan._dupscan.DedupSettings.field_types["threshold"] == "int or float"
    assert set(dupscan._dupscan.ContamSettings.field_types) == {
        "text", "id", "benchmark_id", "backend", "ngram", "min_ngram", "max_matches",
        "boilerplate_docs", "threads", "near_threshold", "near"}
