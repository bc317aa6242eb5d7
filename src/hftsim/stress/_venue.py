"""The venue as a subprocess for stress drills: start on a free port, read its RSS, stop it. Edge.

The venue is started exactly as an operator would (``python -m hftsim.net.venue serve``) with a
generated configuration of ``n_sessions`` trading sessions ``LOAD1..LOADn`` and one instrument.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["VenueProcess", "pin_apart", "rss_mb"]

_INSTRUMENT = """
[[instruments]]
symbol = "SIM"
tick_size = "0.01"
"""


def rss_mb(pid: int) -> float:
    """Return the resident set size of process ``pid`` in MB (0.0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return 0.0
    return 0.0


@contextmanager
def pin_apart(pid: int) -> Iterator[tuple[set[int], set[int]]]:
    """Pin the calling thread and the main thread of process ``pid`` to different CPUs for the block.

    Both masks are restored after (``pid``'s unless it has exited). Linux applies affinity per
    thread: the venue's other threads, started before, stay where they were.

    A venue that busy-polls never leaves its CPU. When the scheduler wakes it on the load client's
    CPU (as it may at a new connection), the two share that CPU until the load balancer moves one,
    tens of ms later; meanwhile every ``sched_yield`` of the client hands the venue a whole time
    slice, and round trips take about 1 ms. Measured at 10k msgs/s, three 1.5 s steps on one venue:
    the second and third steps began with 51-85 round trips of about 1 ms; pinned, with none.

    Yields:
        (the calling thread's CPUs, ``pid``'s): the first and the last CPU the calling thread may
        use, or empty sets (nothing pinned) with fewer than 2 CPUs or no ``sched_setaffinity``.
    """
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        yield set(), set()
        return
    mine, theirs = os.sched_getaffinity(0), os.sched_getaffinity(pid)
    cpus = sorted(mine)
    os.sched_setaffinity(pid, {cpus[-1]})
    os.sched_setaffinity(0, {cpus[0]})
    try:
        yield {cpus[0]}, {cpus[-1]}
    finally:
        os.sched_setaffinity(0, mine)
        try:
            os.sched_setaffinity(pid, theirs)
        except ProcessLookupError:  # it has exited
            pass


def venue_config(n_sessions: int) -> str:
    """Return a venue TOML with sessions ``LOAD1..LOADn`` on 127.0.0.1, port 0."""
    sessions = "".join(
        f'\n[[fix.sessions]]\nsender_comp_id = "LOAD{i}"\ntarget_comp_id = "HFTSIM"\n'
        for i in range(1, n_sessions + 1)
    )
    return f'[fix]\nhost = "127.0.0.1"\nport = 0\n{sessions}{_INSTRUMENT}'


class VenueProcess:
    """A venue subprocess; use as a context manager.

    Args:
        work_dir: where its configuration and log go (``venue.log`` holds its stderr).
        n_sessions: trading sessions configured (``LOAD1``...).
        start_timeout_s: how long to wait for the start-up line.
        busy_poll_us: the venue's ``--busy-poll-us`` (0: it sleeps in the event loop when idle).
    """

    def __init__(
        self, work_dir: Path, n_sessions: int = 1, start_timeout_s: float = 30.0, busy_poll_us: int = 0
    ) -> None:
        self.work_dir = Path(work_dir)
        self.n_sessions = n_sessions
        self.busy_poll_us = busy_poll_us
        self._timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.loop_name = ""
        self.exit_code: int | None = None

    def __enter__(self) -> VenueProcess:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "venue.toml"
        config.write_text(venue_config(self.n_sessions))
        log_path = self.work_dir / "venue.log"
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hftsim.net.venue", "serve", "--config", str(config), "--no-feed"]
            + ["--busy-poll-us", str(self.busy_poll_us)],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + self._timeout_s
        while True:
            text = log_path.read_text()
            if "listening on" in text:
                line = next(x for x in text.splitlines() if "listening on" in x)
                self.port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
                self.loop_name = line.split("loop=")[1].split(",")[0] if "loop=" in line else "?"
                return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._stop()
                raise RuntimeError(f"venue did not start (see {log_path}): {text.strip()[-300:]}")
            time.sleep(0.02)

    def __exit__(self, *exc) -> None:
        self._stop()

    @property
    def rss_mb(self) -> float:
        """Return the venue's resident set size in MB."""
        return rss_mb(self.proc.pid) if self.proc is not None else 0.0

    def _stop(self) -> None:
        if self.proc is None or self.exit_code is not None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.exit_code = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_code = self.proc.wait()
        self._log.close()
