"""The dashboard over real loopback sockets: garbage is refused, slow clients never slow the producer."""

from __future__ import annotations

import socket
import time
import urllib.request

import numpy as np
import pytest

from .dashboard_support import wait_for


def _connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5.0)
    s.connect(("127.0.0.1", port))
    return s


def _exchange(port: int, payload: bytes, half_close: bool = True) -> bytes:
    """Send ``payload``; return everything the server answers before closing."""
    with _connect(port) as s:
        try:
            s.sendall(payload)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close mid-send of a huge payload (EPIPE, ECONNRESET, ENOTCONN)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        return b"".join(chunks)


def _get(port: int, path: str) -> bytes:
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()


def _sse_frames(port: int, n: int, timeout_s: float = 5.0) -> list[bytes]:
    with _connect(port) as s:
        s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        buf = b""
        deadline = time.monotonic() + timeout_s
        while buf.count(b"\ndata: ") < n:
            assert time.monotonic() < deadline, "SSE frames did not arrive in time"
            buf += s.recv(65536)
        return [f for f in buf.split(b"\n\n") if f.startswith(b"data: ")][:n]


GARBAGE = [
    pytest.param(
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n", id="tls-hello"
    ),
    pytest.param(b"GET / HTTP/1.1\r\nX-Huge: " + b"A" * 200_000 + b"\r\n\r\n", id="huge-header"),
    pytest.param(b"GET / HTTP/1.1\r\n" + b"X-Many: y\r\n" * 500 + b"\r\n", id="many-headers"),
    pytest.param(b"DELETE /metrics HTTP/1.1\r\n\r\n", id="bad-method"),
    pytest.param(b"GET /\x00\x01 HTTP/1.1\r\n\r\n", id="control-bytes"),
    pytest.param(b"\r\n\r\n", id="empty-request-line"),
    pytest.param(b"GET / HTTP/1.1\r\nHost", id="truncated"),
    pytest.param(np.random.default_rng(3).bytes(5000), id="random-bytes"),
]


@pytest.mark.parametrize("payload", GARBAGE)
def test_dashboard_garbage_on_socket_is_refused_and_server_unaffected(live_venue, payload):
    port = live_venue.dashboard.port
    answer = _exchange(port, payload)
    assert answer == b"" or answer.split(b" ")[1][:1] == b"4", answer[:80]
    assert _get(port, "/healthz") == b"ok\n"
    assert len(_sse_frames(port, 2)) == 2  # streaming still works


def test_dashboard_garbage_answers_have_the_right_status(live_venue):
    port = live_venue.dashboard.port
    assert _exchange(port, b"GET / HTTP/1.1\r\nX: " + b"A" * 100_000 + b"\r\n\r\n").startswith(
        b"HTTP/1.1 431"
    )
    assert _exchange(port, b"POST / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405")
    assert _exchange(port, b"hello\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _exchange(port, b"GET /nope HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
    assert live_venue.dashboard.stats["bad_requests"] >= 3


def test_dashboard_silent_connection_is_closed_after_header_timeout(loop_thread):
    from hftsim.monitor import MetricsRegistry
    from hftsim.monitor.dashboard import Dashboard

    dashboard = Dashboard(MetricsRegistry(), None, header_timeout_s=0.2)
    loop_thread.run(dashboard.start())
    try:
        with _connect(dashboard.port) as s:
            s.sendall(b"GET / HTTP/1.1\r\n")  # never finishes the head
            assert s.recv(1024).startswith(b"HTTP/1.1 408")
    finally:
        loop_thread.run(dashboard.stop())


def test_dashboard_serves_page_snapshot_and_metrics(live_venue):
    port = live_venue.dashboard.port
    wait_for(lambda: len(live_venue.published) >= 2, 5, "two snapshots")
    page = _get(port, "/")
    assert b"<title>hftsim dashboard</title>" in page and b"/*SNAPSHOT*/" not in page
    assert b'"seq":' in page  # the latest snapshot is inlined for the first paint
    assert b"EventSource" in _get(port, "/static/app.js")
    metrics = _get(port, "/metrics").decode()
    assert "hftsim_match_latency_seconds_bucket" in metrics and "hftsim_commands_total" in metrics


@pytest.mark.slow
def test_dashboard_sse_pushes_at_least_twice_a_second(live_venue):
    port = live_venue.dashboard.port
    t0 = time.monotonic()
    frames = _sse_frames(port, 6)
    assert (time.monotonic() - t0) < 6 / 2.0
    seqs = [int(f.split(b'"seq":')[1].split(b",")[0].rstrip(b"}")) for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


@pytest.mark.slow
@pytest.mark.parametrize("live_venue", [dict(publish_hz=50.0, pad_bytes=64_000)], indirect=True)
def test_dashboard_slow_clients_do_not_slow_the_producer(live_venue):
    dashboard, port = live_venue.dashboard, live_venue.dashboard.port
    wait_for(lambda: len(live_venue.publish_times) >= 10, 5, "the producer to start")
    t0 = time.monotonic()
    time.sleep(1.0)  # a measurement window, not a wait for a condition
    baseline = live_venue.rate_between(t0, time.monotonic())

    stuck = [_connect(port, rcvbuf=4096) for _ in range(4)]
    try:
        for s in stuck:
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")  # ... and never read
        wait_for(
            lambda: sum(b > 0 for b in dashboard.buffered_bytes()) >= 4,
            10,
            "the stuck clients' buffers to fill",
        )
        t1 = time.monotonic()
        healthy = _sse_frames(port, 20, timeout_s=5.0)  # a reading client alongside the stuck ones
        healthy_s = time.monotonic() - t1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t1)))
        loaded = live_venue.rate_between(t1, time.monotonic())
        buffered = dashboard.buffered_bytes()
    finally:
        for s in stuck:
            s.close()
    print(f"producer rate {baseline:.1f}/s alone, {loaded:.1f}/s with 4 stuck clients; buffered {buffered}")
    assert loaded >= 0.8 * baseline, (baseline, loaded)
    assert len(healthy) == 20 and healthy_s < 20 / 10.0  # the healthy client still gets >= 10 frames/s
    frame_bytes = 70_000
    assert max(buffered) <= 64 * 1024 + frame_bytes  # no per-client growth: high-water mark + one frame
    assert max(live_venue.publish_cost_s) < 0.05


def test_dashboard_publish_from_another_thread_reaches_clients(loop_thread):
    import threading

    from hftsim.monitor import MetricsRegistry
    from hftsim.monitor.dashboard import Dashboard

    dashboard = Dashboard(MetricsRegistry(), None)
    loop_thread.run(dashboard.start())
    stop = threading.Event()

    def producer():
        n = 0
        while not stop.is_set():
            n += 1
            dashboard.publish_snapshot({"n": n})
            stop.wait(0.02)

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    try:
        frames = _sse_frames(dashboard.port, 5)
        assert all(b'"n":' in f for f in frames)
        assert dashboard.latest()["seq"] >= 5
    finally:
        stop.set()
        thread.join(5)
        loop_thread.run(dashboard.stop())
