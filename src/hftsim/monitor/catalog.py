"""The venue's standard metrics, created in one place so every component uses the same names. Cold path.

==============================  =========  ==================================================
registry name                   kind       meaning
==============================  =========  ==================================================
``<stage>_latency``             histogram  ns spent in a stage: gateway_in, sequencer, journal,
                                           match, publish, end_to_end
``commands``                    counter    commands applied by the engine
``events``                      counter    events the engine emitted
``trades``                      counter    trades printed
``messages_dropped{queue}``     counter    messages shed because a bounded queue was full
``messages_handled{queue}``     counter    messages consumed from a queue
``messages_handled_inline{q}``  counter    messages the producer handled itself (queue full)
``consumer_errors{queue}``      counter    messages whose consumer raised
``autoscale_decisions{q,a}``    counter    autoscaler decisions (action ``add``/``remove``)
``session_fills{session}``      counter    fills per FIX session (the venue's analytics)
``retransmits``                 counter    MoldUDP64 messages re-sent on request
``queue_backlog_messages{q}``   gauge      messages waiting in a consumer queue
``queue_backlog_p99_messages``  gauge      p99 of a queue's backlog after each batch
``queue_consumers{queue}``      gauge      consumers currently reading a queue
``fix_sessions``                gauge      FIX sessions logged on
``fix_session_seq{s,dir}``      gauge      a FIX session's last sequence number (in / out)
``book_depth_shares{sym,side}`` gauge      shares resting in the best ``depth`` levels
``book_spread_ticks{symbol}``   gauge      best ask minus best bid (NaN with an empty side)
``agent_pnl_tick_shares{a}``    gauge      an agent's total PnL (realized + unrealized - fees)
==============================  =========  ==================================================
"""

from __future__ import annotations

import math
from typing import Any

from hftsim.monitor.metrics import Counter, Gauge, MetricsRegistry

__all__ = ["VenueMetrics", "watch_book"]


class VenueMetrics:
    """Handles to the standard metrics of one venue, created in ``registry``.

    Attributes:
        stages: ``{stage: LatencyHistogram}`` for every stage of :data:`~hftsim.monitor.metrics.STAGES`.
        commands, events, trades, retransmits: counters.
        fix_sessions: gauge.
    """

    def __init__(self, registry: MetricsRegistry) -> None:
        self.registry = registry
        self.stages = registry.stage_histograms()
        self.commands = registry.counter("commands", "commands applied by the matching engine")
        self.events = registry.counter("events", "events emitted by the matching engine")
        self.trades = registry.counter("trades", "trades printed")
        self.retransmits = registry.counter("retransmits", "feed messages re-sent on request")
        self.fix_sessions = registry.gauge("fix_sessions", "FIX sessions logged on")

    def dropped(self, queue: str) -> Counter:
        """The drop counter of a bounded queue."""
        return self.registry.counter("messages_dropped", "messages shed by a full queue", {"queue": queue})

    def backlog(self, queue: str, fn: Any = None) -> Gauge:
        """The backlog gauge of a consumer queue (pass ``fn=queue.qsize`` to read it at collection)."""
        return self.registry.gauge(
            "queue_backlog_messages", "messages waiting in a queue", {"queue": queue}, fn
        )

    def fix_seq(self, session: str, direction: str) -> Gauge:
        """A FIX session's last sequence number; ``direction`` is ``"in"`` or ``"out"``."""
        return self.registry.gauge(
            "fix_session_seq",
            "last FIX sequence number of a session",
            {"session": session, "direction": direction},
        )

    def pnl(self, agent: str) -> Gauge:
        """An agent's total PnL in tick-shares."""
        return self.registry.gauge("agent_pnl_tick_shares", "agent PnL, tick-shares", {"agent": agent})


def watch_book(registry: MetricsRegistry, engine: Any, symbol_id: int, symbol: str, depth: int = 5) -> None:
    """Register callback gauges reading depth and spread of one symbol from a MatchingEngine's views.

    Nothing is recorded on the hot path: the gauges call ``engine.l1``/``engine.l2`` at collection.
    """

    def spread() -> float:
        s = engine.l1(symbol_id).spread_ticks
        return math.nan if s is None else float(s)

    def depth_of(side: str):
        def read() -> float:
            levels = getattr(engine.l2(symbol_id, depth), side)
            return float(sum(level.qty for level in levels))

        return read

    registry.gauge("book_spread_ticks", "best ask minus best bid", {"symbol": symbol}, spread)
    for side in ("bids", "asks"):
        registry.gauge(
            "book_depth_shares",
            f"shares in the best {depth} levels",
            {"symbol": symbol, "side": side[:-1]},
            depth_of(side),
        )
