"""Ctrl-C interrupts a long run cleanly: KeyboardInterrupt, within a bounded time, nothing
returned or written; the next run works."""

import os
import signal
import threading
import time

import pytest

import undertow

# Long enough to take many seconds on any machine (the interruption ends it early).
LONG = 20_000_000


def test_sigint_interrupts_a_long_run(tmp_path):
    fund = undertow.example_fund()
    seen = []
    timer = threading.Timer(1.0, lambda: (seen.append(time.monotonic()),
                                          os.kill(os.getpid(), signal.SIGINT)))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        undertow.run(fund, scenarios=LONG, seed=1, backend="cpu", analysis=False,
                     unconditional=False, progress=lambda done, total: None)
    ended = time.monotonic()
    timer.join()
    assert seen, "the timer never fired: the run finished first"
    assert ended - seen[0] < 10.0, f"took {ended - seen[0]:.1f}s to stop"
    assert list(tmp_path.iterdir()) == []
    # The stop flag is cleared: the next run completes.
    r = undertow.run(fund, scenarios=50, seed=1, backend="cpu", analysis=False)
    assert r.scenarios.num_rows == 50


def test_a_raising_progress_callback_stops_the_run():
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if done > 0:
            raise RuntimeError("stop here")

    start = time.monotonic()
    with pytest.raises(RuntimeError, match="stop here"):
        undertow.run(undertow.example_fund(), scenarios=LONG, backend="cpu", analysis=False,
                     unconditional=False, progress=progress)
    assert time.monotonic() - start < 60.0
    assert calls[0][1] == LONG
