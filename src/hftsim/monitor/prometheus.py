"""Prometheus exposition of a :class:`~hftsim.monitor.metrics.MetricsRegistry`. Cold path. Edge.

A custom collector reads the registry only when Prometheus scrapes, so recording never touches a
``prometheus_client`` object. Names follow the Prometheus conventions: prefix ``hftsim_``, base
units (latency histograms become ``hftsim_<name>_seconds`` with bucket bounds in seconds), counters
end in ``_total``.

Histogram buckets are fixed 1-2-5 bounds from 100 ns to 10 s; each holds the samples whose HDR bucket
midpoint is at or below the bound, so a bucket count is exact up to the HDR resolution (0.05 %).
``_sum`` is estimated from the HDR bucket midpoints.

``prometheus_client`` is imported lazily: the rest of the monitor works without it.
"""

from __future__ import annotations

import math
from typing import Any

from hftsim.core.errors import ConfigError
from hftsim.monitor.metrics import Counter, Gauge, MetricsRegistry

__all__ = [
    "BUCKET_BOUNDS_S",
    "PREFIX",
    "RegistryCollector",
    "prometheus_name",
    "render_text",
    "start_http_server",
]

PREFIX = "hftsim_"
#: Upper bounds of the exported histogram buckets, in seconds (``+Inf`` is added).
BUCKET_BOUNDS_S = tuple(m * 10.0**e for e in range(-7, 1) for m in (1, 2, 5)) + (10.0,)


def _client() -> Any:
    try:
        import prometheus_client
        import prometheus_client.core
    except ImportError as e:
        raise ConfigError(
            "the Prometheus exporter needs the prometheus-client package: pip install prometheus-client"
        ) from e
    return prometheus_client


def prometheus_name(name: str, kind: type) -> str:
    """The exported family name: ``match_latency`` -> ``hftsim_match_latency_seconds``.

    Counters are named without ``_total`` here (the client library appends it to samples).
    """
    if kind is Counter or kind is Gauge:
        return PREFIX + name
    return PREFIX + name + "_seconds"


class RegistryCollector:
    """A ``prometheus_client`` collector reading a registry at scrape time.

    Args:
        registry: the metrics to export.
    """

    def __init__(self, registry: MetricsRegistry) -> None:
        self._registry = registry

    def describe(self) -> list:
        """Nothing to describe up front: families depend on what is registered at scrape time."""
        return []

    def collect(self):
        """Yield one metric family per registry name."""
        core = _client().core
        for name, kind, members in self._registry.families():
            full = prometheus_name(name, kind)
            help_text = self._registry.help(name) or name.replace("_", " ")
            label_names = [k for k, _ in members[0][0]] if members else []
            if kind is Counter:
                family = core.CounterMetricFamily(full, help_text, labels=label_names)
                for labels, metric in members:
                    family.add_metric([v for _, v in labels], metric.value)
            elif kind is Gauge:
                family = core.GaugeMetricFamily(full, help_text, labels=label_names)
                for labels, metric in members:
                    family.add_metric([v for _, v in labels], metric.read())
            else:
                family = core.HistogramMetricFamily(full, help_text + " (seconds)", labels=label_names)
                for labels, metric in members:
                    snap = metric.snapshot()
                    cumulative = snap.cumulative_at([b * 1e9 for b in BUCKET_BOUNDS_S])
                    buckets = [(_bound(b), c) for b, c in zip(BUCKET_BOUNDS_S, cumulative)]
                    buckets.append(("+Inf", snap.count))
                    family.add_metric([v for _, v in labels], buckets, snap.sum / 1e9)
            yield family


def _bound(seconds: float) -> str:
    return f"{seconds:.6g}" if math.isfinite(seconds) else "+Inf"


def _collector_registry(registry: MetricsRegistry) -> Any:
    client = _client()
    out = client.CollectorRegistry(auto_describe=False)
    out.register(RegistryCollector(registry))
    return out


def render_text(registry: MetricsRegistry) -> bytes:
    """The registry in the Prometheus text exposition format (what ``/metrics`` serves)."""
    return _client().generate_latest(_collector_registry(registry))


def start_http_server(registry: MetricsRegistry, port: int = 0, host: str = "127.0.0.1") -> tuple[Any, int]:
    """Serve ``/metrics`` from a background thread (``prometheus_client``'s server).

    Returns:
        ``(server, port)``; call ``server.shutdown()`` to stop it. The dashboard also serves
        ``/metrics`` on its own port, so a venue with a dashboard does not need this.
    """
    server, _thread = _client().start_http_server(port, addr=host, registry=_collector_registry(registry))
    return server, server.server_address[1]
