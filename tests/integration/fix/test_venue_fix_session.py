"""FIX session rules over real sockets: logon, resend, sequence errors, garbage, reconnects, shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import FixClient, RunningVenue, venue_config


def frame(body: bytes) -> bytes:
    """Wrap ``body`` in BeginString, BodyLength and a correct CheckSum, whatever its fields are."""
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    return head + body + b"10=%03d\x01" % (sum(head + body) % 256)


def test_venue_resend_request_poss_dup_and_gap_fill_for_admin(clients):
    a = clients("A")
    a.logon()  # venue seq 1: Logon
    a.new_order("r1", 1, 10, "5.00")
    er = a.recv_type(b"8")  # venue seq 2
    a.send("1", [(112, "ping")])
    assert a.recv_type(b"0").get(112) == b"ping"  # venue seq 3
    a.send("2", [(7, 1), (16, 0)])
    answers = [a.recv() for _ in range(3)]
    assert [(m.get(35), m.get(34)) for m in answers] == [(b"4", b"1"), (b"8", b"2"), (b"4", b"3")]
    assert answers[0].get(123) == b"Y" and answers[0].get(36) == b"2" and answers[0].get(43) == b"Y"
    assert (
        answers[1].get(43) == b"Y" and answers[1].get(122) == er.get(52) and answers[1].get(17) == er.get(17)
    )
    assert answers[2].get(36) == b"4"


def test_venue_seq_too_high_venue_asks_resend(clients):
    a = clients("A")
    a.logon()
    a.send("0", [], seq=7)
    resend = a.recv_type(b"2")
    assert (resend.get(7), resend.get(16)) == (b"2", b"0")
    a.send("4", [(123, "Y"), (36, 8)], seq=2, header=[(43, "Y"), (122, "20240102-10:00:00.000")])
    a.seq = 8
    a.new_order("h1", 1, 10, "5.00")
    assert a.recv_type(b"8").get(150) == b"0"


def test_venue_seq_too_low_without_poss_dup_logout(clients):
    a = clients("A")
    a.logon()
    a.send("0", [])
    a.send("0", [], seq=2)
    logout = a.recv_type(b"5")
    assert b"MsgSeqNum too low, expecting 3 but received 2" in logout.get(58)
    assert a.is_closed_by_peer()


def test_venue_first_message_not_logon_logout(clients):
    a = clients("A")
    a.new_order("n1", 1, 10, "5.00")
    logout = a.recv()
    assert logout.get(35) == b"5" and b"must be Logon" in logout.get(58)
    assert a.is_closed_by_peer()


def test_venue_unknown_comp_ids_rejected(venue, clients):
    for sender, target in (("ZZZ", "HFTSIM"), ("A", "OTHER")):
        c = clients(sender, target=target)
        c.send("A", [(98, 0), (108, 30)])
        logout = c.recv()
        assert logout.get(35) == b"5" and b"unknown CompID" in logout.get(58)
        assert c.is_closed_by_peer()
    assert venue.call(lambda: venue.server.metrics["unknown_comp_id"]) == 2


def test_venue_garbage_and_bad_checksum_affect_only_that_connection(venue, clients):
    a, b, c = clients("A"), clients("B"), clients("C")
    for client in (a, b, c):
        client.logon()
    a.new_order("g1", 1, 100, "7.00")
    a.recv_type(b"8")
    digest = venue.call(venue.server.gateway.digest)

    good = c.build(
        "D",
        [(11, "bad1"), (55, "SIM"), (54, 2), (60, "20240102-10:00:00.000"), (38, 100), (40, 2), (44, "7.00")],
        seq=2,
    )
    bad_checksum = good[:-4] + b"%03d\x01" % ((int(good[-4:-1]) + 1) % 256)
    c.send_raw(b"\x00\xffnot fix at all\x01" + bad_checksum)
    c.send_raw(frame(b"35=D\x0149=C\x0156=HFTSIM\x0134=2\x0152=20240102-10:00:00.000\x0111=bad2\x01x=1\x01"))
    reject = c.recv_type(b"3")
    assert reject.get(45) == b"2" and reject.get(373) is not None
    assert venue.call(venue.server.gateway.digest) == digest  # nothing reached the engine

    c.seq = 3
    c.send("1", [(112, "alive")])
    assert c.recv_type(b"0").get(112) == b"alive"  # the noisy connection itself survives
    b.new_order("g2", 2, 100, "7.00")
    assert b.recv_type(b"8").get(150) == b"0"
    assert b.recv_type(b"8").get(150) == b"F"  # other sessions keep trading
    assert a.recv_type(b"8").get(150) == b"F"
    metrics = venue.call(lambda: dict(venue.server.metrics))
    assert metrics["garbled"] >= 2 and metrics["session_rejects"] >= 1


def test_venue_sequence_numbers_survive_reconnect(venue, clients):
    a = clients("A")
    a.logon()
    a.new_order("s1", 1, 10, "5.00")
    a.recv_type(b"8")
    a.send("5", [])
    a.recv_type(b"5")
    assert a.is_closed_by_peer()
    again = clients("A", seq=a.seq)
    reply = again.logon()
    assert reply.get(34) == b"4"  # Logon 1, ER 2, Logout 3
    again.new_order("s2", 1, 10, "5.00")
    assert again.recv_type(b"8").get(34) == b"5"
    stale = clients("B")
    stale.logon()
    stale.send("5", [])
    stale.recv_type(b"5")
    low = clients("B", seq=1)
    low.send("A", [(98, 0), (108, 30)])
    assert b"MsgSeqNum too low" in low.recv_type(b"5").get(58)


def test_venue_reports_for_disconnected_session_recovered_by_resend(clients):
    a, b = clients("A"), clients("B")
    a.logon()
    b.logon()
    a.new_order("d1", 1, 10, "5.00")
    a.recv_type(b"8")  # venue seq 2
    a.send("5", [])
    a.recv_type(b"5")  # venue seq 3
    assert a.is_closed_by_peer()
    b.new_order("d2", 2, 10, "5.00")  # fills A's order while A is away: A's seq 4
    b.recv_type(b"8")
    again = clients("A", seq=a.seq)
    reply = again.logon()
    assert reply.get(34) == b"5"
    again.send("2", [(7, 4), (16, 4)])
    fill = again.recv_type(b"8")
    assert (fill.get(34), fill.get(150), fill.get(43), fill.get(11)) == (b"4", b"F", b"Y", b"d1")


def test_venue_state_file_keeps_sequence_numbers_across_restart(tmp_path):
    path = str(tmp_path / "seq.json")
    first = RunningVenue(venue_config(path))
    try:
        a = FixClient(first.port, "A")
        a.logon()
        a.new_order("f1", 1, 10, "5.00")
        a.recv_type(b"8")
        a.close()
        # stop only once the venue has seen the disconnect: a stop before it sends a Logout (seq 3)
        state = first.call(lambda: first.server.store.get("HFTSIM", "A"))
        deadline = time.monotonic() + 5
        while first.call(lambda: state.connection is not None):
            assert time.monotonic() < deadline, "the venue did not see the disconnect"
            time.sleep(0.002)
    finally:
        first.stop()
    second = RunningVenue(venue_config(path))
    try:
        a = FixClient(second.port, "A", seq=3)
        assert a.logon().get(34) == b"3"
        a.close()
    finally:
        second.stop()


@pytest.mark.slow
def test_venue_serve_sigterm_logs_out_clients_and_exits_zero(tmp_path):
    config = tmp_path / "venue.toml"
    config.write_text(
        '[fix]\nport = 0\n[[fix.sessions]]\nsender_comp_id = "A"\ntarget_comp_id = "HFTSIM"\n'
        '[[instruments]]\nsymbol = "SIM"\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "hftsim.net.venue", "serve", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "listening on" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, "venue did not start"
            line = proc.stderr.readline()
        assert "loop=" in line
        port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
        a = FixClient(port, "A")
        a.logon()
        proc.send_signal(signal.SIGTERM)
        logout = a.recv_type(b"5", timeout_s=10)
        assert b"shutting down" in logout.get(58)
        a.send("5", [])
        assert a.is_closed_by_peer()
        assert proc.wait(10) == 0
        rest = proc.stderr.read()
        assert "logon" in rest and "disconnect" in rest and "venue stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_venue_applies_orders_read_together_with_the_logout(venue, clients):
    """Messages accepted in sequence before a Logout in the same read are applied, not dropped."""
    a = clients("A")
    a.logon()  # venue seq 1
    common = [(55, "SIM"), (54, 1), (60, "20240102-10:00:00.000"), (38, 10)]
    order = a.build("D", [(11, "z1"), *common, (40, 2), (44, "5.00")])
    cancel = a.build("F", [(41, "z1"), (11, "z2"), *common])
    logout = a.build("5", [])
    a.send_raw(order + cancel + logout)  # one write: the venue reads all three at once
    reports = [a.recv_type(b"8") for _ in range(2)]  # before the venue's Logout
    assert [(r.get(150), r.get(11)) for r in reports] == [(b"0", b"z1"), (b"4", b"z2")]
    assert a.recv().get(35) == b"5"
    assert a.is_closed_by_peer()
    metrics = venue.call(lambda: dict(venue.server.metrics))
    assert (metrics.get("new_orders"), metrics.get("cancels")) == (1, 1)
    state = venue.call(lambda: venue.server.store.get("HFTSIM", "A"))
    stored = venue.call(lambda: sorted(state.sent))
    assert venue.call(lambda: state.next_in) == 5  # Logon, order, cancel, Logout
    assert stored == [2, 3] and venue.call(lambda: state.next_out) == 5  # Logon 1, reports 2-3, Logout 4
    assert venue.call(lambda: venue.server.gateway.engine.live_orders(0)) == 0


def test_venue_busy_polls_after_input_then_sleeps_again():
    venue = RunningVenue(venue_config(), busy_poll_us=300_000)
    try:
        assert not venue.call(lambda: venue.server.is_spinning)
        a = FixClient(venue.port, "A")
        a.logon()
        a.new_order("s1", 1, 10, "5.00")
        assert a.recv_type(b"8").get(150) == b"0"
        deadline = time.monotonic() + 5
        seen_spinning = venue.call(lambda: venue.server.is_spinning)
        while venue.call(lambda: venue.server.is_spinning):  # 0.3 s after the last input it stops
            assert time.monotonic() < deadline, "the venue kept spinning without input"
            time.sleep(0.005)
        assert seen_spinning
        a.close()
    finally:
        venue.stop()
