"""dupscan from Python: near-duplicate documents and benchmark contamination in LLM training data.

The C++ core does the work (MinHash + LSH, every candidate pair verified by exact Jaccard); this
package hands it your data. Arrow data is read in place, without copying the text: pyarrow
tables and arrays, Hugging Face ``datasets.Dataset`` (a selected or shuffled one: a copy of its
rows, in its order), polars and DuckDB results (anything with ``__arrow_c_stream__`` or
``__arrow_c_array__``). pandas Series and DataFrames go through ``pyarrow.Array.from_pandas``
(no copy for pandas 3's Arrow-backed strings, a copy for object columns); a list of str is
copied into one Arrow array. File paths (JSON Lines, ``.gz``, ``.zst``, Parquet) are read by the
core as the command line reads them.

    >>> import dupscan, numpy as np
    >>> keep = dupscan.dedup(ds, text="text").keep
    >>> ds = ds.select(np.flatnonzero(keep))

While the core runs the GIL is released (other Python threads go on) and Ctrl-C stops the run
and raises ``KeyboardInterrupt``. Settings out of range raise ``ValueError`` with the command
line's message (options named as this package's keyword arguments: ``text="question"``, not
``--text-field question``); unreadable input raises ``dupscan.InputError`` naming the file,
line or row. ``bytes`` are neither a path nor texts: a ``TypeError``.
"""
from __future__ import annotations

import json as _json
import os as _os
import secrets as _secrets
import socket as _socket
import tempfile as _tempfile
import warnings as _warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as _np
import pyarrow as _pa  # loads libarrow and libparquet before the module that links them

from . import _dupscan

__all__ = [
    "dedup",
    "signatures",
    "band_keys",
    "contam",
    "Index",
    "DedupResult",
    "ContamResult",
    "RunReport",
    "InputError",
    "have_parquet",
    "have_cuda",
    "__version__",
]


class InputError(Exception):
    """Input that cannot be used: a bad record (named by file:line or row), a missing or
    mistyped column, an unreadable or changed file, too many skipped records."""


_dupscan.set_input_error(InputError)
__version__ = _dupscan.version()


def have_parquet() -> bool:
    """True when this build reads and writes Parquet (always, for ``pip install .``)."""
    return _dupscan.have_parquet()


def have_cuda() -> bool:
    """True when this build has the CUDA backend (``pip install .`` or
    ``scripts/build-wheel.sh`` on a machine with nvcc)."""
    return _dupscan.have_cuda()


# ---- inputs --------------------------------------------------------------------------------------


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, _os.PathLike))


def _refuse_bytes(x: Any, what: str) -> None:
    """bytes are neither a path nor texts here: a TypeError, not a guess."""
    if isinstance(x, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"dupscan: {what} must not be bytes: pass a path as str or pathlib.Path, or texts "
            f"as str (decode them first)"
        )


# The command line's options in the core's messages, as this package's keyword arguments.
_KEYWORDS = {
    "text-field": "text", "id-field": "id", "format": "format", "max-skipped": "max_skipped",
    "shingle": "shingle", "num-perm": "num_perm", "threshold": "threshold", "seed": "seed",
    "scheme": "scheme", "shingle-hash": "shingle_hash", "sketch": "sketch", "bands": "bands", "rows": "rows", "keep": "keep",
    "backend": "backend", "threads": "threads", "lsh-weights": "lsh_weights",
    "eval-id-field": "benchmark_id", "ngram": "ngram", "min-ngram": "min_ngram",
    "near-threshold": "near_threshold", "max-matches": "max_matches",
    "boilerplate-docs": "boilerplate_docs",
    "clusters": "clusters", "members": "members", "pairs": "pairs", "exact": "exact",
    "list": "list", "chars": "chars",
}


def _keywords(message: str) -> str:
    """A message of the core with the command line's options named as keyword arguments:
    ``use --text-field question`` -> ``use text="question"``, ``--max-skipped 10%`` ->
    ``max_skipped=0.1``, ``--shingle`` -> ``shingle``."""
    import re

    def value(m: "re.Match") -> str:
        return f'{m.group(1)}{_KEYWORDS[m.group(2)]}="{m.group(3)}"'

    message = re.sub(r"use --eval [^=\s]+=\S*:([^\s;,)]+)", r'use benchmark_text="\1"', message)
    message = re.sub(r"(use |reads )--(text-field|id-field|format|eval-id-field|sketch|scheme|shingle-hash|backend) ([^\s;,)'\"]+)",
                     value, message)
    message = re.sub(r"--max-skipped (\d+(?:\.\d+)?)%",
                     lambda m: f"max_skipped={float(m.group(1)) / 100:g}", message)
    message = re.sub(r"\(--eval ([^)\s]+)\)", r"(benchmark '\1')", message)
    message = re.sub(r"--strict\b", "strict=True", message)
    return re.sub(r"--([a-z][a-z-]*[a-z])\b",
                  lambda m: _KEYWORDS.get(m.group(1), m.group(0)), message)


