"""The FIX session state machine without sockets: bytes in, bytes out, a fake clock."""

from __future__ import annotations

from hftsim.net.fix.admin import (
    encode_heartbeat,
    encode_logon,
    encode_resend_request,
    encode_sequence_reset,
    encode_test_request,
)
from hftsim.net.fix.codec import FixEncoder, FixFramer, FixMessage
from hftsim.net.fix.session import FixSession, SequenceStore, SessionStatus

VENUE, CLIENT = "HFTSIM", "CLIENT1"
S = 1_000_000_000
T0 = 1_700_000_000 * S


def acceptor(store: SequenceStore | None = None, **kwargs) -> FixSession:
    return FixSession(store or SequenceStore(), now_ns=T0, allowed_pairs={(VENUE, CLIENT)}, **kwargs)


def out(session: FixSession) -> list[FixMessage]:
    items = FixFramer().feed(session.take_output())
    assert all(isinstance(m, FixMessage) for m in items), items
    return items


def logged_on(store: SequenceStore | None = None, hb: int = 30) -> tuple[FixSession, FixEncoder]:
    session = acceptor(store)
    enc = FixEncoder(CLIENT, VENUE)
    session.receive(encode_logon(enc, 1, T0, heart_bt_int_s=hb), T0)
    [reply] = out(session)
    assert reply.msg_type == "A" and reply.get(108) == str(hb).encode()
    return session, enc


def order(enc: FixEncoder, seq: int, cl_ord_id: str = "o1", **kw) -> bytes:
    body = f"11={cl_ord_id}\x0155=SIM\x0154=1\x0160=20240101-00:00:00.000\x0138=10\x0140=2\x0144=1.00\x01"
    return enc.encode_body("D", seq, T0, body, **kw)


def test_session_logon_accepted_replies_logon_and_delivers_orders():
    session, enc = logged_on()
    assert session.is_active
    apps = session.receive(order(enc, 2), T0)
    assert [m.msg_type for m in apps] == ["D"]
    assert session.state.next_in == 3 and session.state.next_out == 2


def test_session_first_message_not_logon_logout_and_close():
    session = acceptor()
    assert session.receive(order(FixEncoder(CLIENT, VENUE), 1), T0) == []
    [logout] = out(session)
    assert logout.msg_type == "5" and b"first message must be Logon" in logout.get(58)
    assert session.wants_close and session.metrics["not_logon_first"] == 1


def test_session_unknown_comp_id_logout_and_close():
    session = acceptor()
    session.receive(encode_logon(FixEncoder("STRANGER", VENUE), 1, T0, heart_bt_int_s=30), T0)
    [logout] = out(session)
    assert logout.msg_type == "5" and b"unknown CompID" in logout.get(58)
    assert session.wants_close and session.metrics["unknown_comp_id"] == 1


def test_session_second_logon_same_pair_refused():
    store = SequenceStore()
    first, enc = logged_on(store)
    second = acceptor(store)
    second.receive(encode_logon(enc, 2, T0, heart_bt_int_s=30), T0)
    assert second.wants_close and out(second)[0].msg_type == "5"
    assert first.is_active and second.metrics["duplicate_logon"] == 1


def test_session_seq_too_high_resend_request_and_message_held_back():
    session, enc = logged_on()
    assert session.receive(order(enc, 5), T0) == []
    [resend] = out(session)
    assert resend.msg_type == "2" and resend.get(7) == b"2" and resend.get(16) == b"0"
    assert session.receive(order(enc, 6, "o2"), T0) == []
    assert out(session) == []  # asked once
    assert session.metrics["resend_requests_sent"] == 1


def test_session_seq_too_low_without_poss_dup_logout():
    session, enc = logged_on()
    session.receive(order(enc, 2), T0)
    session.receive(order(enc, 2, "o9"), T0)
    [logout] = out(session)
    assert logout.msg_type == "5" and b"MsgSeqNum too low, expecting 3 but received 2" in logout.get(58)
    assert session.wants_close and session.metrics["seq_too_low"] == 1


def test_session_seq_too_low_with_poss_dup_ignored():
    session, enc = logged_on()
    session.receive(order(enc, 2), T0)
    apps = session.receive(order(enc, 2, poss_dup=True, orig_sending_time_ns=T0), T0)
    assert apps == [] and session.is_active and session.metrics["duplicates_ignored"] == 1


def test_session_resend_request_answers_app_with_poss_dup_and_gap_fills_admin():
    session, enc = logged_on()  # our seq 1: Logon
    session.send_body("8", "37=1\x0111=o1\x01", T0 + S)  # seq 2
    session.receive(encode_test_request(enc, 2, T0, "t1"), T0)  # our seq 3: Heartbeat
    session.send_body("8", "37=2\x0111=o2\x01", T0 + 2 * S)  # seq 4
    out(session)
    session.receive(encode_resend_request(enc, 3, T0 + 5 * S, 1, 0), T0 + 5 * S)
    msgs = out(session)
    assert [(m.msg_type, m.msg_seq_num) for m in msgs] == [("4", 1), ("8", 2), ("4", 3), ("8", 4)]
    assert msgs[0].get(123) == b"Y" and msgs[0].get(36) == b"2" and msgs[0].get(43) == b"Y"
    assert msgs[1].get(43) == b"Y" and msgs[1].get(122) == b"20231114-22:13:21.000"
    assert msgs[1].get(11) == b"o1" and msgs[2].get(36) == b"4"
    assert session.state.next_out == 5


