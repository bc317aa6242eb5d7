"""The consumers of the live venue's engine output (:class:`VenueOutput`). Edge (event loop, clock).

Every :class:`~hftsim.net.venue.server.VenueServer` puts its engine's output behind bounded
queues, each read by a :class:`~hftsim.monitor.consumer.ConsumerPool` whose consumers one
:class:`~hftsim.monitor.autoscale.Autoscaler` scales (DESIGN.md: a slow consumer is shed or scaled,
never allowed to stall the engine):

* the gateway hands each command's event records (EVENT_DTYPE) to its publisher, an
  :class:`EngineOutput`, which keeps them (copied unless they live in an immutable ``bytes``) until
  the end of the sequencer's drain; the drain's records then go to every queue as one batch, one
  message per command;
* ``feed`` (when the venue publishes a feed): its consumers call the real FeedPublisher's
  ``publish`` in FIFO order (timed: the ``publish`` stage, one sample per consumer turn), a turn's
  commands joined into one array (:func:`joined`), so ITCH messages, MoldUDP64 sequence numbers
  and the feed's book are exactly those of a synchronous publisher, only later (acknowledgements
  go out first) and with fewer calls. Capacity 262,144 messages, and a full queue is never
  dropped: the drain handles the oldest messages itself (``overflow="handle"``, counted in
  ``messages_handled_inline{queue="feed"}``), because a feed message never published is never
  sequenced or stored and no client could recover it;
* ``analytics``: the recent trades tape (the dashboard's, for the first instrument), the ``events``
  and ``trades`` counters and fills per FIX session (``session_fills{session}``). Capacity 262,144
  messages; a full queue drops (``messages_dropped{queue="analytics"}``).

The queues, their counters and the autoscaler's decisions live in :attr:`VenueOutput.registry`,
which the venue's dashboard and Prometheus endpoint export when they are on
(:mod:`hftsim.net.venue.monitoring`); the consumers run either way, so a venue with and without
its metrics does the same work besides them. Each queue exports its backlog
(``queue_backlog_messages{queue}``), the 99th percentile of the backlog after each batch
(``queue_backlog_p99_messages{queue}``), handled, dropped and inline counts, its consumers
(``queue_consumers{queue}``) and the autoscaler's decisions (``autoscale_decisions{queue,action}``).
Every 100 ms the autoscaler also sees each backlog between batches, so a queue idle for lack of
traffic is scaled down too, and ``retransmits`` takes the feed's re-request server's count.
"""

from __future__ import annotations

import asyncio
from collections import deque
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

import numpy as np

from hftsim.core.arrays import EVENT_DTYPE
from hftsim.core.enums import EventKind
from hftsim.matching.engine import event_tuples

if TYPE_CHECKING:
    from hftsim.monitor import AutoscalePolicy, ConsumerPool, MetricsRegistry
    from hftsim.net.venue.server import VenueServer

__all__ = ["EngineOutput", "TradeAnalytics", "VenueOutput", "joined"]

#: capacity of the feed's queue, in messages (commands); beyond it the drain publishes itself
FEED_QUEUE_MESSAGES = 1 << 18
#: capacity of the analytics queue, in messages; beyond it messages are dropped and counted
ANALYTICS_QUEUE_MESSAGES = 1 << 18
#: messages one consumer handles before yielding to the event loop
PER_TURN_MESSAGES = 256
_TICK_S = 0.1

_FIELD = {name: i for i, name in enumerate(EVENT_DTYPE.names)}
_TS, _PX, _QTY, _OWNER = _FIELD["ts_event"], _FIELD["price_ticks"], _FIELD["qty"], _FIELD["owner_id"]
_SYMBOL, _KIND, _AGGRESSOR = _FIELD["symbol_id"], _FIELD["kind"], _FIELD["aggressor_side"]
_TRADE, _FILLED = int(EventKind.TRADE), int(EventKind.FILLED)
_RECORD_BYTES, _KIND_OFFSET = EVENT_DTYPE.itemsize, EVENT_DTYPE.fields["kind"][1]