def _progress(progress: Any) -> float:
    """``progress=``: False (none), True (a live line on a terminal; in a log, a plain line every
    30 s), or a number of seconds between the log's lines. The core takes the seconds (0: none)."""
    if progress is None or progress is False:
        return 0.0
    if progress is True:
        return 30.0
    if isinstance(progress, (int, float)) and progress > 0:
        return float(progress)
    raise ValueError(f"progress must be True, False or a number of seconds > 0, not {progress!r}")


def _core(function: Any, *args: Any) -> Any:
    """Calls the core, its ValueError and InputError messages in this package's terms."""
    try:
        return function(*args)
    except (ValueError, InputError) as e:
        message = _keywords(str(e))
        if message == str(e):
            raise
        raise type(e)(message) from None


def _path(x: Any) -> str:
    """A path as the core takes it; "-" (the command line's stdin) is refused: in memory there is
    no spool directory for it, and Python's stdin is data to read, not a file to name."""
    p = _os.fsdecode(x)
    if p == "-":
        raise ValueError(
            "dupscan: stdin ('-') is not an input from Python; pass a path or data "
            "(sys.stdin.read().splitlines() for its lines)"
        )
    return p


def _hf_table(data: Any) -> Optional[_pa.Table]:
    """The Arrow table of a Hugging Face ``datasets.Dataset`` (rows in the dataset's order)."""
    if type(data).__module__.split(".")[0] != "datasets" or not hasattr(data, "with_format"):
        return None
    if getattr(data, "_indices", None) is None:
        table = data.data  # datasets.table.Table, wrapping a pyarrow.Table: no copy
        return getattr(table, "table", table)
    # A selected or shuffled dataset: its rows in the dataset's order (a copy of those rows).
    return data.with_format("arrow")[:]


def _inputs(data: Any, what: str = "data") -> Tuple[List[str], list]:
    """(paths, tables) for the core: files are read by it, tables handed over in place."""
    _refuse_bytes(data, what)
    if _is_path(data):
        return [_path(data)], []
    if isinstance(data, (list, tuple)) and data and all(
        isinstance(x, _os.PathLike) for x in data
    ):
        return [_path(x) for x in data], []
    table = _hf_table(data)
    if table is not None:
        return [], [_dupscan.table_from_stream(table.__arrow_c_stream__(), "<dataset>")]
    if type(data).__module__.split(".")[0] == "pandas":
        if hasattr(data, "to_frame"):  # a Series: its values are the texts
            data = _pa.Array.from_pandas(data)
        else:
            data = _pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return [], [_dupscan.table_from_stream(data.__arrow_c_stream__(), "<table>")]
    if hasattr(data, "__arrow_c_array__"):
        schema, array = data.__arrow_c_array__()
        return [], [_dupscan.table_from_array(schema, array, "<array>")]
    if isinstance(data, (list, tuple)) or (
        isinstance(data, _np.ndarray) and data.dtype.kind in "OUS"
    ):
        if len(data) and not all(isinstance(x, str) for x in data):
            bad = next(x for x in data if not isinstance(x, str))
            raise TypeError(
                f"dupscan: {what} as a list must hold str (texts), got {type(bad).__name__}"
            )
        array = _pa.array(list(data), type=_pa.large_string())
        schema, arr = array.__arrow_c_array__()
        return [], [_dupscan.table_from_array(schema, arr, "<list>")]
    raise TypeError(
        f"dupscan: {what} must be a path, a list of str, or Arrow data (pyarrow, datasets, "
        f"polars, DuckDB, pandas), got {type(data).__module__}.{type(data).__qualname__}"
    )


def _settings(kind: Any, **kw: Any) -> Any:
    """The core's typed settings (``_dupscan.DedupSettings``, ``ContamSettings`` or
    ``ReportSettings``) from keyword arguments; None: not given. Each field has a type (its
    ``field_types``: "str", "int", "int or float", "bool"), so a value of another type is a
    TypeError naming the keyword; so is a bool where a number goes (Python's bool is an int).
    The core checks the values (choices, ranges) with the command line's parsers."""
    settings = kind()
    for name, value in kw.items():
        if value is None:
            continue
        want = kind.field_types[name]
        if isinstance(value, bool) and want != "bool":
            raise TypeError(f"dupscan: {name} must be {want}, got bool")
        try:
            setattr(settings, name, value)
        except TypeError:
            if want == "int" and isinstance(value, int):  # beyond 64 bits
                raise ValueError(f"dupscan: {name} {value} is out of range") from None
            raise TypeError(
                f"dupscan: {name} must be {want}, got {type(value).__name__}") from None
    return settings


# The command line's option for each parameter that an index fixes (adopt_index_parameters).
_INDEX_OPTIONS = {
    "text": "--text-field", "id": "--id-field", "format": "--format", "sketch": "--sketch",
    "scheme": "--scheme", "shingle_hash": "--shingle-hash", "num_perm": "--num-perm", "seed": "--seed", "shingle": "--shingle",
    "threshold": "--threshold", "bands": "--bands", "rows": "--rows",
}


def _given_options(function: Any, values: Dict[str, Any]) -> List[str]:
    """The options set on purpose: the parameters of ``function`` whose value is not its default."""
    import inspect

    given = []
    for name, p in inspect.signature(function).parameters.items():
        if name in _INDEX_OPTIONS and values[name] != p.default:
            given.append(_INDEX_OPTIONS[name])
    return given


