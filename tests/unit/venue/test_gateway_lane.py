"""The gateway's compiled lane (_lane.c) against the Python gateway it accelerates.

The same random order flow (limit and market orders, IOC, post-only, crossing prices, off-tick
prices, unknown symbols, duplicate ClOrdIDs, cancels and replaces of live, filled, unknown and
other sessions' orders) goes through a gateway with the lane and one without; every byte each
session receives, every record published, the counters and the state left must be equal.
"""

from __future__ import annotations

import gc
import random
import weakref

import pytest
from hftsim.net.venue._lane import ClOrdTable

from hftsim.core.instrument import Instrument
from hftsim.matching.engine import MatchingEngine
from hftsim.net.fix.admin import encode_logon
from hftsim.net.fix.codec import FixEncoder
from hftsim.net.fix.session import FixSession, SequenceStore
from hftsim.net.venue.gateway import Account, Gateway, _Order

T0 = 1_700_000_000_000_000_000
PAIRS = [("V", "A"), ("V", "B"), ("V", "DC")]
ORDER_FIELDS = (
    "order_id", "account", "cl_ord_id", "symbol_id", "side", "order_qty", "cum_qty", "notional_ticks",
    "price_ticks", "order_type", "status",
)  # fmt: skip


class SteppingClock:
    """Each read is 1 µs after the last: a different number of reads shows in the timestamps."""

    def __init__(self) -> None:
        self.t = T0

    def now_ns(self) -> int:
        self.t += 1_000
        return self.t


class BytesPublisher:
    """Keeps every command's packed event records."""

    def __init__(self) -> None:
        self.records: list[bytes] = []

    def publish(self, events) -> None:  # pragma: no cover - the gateway uses publish_bytes
        raise AssertionError("publish_bytes expected")

    def publish_bytes(self, records: bytes) -> None:
        self.records.append(bytes(records))


class Venue:
    """A gateway with its in-memory sessions (no sockets)."""

    def __init__(self, lane: bool, publisher: bool = True, history_limit: int = 100_000) -> None:
        self.store = SequenceStore()
        self.publisher = BytesPublisher() if publisher else None
        instruments = [
            Instrument(symbol="SIM", tick_size="0.01"),
            Instrument(symbol="ALT", symbol_id=1, tick_size="0.05"),
        ]
        self.gateway = Gateway(
            MatchingEngine(instruments),
            SteppingClock(),
            [(self.store.get(*p), p[1] == "DC") for p in PAIRS],
            self.publisher,
            lane=lane,
            history_limit=history_limit,
        )
        self.sessions = {}
        for local, remote in PAIRS:
            s = FixSession(self.store, now_ns=T0, allowed_pairs=set(PAIRS))
            s.receive(encode_logon(FixEncoder(remote, local), 1, T0, heart_bt_int_s=30), T0)
            s.take_output()
            self.sessions[remote] = s
        self.python_handled = 0
        new_order = self.gateway._handlers["D"]

        def counting(*args):
            self.python_handled += 1
            return new_order(*args)

        self.gateway._handlers["D"] = counting

    def send(self, who: str, raw: bytes) -> bytes:
        s = self.sessions[who]
        for msg in s.receive(raw, T0):
            self.gateway.on_message(s, msg)
        return s.take_output()

    def state(self) -> dict:
        g = self.gateway
        accounts = {
            key: (a.owner_id, a.next_client_order_id, a.is_drop_copy, list(a.history),
                  {cl: tuple(o.account.owner_id if f == "account" else getattr(o, f) for f in ORDER_FIELDS)
                   for cl, o in a.orders.items()})
            for key, a in g.accounts.items()
        }  # fmt: skip
        return {
            "accounts": accounts,
            "live": sorted(g._orders),
            "metrics": dict(g.metrics),
            "last_seq": g.last_seq,
            "exec_id": g._exec_id,
            "digest": g.digest(),
            "sent": {who: [s.state.sent[n] for n in s.state.sent] for who, s in self.sessions.items()},
        }


def order_flow(seed: int, n: int) -> list[tuple[str, str, str]]:
    """``n`` random (session, MsgType, body) requests of two trading sessions and the drop copy."""
    rng = random.Random(seed)
    when = "20240102-10:00:00.000"
    ids: dict[str, list[str]] = {"A": [], "B": []}
    flow = []
    for i in range(n):
        who = rng.choice("AAAABBBBD") if i else "A"
        who = "DC" if who == "D" else who
        mine = ids.get(who) or ids["A"] or ["none"]
        symbol, tick = rng.choice([("SIM", 0.01)] * 4 + [("ALT", 0.05), ("XYZ", 0.01)])
        side = rng.choice("12")
        qty = rng.choice([1, 2, 5, 10, 20, 100])
        price = f"{1.0 + tick * rng.randint(-3, 3):.2f}" if rng.random() > 0.05 else "1.005"
        r = rng.random()
        if r < 0.55 or len(mine) < 2:
            cl = f"{who}{i}" if rng.random() > 0.03 else rng.choice(mine)
            ids.setdefault(who, []).append(cl)
            body = f"11={cl}\x0155={symbol}\x0154={side}\x0160={when}\x0138={qty}\x01"
            if rng.random() < 0.08:
                body += "40=1\x01"  # market
            else:
                body += f"40=2\x0144={price}\x01"
            if rng.random() < 0.1:
                body += "59=3\x01"  # IOC
            if rng.random() < 0.1:
                body += "18=6\x01"  # post-only
            flow.append((who, "D", body))
        else:
            orig = rng.choice(mine) if rng.random() > 0.05 else "unknown"
            cl = f"{who}c{i}" if rng.random() > 0.03 else rng.choice(mine)
            ids.setdefault(who, []).append(cl)
            body = f"41={orig}\x0111={cl}\x0155={symbol}\x0154={side}\x0160={when}\x0138={qty}\x01"
            if r < 0.9:
                flow.append((who, "F", body))
            else:
                flow.append((who, "G", body + f"40=2\x0144={price}\x01"))
    return flow


