"""The gateway without sockets: FIX in through in-memory sessions, reports and publisher calls out."""

from __future__ import annotations

import numpy as np

from hftsim.core.arrays import EVENT_DTYPE
from hftsim.core.clock import SimClock
from hftsim.core.instrument import Instrument
from hftsim.matching.engine import MatchingEngine
from hftsim.net.fix.admin import encode_logon
from hftsim.net.fix.codec import FixEncoder, FixFramer
from hftsim.net.fix.session import FixSession, SequenceStore
from hftsim.net.venue.gateway import Gateway

T0 = 1_700_000_000_000_000_000


class RecordingPublisher:
    """A stand-in for the feed publisher: keeps what it is given."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []

    def publish(self, events: np.ndarray) -> None:
        self.batches.append(events.copy())


def setup():
    store = SequenceStore()
    pairs = [("V", "A"), ("V", "B"), ("V", "DC")]
    publisher = RecordingPublisher()
    gateway = Gateway(
        MatchingEngine([Instrument(symbol="SIM")]),
        SimClock(T0),
        [(store.get(*p), p[1] == "DC") for p in pairs],
        publisher,
    )
    sessions = {}
    for local, remote in pairs:
        s = FixSession(store, now_ns=T0, allowed_pairs=set(pairs))
        enc = FixEncoder(remote, local)
        s.receive(encode_logon(enc, 1, T0, heart_bt_int_s=30), T0)
        s.take_output()
        sessions[remote] = (s, enc, [2])
    return gateway, sessions, publisher


def send(gateway, sessions, who: str, msg_type: str, body: str):
    s, enc, seq = sessions[who]
    for msg in s.receive(enc.encode_body(msg_type, seq[0], T0, body), T0):
        gateway.on_message(s, msg)
    seq[0] += 1
    return FixFramer().feed(s.take_output())


def nos(cl_ord_id: str, side: int, qty: int, price: str) -> str:
    when = "20240102-10:00:00.000"
    return f"11={cl_ord_id}\x0155=SIM\x0154={side}\x0160={when}\x0138={qty}\x0140=2\x0144={price}\x01"


def test_gateway_new_order_fill_reports_and_publisher_called_per_command():
    gateway, sessions, publisher = setup()
    [new] = send(gateway, sessions, "A", "D", nos("a1", 1, 10, "1.00"))
    assert (new.get(150), new.get(37), new.get(151)) == (b"0", b"1", b"10")
    b_msgs = send(gateway, sessions, "B", "D", nos("b1", 2, 4, "1.00"))
    assert [m.get(150) for m in b_msgs] == [b"0", b"F"]
    a_fill = FixFramer().feed(sessions["A"][0].take_output())
    assert [(m.get(150), m.get(39), m.get(14)) for m in a_fill] == [(b"F", b"1", b"4")]
    assert len(publisher.batches) == 2 and all(b.dtype == EVENT_DTYPE for b in publisher.batches)
    dc = FixFramer().feed(sessions["DC"][0].take_output())
    assert [m.get(150) for m in dc] == [b"0", b"0", b"F", b"F"]
    assert gateway.last_seq == 2


def test_gateway_replace_qty_is_total_minus_cum_and_avg_px():
    gateway, sessions, _ = setup()
    send(gateway, sessions, "A", "D", nos("a1", 1, 10, "1.00"))
    send(gateway, sessions, "B", "D", nos("b1", 2, 3, "1.00"))
    sessions["A"][0].take_output()
    body = "41=a1\x0111=a2\x0155=SIM\x0154=1\x0160=20240102-10:00:00.000\x0138=5\x0140=2\x0144=1.02\x01"
    [replaced] = send(gateway, sessions, "A", "G", body)
    assert (replaced.get(150), replaced.get(38), replaced.get(151), replaced.get(14)) == (
        b"5",
        b"5",
        b"2",
        b"3",
    )
    send(gateway, sessions, "B", "D", nos("b2", 2, 2, "1.02"))
    fills = FixFramer().feed(sessions["A"][0].take_output())
    assert [(m.get(39), m.get(6)) for m in fills] == [(b"2", b"1.008000")]