class _ArrowStream:
    """A stream of record batches from the core (an ``arrow_array_stream`` PyCapsule), for
    pyarrow to import through the Arrow PyCapsule protocol (once: the capsule is moved out)."""

    __slots__ = ("_capsule",)

    def __init__(self, capsule: Any):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        capsule, self._capsule = self._capsule, None
        return capsule


class _ArrowArray:
    """An array from the core (``arrow_schema`` and ``arrow_array`` PyCapsules), as
    ``_ArrowStream``."""

    __slots__ = ("_capsules",)

    def __init__(self, capsules: Any):
        self._capsules = capsules

    def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
        capsules, self._capsules = self._capsules, None
        return capsules


def _table(capsule: Any) -> _pa.Table:
    """A result table the core built (src/host/python/result_tables.hpp): the rows of its output
    file, with column types fixed by the table, not guessed from the rows."""
    return _pa.table(_ArrowStream(capsule))


def _write_atomic(path: str, data: bytes) -> None:
    """Writes ``path`` through a temporary file beside it, renamed into place once complete: a
    reader sees the old file or the new one, never a part (the command line's io::AtomicFile)."""
    directory, base = _os.path.split(path)
    for _ in range(100):
        tmp = _os.path.join(directory, f".{base}.{_os.getpid()}.{_secrets.token_hex(4)}.tmp")
        try:  # mode 0666 less the umask, as open() would create the file
            fd = _os.open(tmp, _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"dupscan: no free temporary name for {path!r}")
    try:
        with _os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            _os.fsync(f.fileno())
        _os.replace(tmp, path)
    except BaseException:
        try:
            _os.unlink(tmp)
        except OSError:
            pass
        raise


# ---- output directories: one run's outputs, replaced in one step (the CLI's io/commit.cpp) ------

_FIXED_OUTPUTS = ("duplicates.jsonl", "clusters.jsonl", "contamination.jsonl", "removed.jsonl",
                  "report.json", "report.html")
_JOURNAL = ".dupscan-commit"


def _write_temporary(path: str, data: bytes) -> str:
    """``data`` in a complete, fsynced temporary file beside ``path`` named as the command line
    names its temporaries (a later run removes it as stale once this process is gone)."""
    directory, base = _os.path.split(path)
    host = _socket.gethostname().replace(".", "_").replace("/", "_") or "localhost"
    for _ in range(100):
        tmp = _os.path.join(directory, f".{base}.dupscan-tmp.{host}.{_os.getpid()}."
                                       f"py{_secrets.token_hex(4)}")
        try:
            fd = _os.open(tmp, _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"dupscan: no free temporary name for {path!r}")
    try:
        with _os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            _os.fsync(f.fileno())
    except BaseException:
        _os.unlink(tmp)
        raise
    return tmp


def _sync_dir(directory: str) -> None:
    fd = _os.open(directory or ".", _os.O_RDONLY)
    try:
        _os.fsync(fd)
    finally:
        _os.close(fd)


def _do_steps(steps) -> None:
    for tmp, path in steps:
        if tmp:
            if _os.path.exists(tmp):
                _os.replace(tmp, path)
                _sync_dir(_os.path.dirname(path))
        elif path.endswith("/"):
            try:
                _os.rmdir(path[:-1])
            except (FileNotFoundError, OSError):
                pass  # gone, or not empty (files no dupscan run wrote stay)
        else:
            try:
                _os.unlink(path)
            except FileNotFoundError:
                pass


def _commit(output_dir: str, renames, removes) -> None:
    """The journal (the commit point), the renames, the removals, the journal removed."""
    steps = [(_os.path.abspath(t), _os.path.abspath(p)) for t, p in renames]
    steps += [("", _os.path.abspath(p) + ("/" if p.endswith("/") else "")) for p in removes]
    text = b"dupscan-commit 2\n"
    for tmp, path in steps:
        t, p = _os.fsencode(tmp), _os.fsencode(path)
        text += b"%d %d\n" % (len(t), len(p)) + t + p + b"\n"
    text += b"end\n"
    journal = _os.path.join(output_dir, _JOURNAL)
    tmp = _write_temporary(journal, text)
    _os.replace(tmp, journal)
    _sync_dir(output_dir)
    _do_steps(steps)
    _os.unlink(journal)
    _sync_dir(output_dir)


def _finish_commit(output_dir: str) -> None:
    """Finishes the commit of a run killed after its commit point (io::recover_commit)."""
    journal = _os.path.join(output_dir, _JOURNAL)
    if not _os.path.exists(journal):
        return
    with open(journal, "rb") as f:
        text = f.read()
    bad = FileExistsError(f"dupscan: the commit journal {journal!r} of a killed run is damaged; "
                          f"check the outputs in {output_dir!r} and remove it")
    if not (text.startswith(b"dupscan-commit 2\n") or text.startswith(b"dupscan-commit 1\n")):
        raise bad
    at, steps = 17, []
    while text[at:] != b"end\n":
        nl = text.find(b"\n", at)
        if nl < 0:
            raise bad
        try:
            a, b = (int(x) for x in text[at:nl].split(b" "))
        except ValueError:
            raise bad from None
        at = nl + 1
        if b == 0 or len(text) < at + a + b + 1 or text[at + a + b:at + a + b + 1] != b"\n":
            raise bad
        steps.append((_os.fsdecode(text[at:at + a]), _os.fsdecode(text[at + a:at + a + b])))
        at += a + b + 1
    _do_steps(steps)
    _os.unlink(journal)


