"""Venue output wiring without sockets: EngineOutput copies, one batch per drain, the analytics consumer."""


import numpy as np
import pytest

from hftsim.core.arrays import EVENT_DTYPE
from hftsim.core.enums import EventKind
from hftsim.net.venue import VenueServer, parse_config

CONFIG = {
    "fix": {
        "host": "127.0.0.1",
        "port": 0,
        "sessions": [
            {"sender_comp_id": "A", "target_comp_id": "HFTSIM"},
            {"sender_comp_id": "B", "target_comp_id": "HFTSIM"},
        ],
    },
    "instruments": [{"symbol": "SIM", "tick_size": "0.01"}, {"symbol": "ALT", "tick_size": "0.01"}],
}


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[np.ndarray] = []

    def publish(self, events: np.ndarray) -> None:
        self.published.append(events)


class Session:
    is_active = True


def _events(*rows: dict) -> np.ndarray:
    out = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, row in enumerate(rows):
        for key, value in row.items():
            out[i][key] = value
    return np.frombuffer(out.tobytes(), dtype=EVENT_DTYPE)  # as the engine hands them: over bytes


@pytest.mark.parametrize("dashboard_port", [0, None])
def test_venue_output_replaces_the_publishers_and_offers_one_batch_per_drain(dashboard_port):
    publisher = RecordingPublisher()
    server = VenueServer(parse_config(CONFIG), publisher, dashboard_port=dashboard_port)
    consumers = server.consumers
    assert server.gateway.publisher is consumers.output and server.publisher is consumers.output
    assert set(consumers.pools) == {"feed", "analytics"}
    first, second = _events({"kind": EventKind.ACCEPTED}), _events({"kind": EventKind.CANCELED})

    def on_message(_session, events):
        server.gateway.publisher.publish(events)

    server.gateway.on_message = on_message
    server._queue.extend([(Session(), first, 0, 0), (Session(), second, 0, 0)])
    server._after_drain = lambda: None  # no connections
    server._drain()
    assert publisher.published == []  # queued, no consumer running
    assert [pool.backlog for pool in consumers.pools.values()] == [2, 2]
    assert consumers.pools["feed"].backlog_samples.count == 1  # one batch
    assert consumers.pools["feed"].flush() == 2
    assert len(publisher.published) == 1  # one call for the turn: the two commands' records, in order
    assert publisher.published[0].tobytes() == first.tobytes() + second.tobytes()
    if dashboard_port is not None:
        assert server.monitor.commands.value == 2


def test_engine_output_copies_a_reusable_buffer_and_keeps_an_immutable_one():
    server = VenueServer(parse_config(CONFIG), dashboard_port=0)
    output = server.consumers.output
    server.consumers.is_draining = True
    reused = np.zeros(1, dtype=EVENT_DTYPE)
    immutable = _events({"qty": 3})
    output.publish(reused)
    output.publish(immutable)
    reused["qty"] = 99  # the engine writes the next command's events into its buffer
    assert output.pending[0]["qty"][0] == 0 and output.pending[1] is immutable


def test_trade_analytics_counts_events_trades_and_fills_per_session():
    server = VenueServer(parse_config(CONFIG))
    consumers = server.consumers
    analytics = consumers.analytics
    trade = {"kind": EventKind.TRADE, "ts_event": 7, "price_ticks": 10_000, "qty": 300, "aggressor_side": -1}
    analytics.on_events(
        _events(
            {"kind": EventKind.ACCEPTED, "owner_id": 1},
            {"kind": EventKind.FILLED, "owner_id": 1},
            {"kind": EventKind.FILLED, "owner_id": 2},
            trade,
            {**trade, "symbol_id": 1},
        )
    )
    analytics.on_events(_events({"kind": EventKind.CANCELED, "owner_id": 2}))
    counters = consumers.registry.snapshot()["counters"]
    assert counters["events"] == 6 and counters["trades"] == 2
    assert counters['session_fills{session="A"}'] == 1 and counters['session_fills{session="B"}'] == 1
    assert list(analytics.tape) == [(7, 10_000, 300, -1)]  # the dashboard's symbol (SIM) only
