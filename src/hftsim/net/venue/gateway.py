"""Order-entry gateway: FIX application messages -> engine commands -> ExecutionReports. Hot path.

The gateway is the venue's sequencer on the live side: it stamps every command with the next
sequence number and a timestamp from the injected clock, applies it to the
:class:`~hftsim.matching.engine.MatchingEngine` through the raw per-command calls, hands the event
records to the feed publisher (when one is installed) and turns them into ExecutionReports for the
owning session and every drop-copy session. It owns no sockets: the server calls
:meth:`Gateway.on_message` for each in-sequence application message, in arrival order.

Mappings (``docs/venue.md``): each trading session has an ``owner_id`` (1, 2, ...); each FIX
ClOrdID gets the session's next integer ``client_order_id``; OrigClOrdID finds the order through
the session's ClOrdID table (every ClOrdID of an order's cancel/replace chain points at it). A
replace's OrderQty is the new total quantity; the engine's ``ReplaceOrder.qty`` is the new open
quantity, so the gateway sends ``OrderQty - CumQty``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from hftsim.core.clock import Clock
from hftsim.core.enums import EventKind, OrderType, RejectReason
from hftsim.core.errors import FixParseError
from hftsim.core.instrument import Instrument
from hftsim.matching.engine import MatchingEngine, event_tuples
from hftsim.net.fix._fastfix import cancel as _parse_cancel
from hftsim.net.fix._fastfix import new_order as _parse_new_order
from hftsim.net.fix.application import (
    CODE_MAPS,
    ExecType,
    ExecutionReport,
    OrderCancelReject,
    OrdStatus,
    PriceFormat,
    cancel_values,
    encode_order_cancel_reject,
    new_order_values,
    parse_order_cancel_replace_request,
)
from hftsim.net.fix.codec import FixMessage
from hftsim.net.fix.session import FixSession, SessionState
from hftsim.net.venue._lane import Account, Lane
from hftsim.net.venue._lane import Order as _Order

__all__ = ["Account", "Gateway", "HISTORY_LIMIT", "ORD_REJ_REASON"]

#: OrdRejReason (103) for each engine RejectReason; Text (58) carries the engine's reason name
ORD_REJ_REASON: dict[int, int] = {
    RejectReason.UNKNOWN_SYMBOL: 1,  # Unknown symbol
    RejectReason.OFF_TICK: 99,
    RejectReason.OUT_OF_BAND: 99,
    RejectReason.INVALID_QTY: 13,  # Incorrect quantity
    RejectReason.OFF_LOT: 13,
    RejectReason.QTY_TOO_LARGE: 3,  # Order exceeds limit
    RejectReason.UNKNOWN_ORDER: 5,  # Unknown order
    RejectReason.DUPLICATE_CLIENT_ORDER_ID: 6,  # Duplicate order
    RejectReason.POST_ONLY_WOULD_CROSS: 99,
    RejectReason.INVALID_SIDE: 11,  # Unsupported order characteristic
    RejectReason.INVALID_ORDER_TYPE: 11,
    RejectReason.INVALID_TIF: 11,
    RejectReason.INVALID_COMMAND: 99,
}
_CXL_TOO_LATE = 0
_CXL_UNKNOWN_ORDER = 1
_CXL_DUPLICATE_CL_ORD_ID = 6
_CXL_OTHER = 99
_RESTATED = "D"
_SESSION_REJECT_OTHER = 99
_SESSION_REJECT_INVALID_MSG_TYPE = 11
_NEW, _CANCEL, _REPLACE = 1, 2, 3
_LIMIT = OrderType.LIMIT


# _Order (compiled, hftsim/net/venue/_lane.c): the gateway's view of one order, what FIX reports need and
# the engine does not keep: order_id (0 until accepted), account, cl_ord_id, symbol_id, side, order_qty,
# cum_qty, notional_ticks, price_ticks, order_type, status; made as _Order(account, cl_ord_id,
# symbol_id, side, order_qty, price_ticks, order_type).
#
# Account (compiled, same file): application state of one session: owner_id, state, orders (its
# ClOrdID table), next_client_order_id (from 1), is_drop_copy, history (the ClOrdIDs put in orders,
# oldest first); made as Account(owner_id, state, is_drop_copy).

#: ClOrdIDs each session remembers by default (Gateway ``history_limit``, ``fix.max_cl_ord_ids``)
HISTORY_LIMIT = 100_000


class Gateway:
    """Apply FIX order entry to a matching engine and report back.

    Args:
        engine: the matching engine (the gateway is its only caller).
        clock: where command timestamps come from (a WallClock live).
        sessions: (session state, is_drop_copy) per configured session, in configuration order;
            trading sessions get owner ids 1, 2, ... in that order.
        publisher: anything with ``publish(events)``, called with the EVENT_DTYPE records of every
            command (the market-data feed), or None; one that also has ``publish_bytes(records)`` gets
            the packed records as bytes instead.
        metrics: shared counters.
        lane: take plain new orders and cancels through the compiled lane (``_lane.c``) when the
            engine is the compiled one and the publisher takes bytes; False runs everything here.
            Either way the same bytes go out and the same state is left (tests/unit/venue).
        history_limit: ClOrdIDs each session's table remembers (:meth:`_remember`): every live
            order's, and the newest of closed orders' up to this many in all. A duplicate of a
            forgotten ClOrdID is a new order, a cancel naming one an unknown order.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        clock: Clock,
        sessions: Sequence[tuple[SessionState, bool]],
        publisher=None,
        metrics: Counter | None = None,
        lane: bool = True,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        self.engine = engine
        self.instruments: tuple[Instrument, ...] = engine.instruments
        self._clock = clock
        self.metrics: Counter = metrics if metrics is not None else Counter()
        self.accounts: dict[tuple[str, str], Account] = {}
        self._by_state: dict[SessionState, Account] = {}  # the same accounts by state object (hot path)
        self._by_owner: dict[int, Account] = {}
        self._drop_copies: list[SessionState] = []
        owner_id = 0
        for state, is_drop_copy in sessions:
            if is_drop_copy:
                account = Account(0, state, True)
                self._drop_copies.append(state)
            else:
                owner_id += 1
                account = Account(owner_id, state, False)
                self._by_owner[owner_id] = account
            self.accounts[(state.local_comp_id, state.remote_comp_id)] = account
            self._by_state[state] = account
        self._symbol_ids = {ins.symbol: ins.symbol_id for ins in self.instruments}
        self._symbols = [ins.symbol for ins in self.instruments]
        self._price_texts: list[dict[int, str]] = [{} for _ in self.instruments]  # ticks -> Price (44)
        self._formats = [PriceFormat(ins.tick_size) for ins in self.instruments]
        self._ticks_cache: list[dict[str, int | None]] = [{} for _ in self.instruments]
        self._orders: dict[int, _Order] = {}  # live orders by engine order id
        self._handlers = {"D": self._on_new_order, "F": self._on_cancel, "G": self._on_replace}
        self._event_handlers = {
            EventKind.ACCEPTED: self._on_accepted,
            EventKind.REJECTED: self._on_rejected,
            EventKind.FILLED: self._on_filled,
            EventKind.CANCELED: self._on_canceled,
            EventKind.REPLACED: self._on_replaced,
            EventKind.EXPIRED: self._on_expired,
        }
        # the command being applied: kind, its order, the request's ClOrdIDs
        self._kind = 0
        self._pending: _Order | None = None
        self._now_ns = 0  # when on_message took up the current request (one clock read per request)
        self._request_cl_ord_id = ""
        self._request_orig_cl_ord_id = ""
        side_map, ord_type_map, tif_map = CODE_MAPS
        # the compiled lane; it also keeps the sequence and ExecID counters (last_seq, _exec_id)
        self._lane = Lane(
            fallback=self.on_message,  # the class's: everything the lane does not take
            finish=self._finish,
            by_state=self._by_state,
            symbol_ids=self._symbol_ids,
            ticks_caches=self._ticks_cache,
            price_texts=self._price_texts,
            symbols=self._symbols,
            orders=self._orders,
            metrics=self.metrics,
            drop_copies=self._drop_copies,
            side_map=side_map,
            ord_type_map=ord_type_map,
            tif_map=tif_map,
            clock_now=clock.now_ns,
            engine_new_order=engine.new_order,
            engine_cancel=engine.cancel,
            engine_events=engine.last_events_bytes,
            parse_new_order=_parse_new_order,
            parse_cancel=_parse_cancel,
            price_text=self._price_text,
            avg_px=self._avg_px,
            limit=_LIMIT,
        )
        self._lane.history_limit = history_limit
        self._lane_wanted = lane and type(self) is Gateway and engine.__class__ is MatchingEngine
        self.publisher = publisher  # installs the lane when it can take the commands

    @property
    def publisher(self):
        """Where each command's events go (see the class docstring), or None."""
        return self._publisher

    @publisher.setter
    def publisher(self, publisher) -> None:
        self._publisher = publisher
        publish_bytes = getattr(publisher, "publish_bytes", None) if publisher is not None else None
        self._publish_bytes = publish_bytes
        self._lane.set_publisher(publish_bytes)
        if self._lane_wanted and (publisher is None or publish_bytes is not None):
            self.on_message = self._lane.on_message  # the server looks on_message up on the instance
        else:
            self.__dict__.pop("on_message", None)

    @property
    def has_lane(self) -> bool:
        """True when plain new orders and cancels go through the compiled lane."""
        return "on_message" in self.__dict__

    @property
    def last_seq(self) -> int:
        """The sequence number of the last command applied."""
        return self._lane.last_seq

    @last_seq.setter
    def last_seq(self, seq: int) -> None:
        self._lane.last_seq = seq

    @property
    def history_limit(self) -> int:
        """ClOrdIDs each session remembers (the ``history_limit`` argument)."""
        return self._lane.history_limit

    @property
    def _exec_id(self) -> int:
        return self._lane.exec_id

    @_exec_id.setter
    def _exec_id(self, exec_id: int) -> None:
        self._lane.exec_id = exec_id

    # ------------------------------------------------------------ entry

    def on_message(self, session: FixSession, msg: FixMessage) -> None:
        """Apply one in-sequence application message received on ``session``."""
        state = session.state
        account = self._by_state.get(state) or self.accounts[(state.local_comp_id, state.remote_comp_id)]
        handler = self._handlers.get(msg.msg_type)
        now_ns = self._now_ns = self._clock.now_ns()  # the command's timestamp too (see _stamp)
        if handler is None:
            self.metrics["unsupported_msg_type"] += 1
            session.reject(
                msg,
                now_ns,
                reason=_SESSION_REJECT_INVALID_MSG_TYPE,
                tag=35,
                text=f"MsgType {msg.msg_type} not supported",
            )
            return
        if account.is_drop_copy:
            self.metrics["drop_copy_orders_refused"] += 1
            session.reject(
                msg, now_ns, reason=_SESSION_REJECT_OTHER, text="drop-copy session enters no orders"
            )
            return
        try:
            handler(account, msg, now_ns)
        except FixParseError as e:
            self.metrics["application_rejects"] += 1
            session.reject(e, now_ns)

    def digest(self) -> str:
        """Return the engine's state digest (books and id counters)."""
        return self.engine.digest()

    def _stamp(self) -> tuple[int, int]:
        """The next sequence number and the time :meth:`on_message` took up the request."""
        self.last_seq += 1
        return self.last_seq, self._now_ns

    def _remember(self, account: Account, cl_ord_id: str, order: _Order) -> None:
        """``account.orders[cl_ord_id] = order``, the table bounded by ``history_limit``.

        Each ClOrdID put in the table joins the account's history; past the limit the oldest are
        taken off it (two at most per call): a closed order's ClOrdID is forgotten, a live one's
        goes to the back. The table holds every live order, and closed orders' ClOrdIDs for
        duplicates and late cancels as long as there is room, without growing with the day (a
        table of millions of entries cost memory and a pause of tens of ms at each doubling).
        """
        orders = account.orders
        orders[cl_ord_id] = order
        history = account.history
        history.append(cl_ord_id)
        limit = self._lane.history_limit
        for _ in range(2):
            if len(history) <= limit:
                break
            old = history.popleft()
            held = orders.get(old)
            if held is None:
                continue  # forgotten already (a refused order's)
            if held.order_id == 0 or held.order_id in self._orders:
                history.append(old)
            else:
                del orders[old]

    def _ticks(self, symbol_id: int, price: str) -> int | None:
        cache = self._ticks_cache[symbol_id]
        ticks = cache.get(price, -1)
        if ticks == -1:
            ticks = self._formats[symbol_id].to_ticks(price)
            if len(cache) < 100_000:
                cache[price] = ticks
        return ticks

    def _apply_events(self) -> None:
        engine = self.engine
        publisher = self._publisher
        if engine.__class__ is MatchingEngine:  # its last_event* are the compiled readers themselves
            if publisher is not None:
                publish_bytes = self._publish_bytes  # looked up once, when the publisher was set
                if publish_bytes is not None:
                    publish_bytes(engine.last_events_bytes())  # packed records, no array
                else:
                    publisher.publish(engine.last_events())
            records = engine.last_event_tuples()  # made in C, not through the array's tolist()
        else:
            events = engine.last_events()
            if publisher is not None:
                publisher.publish(events)
            records = events.tolist()
        self._dispatch(records)

    def _finish(self, kind: int, order: _Order, cl_ord_id: str, orig_cl_ord_id: str, records: bytes) -> None:
        """Report a command the lane applied but does not report itself (its packed events ``records``),
        in the state the request handlers here would have left."""
        self._kind = kind
        self._pending = order
        if kind != _NEW:
            self._request_cl_ord_id = cl_ord_id
            self._request_orig_cl_ord_id = orig_cl_ord_id
        self._dispatch(event_tuples(records))
        self._pending = None

    def _dispatch(self, records: list[tuple]) -> None:
        handlers = self._event_handlers
        for rec in records:
            handler = handlers.get(rec[12])
            if handler is not None:
                handler(rec)

    # ------------------------------------------------------------ requests

    def _on_new_order(self, account: Account, msg: FixMessage, now_ns: int) -> None:
        cl_ord_id, symbol, side, _, order_qty, order_type, price, tif, is_post_only, _ = new_order_values(msg)
        self.metrics["new_orders"] += 1
        symbol_id = self._symbol_ids.get(symbol)
        order = _Order(
            account, cl_ord_id, symbol_id if symbol_id is not None else -1, side, order_qty, 0, order_type
        )
        if cl_ord_id in account.orders:
            self._reject_new(order, 6, "duplicate ClOrdID", now_ns, symbol=symbol)
            return
        if symbol_id is None:
            self._reject_new(order, 1, f"unknown symbol {symbol}", now_ns, symbol=symbol)
            return
        if order_type == _LIMIT:
            price_ticks = self._ticks(symbol_id, price)
            if price_ticks is None:
                self._reject_new(order, 99, f"price {price} is not on the tick grid", now_ns)
                return
            order.price_ticks = price_ticks
        self._remember(account, cl_ord_id, order)
        client_order_id = account.next_client_order_id
        account.next_client_order_id = client_order_id + 1
        seq, ts = self._stamp()
        self._kind = _NEW
        self._pending = order
        self.engine.new_order(
            seq,
            ts,
            symbol_id,
            side,
            order_type,
            tif,
            is_post_only,
            order.price_ticks,
            order_qty,
            account.owner_id,
            client_order_id,
        )
        self._apply_events()
        self._pending = None

    def _lookup(
        self, account: Account, orig_cl_ord_id: str, cl_ord_id: str, response_to: int, now_ns: int
    ) -> _Order | None:
        """Find the live order a cancel or replace names, or send the OrderCancelReject."""
        order = account.orders.get(orig_cl_ord_id)
        reason, text = _CXL_OTHER, ""
        if cl_ord_id in account.orders:
            reason, text = _CXL_DUPLICATE_CL_ORD_ID, "duplicate ClOrdID"
        elif order is None:
            reason, text = _CXL_UNKNOWN_ORDER, f"unknown OrigClOrdID {orig_cl_ord_id}"
        elif order.order_id == 0 or order.order_id not in self._orders:
            reason, text = _CXL_TOO_LATE, "order is no longer open"
        else:
            return order
        self._cancel_reject(account, order, cl_ord_id, orig_cl_ord_id, response_to, reason, text, now_ns)
        return None

    def _on_cancel(self, account: Account, msg: FixMessage, now_ns: int) -> None:
        orig_cl_ord_id, cl_ord_id = cancel_values(msg)[:2]
        self.metrics["cancels"] += 1
        order = self._lookup(account, orig_cl_ord_id, cl_ord_id, 1, now_ns)
        if order is None:
            return
        seq, ts = self._stamp()
        self._kind = _CANCEL
        self._pending = order
        self._request_cl_ord_id = cl_ord_id
        self._request_orig_cl_ord_id = orig_cl_ord_id
        self.engine.cancel(seq, ts, order.symbol_id, order.order_id, account.owner_id, 0)
        self._apply_events()
        self._pending = None

    def _on_replace(self, account: Account, msg: FixMessage, now_ns: int) -> None:
        req = parse_order_cancel_replace_request(msg)
        self.metrics["replaces"] += 1
        order = self._lookup(account, req.orig_cl_ord_id, req.cl_ord_id, 2, now_ns)
        if order is None:
            return
        new_leaves = req.order_qty - order.cum_qty
        price_ticks = None
        if req.order_type == OrderType.LIMIT:
            price_ticks = self._ticks(order.symbol_id, req.price)
        text = ""
        if new_leaves <= 0:
            text = f"OrderQty {req.order_qty} must exceed CumQty {order.cum_qty}"
        elif req.order_type != OrderType.LIMIT or order.order_type != OrderType.LIMIT:
            text = "only limit orders can be replaced"
        elif price_ticks is None:
            text = f"price {req.price} is not on the tick grid"
        if text:
            self._cancel_reject(
                account, order, req.cl_ord_id, req.orig_cl_ord_id, 2, _CXL_OTHER, text, now_ns
            )
            return
        client_order_id = account.next_client_order_id
        account.next_client_order_id = client_order_id + 1
        seq, ts = self._stamp()
        self._kind = _REPLACE
        self._pending = order
        self._request_cl_ord_id = req.cl_ord_id
        self._request_orig_cl_ord_id = req.orig_cl_ord_id
        self.engine.replace(
            seq,
            ts,
            order.symbol_id,
            order.order_id,
            account.owner_id,
            client_order_id,
            price_ticks,
            new_leaves,
        )
        self._apply_events()
        self._pending = None

    # ------------------------------------------------------------ events

    def _on_accepted(self, rec: tuple) -> None:
        order = self._pending
        order.order_id = rec[2]
        self._orders[rec[2]] = order
        self._report(order, ExecType.NEW, OrdStatus.NEW, rec[8], rec[1])

    def _on_rejected(self, rec: tuple) -> None:
        order = self._pending
        reason = rec[15]
        self.metrics["engine_rejects"] += 1
        if self._kind == _NEW:
            del order.account.orders[order.cl_ord_id]
            self._reject_new(order, ORD_REJ_REASON.get(reason, 99), RejectReason(reason).name, rec[1])
            return
        cxl_reason = _CXL_UNKNOWN_ORDER if reason == RejectReason.UNKNOWN_ORDER else _CXL_OTHER
        self._cancel_reject(
            order.account,
            order,
            self._request_cl_ord_id,
            self._request_orig_cl_ord_id,
            1 if self._kind == _CANCEL else 2,
            cxl_reason,
            RejectReason(reason).name,
            rec[1],
        )

    def _on_filled(self, rec: tuple) -> None:
        order = self._orders[rec[2]]
        qty = rec[7]
        order.cum_qty += qty
        order.notional_ticks += qty * rec[6]
        leaves = rec[8]
        if leaves == 0:
            order.status = OrdStatus.FILLED
            del self._orders[rec[2]]
        else:
            order.status = OrdStatus.PARTIALLY_FILLED
        self.metrics["fills"] += 1
        self._report(
            order,
            ExecType.TRADE,
            order.status,
            leaves,
            rec[1],
            last_qty=qty,
            last_px=self._formats[order.symbol_id].format(rec[6]),
        )

    def _on_canceled(self, rec: tuple) -> None:
        order = self._orders[rec[2]]
        leaves = rec[8]
        orig = None
        if self._kind == _CANCEL and self._pending is order:
            orig = order.cl_ord_id
            order.cl_ord_id = self._request_cl_ord_id
            self._remember(order.account, order.cl_ord_id, order)
        if leaves:
            order.order_qty -= rec[7]
            self._report(order, _RESTATED, order.status, leaves, rec[1], text=RejectReason(rec[15]).name)
            return
        order.status = OrdStatus.CANCELED
        del self._orders[rec[2]]
        self._report(
            order,
            ExecType.CANCELED,
            OrdStatus.CANCELED,
            0,
            rec[1],
            orig_cl_ord_id=orig,
            text=None if orig else RejectReason(rec[15]).name,
        )

    def _on_replaced(self, rec: tuple) -> None:
        order = self._orders[rec[2]]
        orig = order.cl_ord_id
        order.cl_ord_id = self._request_cl_ord_id
        self._remember(order.account, order.cl_ord_id, order)
        order.price_ticks = rec[6]
        order.order_qty = order.cum_qty + rec[8]
        self._report(order, ExecType.REPLACED, order.status, rec[8], rec[1], orig_cl_ord_id=orig)

    def _on_expired(self, rec: tuple) -> None:
        order = self._orders.pop(rec[2], None) or self._pending
        order.status = OrdStatus.EXPIRED
        self._report(order, ExecType.EXPIRED, OrdStatus.EXPIRED, 0, rec[1], text=RejectReason(rec[15]).name)

    # ------------------------------------------------------------ reports

    def _next_exec_id(self) -> str:
        """ExecID (17) of the next report: a venue-wide counter (the journaled gateway overrides it)."""
        self._exec_id += 1
        return str(self._exec_id)

    def _price_text(self, symbol_id: int, price_ticks: int) -> str:
        texts = self._price_texts[symbol_id]
        text = texts.get(price_ticks)
        if text is None:
            text = self._formats[symbol_id].format(price_ticks)
            if len(texts) < 100_000:
                texts[price_ticks] = text
        return text

    def _avg_px(self, order: _Order) -> str:
        cum = order.cum_qty
        if cum == 0:
            return "0"
        notional = order.notional_ticks
        if notional % cum == 0:
            return self._formats[order.symbol_id].format(notional // cum)
        tick = Decimal(self.instruments[order.symbol_id].tick_size)
        return str((Decimal(notional) * tick / cum).quantize(tick.scaleb(-4)))

    def _report(
        self,
        order: _Order,
        exec_type: str,
        ord_status: str,
        leaves_qty: int,
        ts_ns: int,
        *,
        last_qty: int = 0,
        last_px: str | None = None,
        orig_cl_ord_id: str | None = None,
        text: str | None = None,
    ) -> None:
        symbol_id = order.symbol_id
        cum_qty = order.cum_qty
        report = (  # an ExecutionReport's values in REPORT_VALUES order (cheaper than the struct)
            str(order.order_id),
            order.cl_ord_id,
            orig_cl_ord_id,
            self._next_exec_id(),
            exec_type,
            ord_status,
            None,
            self._symbols[symbol_id],
            order.side,
            order.order_qty,
            self._price_text(symbol_id, order.price_ticks) if order.order_type == _LIMIT else None,
            last_qty,
            last_px,
            leaves_qty,
            cum_qty,
            self._avg_px(order) if cum_qty else "0",
            ts_ns,
            text,
        )
        self._send_report(order.account, report, ts_ns)

    def _send_report(self, account: Account, report: ExecutionReport | tuple, ts_ns: int) -> None:
        account.state.send_report(report, ts_ns)
        for state in self._drop_copies:
            state.send_report(report, ts_ns)

    def _reject_new(
        self, order: _Order, ord_rej_reason: int, text: str, ts_ns: int, symbol: str = ""
    ) -> None:
        self.metrics["order_rejects"] += 1
        report = ExecutionReport(
            order_id="NONE",
            cl_ord_id=order.cl_ord_id,
            exec_id=self._next_exec_id(),
            exec_type=ExecType.REJECTED,
            ord_status=OrdStatus.REJECTED,
            symbol=symbol or self.instruments[order.symbol_id].symbol,
            side=order.side,
            order_qty=order.order_qty,
            leaves_qty=0,
            cum_qty=0,
            avg_px="0",
            transact_time_ns=ts_ns,
            ord_rej_reason=ord_rej_reason,
            text=text,
        )
        self._send_report(order.account, report, ts_ns)

    def _cancel_reject(
        self,
        account: Account,
        order: _Order | None,
        cl_ord_id: str,
        orig_cl_ord_id: str,
        response_to: int,
        reason: int,
        text: str,
        ts_ns: int,
    ) -> None:
        self.metrics["cancel_rejects"] += 1
        reject = OrderCancelReject(
            order_id=str(order.order_id) if order is not None and order.order_id else "NONE",
            cl_ord_id=cl_ord_id,
            orig_cl_ord_id=orig_cl_ord_id,
            ord_status=order.status if order is not None else OrdStatus.REJECTED,
            cxl_rej_response_to=response_to,
            cxl_rej_reason=reason,
            transact_time_ns=ts_ns,
            text=text,
        )
        account.state.send_with(encode_order_cancel_reject, reject, ts_ns)
