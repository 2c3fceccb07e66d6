"""The GIL is released while the core works, Ctrl-C stops a run, and Arrow text is not copied."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

import dupscan


def synthetic(mb, seed=0):
    """A large_string column of ~mb MB of distinct documents (10-letter words), built in place."""
    rng = np.random.default_rng(seed)
    n_words = mb * (1 << 20) // 11
    letters = rng.integers(97, 123, size=(n_words, 11), dtype=np.uint8)
    letters[:, 10] = 32
    data = letters.reshape(-1)
    words_per_doc = 200
    docs = n_words // words_per_doc
    offsets = np.arange(docs + 1, dtype=np.int64) * words_per_doc * 11
    return pa.Array.from_buffers(pa.large_string(), docs, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def test_other_threads_run_while_dedup_works(corpus_table):
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    texts = pa.concat_arrays([c for c in corpus_table.column("text").chunks] * 3)
    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    before = ticks
    start = time.perf_counter()
    r = dupscan.dedup(texts, threads=2)
    took = time.perf_counter() - start
    during = ticks - before
    stop.set()
    t.join()
    assert r.report["counts"]["documents"] == len(texts)
    # Holding the GIL for the whole call would leave the counter (nearly) still.
    assert during > 10_000 * took, (during, took)


def test_ctrl_c_raises_keyboard_interrupt_and_the_next_run_works():
    big = synthetic(96)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        dupscan.dedup(big, threads=2)
        time.sleep(30)  # not reached: the run is interrupted first
    assert time.perf_counter() - start < 20
    r = dupscan.dedup(["a b c d e f g", "a b c d e f g", "h i j k l m n"])
    assert r.keep.tolist() == [True, False, True]


def test_text_is_not_copied(tmp_path):
    """Peak memory of a run over 128 MB of Arrow text stays far below another 128 MB."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_runtime import synthetic
        import dupscan
        texts = synthetic(128)
        nbytes = texts.buffers()[2].size
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        r = dupscan.dedup(texts, threads=2)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        assert r.report["counts"]["documents"] == len(texts)
        print(nbytes, base, peak)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    nbytes, base, peak = map(int, out.stdout.split())
    assert nbytes > 120 << 20
    # A copy of the text would add >= nbytes; the run's own tables are a few hundred bytes a
    # document (~60 k documents here), its batches a few MB per thread.
    assert peak - base < nbytes // 4, (nbytes, base, peak)