class VenueOutput:
    """The consumers of a venue's engine output, their queues, metrics and autoscaler.

    Args:
        server: the venue (its gateway's and its own publisher are replaced by an EngineOutput).
        policy: the autoscaler's thresholds (default: :class:`~hftsim.monitor.AutoscalePolicy`).
    """

    def __init__(self, server: VenueServer, policy: AutoscalePolicy | None = None) -> None:
        from hftsim.monitor import Autoscaler, MetricsRegistry, VenueMetrics

        #: every metric of the venue (exported by the dashboard and Prometheus when they are on)
        self.registry = registry = MetricsRegistry()
        self.metrics = VenueMetrics(registry)
        #: scales every consumer queue; its ``policy`` may be replaced before traffic starts
        self.autoscaler = Autoscaler(policy, registry=registry)
        #: True while the sequencer drains: publishes then wait for the drain's end to be offered
        self.is_draining = False
        self._is_offer_scheduled = False
        self._ticker: asyncio.Task[None] | None = None
        accounts = server.gateway.accounts.values()
        sessions = {a.owner_id: a.state.remote_comp_id for a in accounts if not a.is_drop_copy}
        tape_symbol_id = server.config.instruments[0].symbol_id
        self.analytics = TradeAnalytics(registry, self.metrics, sessions, tape_symbol_id)
        #: the gateway's (and the server's) publisher
        self.output = EngineOutput(self, server.publisher)
        #: the consumer queues by name: ``feed`` (with a feed) and ``analytics``
        self.pools: dict[str, ConsumerPool] = {}
        if server.publisher is not None:
            publish, publish_stage = server.publisher.publish, self.metrics.stages["publish"].record

            def publish_chunk(chunk: list) -> None:  # the publish stage: one sample per consumer turn
                t0 = perf_counter_ns()
                publish(joined(chunk))
                publish_stage(perf_counter_ns() - t0)

            self._add_pool("feed", publish_chunk, FEED_QUEUE_MESSAGES, "handle")
            server.publisher = self.output
        on_events = self.analytics.on_events
        self._add_pool("analytics", lambda chunk: on_events(joined(chunk)), ANALYTICS_QUEUE_MESSAGES, "drop")
        server.gateway.publisher = self.output

    def _add_pool(self, name: str, handler: Any, maxsize: int, overflow: str) -> None:
        from hftsim.monitor import ConsumerPool

        self.pools[name] = ConsumerPool(
            name,
            handler,
            self.autoscaler,
            self.registry,
            maxsize=maxsize,
            per_turn=PER_TURN_MESSAGES,
            overflow=overflow,
            is_list_handler=True,
        )

    # ------------------------------------------------------------ hot path (per drain)

    def offer_pending(self) -> None:
        """Offer the engine output collected since the last offer to every consumer queue, as one batch."""
        self._is_offer_scheduled = False
        pending = self.output.pending
        if pending:
            self.output.pending = []
            for pool in self.pools.values():
                pool.offer_batch(pending)

    def schedule_offer(self) -> None:
        """Offer at the end of this loop iteration (for output produced outside a drain)."""
        if not self._is_offer_scheduled:
            self._is_offer_scheduled = True
            asyncio.get_running_loop().call_soon(self.offer_pending)

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Start each queue's consumers and the autoscaler's 100 ms tick (inside the event loop)."""
        for pool in self.pools.values():
            pool.start()
        self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="autoscale-tick")

    async def _tick(self) -> None:
        publisher = self.output.publisher
        retransmits = self.metrics.retransmits
        while True:
            await asyncio.sleep(_TICK_S)
            for pool in self.pools.values():
                pool.tick()
            if publisher is not None:  # the re-request server's count, at most one tick old
                retransmits.value = int(publisher.stats().get("rerequest_retransmitted_messages", 0))

    async def stop(self) -> None:
        """Stop the tick and every consumer (the feed's queue is flushed by :meth:`EngineOutput.stop`)."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
        for pool in self.pools.values():
            await pool.stop()


class EngineOutput:
    """The gateway's publisher: collects each command's events for the consumer queues.

    It has the publisher interface the gateway and the server use (``publish``, ``start``, ``stop``,
    ``stats``); any other attribute is the real feed publisher's.

    Args:
        consumers: the VenueOutput that offers the collected events at the end of each drain.
        publisher: the real feed publisher, or None.
    """

    def __init__(self, consumers: VenueOutput, publisher: Any = None) -> None:
        self._consumers = consumers
        self.publisher = publisher
        #: one EVENT_DTYPE array (or its packed bytes) per command since the last offer
        self.pending: list[np.ndarray | bytes] = []

    def publish(self, events: np.ndarray) -> None:
        """Keep one command's events (copied unless immutable) until the drain ends."""
        if not isinstance(events.base, bytes):  # may be a view of a buffer the next command reuses
            # not events.copy(): numpy copies a packed structured array field by field (~3 µs)
            events = np.frombuffer(events.tobytes(), dtype=EVENT_DTYPE)
        self.pending.append(events)
        if not self._consumers.is_draining:
            self._consumers.schedule_offer()

    def publish_bytes(self, records: bytes) -> None:
        """:meth:`publish` of one command's events as packed EVENT_DTYPE bytes (no array made)."""
        self.pending.append(records)
        if not self._consumers.is_draining:
            self._consumers.schedule_offer()

    async def start(self, *args: Any, **kwargs: Any) -> None:
        """Start the real publisher."""
        await self.publisher.start(*args, **kwargs)

    async def stop(self, *args: Any, **kwargs: Any) -> None:
        """Publish everything still queued for the feed, in order, then stop the real publisher."""
        self._consumers.offer_pending()
        feed = self._consumers.pools.get("feed")
        if feed is not None:
            await feed.stop()
            feed.flush()
        await self.publisher.stop(*args, **kwargs)

    def stats(self) -> dict:
        """The real publisher's counters plus its queue's (``queue_backlog``, ``queue_handled_inline``)."""
        out = dict(self.publisher.stats())
        feed = self._consumers.pools.get("feed")
        if feed is not None:
            out["queue_backlog"] = feed.backlog
            out["queue_handled"] = feed.handled.value
            out["queue_consumers"] = feed.consumers
        return out

    def __getattr__(self, name: str) -> Any:
        publisher = self.__dict__.get("publisher")
        if publisher is None:
            raise AttributeError(name)
        return getattr(publisher, name)


class TradeAnalytics:
    """The analytics consumer: trades tape, event and trade counts, fills per FIX session.

    Args:
        registry: where the per-session fill counters go.
        metrics: the venue's standard metrics (its ``events`` and ``trades`` counters are counted here).
        sessions: FIX session name (the client's CompID) by engine owner id.
        tape_symbol_id: the instrument whose trades the tape keeps (the dashboard's book).
        tape_size: trades kept, newest first.
    """

    def __init__(
        self,
        registry: MetricsRegistry,
        metrics: Any,
        sessions: dict[int, str],
        tape_symbol_id: int,
        tape_size: int = 50,
    ) -> None:
        self.tape: deque[tuple[int, int, int, int]] = deque(maxlen=tape_size)
        self._events, self._trades = metrics.events, metrics.trades
        self._fills = {
            owner: registry.counter("session_fills", "fills per FIX session", {"session": name})
            for owner, name in sessions.items()
        }
        self._symbol_id = tape_symbol_id

    def on_events(self, events: np.ndarray) -> None:
        """Take one command's event records (EVENT_DTYPE)."""
        kinds = events.tobytes()[_KIND_OFFSET::_RECORD_BYTES]  # one byte per record, no Python objects
        self._events.value += len(kinds)
        if _TRADE in kinds or _FILLED in kinds:  # most commands only rest, cancel or reject
            self._on_executions(event_tuples(events))

    def _on_executions(self, rows: list[tuple]) -> None:
        for rec in rows:
            kind = rec[_KIND]
            if kind == _TRADE:
                self._trades.value += 1
                if rec[_SYMBOL] == self._symbol_id:
                    self.tape.appendleft((rec[_TS], rec[_PX], rec[_QTY], rec[_AGGRESSOR]))
            elif kind == _FILLED:
                fills = self._fills.get(rec[_OWNER])
                if fills is not None:
                    fills.value += 1


def joined(chunk: list[np.ndarray]) -> np.ndarray:
    """The event records of consecutive commands (arrays, or packed bytes) as one EVENT_DTYPE array.

    A consumer handles a turn's messages at once: the feed's translator and the analytics read a
    record stream, so one array of many commands gives what one call per command gives, cheaper.
    (Joining bytes costs about 50 ns per command; ``np.concatenate`` of packed records, 7 µs.)
    """
    if len(chunk) == 1 and chunk[0].__class__ is not bytes:
        return chunk[0]
    data = b"".join([e if e.__class__ is bytes else e.tobytes() for e in chunk])
    return np.frombuffer(data, dtype=EVENT_DTYPE)