def run_both(flow, publisher: bool = True, history_limit: int = 100_000) -> tuple[Venue, Venue]:
    fast = Venue(lane=True, publisher=publisher, history_limit=history_limit)
    slow = Venue(lane=False, publisher=publisher, history_limit=history_limit)
    assert fast.gateway.has_lane and not slow.gateway.has_lane
    seqs = {who: 2 for _, who in PAIRS}
    for who, msg_type, body in flow:
        raw = FixEncoder(who, "V").encode_body(msg_type, seqs[who], T0, body)
        seqs[who] += 1
        assert fast.send(who, raw) == slow.send(who, raw), (who, msg_type, body)
    return fast, slow


@pytest.mark.parametrize("seed", range(12))
def test_lane_sends_and_leaves_exactly_what_the_python_gateway_does(seed):
    fast, slow = run_both(order_flow(seed, 400))
    assert fast.publisher.records == slow.publisher.records
    assert fast.state() == slow.state()
    assert fast.python_handled < slow.python_handled  # the lane took orders itself


@pytest.mark.parametrize("seed", range(6))
def test_lane_forgets_the_same_closed_orders_as_the_python_gateway(seed):
    fast, slow = run_both(order_flow(100 + seed, 400), history_limit=9)
    assert fast.state() == slow.state()
    assert max(len(a.orders) for a in fast.gateway.accounts.values()) < 60  # bounded, not ~200


@pytest.mark.parametrize("lane", [True, False])
def test_closed_orders_clordids_are_forgotten_past_the_limit_live_ones_never(lane):
    venue = Venue(lane=lane, history_limit=3)
    when = "20240102-10:00:00.000"

    def order(cl: str, side: str = "1", px: str = "1.00") -> tuple[str, str]:
        body = f"11={cl}\x0155=SIM\x0154={side}\x0160={when}\x0138=10\x0140=2\x0144={px}\x01"
        return ("D", body)

    def cancel(orig: str, cl: str) -> tuple[str, str]:
        return ("F", f"41={orig}\x0111={cl}\x0155=SIM\x0154=1\x0160={when}\x0138=10\x01")

    seq = iter(range(2, 100))
    for msg_type, body in [order("keep"), order("gone"), cancel("gone", "gone-c")] + [
        order(f"n{i}", px="0.90") for i in range(4)
    ]:
        venue.send("A", FixEncoder("A", "V").encode_body(msg_type, next(seq), T0, body))
    table = venue.gateway.accounts[("V", "A")].orders
    assert "keep" in table and "gone" not in table and "gone-c" not in table  # live kept, closed forgotten
    again = venue.send("A", FixEncoder("A", "V").encode_body("D", next(seq), T0, order("gone")[1]))
    assert b"\x01150=0\x01" in again  # a forgotten ClOrdID is a new order now
    late = venue.send("A", FixEncoder("A", "V").encode_body("F", next(seq), T0, cancel("gone-c", "x")[1]))
    assert b"\x0135=9\x01" in late and b"\x01102=1\x01" in late  # unknown order, not too late


def test_lane_without_a_publisher():
    fast, slow = run_both(order_flow(99, 300), publisher=False)
    assert fast.state() == slow.state()


def test_lane_steps_aside_for_a_publisher_without_publish_bytes_and_back():
    venue = Venue(lane=True)

    class ArrayPublisher:
        def publish(self, events) -> None:
            pass

    venue.gateway.publisher = ArrayPublisher()
    assert not venue.gateway.has_lane
    venue.gateway.publisher = None
    assert venue.gateway.has_lane


def test_lane_counters_are_the_gateways():
    fast, _ = run_both(order_flow(5, 50))
    g = fast.gateway
    g.last_seq = 1234
    g._exec_id = 77
    assert (g._lane.last_seq, g._lane.exec_id) == (1234, 77)


def test_compiled_order_and_account_keep_their_fields():
    account = Account(3, "state", False)
    fields = (account.owner_id, account.state, len(account.orders), account.next_client_order_id)
    assert fields == (3, "state", 0, 1)
    assert isinstance(account.orders, ClOrdTable)
    with pytest.raises(AttributeError):
        account.orders = {}  # the lane takes it for a ClOrdTable
    assert account.is_drop_copy is False
    order = _Order(account, "c1", 0, 1, 10, 100, 1)
    assert [getattr(order, f) for f in ORDER_FIELDS] == [0, account, "c1", 0, 1, 10, 0, 0, 100, 1, "0"]
    order.cum_qty = 4
    assert order.cum_qty == 4
    with pytest.raises(AttributeError):
        order.other = 1  # fixed fields, like __slots__


def test_compiled_order_and_account_cycles_are_collected():
    account = Account(1, "state", False)
    order = _Order(account, "c1", 0, 1, 10, 100, 1)
    account.orders["c1"] = order  # account -> orders -> order -> account
    assert account in gc.get_referents(order) and account.orders in gc.get_referents(account)
    class Marker:
        pass

    marker = Marker()
    account.orders["marker"] = marker  # freed with the cycle, or not at all
    gone = weakref.ref(marker)
    del account, order, marker
    gc.collect()
    assert gone() is None
