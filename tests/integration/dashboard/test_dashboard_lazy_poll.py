"""The dashboard builds snapshots only while someone watches, or on request; /metrics is always current."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import pytest

from hftsim.monitor import MetricsRegistry
from hftsim.monitor.dashboard import Dashboard

from .dashboard_support import wait_for


class CountingSource:
    """A snapshot source that counts its calls (and the threads it ran on)."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[int] = set()

    def __call__(self) -> dict:
        self.calls += 1
        self.threads.add(threading.get_ident())
        return {"n": self.calls}


def _get(port: int, path: str) -> bytes:
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()


@pytest.mark.slow
def test_dashboard_without_watchers_builds_only_on_request(loop_thread):
    registry = MetricsRegistry()
    counter = registry.counter("commands")
    source = CountingSource()
    dashboard = Dashboard(registry, source, interval_s=0.02)
    loop_thread.run(dashboard.start())
    try:
        assert source.calls == 1  # the snapshot taken at start
        started = time.monotonic()
        wait_for(lambda: time.monotonic() - started > 0.2, 1, "ten poll periods")  # nobody watches
        assert source.calls == 1
        assert json.loads(_get(dashboard.port, "/snapshot"))["n"] == 2  # stale: rebuilt on request
        counter.inc(7)
        assert b"hftsim_commands_total 7.0" in _get(dashboard.port, "/metrics")  # read at request
        wait_for(lambda: time.monotonic() - started > 0.25, 1, "the snapshot to be a poll period old")
        assert dashboard.latest()["n"] == 3  # from another thread: built on the loop, then returned
        assert source.threads == {loop_thread._thread.ident}
    finally:
        loop_thread.run(dashboard.stop())


def test_dashboard_polls_while_an_event_stream_is_open(loop_thread):
    source = CountingSource()
    dashboard = Dashboard(MetricsRegistry(), source, interval_s=0.02)
    loop_thread.run(dashboard.start())
    try:
        with socket.create_connection(("127.0.0.1", dashboard.port), timeout=5) as s:
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            buf = b""
            while buf.count(b"data: ") < 5:  # five snapshots pushed, each freshly built
                chunk = s.recv(65536)
                assert chunk, "the event stream closed"
                buf += chunk
            assert source.calls >= 5
        wait_for(lambda: dashboard.streams == 0, 5, "the stream to close")
    finally:
        loop_thread.run(dashboard.stop())
