"""MatchingEngine: the compiled core (or its naive twin) behind one Python interface. Hot path.

Three ways in, all giving identical events:

* raw per-command calls (``submit_record`` taking a flat command-record tuple, or ``new_order``,
  ``cancel``, ``replace``, ``end_session`` taking integers) returning the event count; read the
  events with :meth:`MatchingEngine.last_events`. No Python object is created per order. This is
  the path the simulator and the venue use.
* :meth:`MatchingEngine.submit` taking a command struct and returning event structs: the friendly one.
* :meth:`MatchingEngine.run_batch` taking a :data:`~hftsim.core.arrays.COMMAND_DTYPE` array and
  returning an :data:`~hftsim.core.arrays.EVENT_DTYPE` array: replay and benchmarks.
"""

from __future__ import annotations

from typing import Literal, Sequence

import msgspec
import numpy as np

from hftsim.book.digest import books_digest
from hftsim.book.reference import ReferenceEngine
from hftsim.book.views import L1, L2, Level
from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE, L3_DTYPE, check_dtype
from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import (
    CancelOrder,
    Command,
    EndSession,
    Event,
    NewOrder,
    ReplaceOrder,
    events_from_array,
)
from hftsim.matching import _core

__all__ = ["EngineSnapshot", "MatchingEngine", "check_instruments", "event_tuples"]


class EngineSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The matching state of a venue: resting orders per symbol (L3 records) and the id counters."""

    next_order_id: int
    next_exec_id: int
    books: tuple[np.ndarray, ...]


def event_tuples(records: np.ndarray | bytes) -> list[tuple]:
    """EVENT_DTYPE records (an array, or their packed bytes) as tuples: ``records.tolist()``, 6x faster."""
    if isinstance(records, np.ndarray):
        if records.dtype != EVENT_DTYPE:
            raise ConfigError(f"event_tuples needs EVENT_DTYPE records, got dtype {records.dtype}")
        if not records.flags.c_contiguous:
            records = np.ascontiguousarray(records)
    return _core.event_tuples(records)


def check_instruments(instruments: Sequence[Instrument]) -> tuple[Instrument, ...]:
    """Return the instruments after checking their ids are 0..n-1 in order and symbols unique."""
    instruments = tuple(instruments)
    if not instruments:
        raise ConfigError("instruments: at least one instrument is required")
    seen: set[str] = set()
    for i, ins in enumerate(instruments):
        if ins.symbol_id != i:
            raise ConfigError(f"instruments[{i}] ({ins.symbol}): symbol_id must be {i}, got {ins.symbol_id}")
        if ins.symbol in seen:
            raise ConfigError(f"instruments[{i}]: duplicate symbol {ins.symbol!r}")
        seen.add(ins.symbol)
    return instruments


class MatchingEngine:
    """Price-time priority matching for a set of symbols.

    Args:
        instruments: the symbols; ``symbol_id`` must be 0, 1, ... in order.
        stp_mode: self-trade prevention (owner id 0 is never protected).
        impl: ``"fast"`` for the compiled core, ``"reference"`` for the naive twin.
        capacity: resting orders per symbol to preallocate room for (the arena still grows by
            doubling past it); a venue that knows its peak book avoids growing on the hot path.
    """

    def __init__(
        self,
        instruments: Sequence[Instrument],
        stp_mode: StpMode = StpMode.CANCEL_RESTING,
        impl: Literal["fast", "reference"] = "fast",
        capacity: int = 1024,
    ) -> None:
        self.instruments = check_instruments(instruments)
        self.stp_mode = StpMode(stp_mode)
        self.impl = impl
        if impl == "fast":
            bands = [
                (i.band_low_ticks, i.band_high_ticks, i.price_step_ticks, i.lot_size, i.max_order_qty)
                for i in self.instruments
            ]
            if not 1 <= capacity <= 1 << 28:
                raise ConfigError(f"capacity must be between 1 and 2**28 orders, got {capacity}")
            self._core = _core.Core(bands, int(self.stp_mode), capacity)
            self._out = bytearray()
            self._last_events_raw = self._core.last_events
        elif impl == "reference":
            self._core = ReferenceEngine(self.instruments, self.stp_mode)
            self._last_events_raw = None
        else:
            raise ConfigError(f"impl must be 'fast' or 'reference', got {impl!r}")
        if impl == "fast":  # the compiled readers themselves, not the methods that dispatch to them
            self.last_event_tuples = self._core.last_event_tuples
            self.last_events_bytes = self._last_events_raw
        # raw per-command entry points, bound once
        self.new_order = self._core.new_order
        self.cancel = self._core.cancel
        self.replace = self._core.replace
        self.end_session = self._core.end_session
        self.submit_record = self._core.submit_record

    # ------------------------------------------------------------ per command

    def last_events(self) -> np.ndarray:
        """Events of the last raw per-command call, as :data:`EVENT_DTYPE` records."""
        if self._last_events_raw is None:
            return self._core.last_events()
        return np.frombuffer(self._last_events_raw(), dtype=EVENT_DTYPE)

    def last_event_tuples(self) -> list[tuple]:
        """Events of the last raw per-command call as tuples: ``last_events().tolist()``, made directly."""
        if self._last_events_raw is None:
            return self._core.last_events().tolist()
        return self._core.last_event_tuples()

    def last_events_bytes(self) -> bytes:
        """Events of the last raw per-command call as packed EVENT_DTYPE bytes (no numpy object)."""
        if self._last_events_raw is None:
            return self._core.last_events().tobytes()
        return self._last_events_raw()

    def l1_tuple(self, symbol_id: int) -> tuple[int, int, int, int, int, int]:
        """Top of book as (bid_px, bid_qty, bid_orders, ask_px, ask_qty, ask_orders), zeros when empty."""
        return tuple(self._core.l1(symbol_id))

    def submit(self, cmd: Command, seq: int = 0) -> list[Event]:
        """Apply one command and return its events as structs."""
        try:
            submitter = _SUBMITTERS[type(cmd)]
        except KeyError:
            raise TypeError(f"submit() takes a command struct, got {type(cmd).__name__}") from None
        submitter(self, cmd, seq)
        return events_from_array(self.last_events())

    def _submit_new(self, c: NewOrder, seq: int) -> int:
        return self.new_order(
            seq,
            c.ts_event,
            c.symbol_id,
            c.side,
            c.order_type,
            c.tif,
            c.post_only,
            c.price_ticks,
            c.qty,
            c.owner_id,
            c.client_order_id,
        )

    def _submit_cancel(self, c: CancelOrder, seq: int) -> int:
        return self.cancel(seq, c.ts_event, c.symbol_id, c.order_id, c.owner_id, c.client_order_id)

    def _submit_replace(self, c: ReplaceOrder, seq: int) -> int:
        return self.replace(
            seq, c.ts_event, c.symbol_id, c.order_id, c.owner_id, c.client_order_id, c.price_ticks, c.qty
        )

    def _submit_end_session(self, c: EndSession, seq: int) -> int:
        return self.end_session(seq, c.ts_event, c.symbol_id)

    # ------------------------------------------------------------ batch

    def run_batch(self, commands: np.ndarray, reuse_buffer: bool = False) -> np.ndarray:
        """Apply :data:`COMMAND_DTYPE` records in order and return their events.

        Args:
            commands: the commands.
            reuse_buffer: write the events into the engine's own output buffer and return a view of it,
                valid until the next ``run_batch`` call, which overwrites it (copy what you keep). This
                saves allocating and faulting in fresh memory for every batch when streaming.

        Raises:
            ConfigError: the array is not a 1-D array of exactly COMMAND_DTYPE (nothing is applied).
        """
        check_dtype(commands, COMMAND_DTYPE, "commands")
        if self.impl == "reference":
            return self._core.run_batch(commands)
        buf, n = self._core.run_batch(np.ascontiguousarray(commands), self._out if reuse_buffer else None)
        if reuse_buffer:
            self._out = buf
        return np.frombuffer(buf, dtype=EVENT_DTYPE, count=n)

    # ------------------------------------------------------------ views

    def l1(self, symbol_id: int) -> L1:
        """Top of book of a symbol."""
        bp, bq, bn, ap, aq, an = self._core.l1(symbol_id)
        return L1(
            symbol_id=symbol_id,
            bid_px_ticks=bp,
            bid_qty=bq,
            bid_orders=bn,
            ask_px_ticks=ap,
            ask_qty=aq,
            ask_orders=an,
        )

    def l2(self, symbol_id: int, depth: int = 10) -> L2:
        """The best ``depth`` aggregated levels of each side."""
        bids, asks = self._core.l2(symbol_id, depth)
        return L2(
            symbol_id=symbol_id, bids=tuple(Level(*b) for b in bids), asks=tuple(Level(*a) for a in asks)
        )

    def l3(self, symbol_id: int) -> np.ndarray:
        """Resting orders as :data:`L3_DTYPE`: bids best first, then asks; FIFO within a level."""
        raw = self._core.l3(symbol_id)
        return raw if isinstance(raw, np.ndarray) else np.frombuffer(raw, dtype=L3_DTYPE)

    def live_orders(self, symbol_id: int) -> int:
        """Number of resting orders of a symbol."""
        return self._core.live_orders(symbol_id)

    def counters(self) -> tuple[int, int]:
        """(next_order_id, next_exec_id)."""
        return self._core.counters()

    def snapshot(self) -> EngineSnapshot:
        """The whole matching state: every resting order in priority order and the id counters."""
        next_order_id, next_exec_id = self.counters()
        return EngineSnapshot(
            next_order_id=next_order_id,
            next_exec_id=next_exec_id,
            books=tuple(np.array(self.l3(i)) for i in range(len(self.instruments))),
        )

    @classmethod
    def from_snapshot(
        cls,
        instruments: Sequence[Instrument],
        snapshot: EngineSnapshot,
        stp_mode: StpMode = StpMode.CANCEL_RESTING,
        impl: Literal["fast", "reference"] = "fast",
    ) -> MatchingEngine:
        """Rebuild an engine in exactly the state of ``snapshot`` (same digest).

        Raises:
            ConfigError: the snapshot does not fit the instruments or is not a valid book.
        """
        engine = cls(instruments, stp_mode, impl)
        if len(snapshot.books) != len(engine.instruments):
            raise ConfigError(
                f"snapshot has {len(snapshot.books)} books; the instruments list {len(engine.instruments)}"
            )
        for symbol_id, l3 in enumerate(snapshot.books):
            check_dtype(l3, L3_DTYPE, f"snapshot.books[{symbol_id}]")
            try:
                engine._core.load_orders(symbol_id, np.ascontiguousarray(l3))
            except ValueError as e:
                raise ConfigError(
                    f"snapshot.books[{symbol_id}] ({engine.instruments[symbol_id].symbol}): {e}"
                ) from e
        try:
            engine._core.set_counters(snapshot.next_order_id, snapshot.next_exec_id)
        except ValueError as e:
            raise ConfigError(f"snapshot counters: {e}") from e
        return engine

    def digest(self) -> str:
        """Hash of every book and the id counters: equal states give equal digests."""
        return books_digest((self.l3(i) for i in range(len(self.instruments))), *self.counters())


# Plain functions, not bound methods kept on the instance: that would be a reference cycle, and an
# engine (with its arena) would then outlive its last user until the cyclic GC runs.
_SUBMITTERS = {
    NewOrder: MatchingEngine._submit_new,
    CancelOrder: MatchingEngine._submit_cancel,
    ReplaceOrder: MatchingEngine._submit_replace,
    EndSession: MatchingEngine._submit_end_session,
}
