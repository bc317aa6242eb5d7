"""The journaled gateway: the FIX gateway whose every command goes through a JournaledVenue. Hot path.

:class:`JournaledGateway` is the :class:`~hftsim.net.venue.gateway.Gateway` with three additions:

* **journaling**: in live mode its engine calls go to :class:`~hftsim.journal.JournaledVenue`
  (sequenced, journaled, applied), and for every command it writes a
  :class:`~hftsim.net.venue.sessionlog.CommandNote` (ClOrdIDs, inbound MsgSeqNum, first outbound
  MsgSeqNum per session) to the session log;
* **deterministic ExecIDs**: the k-th report caused by journal seq ``s`` has ExecID ``"s-k"``, so a
  replay regenerates the same ids and a client can tell a resent report from a new one. Reports the
  gateway makes without a journaled command (a duplicate ClOrdID, a price off the grid) get
  ``"G<epoch>.<start seq>.<n>"``, unique per primary lifetime;
* **replay**: in replica mode (a hot standby, or recovery) it applies journal records with their notes
  to its own :class:`~hftsim.matching.engine.MatchingEngine` through the very same event handlers,
  so the ClOrdID tables, order states, session sequence numbers and the stored reports (answering
  ResendRequests) are rebuilt exactly. :meth:`attach` then switches it to live mode on a
  JournaledVenue whose engine must have the same digest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from hftsim.core.enums import CommandKind
from hftsim.core.errors import InvariantError
from hftsim.journal import JournaledVenue
from hftsim.matching.engine import MatchingEngine
from hftsim.net.fix.codec import FixMessage
from hftsim.net.fix.session import FixSession, SessionState
from hftsim.net.venue.gateway import _CANCEL, _NEW, _REPLACE, HISTORY_LIMIT, Gateway, _Order
from hftsim.net.venue.sessionlog import CommandNote, Note, Reservation, SessionLog

__all__ = ["JournaledGateway", "RESERVE_BLOCK", "RESERVE_MARGIN"]

#: a session's outbound MsgSeqNum limit is raised by this much when fewer than RESERVE_MARGIN remain
RESERVE_BLOCK = 4096
RESERVE_MARGIN = 1024
_NEW_K, _CANCEL_K, _REPLACE_K = int(CommandKind.NEW), int(CommandKind.CANCEL), int(CommandKind.REPLACE)


class _JournalAdapter:
    """The engine interface the Gateway calls, routed through a JournaledVenue."""

    __slots__ = ("venue", "instruments", "_gateway", "_submit")

    def __init__(self, venue: JournaledVenue, gateway: JournaledGateway) -> None:
        self.venue = venue
        self.instruments = venue.instruments
        self._gateway = gateway
        self._submit = venue.submit_record

    def new_order(self, seq, ts, symbol_id, side, order_type, tif, post_only, price_ticks, qty, owner, coid):
        assert seq == self.venue.last_seq + 1, (seq, self.venue.last_seq)
        self._gateway._begin_command(seq)
        return self._submit(
            (0, 0, 0, coid, price_ticks, qty, owner, symbol_id, _NEW_K, side, order_type, tif, int(post_only))
        )

    def cancel(self, seq, ts, symbol_id, order_id, owner, coid):
        self._gateway._begin_command(seq)
        return self._submit((0, 0, order_id, coid, 0, 0, owner, symbol_id, _CANCEL_K, 0, 0, 0, 0))

    def replace(self, seq, ts, symbol_id, order_id, owner, coid, price_ticks, qty):
        self._gateway._begin_command(seq)
        return self._submit(
            (0, 0, order_id, coid, price_ticks, qty, owner, symbol_id, _REPLACE_K, 0, 0, 0, 0)
        )

    def last_events(self) -> np.ndarray:
        return self.venue.last_events()

    def l1(self, symbol_id: int):
        """Top of book (read-only views pass through to the journaled venue's engine)."""
        return self.venue.engine.l1(symbol_id)

    def l2(self, symbol_id: int, depth: int = 10):
        """Aggregated levels (for the dashboard and the book gauges)."""
        return self.venue.engine.l2(symbol_id, depth)

    def digest(self) -> str:
        return self.venue.digest()


class JournaledGateway(Gateway):
    """A Gateway that journals (live mode) or replays (replica mode); see the module docstring.

    Args:
        engine: the replica engine (a fresh MatchingEngine, or one restored from a checkpoint).
        clock: command timestamps (live mode: the JournaledVenue stamps; this clock stamps admin).
        sessions: (session state, is_drop_copy) per configured session, in configuration order.
        publisher: the market-data publisher (also fed during replay so its sequence continues).
        metrics: shared counters.
        epoch: this node's epoch (part of gateway-made ExecIDs).
    """

    def __init__(
        self,
        engine: MatchingEngine,
        clock,
        sessions: Sequence[tuple[SessionState, bool]],
        publisher=None,
        metrics: Counter | None = None,
        *,
        epoch: int = 0,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        super().__init__(engine, clock, sessions, publisher, metrics, history_limit=history_limit)
        self.epoch = epoch
        self.states: list[SessionState] = [state for state, _ in sessions]
        self._index = {(s.local_comp_id, s.remote_comp_id): i for i, s in enumerate(self.states)}
        self._account_at = [self.accounts[(s.local_comp_id, s.remote_comp_id)] for s in self.states]
        self.limits = [0] * len(self.states)
        self.log: SessionLog | None = None
        self._in_command = False
        self._is_replaying = False
        self._cmd_seq = 0
        self._exec_k = 0
        self._before: list[int] = []
        self._msg_session = 0
        self._msg_in_seq = 0
        self._start_seq = 0

    # ------------------------------------------------------------ live mode

    def attach(self, venue: JournaledVenue, log: SessionLog) -> None:
        """Switch to live mode on ``venue`` (its engine must equal the replica's state).

        Raises:
            InvariantError: the venue is not at the replica's seq or its digest differs.
        """
        if venue.last_seq != self.last_seq:
            raise InvariantError(
                f"journaled venue at seq {venue.last_seq}, the gateway replica at {self.last_seq}"
            )
        if venue.digest() != self.engine.digest():
            raise InvariantError(
                f"state digest of the recovered venue {venue.digest()} differs from the replica's "
                f"{self.engine.digest()} at seq {self.last_seq}"
            )
        self.engine = _JournalAdapter(venue, self)
        self.log = log
        self._start_seq = venue.last_seq
        for i, state in enumerate(self.states):
            state.next_out = max(state.next_out, self.limits[i])

    def on_message(self, session: FixSession, msg: FixMessage) -> None:
        state = session.state
        self._msg_session = self._index[(state.local_comp_id, state.remote_comp_id)]
        self._msg_in_seq = msg.msg_seq_num
        super().on_message(session, msg)

    def _begin_command(self, seq: int) -> None:
        self._in_command = True
        self._cmd_seq = seq
        self._exec_k = 0
        self._before = [s.next_out for s in self.states]

    def _apply_events(self) -> None:
        super()._apply_events()
        if self._in_command and not self._is_replaying:
            self._end_command()
        self._in_command = False

    def _end_command(self) -> None:
        outs = [(i, b) for i, (b, s) in enumerate(zip(self._before, self.states)) if s.next_out != b]
        if self._kind == _NEW:
            cl, orig = self._pending.cl_ord_id, ""
        else:
            cl, orig = self._request_cl_ord_id, self._request_orig_cl_ord_id
        self.log.add(CommandNote(self._cmd_seq, self._msg_session, self._msg_in_seq, cl, orig, outs))

    def reserve(self) -> bool:
        """Stage Reservation notes for sessions near their outbound limit; True when any was staged."""
        added = False
        for i, state in enumerate(self.states):
            if state.next_out + RESERVE_MARGIN > self.limits[i]:
                self.limits[i] = state.next_out + RESERVE_BLOCK
                self.log.add(Reservation(self.last_seq, i, self.limits[i]))
                added = True
        return added

    def _next_exec_id(self) -> str:
        if self._in_command:
            self._exec_k += 1
            return f"{self._cmd_seq}-{self._exec_k}"
        self._exec_id += 1
        return f"G{self.epoch}.{self._start_seq}.{self._exec_id}"

    # ------------------------------------------------------------ replica mode

    def apply_notes(self, notes: Sequence[Note], pending: dict[int, CommandNote]) -> None:
        """Take notes received or read: reservations apply now, command notes wait for their record."""
        for note in notes:
            if isinstance(note, Reservation):
                self.limits[note.session] = max(self.limits[note.session], note.limit)
            else:
                pending[note.seq] = note

    def apply_records(self, records: np.ndarray, pending: dict[int, CommandNote]) -> None:
        """Replay journal records (COMMAND_DTYPE, contiguous after :attr:`last_seq`) with their notes.

        Raises:
            InvariantError: a record is not the next seq.
        """
        self._is_replaying = True
        try:
            for rec in records.tolist():
                if rec[0] != self.last_seq + 1:
                    raise InvariantError(f"replay expected seq {self.last_seq + 1}, got {rec[0]}")
                self._replay_one(rec, pending.pop(rec[0], None))
        finally:
            self._is_replaying = False

    def _replay_one(self, rec: tuple, note: CommandNote | None) -> None:
        seq, kind = rec[0], rec[8]
        account = self._by_owner.get(rec[6])
        if note is not None:
            for i, first in note.outs:
                self.states[i].next_out = first
            state = self.states[note.session]
            state.next_in = max(state.next_in, note.in_seq + 1)
            cl, orig = note.cl_ord_id, note.orig_cl_ord_id
        else:
            cl, orig = f"?{seq}", ""
        self.last_seq = seq
        self._begin_command(seq)
        if kind == _NEW_K:
            order = _Order(account, cl, rec[7], rec[9], rec[5], rec[4], rec[10])
            self._remember(account, cl, order)
            account.next_client_order_id = rec[3] + 1
            self._kind, self._pending = _NEW, order
        else:
            self._kind = _CANCEL if kind == _CANCEL_K else _REPLACE
            self._pending = self._orders.get(rec[2])
            self._request_cl_ord_id, self._request_orig_cl_ord_id = cl, orig
            if kind == _REPLACE_K and account is not None:
                account.next_client_order_id = rec[3] + 1
        self.engine.submit_record(rec)
        self._apply_events()
        self._pending = None

    # ------------------------------------------------------------ checkpoints

    def snapshot_state(self) -> dict:
        """The gateway's state (not the stored reports) as msgpack-encodable data, at :attr:`last_seq`."""
        index: dict[int, int] = {}
        rows: list[list] = []

        def ref(order: _Order) -> int:
            key = id(order)  # identity only dedupes shared orders; output order is dict order
            if key not in index:
                index[key] = len(rows)
                rows.append(
                    [
                        self._account_at.index(order.account),
                        order.cl_ord_id,
                        order.order_id,
                        order.symbol_id,
                        int(order.side),
                        order.order_qty,
                        order.cum_qty,
                        order.notional_ticks,
                        order.price_ticks,
                        order.order_type,
                        order.status,
                    ]  # fmt: skip
                )
            return index[key]

        accounts = [
            [acc.next_client_order_id, [[cl, ref(o)] for cl, o in acc.orders.items()], list(acc.history)]
            for acc in self._account_at
        ]
        live = [[oid, ref(o)] for oid, o in self._orders.items()]
        return {
            "last_seq": self.last_seq,
            "orders": rows,
            "accounts": accounts,
            "live": live,
            "sessions": [[s.next_in, s.next_out] for s in self.states],
            "limits": list(self.limits),
        }

    def restore_state(self, data: dict) -> None:
        """Restore :meth:`snapshot_state` output (a fresh gateway, before any replay)."""
        orders = []
        for acc_i, cl, oid, sym, side, qty, cum, notional, px, otype, status in data["orders"]:
            order = _Order(self._account_at[acc_i], cl, sym, side, qty, px, otype)
            order.order_id, order.cum_qty, order.notional_ticks, order.status = oid, cum, notional, status
            orders.append(order)
        for acc, (next_id, ids, *history) in zip(self._account_at, data["accounts"]):
            acc.next_client_order_id = next_id
            acc.orders.clear()
            acc.orders.update([(cl, orders[i]) for cl, i in ids])
            acc.history.clear()  # the ClOrdIDs in the order they were put in (older snapshots: table order)
            acc.history.extend(history[0] if history else [cl for cl, _ in ids])
        self._orders = {oid: orders[i] for oid, i in data["live"]}
        for state, (next_in, next_out) in zip(self.states, data["sessions"]):
            state.next_in, state.next_out = next_in, next_out
        self.limits = list(data["limits"])
        self.last_seq = data["last_seq"]
