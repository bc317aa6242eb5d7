"""The venue's engine output behind autoscaled consumer queues, over real loopback FIX and UDP.

The feed's consumers must publish exactly what a synchronous publisher would (the book rebuilt by an
independent feed handler equals the engine's); the analytics consumer feeds the dashboard's tape and
per-session fills; a backlog forced by pausing a queue (``ConsumerPool.pause``, the documented
hook) makes the autoscaler add consumers, and an idle period after ``resume`` removes them; every
decision shows on the dashboard and in Prometheus ``/metrics``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.request

import pytest

from hftsim.monitor import AutoscalePolicy
from hftsim.net.feed import REF_ORDER_MASK, FeedHandler, FeedPublisher, price_scale_e4
from hftsim.net.mold import encode_request, session_field
from hftsim.net.venue import parse_config
from tests.prometheus_text import scrape

from .conftest import FixClient, RunningVenue, venue_config

SESSION = b"CONSUMERS"


def _snapshot(port: int) -> dict:
    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/snapshot", timeout=5).read())


def _wait_for(predicate, what: str, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(venue: RunningVenue, coro):
    return asyncio.run_coroutine_threadsafe(coro, venue.loop).result(10)


def _acks(client: FixClient, n: int) -> list:
    return [client.recv_type(b"8") for _ in range(n)]


@pytest.mark.slow
def test_venue_feed_through_consumer_queue_equals_engine_book():
    config = venue_config()
    instruments = parse_config({**config, "fix": {k: v for k, v in config["fix"].items() if v is not None}})
    feed_port = _free_udp_port()
    publisher = FeedPublisher(instruments.instruments, SESSION, [("127.0.0.1", feed_port)], 0)
    venue = RunningVenue(config, publisher=publisher, dashboard_port=0)
    monitor = venue.server.monitor
    handler = FeedHandler(SESSION, ("127.0.0.1", feed_port), venue.server.publisher.rerequest_address)
    _run(venue, handler.start())
    buyer, seller = FixClient(venue.port, "A"), FixClient(venue.port, "B")
    try:
        buyer.logon()
        seller.logon()
        for i in range(40):  # resting bids on both symbols, then sells that trade through some
            buyer.new_order(f"b{i}", 1, 100, f"{99 + i % 3}.00", symbol="SIM" if i % 2 else "ALT")
        _acks(buyer, 40)
        for i in range(10):
            seller.new_order(f"s{i}", 2, 150, "99.00", symbol="SIM" if i % 2 else "ALT")
        _acks(seller, 10)
        engine = venue.server.gateway.engine
        _wait_for(
            lambda: venue.call(
                lambda: handler.next_seq == publisher.next_sequence_number and not handler.open_gaps
            ),
            "the feed handler to catch up",
        )
        for ins in instruments.instruments:
            scale = price_scale_e4(ins)
            want = venue.call(
                lambda ins=ins: [
                    (int(r["order_id"]), int(r["side"]), int(r["price_ticks"]) * scale, int(r["leaves_qty"]))
                    for r in engine.l3(ins.symbol_id)
                ]
            )
            got = venue.call(
                lambda ins=ins: [
                    (ref & REF_ORDER_MASK, side, px, q) for ref, side, px, q in handler.l3(ins.symbol_id + 1)
                ]
            )
            assert got == want and want, ins.symbol
        port = monitor.dashboard.port
        metrics = scrape(port)
        assert metrics["hftsim_messages_handled_total{queue=feed}"] == 50  # one message per command
        assert metrics["hftsim_messages_dropped_total{queue=feed}"] == 0
        assert metrics["hftsim_messages_handled_inline_total{queue=feed}"] == 0
        # every stage of a non-journaled venue is timed: per read, per drain, per feed turn
        assert 1 <= metrics["hftsim_gateway_in_latency_seconds_count"] <= 50  # one per read
        for stage in ("sequencer", "match", "end_to_end"):  # one per drain
            assert 1 <= metrics[f"hftsim_{stage}_latency_seconds_count"] <= 50, stage
        assert metrics["hftsim_commands_total"] == 50
        assert 1 <= metrics["hftsim_publish_latency_seconds_count"] <= 50  # one per consumer turn
        # FIX sessions and their sequence numbers (A and B sent a Logon and their orders)
        assert metrics["hftsim_fix_sessions"] == 2
        assert metrics["hftsim_fix_session_seq{direction=in,session=A}"] == 41
        assert metrics["hftsim_fix_session_seq{direction=in,session=B}"] == 11

        # retransmits: the re-request server's count, on /metrics within a tick (100 ms)
        def resent() -> int:
            return venue.call(lambda: venue.server.publisher.stats()["rerequest_retransmitted_messages"])

        before = resent()  # the handler may have recovered a reordered packet already
        _wait_for(lambda: scrape(port)["hftsim_retransmits_total"] == before, "retransmits in /metrics")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as asker:  # ask for 5 messages again
            rerequest = venue.server.publisher.rerequest_address
            asker.sendto(encode_request(session_field(SESSION), 3, 5), rerequest)
            _wait_for(lambda: scrape(port)["hftsim_retransmits_total"] == before + 5, "5 more retransmits")
        assert metrics["hftsim_queue_backlog_p99_messages{queue=feed}"] >= 1
        assert metrics["hftsim_session_fills_total{session=B}"] >= 1
        assert metrics["hftsim_trades_total"] >= 1
        # a snapshot is rebuilt on request once the last is older than the poll period (0.25 s)
        snapshot = _wait_for(lambda: (s := _snapshot(port))["trades"] and s, "trades on the dashboard")
        assert set(snapshot["backlog"]) == {"sequencer", "feed", "analytics"}
        assert snapshot["consumers"] == {"feed": 1, "analytics": 1}
        assert snapshot["counters"]['session_fills{session="B"}'] >= 1
        assert venue.server.publisher.stats()["queue_handled"] == 50
    finally:
        _run(venue, handler.stop())
        buyer.close()
        seller.close()
        venue.stop()


@pytest.mark.slow
def test_venue_consumer_backlog_scales_up_then_down_after_idle():
    venue = RunningVenue(venue_config(), dashboard_port=0)
    monitor = venue.server.monitor
    pool = venue.server.consumers.pools["analytics"]
    policy = AutoscalePolicy(idle_ns=200_000_000, idle_batches=2, max_consumers=3)
    venue.call(lambda: setattr(monitor.autoscaler, "policy", policy))
    port = monitor.dashboard.port
    client = FixClient(venue.port, "A")
    try:
        client.logon()
        venue.call(pool.pause)  # the consumers stop taking messages: the backlog builds
        for burst in range(3):
            orders = b"".join(
                client.build(
                    "D",
                    [
                        (11, f"o{burst}-{i}"),
                        (55, "SIM"),
                        (54, 1),
                        (60, "20240102-10:00:00.000"),
                        (38, 100),
                        (40, 2),
                        (44, "99.00"),
                    ],
                )
                for i in range(150)
            )
            client.send_raw(orders)
            _acks(client, 150)
        assert venue.call(lambda: pool.backlog) == 450
        added = "hftsim_autoscale_decisions_total{action=add,queue=analytics}"
        _wait_for(lambda: scrape(port)[added] >= 1, "a scale-up decision in /metrics")
        assert scrape(port)["hftsim_queue_consumers{queue=analytics}"] >= 2
        _wait_for(
            lambda: any(
                d["queue"] == "analytics" and d["action"] == "add" and d["backlog"] > 200
                for d in _snapshot(port)["decisions"]
            ),
            "the scale-up decision on the dashboard",
        )
        venue.call(pool.resume)
        _wait_for(lambda: venue.call(lambda: pool.backlog) == 0, "the backlog to drain")
        _wait_for(
            lambda: scrape(port)["hftsim_queue_consumers{queue=analytics}"] == 1,
            "the idle queue to scale back down to one consumer",
        )
        metrics = scrape(port)
        assert metrics["hftsim_autoscale_decisions_total{action=remove,queue=analytics}"] >= 1
        assert metrics["hftsim_messages_handled_total{queue=analytics}"] == 450
        assert metrics["hftsim_messages_dropped_total{queue=analytics}"] == 0
        assert metrics["hftsim_queue_backlog_p99_messages{queue=analytics}"] > 200
        newest = _wait_for(
            lambda: (d := _snapshot(port)["decisions"][0])["action"] == "remove" and d,  # newest first
            "the scale-down decision on the dashboard",
        )
        assert newest["consumers_after"] == 1 and "backlog <= 20" in newest["reason"]
    finally:
        client.close()
        venue.stop()
