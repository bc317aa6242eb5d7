"""The live venue's metrics and dashboard (:class:`VenueMonitor`). Edge (reads perf_counter).

:class:`~hftsim.net.venue.server.VenueServer` creates a VenueMonitor when it is given a dashboard
port. It times every application message, samples the sequencer's backlog at each drain, watches
the books and serves the dashboard and Prometheus ``/metrics`` over the registry of the venue's
output consumers (:class:`~hftsim.net.venue.output.VenueOutput`: the ``feed`` and ``analytics``
queues, their autoscaler and its decisions). The dashboard's event stream has no queue: one slot
holds the latest snapshot, which each client sends when its socket has drained (see
:mod:`hftsim.monitor.dashboard._server`); its clients and their buffered bytes are the gauges
``dashboard_clients`` and ``dashboard_buffered_bytes``.
"""

from __future__ import annotations

from collections import deque
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hftsim.net.venue.server import VenueServer

__all__ = ["VenueMonitor"]


class VenueMonitor:
    """The venue's metrics and its dashboard. Edge.

    Stages (``<stage>_latency`` histograms), each sampled once per read or per drain, so that
    timing costs nothing per message (a drain applies every message of one read, or of one loop
    tick on a journaled primary): ``gateway_in`` per read, from its bytes' arrival to its messages
    framed, checked and queued; ``sequencer``, from the drain's first message queued to its turn;
    ``match``, the drain's time applying its messages (gateway, engine, report encoding) divided
    by their number; ``end_to_end``, from the arrival of the drain's first message (the one that
    waited longest) to the last reports being ready. At low rates a drain is one message and the
    samples are per message; under load a sample stands for a drain of many. Per drain it also
    samples the sequencer's backlog. Book depth, spread and session counts are read only when the
    dashboard or Prometheus asks.

    Args:
        server: the venue (its :attr:`~hftsim.net.venue.server.VenueServer.consumers` registry is
            the one exported).
        port: the dashboard's TCP port (0: any free port).
    """

    def __init__(self, server: VenueServer, port: int) -> None:
        from hftsim.monitor import watch_book

        consumers = server.consumers
        self.registry = registry = consumers.registry
        metrics = consumers.metrics
        stages = metrics.stages
        self.match, self.end_to_end = stages["match"], stages["end_to_end"]
        self.sequencer = stages["sequencer"]
        #: record(ns): a read's bytes arrived -> its messages framed, session-checked and queued
        self.gateway_in = stages["gateway_in"].record
        self.commands = metrics.commands
        self.autoscaler = consumers.autoscaler
        self.analytics = consumers.analytics
        self._sequencer_backlog(server, metrics)
        registry.gauge(
            "fix_connections", "TCP connections with a FIX session", None, lambda: len(server.connections)
        )
        registry.gauge(
            "fix_sessions",
            "FIX sessions logged on",
            None,
            lambda: sum(1 for conn in list(server.connections) if conn.session.is_active),
        )
        for account in server.gateway.accounts.values():  # sequence numbers, read on collection
            state = account.state
            name = state.remote_comp_id
            metrics.fix_seq(name, "in").fn = lambda state=state: state.next_in - 1
            metrics.fix_seq(name, "out").fn = lambda state=state: state.next_out - 1
        for ins in server.config.instruments:
            watch_book(registry, server.gateway.engine, ins.symbol_id, ins.symbol)
        self.dashboard = self._dashboard(server, port)

    def _dashboard(self, server: VenueServer, port: int) -> Any:
        from hftsim.monitor.dashboard import Dashboard, SnapshotBuilder, engine_book

        first = server.config.instruments[0]
        snapshots = SnapshotBuilder(
            self.registry,
            book=engine_book(server.gateway.engine, first.symbol_id, first.symbol),
            trades=lambda: list(self.analytics.tape),
            autoscaler=self.autoscaler,
            title="hftsim venue",
        )
        dashboard = Dashboard(self.registry, snapshots, server.config.fix.host, port)
        self.registry.gauge(
            "dashboard_clients", "dashboard event streams open", None, lambda: dashboard.streams
        )
        self.registry.gauge(
            "dashboard_buffered_bytes",
            "bytes waiting in the dashboard's event streams",
            None,
            lambda: sum(dashboard.buffered_bytes()),
        )
        return dashboard

    def _sequencer_backlog(self, server: VenueServer, metrics: Any) -> None:
        from hftsim.monitor import LatencyHistogram

        # a distribution of message counts, not of times: kept here, exported as its p99 (a gauge)
        self.backlog = LatencyHistogram("sequencer_backlog", highest_ns=1 << 20)
        metrics.backlog("sequencer", lambda: len(server._queue))
        self.registry.gauge(
            "queue_backlog_p99_messages",
            "99th percentile of the messages waiting at each drain",
            {"queue": "sequencer"},
            lambda: self.backlog.percentiles([99])[0],
        )

    # ------------------------------------------------------------ hot path (per drain)

    def drain(self, queue: deque, on_message) -> None:
        """Apply the queued messages; one sample per stage for the whole drain (class docstring)."""
        n = len(queue)
        self.backlog.record(n)
        if not n:
            return
        clock = perf_counter_ns
        _, _, first_arrived_ns, first_parsed_ns = queue[0]
        t0 = clock()
        self.sequencer.record(t0 - first_parsed_ns)
        try:
            while queue:
                session, msg, _, _ = queue.popleft()
                on_message(session, msg)  # applied even if the session closed since (see VenueServer._drain)
            t1 = clock()
            self.match.record((t1 - t0) // n)
            self.end_to_end.record(t1 - first_arrived_ns)
        finally:
            self.commands.value += n - len(queue)  # the ones applied
