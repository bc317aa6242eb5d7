"""Prometheus exposition: parses with the official parser; names follow the conventions."""

import re

import numpy as np
import pytest

pytest.importorskip("prometheus_client", reason="prometheus-client is not installed")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from hftsim.monitor import MetricsRegistry, VenueMetrics  # noqa: E402
from hftsim.monitor.prometheus import BUCKET_BOUNDS_S, render_text  # noqa: E402


def _registry() -> MetricsRegistry:
    reg = MetricsRegistry()
    vm = VenueMetrics(reg)
    vm.stages["match"].record_many(np.arange(100, 100_100, 10))  # 100 ns .. 100 µs
    vm.commands.inc(10_000)
    vm.dropped("itch").inc(2)
    vm.backlog("itch", fn=lambda: 17)
    vm.pnl("maker").set(12.5)
    return reg


def test_prometheus_text_parses_and_names_are_conventional():
    families = {f.name: f for f in text_string_to_metric_families(render_text(_registry()).decode())}
    for name, family in families.items():
        assert re.fullmatch(r"hftsim_[a-z0-9_]+", name), name
        if family.type == "histogram":
            assert name.endswith("_seconds"), name
        if family.type == "counter":
            assert all(s.name.endswith("_total") for s in family.samples if not s.name.endswith("_created"))
    assert families["hftsim_match_latency_seconds"].type == "histogram"
    assert {"hftsim_gateway_in_latency_seconds", "hftsim_end_to_end_latency_seconds"} <= set(families)
    assert families["hftsim_queue_backlog_messages"].samples[0].labels == {"queue": "itch"}


def test_prometheus_histogram_buckets_are_seconds_and_consistent():
    families = {f.name: f for f in text_string_to_metric_families(render_text(_registry()).decode())}
    samples = families["hftsim_match_latency_seconds"].samples
    buckets = [s for s in samples if s.name.endswith("_bucket")]
    count = next(s.value for s in samples if s.name.endswith("_count"))
    total = next(s.value for s in samples if s.name.endswith("_sum"))
    assert count == 10_000
    assert len(buckets) == len(BUCKET_BOUNDS_S) + 1
    values = [b.value for b in buckets]
    assert values == sorted(values) and values[-1] == count
    le_1us = next(b.value for b in buckets if float(b.labels["le"]) == 1e-6)
    assert le_1us == 91  # 100, 110, ..., 1000 ns
    true_sum = np.arange(100, 100_100, 10).sum() / 1e9
    assert abs(total - true_sum) <= 1e-3 * true_sum


def test_prometheus_counter_value_exported():
    text = render_text(_registry()).decode()
    assert "hftsim_commands_total 10000.0" in text
    assert 'hftsim_messages_dropped_total{queue="itch"} 2.0' in text
