"""The discrete-event simulation kernel. Hot path (the run loop and the venue calls).

The kernel owns the :class:`~hftsim.core.clock.SimClock`, one
:class:`~hftsim.matching.engine.MatchingEngine`, the sequencer and the event log. Time is integer
nanoseconds. Three sources feed one time order:

* the **agent queue**: a heap of ``(time_ns, seq, kind, slot, payload)`` tuples, ``seq`` a kernel
  counter, holding agents' commands on their way to the venue, market data and order events on
  their way to agents, and timers;
* the **flow stream**: the arrivals of every :class:`~hftsim.flow.source.FlowSource`, pre-generated
  per window (``block_ns``) in vectorised calls and merged by a stable sort (ties: flow order, then
  generation order);
* the **flow timers**: a heap of ``(time_ns, flow_index, order_id)`` (per-order cancellations).

At equal times the agent queue goes first, then flow timers, then flow arrivals; so the whole run
is a deterministic function of the scenario and the seed. Agents are woken by timers, market
data and their own order events, each after its latency leg (:mod:`hftsim.sim.latency`).

Every command reaching the venue gets the next sequence number, is packed as a
:data:`~hftsim.core.arrays.COMMAND_DTYPE` record into the command log and applied with the
engine's raw per-command calls; its :data:`~hftsim.core.arrays.EVENT_DTYPE` records are appended
to the event log as bytes. Order events go to the owning agent (owner id -> agent); flows are told
which of their orders rested or left the book. After each command the kernel reads the top of
book; a change is logged (``l1``) and published to subscribers. Trades and book deltas are
published to agents whose class overrides ``on_trade`` / ``on_book_delta``. Python event structs
are built only when some agent will receive them.

The digest is ``blake2b(b"hftsim.sim/1" + H(commands) + H(events) + engine digest)``, ``H`` the
32-byte BLAKE2b of the log bytes: equal digests mean bit-identical logs and final books.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import struct
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import numpy as np

from hftsim.book.views import L1
from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE
from hftsim.core.clock import SimClock
from hftsim.core.enums import EventKind, StpMode
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import (
    BookDelta,
    CancelOrder,
    EndSession,
    NewOrder,
    ReplaceOrder,
    Trade,
    command_to_record,
    events_from_array,
)
from hftsim.core.rng import rng_for
from hftsim.flow.source import FlowSource
from hftsim.matching.engine import MatchingEngine
from hftsim.sim.agent import Agent
from hftsim.sim.latency import LatencyLeg, LatencyProfile

__all__ = ["Kernel", "KernelResult", "L1_RECORD_DTYPE", "LogChunk"]

#: One logged top-of-book change.
L1_RECORD_DTYPE = np.dtype(
    [
        ("ts_ns", "<i8"),
        ("symbol_id", "<i8"),
        ("bid_px_ticks", "<i8"),
        ("bid_qty", "<i8"),
        ("ask_px_ticks", "<i8"),
        ("ask_qty", "<i8"),
    ]
)

_PACK_COMMAND = struct.Struct("<qqqqqqiiBbBBB3x")
_PACK_L1 = struct.Struct("<qqqqqq")
_ORDER_HEAD = struct.Struct("<16xq48xi")  # order_id, owner_id
_RECORD_KEYS = struct.Struct("<16xq40xqi8xB11x")  # order_id, leaves_qty, owner_id, kind
assert _PACK_COMMAND.size == COMMAND_DTYPE.itemsize and _RECORD_KEYS.size == EVENT_DTYPE.itemsize

_ACCEPTED, _FILLED, _CANCELED = int(EventKind.ACCEPTED), int(EventKind.FILLED), int(EventKind.CANCELED)
_EXPIRED, _TRADE, _BOOK_DELTA = int(EventKind.EXPIRED), int(EventKind.TRADE), int(EventKind.BOOK_DELTA)
_KIND_OFFSET = 84
_EVENT_SIZE = EVENT_DTYPE.itemsize
_K_COMMAND, _K_ORDER, _K_L1, _K_TRADE, _K_DELTA, _K_TIMER = range(6)
_FLUSH_BYTES = 32 << 20


class LogChunk(msgspec.Struct, frozen=True):
    """A slice of the run's logs: raw COMMAND_DTYPE, EVENT_DTYPE and L1_RECORD_DTYPE bytes."""

    commands: bytes
    events: bytes
    l1: bytes


class KernelResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a finished run reports.

    Attributes:
        digest: hex BLAKE2b over the command log, the event log and the final engine digest.
        engine_digest: the engine's final book digest.
        n_commands: commands delivered to the venue.
        n_events: venue events recorded.
        n_deliveries: messages delivered to agents (market data, order events, timers).
        n_l1: top-of-book changes logged.
        flow_counts: per flow, its action counts.
        final_l1: per symbol ``(bid_px, bid_qty, bid_orders, ask_px, ask_qty, ask_orders)``.
        live_orders: per symbol, resting orders at the end.
    """

    digest: str
    engine_digest: str
    n_commands: int
    n_events: int
    n_deliveries: int
    n_l1: int
    flow_counts: dict[str, dict[str, int]]
    final_l1: list[tuple[int, ...]]
    live_orders: list[int]

    @property
    def n_total(self) -> int:
        """Commands delivered plus venue events recorded: the benchmark's 'events'."""
        return self.n_commands + self.n_events


class _Slot:
    """An agent's :class:`~hftsim.sim.agent.AgentContext`: its identity, legs and market view."""

    __slots__ = (
        "name",
        "owner_id",
        "rng",
        "agent",
        "to_venue",
        "processing",
        "market_data",
        "order_events",
        "_kernel",
        "_l1",
    )

    def __init__(
        self, kernel: Kernel, agent: Agent, owner_id: int, profile: LatencyProfile, seed: int
    ) -> None:
        self.name = agent.name
        self.owner_id = owner_id
        self.agent = agent
        self.rng = rng_for(seed, f"agent.{agent.name}")
        latency_rng = rng_for(seed, f"latency.{agent.name}")
        self.to_venue = LatencyLeg(profile.to_venue, latency_rng)
        self.processing = LatencyLeg(profile.processing, latency_rng)
        self.market_data = LatencyLeg(profile.market_data, latency_rng)
        self.order_events = LatencyLeg(profile.order_events or profile.market_data, latency_rng)
        self._kernel = kernel
        self._l1: dict[int, L1] = {}

    def now_ns(self) -> int:
        return self._kernel.clock.now_ns()

    def send(self, cmd: Any) -> None:
        kernel = self._kernel
        kind = type(cmd)
        if kind is NewOrder or kind is CancelOrder or kind is ReplaceOrder:
            cmd = msgspec.structs.replace(cmd, owner_id=self.owner_id)
        elif kind is not EndSession:
            raise TypeError(f"send() takes a command struct, got {kind.__name__}")
        at_ns = self.processing.arrival(self.to_venue.arrival(kernel.clock.now_ns()))
        kernel._push(at_ns, _K_COMMAND, self, cmd)

    def set_timer(self, at_ns: int, timer_id: int = 0) -> None:
        kernel = self._kernel
        kernel._push(max(int(at_ns), kernel.clock.now_ns()), _K_TIMER, self, timer_id)

    def l1(self, symbol_id: int) -> L1:
        view = self._l1.get(symbol_id)
        if view is None:
            return L1(
                symbol_id=symbol_id,
                bid_px_ticks=0,
                bid_qty=0,
                bid_orders=0,
                ask_px_ticks=0,
                ask_qty=0,
                ask_orders=0,
            )
        return view

    def instrument(self, symbol_id: int) -> Instrument:
        return self._kernel.instruments[symbol_id]


def _overrides(agent: Agent, handler: str) -> bool:
    return agent.wants(handler.removeprefix("on_"))


