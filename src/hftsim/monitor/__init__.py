"""Observability: HDR latency histograms, counters and gauges, Prometheus export, the live dashboard
and the autoscaler of the engine's output consumers. Edge: reads wall time, never feeds the core.

``prometheus_client`` is needed only by :mod:`hftsim.monitor.prometheus`, imported lazily.
"""

from hftsim.monitor.autoscale import AutoscalePolicy, Autoscaler, ScaleDecision
from hftsim.monitor.catalog import VenueMetrics, watch_book
from hftsim.monitor.consumer import ConsumerPool
from hftsim.monitor.histogram import RELATIVE_ERROR, HistogramSnapshot, LatencyHistogram
from hftsim.monitor.metrics import STAGES, Counter, Gauge, MetricsRegistry, load_metrics_file

__all__ = [
    "RELATIVE_ERROR",
    "STAGES",
    "AutoscalePolicy",
    "Autoscaler",
    "ConsumerPool",
    "Counter",
    "Gauge",
    "HistogramSnapshot",
    "LatencyHistogram",
    "MetricsRegistry",
    "ScaleDecision",
    "VenueMetrics",
    "load_metrics_file",
    "watch_book",
]