def _earlier_outputs(output_dir: str) -> List[str]:
    """What earlier dupscan runs left in ``output_dir`` (io::earlier_outputs): the names the last
    report.json lists, and the files dupscan writes under fixed names."""
    names = set()
    path = _os.path.join(output_dir, "report.json")
    if _os.path.exists(path):
        with open(path, "rb") as f:
            report = _json.loads(f.read())
        listed = report.get("output_dir_files")
        if listed is None:  # a report.json of an older dupscan: its outputs in the directory
            real = _os.path.realpath(output_dir)
            listed = []
            for p in report.get("outputs", []):
                rel = _os.path.relpath(_os.path.realpath(p), real)
                if not rel.startswith(".."):
                    parts = rel.split(_os.sep)
                    listed += ["/".join(parts[:i]) + "/" for i in range(1, len(parts))] + [rel]
        names.update(n for n in listed if n and not n.startswith("/") and ".." not in n)
    names.update(n for n in _FIXED_OUTPUTS if _os.path.exists(_os.path.join(output_dir, n)))
    return sorted(names)


def _check_ours(output_dir: str, earlier: List[str], own) -> None:
    """FileExistsError when ``output_dir`` holds files no dupscan run wrote
    (io::check_output_dir_is_ours)."""
    ours = set(earlier) | set(own)
    foreign, todo = [], [""]
    while todo:
        sub = todo.pop()
        for e in sorted(_os.listdir(_os.path.join(output_dir, sub))):
            is_dir = _os.path.isdir(_os.path.join(output_dir, sub, e)) and not _os.path.islink(
                _os.path.join(output_dir, sub, e))
            name = sub + e + ("/" if is_dir else "")
            if e.startswith("."):  # hidden: dupscan's lock and temporaries, .nfs*, ...
                continue
            if name not in ours:
                foreign.append(name)
            elif is_dir and name in earlier:
                todo.append(name)
    if foreign:
        foreign.sort()
        shown = ", ".join(repr(n) for n in foreign[:5])
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise FileExistsError(
            f"dupscan: the output directory {output_dir!r} holds files no dupscan run wrote: "
            f"{shown}{more}. Writing replaces the outputs of the earlier run there and removes "
            f"those not written again, so it writes only into an empty directory or one of "
            f"dupscan's: choose another directory, or give force=True to write there anyway "
            f"(files no dupscan run wrote are left alone)")


def _warn(messages: List[str]) -> List[str]:
    messages = [_keywords(m) for m in messages]
    for m in messages:
        _warnings.warn(m, stacklevel=3)
    return messages


# ---- dedup -----------------------------------------------------------------------------------------


class RunReport(dict):
    """A result's ``report``: the run's ``report.json`` as a dict, and, called, the HTML page of
    the result: ``result.report("page.html")`` writes it and returns its path (see
    ``DedupResult._page`` for the options: ``texts``, ``clusters``, ``pairs``, ...)."""

    def __init__(self, data: dict, page: Any):
        super().__init__(data)
        self._write_page = page

    def __call__(self, path: Union[str, "_os.PathLike[str]"], **options: Any) -> str:
        return self._write_page(path, **options)

    # Copied or pickled, it is the plain dict (the page needs the result's data in memory).
    def __reduce__(self):
        return (dict, (dict(self),))

    def __deepcopy__(self, memo: dict) -> dict:
        import copy

        return copy.deepcopy(dict(self), memo)


