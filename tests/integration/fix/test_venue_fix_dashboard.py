"""hftsim venue serve with its dashboard: Prometheus metrics and live snapshots follow real FIX trading."""

from __future__ import annotations

import json
import socket
import time

from tests.prometheus_text import scrape

from .conftest import FixClient, RunningVenue, venue_config


def _snapshot_where(port: int, predicate, timeout_s: float = 5.0) -> dict:
    """Read the event stream until a snapshot satisfies ``predicate`` (or fail at the deadline)."""
    deadline = time.monotonic() + timeout_s
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        buf = b""
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            assert chunk, "dashboard closed the event stream"
            buf += chunk
            while b"\n\n" in buf:
                frame, buf = buf.split(b"\n\n", 1)
                for line in frame.split(b"\n"):
                    if line.startswith(b"data: "):
                        snapshot = json.loads(line[6:])
                        if predicate(snapshot):
                            return snapshot
    raise AssertionError("no snapshot satisfied the condition before the deadline")


def test_venue_dashboard_metrics_follow_fix_trading():
    venue = RunningVenue(venue_config(), dashboard_port=0)
    try:
        port = venue.server.monitor.dashboard.port
        assert scrape(port)["hftsim_commands_total"] == 0
        buyer, seller = FixClient(venue.port, "A"), FixClient(venue.port, "B")
        buyer.logon()
        seller.logon()
        for i in range(5):
            buyer.new_order(f"b{i}", 1, 100, "100.00")
            assert buyer.recv_type(b"8").get(150) == b"0"  # New
        seller.new_order("s0", 2, 300, "100.00")
        assert seller.recv_type(b"8").get(150) == b"0"
        assert seller.recv_type(b"8").get(150) == b"F"  # traded
        metrics = scrape(port)
        assert metrics["hftsim_commands_total"] == 6
        assert metrics["hftsim_match_latency_seconds_count"] == 6
        assert metrics["hftsim_end_to_end_latency_seconds_count"] == 6
        assert metrics["hftsim_book_depth_shares{side=bid,symbol=SIM}"] == 200  # 500 bought, 300 sold
        assert metrics["hftsim_fix_connections"] == 2
        snapshot = _snapshot_where(port, lambda snap: snap["book"]["bids"])
        bids = snapshot["book"]["bids"]
        assert bids[0][:2] == [10_000, 200], bids  # 100.00 in ticks of 0.01, 200 shares left
        buyer.close()
        seller.close()
    finally:
        venue.stop()
