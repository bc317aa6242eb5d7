"""Order entry over real FIX sockets on 127.0.0.1, with simplefix as the independent client."""

from __future__ import annotations

REQUIRED_ER_TAGS = (37, 11, 17, 150, 39, 55, 54, 38, 151, 14, 6, 60)


def check_er(msg, exec_type: bytes, ord_status: bytes) -> None:
    assert msg.get(35) == b"8", msg
    for tag in REQUIRED_ER_TAGS:
        assert msg.get(tag) is not None, f"tag {tag} missing in {msg}"
    assert (msg.get(150), msg.get(39)) == (exec_type, ord_status), msg


def test_venue_order_life_cycle_fill_replace_cancel_reject(clients):
    a, b, dc = clients("A"), clients("B"), clients("DC")
    for c in (a, b, dc):
        c.logon()
    a.new_order("a1", 1, 100, "10.00")
    new = a.recv_type(b"8")
    check_er(new, b"0", b"0")
    assert new.get(11) == b"a1" and new.get(151) == b"100" and new.get(14) == b"0" and new.get(44) == b"10.00"

    b.new_order("b1", 2, 40, "10.00")
    check_er(b.recv_type(b"8"), b"0", b"0")
    fill_b = b.recv_type(b"8")
    check_er(fill_b, b"F", b"2")
    assert (fill_b.get(32), fill_b.get(31), fill_b.get(14), fill_b.get(6)) == (
        b"40",
        b"10.00",
        b"40",
        b"10.00",
    )
    fill_a = a.recv_type(b"8")
    check_er(fill_a, b"F", b"1")
    assert (fill_a.get(32), fill_a.get(14), fill_a.get(151), fill_a.get(11)) == (b"40", b"40", b"60", b"a1")

    # replace: OrderQty is the new total (80), so 40 stay open after the 40 filled
    a.send(
        "G",
        [
            (41, "a1"),
            (11, "a2"),
            (55, "SIM"),
            (54, 1),
            (60, "20240102-10:00:01.000"),
            (38, 80),
            (40, 2),
            (44, "10.01"),
        ],
    )
    replaced = a.recv_type(b"8")
    check_er(replaced, b"5", b"1")
    assert (replaced.get(11), replaced.get(41), replaced.get(38), replaced.get(151), replaced.get(44)) == (
        b"a2",
        b"a1",
        b"80",
        b"40",
        b"10.01",
    )

    a.send("F", [(41, "a2"), (11, "a3"), (55, "SIM"), (54, 1), (60, "20240102-10:00:02.000"), (38, 80)])
    canceled = a.recv_type(b"8")
    check_er(canceled, b"4", b"4")
    assert (canceled.get(11), canceled.get(41), canceled.get(151), canceled.get(14)) == (
        b"a3",
        b"a2",
        b"0",
        b"40",
    )

    a.send("F", [(41, "a3"), (11, "a4"), (55, "SIM"), (54, 1), (60, "20240102-10:00:03.000"), (38, 80)])
    too_late = a.recv_type(b"9")
    assert (too_late.get(434), too_late.get(102), too_late.get(39)) == (b"1", b"0", b"4")
    a.send("F", [(41, "nope"), (11, "a5"), (55, "SIM"), (54, 1), (60, "20240102-10:00:03.000"), (38, 1)])
    unknown = a.recv_type(b"9")
    assert (unknown.get(37), unknown.get(102), unknown.get(41)) == (b"NONE", b"1", b"nope")

    a.new_order("a6", 1, 10, "10.00", symbol="NOPE")
    rejected = a.recv_type(b"8")
    check_er(rejected, b"8", b"8")
    assert rejected.get(103) == b"1"
    a.new_order("a7", 1, 10, "10.003")
    assert a.recv_type(b"8").get(103) == b"99"
    a.new_order("a8", 1, 10, "10.02", symbol="ALT")  # ALT trades in 0.05
    assert a.recv_type(b"8").get(103) == b"99"
    a.new_order("a1", 1, 10, "10.00")  # ClOrdID already used
    assert a.recv_type(b"8").get(103) == b"6"

    # drop copy: every execution report of both sessions, in order
    sent = [m for m in a.received + b.received if m.get(35) == b"8"]
    copies = [dc.recv_type(b"8") for _ in sent]
    assert sorted(m.get(17) for m in copies) == sorted(m.get(17) for m in sent)


def test_venue_missing_required_tag_session_reject(clients):
    a = clients("A")
    a.logon()
    a.send("D", [(11, "x1"), (55, "SIM"), (54, 1), (38, 10), (40, 2), (44, "1.00")])  # no TransactTime
    reject = a.recv_type(b"3")
    assert (reject.get(373), reject.get(371), reject.get(45)) == (b"1", b"60", b"2")
    a.new_order("x2", 1, 10, "1.00")
    check_er(a.recv_type(b"8"), b"0", b"0")


def test_venue_drop_copy_session_enters_no_orders(clients):
    dc = clients("DC")
    dc.logon()
    dc.new_order("d1", 1, 10, "1.00")
    assert dc.recv_type(b"3").get(373) == b"99"


def test_venue_market_ioc_remainder_expired(clients):
    a, b = clients("A"), clients("B")
    a.logon()
    b.logon()
    a.new_order("m1", 2, 5, "20.00")
    a.recv_type(b"8")
    b.send(
        "D",
        [
            (11, "m2"),
            (55, "SIM"),
            (54, 1),
            (60, "20240102-10:00:00.000"),
            (38, 8),
            (40, 2),
            (44, "20.00"),
            (59, 3),
        ],
    )
    check_er(b.recv_type(b"8"), b"0", b"0")
    check_er(b.recv_type(b"8"), b"F", b"1")
    expired = b.recv_type(b"8")
    check_er(expired, b"C", b"C")
    assert (expired.get(14), expired.get(151)) == (b"5", b"0")