class Kernel:
    """One simulation run: agents, flows, the venue and the logs.

    Args:
        instruments: the symbols (ids 0..n-1).
        seed: the run seed; every RNG stream derives from it.
        end_ns: end of the session (exclusive); nothing at or after it happens.
        agents: ``(agent, latency profile)`` pairs; owner ids 1, 2, ... in this order.
        flows: order-flow sources; owner ids follow the agents'.
        start_ns: start of the session.
        stp_mode: the venue's self-trade prevention.
        block_ns: window of flow pre-generation.
        sink: receives the logs in chunks (:class:`LogChunk`); without one they are kept in memory.
        progress: called with the simulated time after each flow window.
        engine_impl: ``"fast"`` or ``"reference"`` (the naive twin).
    """

    def __init__(
        self,
        instruments: Sequence[Instrument],
        seed: int,
        end_ns: int,
        agents: Sequence[tuple[Agent, LatencyProfile]] = (),
        flows: Sequence[FlowSource] = (),
        start_ns: int = 0,
        stp_mode: StpMode = StpMode.CANCEL_RESTING,
        block_ns: int = 10_000_000_000,
        sink: Callable[[LogChunk], None] | None = None,
        progress: Callable[[int], None] | None = None,
        engine_impl: str = "fast",
    ) -> None:
        if end_ns <= start_ns:
            raise ConfigError(f"session: end_ns ({end_ns}) must be after start_ns ({start_ns})")
        self.instruments = tuple(instruments)
        self.engine = MatchingEngine(self.instruments, stp_mode, impl=engine_impl)
        self.clock = SimClock(start_ns)
        self.seed = int(seed)
        self.start_ns, self.end_ns, self.block_ns = int(start_ns), int(end_ns), int(block_ns)
        self._sink = sink
        self._progress = progress
        self._chunks: list[LogChunk] = []
        self._queue: list[tuple] = []
        self._counter = itertools.count()
        self._flow_timers: list[tuple[int, int, int]] = []
        names = [a.name for a, _ in agents] + [f.name for f in flows]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"agents and flows: names must be unique, {duplicates[0]!r} is used twice")
        self.slots = [
            _Slot(self, agent, i + 1, profile, self.seed) for i, (agent, profile) in enumerate(agents)
        ]
        self.flows = list(flows)
        n_owners = 1 + len(self.slots) + sum(f.population for f in self.flows)
        self._owner_slot: list[_Slot | None] = [None] * n_owners
        self._owner_flow: list[FlowSource | None] = [None] * n_owners
        for slot in self.slots:
            self._owner_slot[slot.owner_id] = slot
        next_owner = 1 + len(self.slots)
        for i, flow in enumerate(self.flows):
            flow.index, flow.first_owner_id = i, next_owner
            for owner in range(next_owner, next_owner + flow.population):
                self._owner_flow[owner] = flow
            next_owner += flow.population
        n_sym = len(self.instruments)
        self._l1_subs: list[list[_Slot]] = [[] for _ in range(n_sym)]
        self._trade_subs: list[list[_Slot]] = [[] for _ in range(n_sym)]
        self._delta_subs: list[list[_Slot]] = [[] for _ in range(n_sym)]
        for slot in self.slots:
            for sym in slot.agent.subscriptions:
                if not 0 <= sym < n_sym:
                    raise ConfigError(f"agent {slot.name!r}: subscription to unknown symbol_id {sym}")
                self._l1_subs[sym].append(slot)
                if _overrides(slot.agent, "on_trade"):
                    self._trade_subs[sym].append(slot)
                if _overrides(slot.agent, "on_book_delta"):
                    self._delta_subs[sym].append(slot)
        self.n_deliveries = 0
        self._result: KernelResult | None = None
        self._build_venue()

    # ------------------------------------------------------------ queue

    def _push(self, at_ns: int, kind: int, slot: _Slot, payload: Any) -> None:
        heapq.heappush(self._queue, (at_ns, next(self._counter), kind, slot, payload))

    def schedule(self, at_ns: int, flow_index: int, order_id: int) -> None:
        """Fire ``on_timer(order_id)`` of a flow at ``at_ns`` (dropped if at or after the session end)."""
        if at_ns < self.end_ns:
            heapq.heappush(self._flow_timers, (at_ns, flow_index, order_id))

    # ------------------------------------------------------------ venue (hot path)

    def _build_venue(self) -> None:
        """Bind the per-command venue calls as closures over local state (fast attribute access)."""
        engine = self.engine
        raw_events = engine.last_events_bytes  # bytes: no numpy object per command
        core_l1 = engine.l1_tuple
        new_order, cancel, replace, submit_record = (
            engine.new_order,
            engine.cancel,
            engine.replace,
            engine.submit_record,
        )
        pack_command, pack_l1 = _PACK_COMMAND.pack, _PACK_L1.pack
        order_head, record_keys = _ORDER_HEAD.unpack_from, _RECORD_KEYS.iter_unpack
        owner_flow, owner_slot = self._owner_flow, self._owner_slot
        l1_subs, trade_subs, delta_subs = self._l1_subs, self._trade_subs, self._delta_subs
        has_public = [bool(t or d) for t, d in zip(trade_subs, delta_subs)]
        self.l1_now = l1_now = [core_l1(s) for s in range(len(self.instruments))]
        self._commands = commands = bytearray()
        self._events = events = bytearray()
        self._l1_log = l1_log = bytearray()
        self._n_l1 = 0
        push = self._push
        state = [0]  # [last command seq]

        def deliver(raw: bytes, ts: int, sym: int) -> None:
            records = np.frombuffer(raw, dtype=EVENT_DTYPE)
            owners = records["owner_id"].tolist()
            for owner, event in zip(owners, events_from_array(records)):
                kind = type(event)
                if kind is Trade:
                    for slot in trade_subs[sym]:
                        push(slot.market_data.arrival(ts), _K_TRADE, slot, event)
                elif kind is BookDelta:
                    for slot in delta_subs[sym]:
                        push(slot.market_data.arrival(ts), _K_DELTA, slot, event)
                else:
                    slot = owner_slot[owner] if owner < len(owner_slot) else None
                    if slot is not None:
                        push(slot.order_events.arrival(ts), _K_ORDER, slot, event)

        def after(raw: bytes, n: int, ts: int, sym: int) -> None:
            if n == 2 and raw[_KIND_OFFSET] == _ACCEPTED and raw[_EVENT_SIZE + _KIND_OFFSET] == _BOOK_DELTA:
                order_id, owner = order_head(raw)
                flow = owner_flow[owner]
                if flow is not None:
                    flow.on_rest(order_id, owner, ts)
                    if has_public[sym]:
                        deliver(raw, ts, sym)
                elif has_public[sym] or owner_slot[owner] is not None:
                    deliver(raw, ts, sym)
            else:
                is_agent = has_public[sym]
                for order_id, leaves, owner, kind in record_keys(raw):
                    if kind >= _TRADE:
                        continue
                    flow = owner_flow[owner]
                    if flow is None:
                        if owner_slot[owner] is not None:
                            is_agent = True
                    elif kind == _ACCEPTED:
                        flow.on_rest(order_id, owner, ts)
                    elif kind == _EXPIRED or (leaves == 0 and (kind == _FILLED or kind == _CANCELED)):
                        flow.on_gone(order_id)
                if is_agent:
                    deliver(raw, ts, sym)
            top = core_l1(sym)
            if top != l1_now[sym]:
                l1_now[sym] = top
                l1_log.extend(pack_l1(ts, sym, top[0], top[1], top[3], top[4]))
                subs = l1_subs[sym]
                if subs:
                    view = L1(
                        symbol_id=sym,
                        bid_px_ticks=top[0],
                        bid_qty=top[1],
                        bid_orders=top[2],
                        ask_px_ticks=top[3],
                        ask_qty=top[4],
                        ask_orders=top[5],
                    )
                    for slot in subs:
                        push(slot.market_data.arrival(ts), _K_L1, slot, view)

        def flow_new(
            ts: int, sym: int, side: int, order_type: int, tif: int, px: int, qty: int, owner: int
        ) -> bytes:
            seq = state[0] = state[0] + 1
            n = new_order(seq, ts, sym, side, order_type, tif, 0, px, qty, owner, 0)
            commands.extend(pack_command(seq, ts, 0, 0, px, qty, owner, sym, 1, side, order_type, tif, 0))
            raw = raw_events()
            events.extend(raw)
            after(raw, n, ts, sym)
            return raw

        def flow_cancel(ts: int, sym: int, order_id: int, owner: int) -> bytes:
            seq = state[0] = state[0] + 1
            n = cancel(seq, ts, sym, order_id, owner, 0)
            commands.extend(pack_command(seq, ts, order_id, 0, 0, 0, owner, sym, 2, 0, 0, 0, 0))
            raw = raw_events()
            events.extend(raw)
            after(raw, n, ts, sym)
            return raw

        def flow_replace(ts: int, sym: int, order_id: int, owner: int, px: int, qty: int) -> bytes:
            seq = state[0] = state[0] + 1
            n = replace(seq, ts, sym, order_id, owner, 0, px, qty)
            commands.extend(pack_command(seq, ts, order_id, 0, px, qty, owner, sym, 3, 0, 0, 0, 0))
            raw = raw_events()
            events.extend(raw)
            after(raw, n, ts, sym)
            return raw

        def agent_command(cmd: Any, ts: int) -> None:
            seq = state[0] = state[0] + 1
            record = command_to_record(msgspec.structs.replace(cmd, ts_event=ts), seq)
            n = submit_record(record)
            commands.extend(pack_command(*record))
            raw = raw_events()
            events.extend(raw)
            after(raw, n, ts, cmd.symbol_id)

        def end_session(ts: int, sym: int) -> None:
            seq = state[0] = state[0] + 1
            n = engine.end_session(seq, ts, sym)
            commands.extend(pack_command(seq, ts, 0, 0, 0, 0, 0, sym, 4, 0, 0, 0, 0))
            raw = raw_events()
            events.extend(raw)
            after(raw, n, ts, sym)

        self.new_order, self.cancel, self.replace = flow_new, flow_cancel, flow_replace
        self._agent_command, self._end_session = agent_command, end_session

    # ------------------------------------------------------------ run loop (hot path)

    def run(self) -> KernelResult:
        """Run the session from ``start_ns`` to ``end_ns`` and return the result (once per kernel)."""
        if self._result is not None:
            raise ConfigError("a Kernel runs once; build a new one (new objects per run)")
        self._hash_commands = hashlib.blake2b(digest_size=32)
        self._hash_events = hashlib.blake2b(digest_size=32)
        self._n_commands = self._n_events = 0
        for flow in self.flows:
            band = self.instruments[flow.symbol_id]
            flow.bind(
                self,
                rng_for(self.seed, f"flow.{flow.name}"),
                self.start_ns,
                self.end_ns,
                (band.band_low_ticks, band.band_high_ticks),
            )
        for slot in self.slots:
            slot.agent.on_start(slot)
        self._loop()
        self.clock.advance_to(self.end_ns)
        for sym in range(len(self.instruments)):
            self._end_session(self.end_ns, sym)
        self._drain_order_events()
        for slot in self.slots:
            slot.agent.on_stop(slot)
        self._flush()
        return self._finish()

    def _drain_order_events(self) -> None:
        """Deliver the agents' own order events still in flight at the end of the session.

        The venue has already executed them, so every agent (and its OMS) must see them to agree
        with the venue's fills. Commands, timers and market data due at or after the end are
        dropped, and so is anything an agent sends while the drain runs: the venue is closed.
        """
        while True:
            pending = sorted(e for e in self._queue if e[2] == _K_ORDER)
            self._queue.clear()
            if not pending:
                return
            for at_ns, _, _, slot, payload in pending:
                self.clock.advance_to(max(at_ns, self.clock.now_ns()))
                self._on_order(slot, payload, at_ns)

    def _loop(self) -> None:
        queue, timers, end = self._queue, self._flow_timers, self.end_ns
        pop, advance = heapq.heappop, self.clock.advance_to
        acts = [f.act for f in self.flows]
        flow_timer = [f.on_timer for f in self.flows]
        handlers = (
            self._on_command,
            self._on_order,
            self._on_l1,
            self._on_trade,
            self._on_delta,
            self._on_timer,
        )
        times: list[int] = []
        flow_of: list[int] = []
        index_of: list[int] = []
        i = n = 0
        window = self.start_ns
        deliveries = 0
        while True:
            if i == n:
                if window < end:
                    times, flow_of, index_of = self._next_window(window)
                    window = min(window + self.block_ns, end)
                    i, n = 0, len(times)
                    if self._progress is not None:
                        self._progress(window)
                    if len(self._events) > _FLUSH_BYTES:
                        self._flush()
                    continue
                t_flow = end
            else:
                t_flow = times[i]
            t_timer = timers[0][0] if timers else end
            t_queue = queue[0][0] if queue else end
            if t_queue < end and t_queue <= t_flow and t_queue <= t_timer:
                at_ns, _, kind, slot, payload = pop(queue)
                advance(at_ns)
                deliveries += 1
                handlers[kind](slot, payload, at_ns)
            elif t_timer < end and t_timer <= t_flow:
                at_ns, f, order_id = pop(timers)
                flow_timer[f](order_id, at_ns)
            elif t_flow < end:
                acts[flow_of[i]](index_of[i], t_flow)
                i += 1
            else:
                break
        self.n_deliveries = deliveries

    def _next_window(self, t0: int) -> tuple[list[int], list[int], list[int]]:
        t1 = min(t0 + self.block_ns, self.end_ns)
        blocks = [f.block(t0, t1) for f in self.flows]
        if len(blocks) == 1:
            return blocks[0].tolist(), [0] * len(blocks[0]), list(range(len(blocks[0])))
        if not blocks:
            return [], [], []
        times = np.concatenate(blocks)
        flow_of = np.concatenate([np.full(len(b), k) for k, b in enumerate(blocks)])
        index_of = np.concatenate([np.arange(len(b)) for b in blocks])
        order = np.argsort(times, kind="stable")
        return times[order].tolist(), flow_of[order].tolist(), index_of[order].tolist()

    # ------------------------------------------------------------ agent handlers

    def _on_command(self, slot: _Slot, cmd: Any, at_ns: int) -> None:
        self._agent_command(cmd, at_ns)

    def _on_order(self, slot: _Slot, event: Any, at_ns: int) -> None:
        slot.agent.on_order_event(slot, event)

    def _on_l1(self, slot: _Slot, view: L1, at_ns: int) -> None:
        slot._l1[view.symbol_id] = view
        slot.agent.on_l1(slot, view)

    def _on_trade(self, slot: _Slot, trade: Trade, at_ns: int) -> None:
        slot.agent.on_trade(slot, trade)

    def _on_delta(self, slot: _Slot, delta: BookDelta, at_ns: int) -> None:
        slot.agent.on_book_delta(slot, delta)

    def _on_timer(self, slot: _Slot, timer_id: int, at_ns: int) -> None:
        slot.agent.on_timer(slot, timer_id)

    # ------------------------------------------------------------ logs and result

    def _flush(self) -> None:
        chunk = LogChunk(bytes(self._commands), bytes(self._events), bytes(self._l1_log))
        self._commands.clear()
        self._events.clear()
        self._l1_log.clear()
        self._hash_commands.update(chunk.commands)
        self._hash_events.update(chunk.events)
        self._n_commands += len(chunk.commands) // COMMAND_DTYPE.itemsize
        self._n_events += len(chunk.events) // EVENT_DTYPE.itemsize
        self._n_l1 += len(chunk.l1) // L1_RECORD_DTYPE.itemsize
        if self._sink is not None:
            self._sink(chunk)
        else:
            self._chunks.append(chunk)

    def _finish(self) -> KernelResult:
        engine_digest = self.engine.digest()
        h = hashlib.blake2b(digest_size=32)
        h.update(b"hftsim.sim/1")
        h.update(self._hash_commands.digest())
        h.update(self._hash_events.digest())
        h.update(engine_digest.encode())
        n_sym = len(self.instruments)
        self._result = KernelResult(
            digest=h.hexdigest(),
            engine_digest=engine_digest,
            n_commands=self._n_commands,
            n_events=self._n_events,
            n_deliveries=self.n_deliveries,
            n_l1=self._n_l1,
            flow_counts={f.name: dict(f.counts) for f in self.flows},
            final_l1=[self.engine.l1_tuple(s) for s in range(n_sym)],
            live_orders=[self.engine.live_orders(s) for s in range(n_sym)],
        )
        return self._result

    def commands(self) -> np.ndarray:
        """The command log as COMMAND_DTYPE records (only when run without a sink)."""
        return np.frombuffer(b"".join(c.commands for c in self._chunks), dtype=COMMAND_DTYPE)

    def events(self) -> np.ndarray:
        """The event log as EVENT_DTYPE records (only when run without a sink)."""
        return np.frombuffer(b"".join(c.events for c in self._chunks), dtype=EVENT_DTYPE)

    def l1_log(self) -> np.ndarray:
        """The top-of-book changes as L1_RECORD_DTYPE records (only when run without a sink)."""
        return np.frombuffer(b"".join(c.l1 for c in self._chunks), dtype=L1_RECORD_DTYPE)