class DedupResult:
    """What ``dedup`` found.

    Attributes:
        keep: numpy bool array, one per record of the input in input order (rows of a table,
            records of a file): False for the duplicates removed, True for every other record --
            records that could not be read too (a warning each), which the CLI's
            ``--write-deduped`` copies through: selecting rows by ``keep`` loses no data.
        duplicates: pyarrow Table, one row per removed document, with the columns of
            ``duplicates.jsonl``: id, duplicate_of, cluster, kind ("exact" or "near"), jaccard.
        clusters: pyarrow Table, one row per cluster of two or more documents, with the columns
            of ``clusters.jsonl``: cluster, kept, members.
        report: dict, the ``report.json`` of the run (parameters, counts, timings); called,
            ``report("page.html")`` writes the run's HTML page (``dupscan report``'s page, with
            the texts of the data in memory) and returns its path.
        backend: the backend that ran ("cpu", "cuda", "cuda-host").
        canary: dict, the canary check of the device before it was trusted (``report["canary"]``:
            status "passed", "failed" with stage and difference, "off" or "not run").

    The tables' column types are fixed, not guessed from the rows: ids have the JSON type they
    have in the files (string ids stay strings, integer ids int64, or uint64 when some need 64
    bits unsigned), or ``pyarrow.json_()`` (each id's JSON text as the files write it) when ids
    of several JSON types are mixed, are arrays or objects, or are integers beyond 64 bits;
    cluster int64, jaccard float64. Without ids (nothing found) the id columns are of type null.
    The core builds the tables (Arrow arrays through the C data interface); they are not parsed
    from the files' bytes in Python.
        warnings: the skipped-record warnings (also issued with ``warnings.warn``).

    Ids are the id column's values (``id=``) or else the row numbers (tables, lists) or
    ``"<file>:<line>"`` (JSONL files) and ``"<file>:<row>"`` (Parquet files), as the CLI writes
    them.
    """

    def __init__(self, keep, duplicates, clusters, duplicates_jsonl: bytes, clusters_jsonl: bytes,
                 report: bytes, warnings):
        self.keep = _pa.array(_ArrowArray(keep)).to_numpy(zero_copy_only=False)
        self.duplicates_jsonl = duplicates_jsonl
        self.clusters_jsonl = clusters_jsonl
        self.report_json = report
        self.duplicates = _table(duplicates)
        self.clusters = _table(clusters)
        self.report = RunReport(_json.loads(report), self._page)
        self.backend = self.report.get("backend")
        self.canary = self.report.get("canary")
        self.warnings = list(warnings)
        # The run's data, for .report(): its tables in memory (kept alive here) and the
        # directory its relative paths were read from.
        self._tables: list = []
        self._base = _os.getcwd()

    def write(self, output_dir: str, force: bool = False) -> None:
        """Writes duplicates.jsonl, clusters.jsonl and report.json into ``output_dir``, byte for
        byte what ``dupscan dedup -o output_dir`` writes for the same records.

        As the command line, the directory then holds this result's files only: the outputs of
        an earlier dupscan run there (those its report.json lists, report.html among them) are
        removed in the same step as these replace theirs (the command line's commit journal,
        ``.dupscan-commit``, which the next run finishes if this one is killed). A directory
        that holds files no dupscan run wrote raises FileExistsError naming some, unless
        ``force=True``: then they are left alone."""
        _os.makedirs(output_dir, exist_ok=True)
        _finish_commit(output_dir)
        files = {
            "duplicates.jsonl": self.duplicates_jsonl,
            "clusters.jsonl": self.clusters_jsonl,
            "report.json": self.report_json,
        }
        earlier = _earlier_outputs(output_dir)
        if not force:
            _check_ours(output_dir, earlier, set(files))
        renames = []
        try:
            for name, data in files.items():
                path = _os.path.join(output_dir, name)
                renames.append((_write_temporary(path, data), path))
            removes = [n for n in earlier if n != "report.json" and
                       (n == "report.html" or n not in files)]
            removes.sort(key=lambda n: (n.endswith("/"), -len(n)))  # files, then deepest dirs
            _commit(output_dir, renames, [_os.path.join(output_dir, n) for n in removes])
        except BaseException:
            for tmp, _ in renames:
                try:
                    _os.unlink(tmp)
                except OSError:
                    pass
            raise

    def _page(
        self,
        path: Union[str, "_os.PathLike[str]"],
        *,
        texts: bool = True,
        clusters: int = 25,
        members: int = 4,
        pairs: int = 40,
        exact: int = 20,
        list: int = 5000,
        chars: int = 2000,
        seed: int = 1,
    ) -> str:
        """``result.report(path)``: writes the HTML page of this result to ``path`` and returns
        the path: the page
        ``dupscan report`` makes of the outputs ``.write()`` writes (one self-contained file;
        the same selections, texts, highlights and charts), with the texts read from the data
        the result was made from -- tables, DataFrames and lists in memory (which this result
        keeps a reference to), files as the command line reads them again (checked against the
        run's checksums). ``dupscan report`` on a ``.write()`` directory of data in memory cannot
        find those texts: this is the way to the page with texts.

        Args:
            texts: False: ids and numbers only, no text panes (``--no-texts``).
            clusters, members, pairs, exact, list, chars, seed: as ``dupscan report``'s options
                (largest clusters shown, removed members compared per cluster, near pairs in the
                sample, groups of exact copies, ids in the searchable list, characters of a text
                shown, seed of the near-pair sample).
        """
        output = _os.fsdecode(path)
        settings = _settings(
            _dupscan.ReportSettings, name="DedupResult (Python)",
            by="DedupResult.report() in Python", texts=bool(texts), clusters=clusters,
            members=members, pairs=pairs, exact=exact, list=list, chars=chars, seed=seed,
        )
        with _tempfile.TemporaryDirectory(prefix="dupscan-report-") as tmp:
            self.write(tmp)
            cwd = _os.getcwd()
            out = output if _os.path.isabs(output) else _os.path.join(cwd, output)
            settings.base = self._base
            written, _, _ = _core(_dupscan.report, tmp, out, self._tables, settings)
        return output if written == out else written

    def __repr__(self) -> str:
        c = self.report.get("counts", {})
        return (
            f"DedupResult(documents={c.get('documents')}, kept={c.get('kept')}, "
            f"exact_duplicates={c.get('exact_duplicates')}, "
            f"near_duplicates={c.get('near_duplicates')}, clusters={c.get('clusters')})"
        )


