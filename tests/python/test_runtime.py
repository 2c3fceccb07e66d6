"""The GIL is released while the core works, Ctrl-C stops a run, and Arrow text is not copied."""
import hashlib
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


def count_ticks():
    """A thread counting as fast as the GIL lets it: (ticks(), stop())."""
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=count)
    t.start()

    def halt():
        stop.set()
        t.join()

    return (lambda: ticks[0]), halt


def test_other_threads_run_while_dedup_works(corpus_table, monkeypatch):
    """While the core works, a Python thread counts at least half as fast as while this thread
    sleeps: the call holds the GIL only for its 50 ms checks for Ctrl-C."""
    texts = pa.concat_arrays([c for c in corpus_table.column("text").chunks] * 3)
    spans = []
    core = dupscan._dupscan.dedup

    def timed(*args):  # the core's call only, not the package's Python before and after it
        t0, c0 = time.perf_counter(), ticks()
        out = core(*args)
        spans.append((time.perf_counter() - t0, ticks() - c0))
        return out

    monkeypatch.setattr(dupscan._dupscan, "dedup", timed)
    ticks, halt = count_ticks()
    try:
        time.sleep(0.05)  # the thread is counting
        # The baseline: this thread sleeps while another one keeps a core busy without the GIL
        # (hashlib releases it), as the run's worker thread will: on 2 shared cores the counter
        # then gets the CPU it can get during the run, and only the GIL makes the difference.
        busy, buf = threading.Event(), b"x" * (8 << 20)

        def burn():
            while not busy.is_set():
                hashlib.sha256(buf).digest()

        burner = threading.Thread(target=burn)
        burner.start()
        try:
            time.sleep(0.05)
            t0, c0 = time.perf_counter(), ticks()
            time.sleep(0.3)
            baseline = (ticks() - c0) / (time.perf_counter() - t0)
        finally:
            busy.set()
            burner.join()
        r = dupscan.dedup(texts, threads=1, num_perm=2048)  # ~0.5 s
    finally:
        halt()
    assert r.report["counts"]["documents"] == len(texts)
    (took, during), = spans
    assert took > 0.2, took  # long enough to measure
    # Holding the GIL for the whole call would leave the counter (nearly) still.
    print("counter rate during the call / baseline:", during / took / baseline)
    assert during / took >= 0.5 * baseline, (during / took, baseline, took)


def test_ctrl_c_raises_keyboard_interrupt_and_the_next_run_works():
    """SIGINT 0.3 s into a run that takes seconds: KeyboardInterrupt within 1 s of the signal."""
    # 48 MB of text, character 5-grams, 2048 permutations, one thread: ~3-4 s uninterrupted on
    # the 2-core VM, from little memory.
    big, settings = synthetic(48), dict(threads=1, num_perm=2048, shingle="char:5")
    sent = []
    # A shell starts a background job (`cmd &` without job control) with SIGINT ignored, and
    # Python then installs no handler of its own: the signal would be lost, not the run at fault.
    # Python's own handler, for the length of this test, as in an interactive session.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.3, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            dupscan.dedup(big, **settings)
        raised = time.perf_counter()
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert sent, "the run ended before the signal was sent"
    latency = raised - sent[0]
    # The same run uninterrupted, once: it works after the interrupt, and it takes long enough
    # that a run which ignored Ctrl-C (raising only at its end) could not have passed the above.
    start = time.perf_counter()
    r = dupscan.dedup(big, **settings)
    full = time.perf_counter() - start
    assert r.report["counts"]["documents"] == len(big)
    # Ignoring Ctrl-C would give latency = full - 0.3 s: full must exceed 1.3 s (with margin).
    assert full > 1.6, f"the uninterrupted run took {full:.2f} s: too short to tell; size it up"
    print(f"Ctrl-C: raised {latency:.3f} s after SIGINT; uninterrupted run {full:.2f} s")
    assert latency < 1.0, (latency, full)


def test_progress_errors_stop_the_run_cleanly():
    """progress=True and a sys.stderr (a terminal: the live line is written at once) whose write
    raises: the error is raised from dedup (once the run has stopped), not std::terminate."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_runtime import synthetic
        import dupscan
        texts = synthetic(8)

        class Broken:
            def write(self, s):
                raise OSError("stderr is gone")
            def flush(self):
                pass
            def isatty(self):
                return True

        real, sys.stderr = sys.stderr, Broken()
        try:
            dupscan.dedup(texts, threads=1, num_perm=2048, progress=True)  # ~0.5 s
        except OSError as e:
            sys.stderr = real
            print("raised", e)
        r = dupscan.dedup(["a b c d e f g", "a b c d e f g"])
        print("next", r.keep.tolist())
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    assert out.stdout.split("\n")[:2] == ["raised stderr is gone", "next [True, False]"], out.stdout


def test_progress_in_a_log_is_plain_lines():
    """A sys.stderr that is not a terminal (a log): progress=SECONDS writes a plain line at that
    interval, with the stage, counts, elapsed time and resident memory, and no escape codes."""
    script = textwrap.dedent(
        f"""
        import io, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_runtime import synthetic
        import dupscan
        texts = synthetic(24)
        log, real = io.StringIO(), sys.stderr
        sys.stderr = log
        dupscan.dedup(texts, threads=1, num_perm=2048, progress=0.01)  # ~1 s: a line a tick
        sys.stderr = real
        print(log.getvalue())
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    lines = [l for l in out.stdout.split("\n") if l.startswith("dupscan: progress: ")]
    assert len(lines) >= 2, out.stdout
    assert "\x1b" not in out.stdout and "\r" not in out.stdout
    assert all(" elapsed" in l and ", RSS " in l for l in lines), lines
    with pytest.raises(ValueError, match="progress must be"):
        dupscan.dedup(["a b"], progress=-1)


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