def test_session_gap_fill_moves_expected_forward():
    session, enc = logged_on()
    session.receive(encode_sequence_reset(enc, 2, T0, 7, gap_fill=True), T0)
    assert session.state.next_in == 7
    assert [m.msg_type for m in session.receive(order(enc, 7), T0)] == ["D"]


def test_session_sequence_reset_ignores_seq_and_refuses_going_back():
    session, enc = logged_on()
    session.receive(encode_sequence_reset(enc, 99, T0, 10, gap_fill=False), T0)
    assert session.state.next_in == 10
    session.receive(encode_sequence_reset(enc, 99, T0, 5, gap_fill=False), T0)
    [reject] = out(session)
    assert reject.msg_type == "3" and reject.get(373) == b"5" and session.state.next_in == 10


def test_session_garbled_ignored_malformed_rejected():
    session, enc = logged_on()
    good = order(enc, 2)
    bad_checksum = good[:-4] + (b"%03d" % ((int(good[-4:-1]) + 1) % 256)) + b"\x01"
    assert session.receive(b"garbage!" + bad_checksum, T0) == []
    assert out(session) == [] and session.metrics["garbled"] >= 1 and session.state.next_in == 2
    malformed = enc.encode_body("D", 2, T0, "11=o1\x01abc=1\x01")
    assert session.receive(malformed, T0) == []
    [reject] = out(session)
    assert reject.msg_type == "3" and reject.get(373) == b"0" and reject.get(45) == b"2"
    assert session.state.next_in == 3 and session.is_active and session.metrics["session_rejects"] == 1


def test_session_heartbeat_test_request_then_disconnect_on_silence():
    session, enc = logged_on(hb=1)
    session.on_timer(T0 + S)
    [hb] = out(session)
    assert hb.msg_type == "0"
    session.on_timer(T0 + 3 * S // 2)
    [test] = out(session)
    assert test.msg_type == "1" and test.get(112) == b"TEST1"
    session.on_timer(T0 + 3 * S)
    assert session.wants_close and session.metrics["heartbeat_timeouts"] == 1


def test_session_test_request_answered_keeps_session():
    session, enc = logged_on(hb=1)
    session.on_timer(T0 + 3 * S // 2)
    out(session)
    session.receive(encode_heartbeat(enc, 2, T0 + 2 * S, "TEST1"), T0 + 2 * S)
    session.on_timer(T0 + 3 * S)
    assert session.is_active


def test_session_sequence_numbers_survive_reconnect_and_state_file(tmp_path):
    path = tmp_path / "seq.json"
    store = SequenceStore(path)
    session, enc = logged_on(store)
    session.receive(order(enc, 2), T0)
    session.connection_lost()
    store.save()
    again = acceptor(SequenceStore(path))
    again.receive(encode_logon(enc, 3, T0, heart_bt_int_s=30), T0)
    [reply] = out(again)
    assert again.is_active and reply.msg_seq_num == 2 and again.state.next_in == 4


def test_session_logon_with_low_seq_refused_unless_reset():
    store = SequenceStore()
    session, enc = logged_on(store)
    session.receive(order(enc, 2), T0)
    session.connection_lost()
    low = acceptor(store)
    low.receive(encode_logon(enc, 1, T0, heart_bt_int_s=30), T0)
    assert low.wants_close and b"MsgSeqNum too low" in out(low)[0].get(58)
    reset = acceptor(store)
    reset.receive(encode_logon(enc, 1, T0, heart_bt_int_s=30, reset_seq_num=True), T0)
    [reply] = out(reset)
    assert reset.is_active and reply.msg_seq_num == 1 and reply.get(141) == b"Y"


def test_session_initiator_and_acceptor_talk_in_memory():
    client = FixSession(
        SequenceStore(),
        now_ns=T0,
        is_initiator=True,
        local_comp_id=CLIENT,
        remote_comp_id=VENUE,
        heart_bt_int_s=5,
    )
    venue = acceptor()
    client.start(T0)
    venue.receive(client.take_output(), T0)
    client.receive(venue.take_output(), T0)
    assert client.is_active and venue.is_active and venue.heart_bt_int_s == 5
    client.logout("bye", T0)
    venue.receive(client.take_output(), T0)
    client.receive(venue.take_output(), T0)
    assert client.wants_close and venue.wants_close
    assert venue.status == SessionStatus.CLOSED