def dedup(
    data: Any,
    *,
    text: str = "text",
    id: Optional[str] = None,
    threshold: float = 0.8,
    num_perm: int = 128,
    scheme: Optional[str] = None,
    shingle_hash: Optional[str] = None,
    sketch: str = "compat",
    shingle: str = "word:5",
    keep: str = "first",
    verify: bool = True,
    backend: str = "auto",
    threads: Optional[int] = None,
    progress: Union[bool, float] = False,
    seed: int = 1,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    format: str = "jsonl",
    max_skipped: float = 0.1,
    strict: bool = False,
    against: Optional["Index"] = None,
) -> DedupResult:
    """Finds exact and near-duplicate documents, as ``dupscan dedup`` does.

    Args:
        data: the documents: a pyarrow Table / RecordBatch / Array / ChunkedArray, a Hugging
            Face ``datasets.Dataset``, a polars DataFrame or Series, a DuckDB result, a pandas
            Series or DataFrame, a list of str, or a path (str or ``os.PathLike``; JSONL, .gz,
            .zst or Parquet) or a list of ``pathlib.Path``. Arrow data is read in place.
        text: the text column (``--text-field``): a name, "a.b" for field b of struct column a,
            "a+b" for columns joined by a newline. Ignored for a single column of texts.
        id: the id column (``--id-field``); None: as on the command line, the "id" field or
            column where the data has one, else row numbers (tables, lists) or "<file>:<line>"
            (files). A name given must exist: else ``InputError`` naming the columns there are.
        threshold: Jaccard similarity at or above which two documents are near duplicates.
        num_perm: MinHash permutations K.
        scheme: datasketch's MinHash permutation scheme of the compat sketch (``--scheme``):
            "affine32" (datasketch 2's default), "affine64" or "legacy" (datasketch before
            2.0); None: "affine32", or the index's with ``against``. Given with sketch="fast"
            (which has no permutations) it is a ValueError, as on the command line.
        shingle_hash: the hash of each shingle (``--shingle-hash``): "xxh64", or "sha1" --
            what datasketch's ``MinHash()`` hashes with when given no ``hashfunc`` (use it to
            match datasketch's default construction); None: "xxh64", or the index's with
            ``against``. Given with sketch="fast" it is a ValueError, as on the command line.
        sketch: "compat" (datasketch's MinHash) or "fast" (one-permutation hashing).
        shingle: "word:N" or "char:N".
        keep: which member of a cluster stays: "first" (in input order) or "longest".
        verify: check every candidate pair by exact Jaccard (False: trust the MinHash estimate).
        backend: "auto", "cpu", "cuda" or "cuda-host".
        threads: worker threads (None: all cores).
        progress: progress on stderr while it runs: True for a live line on a terminal and, in a
            log (stderr not a terminal), a plain line every 30 s with the stage, counts, rate,
            ETA, elapsed time and resident memory; a number: seconds between the log's lines.
        seed, bands, rows, format, max_skipped, strict: as the command line's options.
        against: an ``Index`` of earlier documents: duplicates of indexed documents are removed,
            the indexed ones kept. Parameters left at their defaults are the index's (as
            ``dupscan dedup --against`` does with options left out); those set must match it.

    Returns:
        DedupResult (``.keep``, ``.duplicates``, ``.clusters``, ``.report``).

    Raises:
        ValueError: a setting out of range (the command line's message).
        TypeError: data or a setting of the wrong type.
        InputError: input that cannot be read.
        KeyboardInterrupt: Ctrl-C; the run stops and nothing is returned.
    """
    if against is not None and not isinstance(against, Index):
        raise TypeError(f"dupscan: against must be a dupscan.Index, got {type(against).__name__}")
    settings = _settings(
        _dupscan.DedupSettings, text=text, id=id, threshold=threshold, num_perm=num_perm,
        scheme=scheme, shingle_hash=shingle_hash, sketch=sketch, shingle=shingle, keep=keep,
        verify=verify, backend=backend, threads=threads, seed=seed, bands=bands, rows=rows,
        format=format, max_skipped=max_skipped, strict=strict,
        against=against.path if against is not None else None,
    )
    if against is not None:
        settings.given = _given_options(dedup, locals())
    paths, tables = _inputs(data)
    out = list(_core(_dupscan.dedup, settings, paths, tables, _progress(progress)))
    out[6] = _warn(out[6])
    result = DedupResult(*out)
    result._tables = tables
    return result


# ---- signatures --------------------------------------------------------------------------------------


def _sketch(texts, text, num_perm, seed, scheme, sketch, shingle, threshold, bands, rows,
            backend, threads, shingle_hash=None):
    settings = _settings(_dupscan.DedupSettings, text=text, num_perm=num_perm, seed=seed,
                         scheme=scheme, sketch=sketch, shingle_hash=shingle_hash, shingle=shingle,
                         threshold=threshold, bands=bands, rows=rows, backend=backend,
                         threads=threads)
    paths, tables = _inputs(texts, "texts")
    if paths:
        raise TypeError("dupscan: signatures take texts (a list of str or Arrow data), not paths")
    return _core(_dupscan.signatures, tables[0], settings)


