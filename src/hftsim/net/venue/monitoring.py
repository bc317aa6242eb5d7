"""The live venue's metrics and dashboard (:class:`VenueMonitor`). Edge (reads perf_counter)."""

from __future__ import annotations

from collections import deque
from time import perf_counter_ns
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hftsim.net.venue.server import VenueServer

__all__ = ["VenueMonitor"]


class VenueMonitor:
    """The venue's metrics and its dashboard. Edge.

    Per application message it records the time spent applying it (``match_latency``: gateway,
    engine and report encoding) and from its bytes' arrival to its reports being ready
    (``end_to_end_latency``, queueing included), about 0.2 µs of work per message; at each drain it
    samples the sequencer's backlog. Book depth, spread and session counts are read only when the
    dashboard or Prometheus asks.
    """

    def __init__(self, server: VenueServer, port: int) -> None:
        from hftsim.monitor import LatencyHistogram, MetricsRegistry, VenueMetrics, watch_book
        from hftsim.monitor.dashboard import Dashboard, SnapshotBuilder, engine_book

        self.registry = MetricsRegistry()
        metrics = VenueMetrics(self.registry)
        self.match, self.end_to_end = metrics.stages["match"], metrics.stages["end_to_end"]
        self.commands = metrics.commands
        # a distribution of message counts, not of times: kept here, exported as its p99 (a gauge)
        self.backlog = LatencyHistogram("sequencer_backlog", highest_ns=1 << 20)
        metrics.backlog("sequencer", lambda: len(server._queue))
        self.registry.gauge(
            "queue_backlog_p99_messages",
            "99th percentile of the messages waiting at each drain",
            {"queue": "sequencer"},
            lambda: self.backlog.percentiles([99])[0],
        )
        self.registry.gauge(
            "fix_connections", "TCP connections with a FIX session", None, lambda: len(server.connections)
        )
        engine = server.gateway.engine
        for ins in server.config.instruments:
            watch_book(self.registry, engine, ins.symbol_id, ins.symbol)
        first = server.config.instruments[0]
        snapshots = SnapshotBuilder(
            self.registry, book=engine_book(engine, first.symbol_id, first.symbol), title="hftsim venue"
        )
        self.dashboard = Dashboard(self.registry, snapshots, server.config.fix.host, port)

    def drain(self, queue: deque, on_message) -> None:
        """Apply the queued messages, timing each."""
        self.backlog.record(len(queue))
        match, end_to_end, clock = self.match.record, self.end_to_end.record, perf_counter_ns
        n = 0
        while queue:
            session, msg, arrived_ns = queue.popleft()
            if session.is_active:
                t0 = clock()
                on_message(session, msg)
                t1 = clock()
                match(t1 - t0)
                end_to_end(t1 - arrived_ns)
                n += 1
        self.commands.value += n
