"""MetricsRegistry, counters, gauges, the venue catalog and metrics.json."""

import json
import math

import pytest

from hftsim.core.enums import Side
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import NewOrder
from hftsim.matching import MatchingEngine
from hftsim.monitor import STAGES, MetricsRegistry, VenueMetrics, load_metrics_file, watch_book


def test_registry_get_or_create_returns_same_object():
    reg = MetricsRegistry()
    assert reg.counter("commands") is reg.counter("commands")
    assert reg.gauge("queue_backlog_messages", labels={"queue": "a"}) is not reg.gauge(
        "queue_backlog_messages", labels={"queue": "b"}
    )
    assert reg.histogram("match_latency") is reg.histogram("match_latency")


def test_registry_name_of_two_kinds_raises_config_error():
    reg = MetricsRegistry()
    reg.counter("x")
    with pytest.raises(ConfigError, match="already a Counter"):
        reg.gauge("x")


@pytest.mark.parametrize("name", ["Bad", "has-dash", "9lives", "commands_total"])
def test_registry_unconventional_names_raise_config_error(name):
    with pytest.raises(ConfigError):
        MetricsRegistry().counter(name)


def test_registry_snapshot_has_counters_gauges_histograms():
    reg = MetricsRegistry()
    reg.counter("commands").inc(3)
    reg.gauge("queue_backlog_messages", labels={"queue": "itch"}).set(7)
    reg.gauge("fix_sessions", fn=lambda: 2)
    reg.histogram("match_latency").record(1_000)
    snap = reg.snapshot()
    assert snap["counters"] == {"commands": 3}
    assert snap["gauges"] == {"fix_sessions": 2.0, 'queue_backlog_messages{queue="itch"}': 7}
    assert snap["histograms"]["match_latency"]["count"] == 1


def test_registry_broken_callback_gauge_reads_nan():
    reg = MetricsRegistry()
    gauge = reg.gauge("broken", fn=lambda: 1 / 0)
    assert math.isnan(gauge.read())


def test_registry_dump_and_load_round_trip(tmp_path):
    reg = MetricsRegistry()
    VenueMetrics(reg).commands.inc(10)
    path = reg.dump(tmp_path / "metrics.json")
    data = load_metrics_file(path)
    assert data["counters"]["commands"] == 10
    assert set(data["histograms"]) == {f"{s}_latency" for s in STAGES}
    assert data["histograms"]["match_latency"]["p99_ns"] is None  # empty: NaN written as null


def test_load_metrics_file_malformed_raises_config_error(tmp_path):
    bad = tmp_path / "metrics.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not a readable metrics JSON"):
        load_metrics_file(bad)
    bad.write_text(json.dumps({"counters": {}}))
    with pytest.raises(ConfigError, match="'histograms'"):
        load_metrics_file(bad)


def test_watch_book_reads_depth_and_spread_from_engine():
    engine = MatchingEngine([Instrument(symbol="AAA", symbol_id=0, band_low_ticks=1, band_high_ticks=1000)])
    reg = MetricsRegistry()
    watch_book(reg, engine, 0, "AAA")
    spread = reg.gauge("book_spread_ticks", labels={"symbol": "AAA"})
    assert math.isnan(spread.read())
    engine.submit(NewOrder(symbol_id=0, client_order_id=1, side=Side.BUY, qty=5, price_ticks=100))
    engine.submit(NewOrder(symbol_id=0, client_order_id=2, side=Side.SELL, qty=7, price_ticks=103))
    assert spread.read() == 3.0
    assert reg.gauge("book_depth_shares", labels={"symbol": "AAA", "side": "ask"}).read() == 7.0
    assert reg.gauge("book_depth_shares", labels={"symbol": "AAA", "side": "bid"}).read() == 5.0


def test_venue_metrics_labelled_handles():
    reg = MetricsRegistry()
    vm = VenueMetrics(reg)
    vm.dropped("itch").inc()
    vm.backlog("itch", fn=lambda: 12)
    vm.fix_seq("CLIENT1", "in").set(42)
    vm.pnl("maker").set(-3.5)
    gauges = reg.snapshot()["gauges"]
    assert gauges['queue_backlog_messages{queue="itch"}'] == 12.0
    assert gauges['fix_session_seq{direction="in",session="CLIENT1"}'] == 42
    assert reg.snapshot()["counters"]['messages_dropped{queue="itch"}'] == 1