def signatures(
    texts: Any,
    *,
    num_perm: int = 128,
    seed: int = 1,
    scheme: Optional[str] = None,
    shingle_hash: Optional[str] = None,
    sketch: str = "compat",
    shingle: str = "word:5",
    text: str = "text",
    backend: str = "auto",
    threads: Optional[int] = None,
) -> _np.ndarray:
    """MinHash signatures of texts, one row each: a numpy array (n, num_perm) of uint32 (the
    32-bit schemes and the fast sketch) or uint64 (affine64).

    Each text is normalized and cut into shingles as ``dedup`` does; row i equals datasketch's
    ``MinHash(num_perm, seed, scheme=scheme, hashfunc=h)`` updated with text i's shingles
    (UTF-8), ``.hashvalues``, where h is the low 32 bits of XXH64 for affine32 and legacy and
    the full XXH64 for affine64 (scheme None: affine32; the fast sketch takes no scheme). With
    ``shingle_hash="sha1"``, row i is datasketch's ``MinHash(num_perm, seed, scheme=scheme)``
    as it constructs it by default, with no hashfunc (SHA-1: sha1_hash32, or sha1_hash64 for
    affine64). A text without shingles (empty after normalization) has every value at the
    maximum.
    """
    sig, _, _ = _sketch(texts, text, num_perm, seed, scheme, sketch, shingle, 0.8, None, None,
                        backend, threads, shingle_hash)
    return sig


def band_keys(
    texts: Any,
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    seed: int = 1,
    scheme: Optional[str] = None,
    shingle_hash: Optional[str] = None,
    sketch: str = "compat",
    shingle: str = "word:5",
    text: str = "text",
    backend: str = "auto",
    threads: Optional[int] = None,
) -> _np.ndarray:
    """LSH band keys of texts, one row each: a numpy uint64 array (n, bands); bands x rows is
    datasketch's optimum for threshold and num_perm unless given. Documents sharing a key in
    some band are ``dedup``'s candidate pairs. A text without shingles has keys 0."""
    _, keys, _ = _sketch(texts, text, num_perm, seed, scheme, sketch, shingle, threshold, bands,
                         rows, backend, threads, shingle_hash)
    return keys


# ---- index -------------------------------------------------------------------------------------------


class Index:
    """An index of documents seen before (``dupscan index``), on disk at ``path``.

        idx = dupscan.Index.build("idx/", ["a.jsonl"], text="text")
        idx.add(["b.jsonl"])
        new = dupscan.dedup(table, against=idx).keep   # duplicates of indexed documents removed

    An index reads its documents again when they are candidates, so it holds files (JSONL or
    Parquet), not tables in memory; ``dedup(..., against=idx)`` takes any data.
    """

    def __init__(self, path: str):
        self.path = _os.fsdecode(path)
        if not _os.path.exists(_os.path.join(self.path, "index.json")):
            raise InputError(f"'{self.path}' holds no dupscan index")

    @staticmethod
    def _files(files: Any) -> List[str]:
        if _is_path(files):
            return [_path(files)]
        if isinstance(files, (list, tuple)) and all(_is_path(f) for f in files):
            return [_path(f) for f in files]
        raise TypeError("dupscan.Index: files must be a path or a list of paths")

    @classmethod
    def build(
        cls,
        path: str,
        files: Any,
        *,
        text: str = "text",
        id: Optional[str] = None,
        threshold: float = 0.8,
        num_perm: int = 128,
        scheme: str = "affine32",
        shingle_hash: Optional[str] = None,
        sketch: str = "compat",
        shingle: str = "word:5",
        seed: int = 1,
        force: bool = False,
        threads: Optional[int] = None,
        progress: Union[bool, float] = False,
        wait: bool = False,
    ) -> "Index":
        """Builds an index of ``files`` at ``path`` (``force``: replacing one there), with
        the parameters of ``dupscan index build`` (``scheme``, ``shingle_hash``: the compat
        sketch's; shingle_hash None is "xxh64"). One run
        writes an index at a time: another one writing it is an error naming it, or with
        ``wait`` is waited for (``--wait``)."""
        settings = _settings(_dupscan.DedupSettings, text=text, id=id, threshold=threshold,
                             num_perm=num_perm, scheme=scheme, shingle_hash=shingle_hash,
                             sketch=sketch, shingle=shingle, seed=seed, threads=threads)
        out = _core(_dupscan.index, settings, cls._files(files),
                    "rebuild" if force else "build", _os.fsdecode(path), _progress(progress),
                    bool(wait))
        _warn(out[3])
        return cls(path)

    def add(self, files: Any, *, threads: Optional[int] = None, progress: Union[bool, float] = False,
            wait: bool = False) -> int:
        """Adds ``files`` as a new segment; returns the number of documents added (``wait``:
        wait for another run writing the index, as ``build``)."""
        out = _core(_dupscan.index, _settings(_dupscan.DedupSettings, threads=threads),
                    self._files(files), "add",
                    self.path, _progress(progress), bool(wait))
        _warn(out[3])
        return out[0]

    @property
    def manifest(self) -> dict:
        with open(_os.path.join(self.path, "index.json")) as f:
            return _json.load(f)

    def __len__(self) -> int:
        return int(self.manifest.get("documents", 0))

    def __repr__(self) -> str:
        return f"dupscan.Index({self.path!r}, documents={len(self)})"


