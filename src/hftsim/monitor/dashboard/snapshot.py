"""Build the dashboard's snapshot dict from a registry, a book and recent trades. Cold path.

A snapshot is a plain JSON-friendly dict; the page (``static/app.js``) reads these keys:

=============  ==================================================================================
title, mode    page heading; ``"live"`` or ``"replay"``
t_s            seconds since the source started (x axis of the charts)
throughput     ``{"commands_per_s", "events_per_s", "trades_per_s"}`` over the last interval
counters       every counter, by :func:`~hftsim.monitor.metrics.label_key`
gauges         every gauge
latency        ``{stage: {"count", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns"}}``
               of the samples recorded during the last interval
backlog        ``{queue: messages}``; consumers ``{queue: n}``
book           ``{"symbol", "bids": [[px_ticks, qty, orders], ...], "asks": [...]}``, best first
trades         ``[[ts_ns, px_ticks, qty, aggressor_side], ...]``, newest first
pnl            ``{agent: tick-shares}``
decisions      the autoscaler's decision log, newest first
=============  ==================================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hftsim.core.clock import Clock
from hftsim.monitor.metrics import Counter, Gauge, MetricsRegistry, label_key

__all__ = ["SnapshotBuilder", "engine_book"]

_RATES = (("commands", "commands_per_s"), ("events", "events_per_s"), ("trades", "trades_per_s"))
_LABEL_VALUE = re.compile(r'="([^"]*)"')


def _label(key: str) -> str:
    found = _LABEL_VALUE.search(key)
    return found.group(1) if found else key


class SnapshotBuilder:
    """Callable returning the current snapshot; each call closes one interval.

    Args:
        registry: the metrics.
        clock: wall clock for rates (default: monotonic).
        book: returns ``(symbol, bids, asks)`` with levels as ``(px_ticks, qty, orders)``, or None.
        trades: returns the recent trades as ``(ts_ns, px_ticks, qty, aggressor_side)``, newest first.
        autoscaler: an :class:`~hftsim.monitor.autoscale.Autoscaler` whose decisions to show.
        title: page heading.
    """

    def __init__(
        self,
        registry: MetricsRegistry,
        clock: Clock | None = None,
        book: Callable[[], Any] | None = None,
        trades: Callable[[], Any] | None = None,
        autoscaler: Any = None,
        title: str = "hftsim venue",
    ) -> None:
        if clock is None:
            from hftsim.monitor._clock import MonotonicClock

            clock = MonotonicClock()
        self._registry, self._clock = registry, clock
        self._book, self._trades, self._autoscaler = book, trades, autoscaler
        self.title = title
        self._start_ns = self._last_ns = clock.now_ns()
        self._last_counts: dict[str, int] = {}

    def __call__(self) -> dict[str, Any]:
        now = self._clock.now_ns()
        dt_s = max(now - self._last_ns, 1) / 1e9
        counters: dict[str, int] = {}
        gauges: dict[str, float] = {}
        latency: dict[str, dict[str, float]] = {}
        for name, kind, members in self._registry.families():
            for labels, metric in members:
                key = label_key(name, labels)
                if kind is Counter:
                    counters[key] = metric.value
                elif kind is Gauge:
                    gauges[key] = metric.read()
                else:
                    stage = key[: -len("_latency")] if key.endswith("_latency") else key
                    latency[stage] = metric.interval().summary()
        throughput = {
            out: (counters.get(name, 0) - self._last_counts.get(name, 0)) / dt_s for name, out in _RATES
        }
        self._last_counts = {name: counters.get(name, 0) for name, _ in _RATES}
        self._last_ns = now
        snap: dict[str, Any] = {
            "title": self.title,
            "mode": "live",
            "t_s": (now - self._start_ns) / 1e9,
            "throughput": throughput,
            "counters": counters,
            "gauges": gauges,
            "latency": latency,
            "backlog": _by_label(gauges, "queue_backlog_messages"),
            "consumers": _by_label(gauges, "queue_consumers"),
            "pnl": _by_label(gauges, "agent_pnl_tick_shares"),
            "book": None,
            "trades": [],
            "decisions": [],
        }
        if self._book is not None:
            book = self._book()
            if book is not None:
                symbol, bids, asks = book
                snap["book"] = {
                    "symbol": symbol,
                    "bids": [list(b) for b in bids],
                    "asks": [list(a) for a in asks],
                }
        if self._trades is not None:
            snap["trades"] = [list(t) for t in self._trades()]
        if self._autoscaler is not None:
            snap["decisions"] = self._autoscaler.snapshot()["decisions"]
        return snap


def _by_label(gauges: dict[str, float], name: str) -> dict[str, float]:
    return {_label(k): v for k, v in gauges.items() if k == name or k.startswith(name + "{")}


def engine_book(engine: Any, symbol_id: int, symbol: str, depth: int = 10) -> Callable[[], Any]:
    """A ``book`` callable for :class:`SnapshotBuilder` reading a MatchingEngine's L2 view."""

    def read() -> tuple[str, list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        l2 = engine.l2(symbol_id, depth)
        return (
            symbol,
            [(b.price_ticks, b.qty, b.orders) for b in l2.bids],
            [(a.price_ticks, a.qty, a.orders) for a in l2.asks],
        )

    return read