# ---- contam ------------------------------------------------------------------------------------------


class ContamResult:
    """What ``contam`` found.

    Attributes:
        examples: pyarrow Table, one row per benchmark example with a match, with the columns of
            ``contamination.jsonl``.
        benchmarks: pyarrow Table, one row per benchmark: the per-benchmark summary of
            ``report.json``.
        report: dict, the ``report.json`` of the run.
        backend: the backend that ran ("cpu", "cuda", "cuda-host").
        canary: dict, the canary check of the device before it was trusted (``report["canary"]``).
        warnings: skipped-record warnings.
    """

    def __init__(self, examples, contamination_jsonl: bytes, report: bytes, warnings):
        self.contamination_jsonl = contamination_jsonl
        self.report_json = report
        self.report = _json.loads(self.report_json)
        self.examples = _table(examples)
        self.benchmarks = _pa.Table.from_pylist(self.report.get("benchmarks", []))
        self.backend = self.report.get("backend")
        self.canary = self.report.get("canary")
        self.warnings = list(warnings)

    def __repr__(self) -> str:
        return f"ContamResult(benchmarks={self.benchmarks.num_rows}, examples={self.examples.num_rows})"


def _benchmark(name: str, data: Any, text: str, id: Optional[str]):
    """(path or bytes, display, fields) of a benchmark: a file as given, or data as the JSON Lines
    bytes a file of it would hold (named "<NAME>" in messages and the report)."""
    _refuse_bytes(data, f"benchmark {name!r}")
    if _is_path(data):
        return _path(data), "", text.split("+")
    paths, tables = _inputs(data, f"benchmark {name!r}")
    del tables
    if isinstance(data, (list, tuple)):
        rows = [{"text": t} for t in data]
        fields = ["text"]
    else:
        table = _hf_table(data)
        if table is None:
            table = _pa.table(data) if not isinstance(data, _pa.Table) else data
        if table.num_columns == 0:
            raise TypeError(f"dupscan: benchmark {name!r} has no columns")
        if id is not None and id not in table.column_names:
            raise InputError(f"<{name}>: no id column {id!r} (columns: "
                             f"{', '.join(table.column_names)}); name one of them, or leave "
                             f"benchmark_id out for the \"id\" column or row numbers")
        rows = table.to_pylist()
        fields = text.split("+")
    key = "id" if id is None else id  # the command line's rule: "id" where there is one
    lines = []
    for i, r in enumerate(rows):
        if key not in r:
            r = dict(r, **{key: i})
        lines.append(_json.dumps(r, ensure_ascii=False, default=str) + "\n")
    return "".join(lines).encode("utf-8"), f"<{name}>", fields


def contam(
    train: Any,
    benchmarks: Dict[str, Any],
    *,
    text: str = "text",
    id: Optional[str] = None,
    benchmark_text: str = "text",
    benchmark_id: Optional[str] = None,
    ngram: int = 13,
    min_ngram: int = 8,
    near: bool = True,
    near_threshold: float = 0.5,
    max_matches: int = 20,
    boilerplate_docs: int = 10,
    backend: str = "auto",
    threads: Optional[int] = None,
    progress: Union[bool, float] = False,
) -> ContamResult:
    """Benchmark examples that leaked into training data, as ``dupscan contam`` finds them.

    Args:
        train: the training documents, as ``dedup``'s data.
        benchmarks: name -> benchmark: a JSONL path (its ``benchmark_text`` field) or data
            (a list of str, or a table with a ``benchmark_text`` column).
        text, id: the training data's text and id columns (as ``dedup``: id None is "id" where
            the data has it).
        benchmark_text: the benchmarks' text field(s) ("question+answer" joins two).
        benchmark_id: the benchmarks' id field; None: "id" where there is one (a file's field,
            a table's column), else "<file>:<line>" for files and the row number for data.
        ngram, min_ngram, near, near_threshold, max_matches: as the command line's options.
        boilerplate_docs: n-grams matched in more training documents than this are boilerplate
            (lm-eval's rule; each benchmark's ``boilerplate_dirty`` counts the dirty examples
            with one); 0: none is (``--boilerplate-docs``).
    """
    if not isinstance(benchmarks, dict) or not benchmarks:
        raise TypeError("dupscan.contam: benchmarks must be a non-empty dict name -> data")
    settings = _settings(_dupscan.ContamSettings, text=text, id=id, benchmark_id=benchmark_id,
                         ngram=ngram, min_ngram=min_ngram, near=near,
                         near_threshold=near_threshold, max_matches=max_matches,
                         boilerplate_docs=boilerplate_docs, backend=backend, threads=threads)
    paths, tables = _inputs(train, "train")
    evals = []
    for name, data in benchmarks.items():
        source, display, fields = _benchmark(name, data, benchmark_text, benchmark_id)
        evals.append([name, source, display] + fields)
    examples, contamination, report, warnings = _core(
        _dupscan.contam, settings, paths, tables, evals, _progress(progress))
    warnings = _warn(warnings)
    return ContamResult(examples, contamination, report, warnings)
