"""The compiled open-loop FIX load runner (hftsim.net.client._loadgen) against hftsim's own codec."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from hftsim.core.enums import Side
from hftsim.net.client import load
from hftsim.net.fix._framer import FixFramer, FixMessage, decode_message
from hftsim.net.fix.admin import encode_logon, encode_test_request
from hftsim.net.fix.application import ExecutionReport, encode_execution_report
from hftsim.net.fix.codec import FixEncoder, parse_utc_timestamp
from hftsim.net.fix.session import FixSession, SequenceStore

_loadgen = pytest.importorskip("hftsim.net.client._loadgen")

PREFIX = "P-"
NOW_NS = 1_767_225_600_123_456_789  # 2026-01-01T00:00:00.123456789Z
VENUE = FixEncoder("HFTSIM", "B")  # what the venue sends to session B


def make_runner(fd: int, total: int = 10, **overrides) -> _loadgen.LoadRunner:
    kwargs = dict(
        sender_comp_id="B",
        target_comp_id="HFTSIM",
        next_out_seq=2,
        next_in_seq=2,
        rate_msgs_per_s=1e12,  # everything is due at once
        total_msgs=total,
        time_limit_ns=2_000_000_000,
        drain_timeout_ns=0,
        prefix=PREFIX,
        symbol="SIM",
        price="100.00",
        qty=100,
        cancel_every_order=True,
        send_ns=np.zeros(total, np.int64),  # enough with or without cancels
        ack_ns=np.zeros(total, np.int64),
    )
    kwargs.update(overrides)
    return _loadgen.LoadRunner(fd, **kwargs)


def report(seq: int, exec_type: str, cl_ord_id: str, encoder: FixEncoder = VENUE) -> bytes:
    er = ExecutionReport(
        order_id="7",
        cl_ord_id=cl_ord_id,
        exec_id=f"e{seq}",
        exec_type=exec_type,
        ord_status=exec_type,
        symbol="SIM",
        side=Side.BUY,
        order_qty=100,
        leaves_qty=100 if exec_type == "0" else 0,
        cum_qty=0,
        avg_px="0",
        transact_time_ns=NOW_NS,
        price="100.00",
    )
    return encode_execution_report(encoder, seq, NOW_NS, er)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def logged_on_session() -> FixSession:
    session = FixSession(
        SequenceStore(),
        now_ns=NOW_NS,
        is_initiator=True,
        local_comp_id="B",
        remote_comp_id="HFTSIM",
        reset_on_logon=True,
    )
    session.start(NOW_NS)
    session.take_output()
    session.receive(encode_logon(VENUE, 1, NOW_NS, heart_bt_int_s=30, reset_seq_num=True), NOW_NS)
    assert session.is_active and (session.state.next_out, session.state.next_in) == (2, 2)
    return session


def read_messages(sock: socket.socket, count: int, timeout_s: float = 2.0) -> list[FixMessage]:
    framer, out = FixFramer(), []
    deadline = time.monotonic() + timeout_s
    sock.settimeout(0.05)
    while len(out) < count and time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        items = framer.feed(data)
        assert all(item.__class__ is FixMessage for item in items), items
        out.extend(items)
    return out


def python_body(msg_type: str, k: int, ts: str) -> str:
    """The body send_open_loop writes (its f-strings, copied)."""
    if msg_type == "D":
        return f"11={PREFIX}{k}\x0155=SIM\x0154=1\x0160={ts}\x0138=100\x0140=2\x0144=100.00\x0159=0\x01"
    return f"41={PREFIX}{k}\x0111={PREFIX}c{k}\x0155=SIM\x0154=1\x0160={ts}\x0138=100\x01"


# ------------------------------------------------------------------ sending


def test_loadgen_batch_every_message_equals_the_python_encoders_bytes(pair):
    a, b = pair
    runner = make_runner(a.fileno(), total=40)
    reason, leftover = runner.run()
    assert (reason, leftover) == ("drain_timeout", b"") and runner.is_finished
    messages = read_messages(b, 40)
    assert [m.msg_seq_num for m in messages] == list(range(2, 42))
    assert [m.msg_type for m in messages] == ["D", "F"] * 20
    python_encoder = FixEncoder("B", "HFTSIM")
    for i, msg in enumerate(messages):
        assert decode_message(msg.raw).msg_seq_num == msg.msg_seq_num  # BodyLength and CheckSum hold
        ts = msg.get_str(52)
        assert msg.get_str(60) == ts and len(ts) == len("20260101-00:00:00.123")
        body = python_body(msg.msg_type, i // 2, ts)
        expected = python_encoder.encode_body(msg.msg_type, msg.msg_seq_num, parse_utc_timestamp(ts), body)
        assert msg.raw == expected
    assert (runner.sent, runner.sent_orders, runner.next_out_seq) == (40, 20, 42)
    assert runner.t0_ns > 0 and runner.last_send_ns >= runner.t0_ns and runner.max_lag_ns >= 0


def test_loadgen_send_ns_stamped_for_orders_only_in_clock_monotonic(pair):
    a, b = pair
    send_ns = np.zeros(3, np.int64)
    before = time.perf_counter_ns()
    runner = make_runner(a.fileno(), total=5, send_ns=send_ns, ack_ns=np.zeros(3, np.int64))
    runner.run()
    after = time.perf_counter_ns()
    assert np.all((send_ns >= before) & (send_ns <= after))  # the same clock as perf_counter_ns
    assert [m.msg_type for m in read_messages(b, 5)] == ["D", "F", "D", "F", "D"]


def test_loadgen_without_cancels_sends_only_new_orders(pair):
    a, b = pair
    runner = make_runner(a.fileno(), total=3, cancel_every_order=False)
    runner.run()
    messages = read_messages(b, 3)
    assert [(m.msg_type, m.get(11)) for m in messages] == [("D", b"P-0"), ("D", b"P-1"), ("D", b"P-2")]


@pytest.mark.parametrize(
    "spins",
    [{}, {"spin_ns": 300_000}, {"spin_ns": 300_000, "ack_spin_ns": 5_000_000}],
    ids=["sleeps", "wakes-early", "waits-for-acks"],
)
def test_loadgen_schedule_is_open_loop_and_bounded_by_the_time_limit(pair, spins):
    a, b = pair
    send_ns = np.zeros(1000, np.int64)
    runner = make_runner(
        a.fileno(), total=1000, rate_msgs_per_s=1000.0, time_limit_ns=20_000_000, send_ns=send_ns, **spins
    )
    runner.run()
    sent_orders = runner.sent_orders
    due_ns = runner.t0_ns + 2_000_000 * np.arange(sent_orders)  # order k is message 2k, 1 ms apart
    assert 0 < runner.sent <= 21 and runner.last_send_ns >= runner.end_ns == runner.t0_ns + 20_000_000
    assert np.all(send_ns[:sent_orders] >= due_ns) and np.all(send_ns[:sent_orders] < runner.end_ns)
    assert not send_ns[sent_orders:].any()


def test_loadgen_rejects_bad_arguments(pair):
    a, _ = pair
    with pytest.raises(ValueError, match="prefix"):
        make_runner(a.fileno(), prefix="bad prefix")
    with pytest.raises(ValueError, match="send_ns"):
        make_runner(a.fileno(), total=10, send_ns=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="ack_ns"):
        make_runner(a.fileno(), total=10, ack_ns=np.zeros(5, np.int32))
    for spin in ("spin_ns", "ack_spin_ns"):
        with pytest.raises(ValueError, match="non-negative .* spins"):
            make_runner(a.fileno(), **{spin: -1})


# ------------------------------------------------------------------ receiving


def test_loadgen_framing_split_at_every_byte_boundary(pair):
    a, _ = pair
    frames = [report(2, "0", "P-0"), report(3, "4", "P-c0"), report(4, "0", "P-1"), report(5, "8", "P-2")]
    stream = b"".join(frames)
    first_end, third_end = len(frames[0]), len(b"".join(frames[:3]))
    for cut in range(1, len(stream)):
        ack_ns = np.zeros(5, np.int64)
        runner = make_runner(a.fileno(), ack_ns=ack_ns)
        assert runner.feed(stream[:cut], 111) == ("more", b"")
        assert runner.feed(stream[cut:], 222) == ("more", b"")
        assert (runner.acked, runner.canceled, runner.rejected, runner.next_in_seq) == (2, 1, 1, 6), cut
        assert ack_ns[:2].tolist() == [111 if cut >= first_end else 222, 111 if cut >= third_end else 222]


def test_loadgen_framing_one_byte_at_a_time(pair):
    a, _ = pair
    stream = report(2, "0", "P-0") + report(3, "0", "P-1")
    runner = make_runner(a.fileno())
    for i in range(len(stream)):
        assert runner.feed(stream[i : i + 1], 5) == ("more", b"")
    assert (runner.acked, runner.next_in_seq) == (2, 4)


@pytest.mark.parametrize("cl_ord_id", ["X-0", "P-", "P-x1", "P-99", "P-c1", "P-1 "])
def test_loadgen_foreign_or_unparsable_cl_ord_id_is_not_an_ack(pair, cl_ord_id):
    a, _ = pair
    ack_ns = np.zeros(5, np.int64)
    runner = make_runner(a.fileno(), ack_ns=ack_ns)
    assert runner.feed(report(2, "0", cl_ord_id), 7) == ("more", b"")
    assert runner.acked == 0 and not ack_ns.any() and runner.next_in_seq == 3


def test_loadgen_non_execution_report_is_handed_back_and_the_session_answers_in_order(pair):
    a, _ = pair
    session = logged_on_session()
    runner = make_runner(a.fileno())
    runner.feed(b"", 1)  # nothing to do
    test_request = encode_test_request(VENUE, 3, NOW_NS, "T1")
    reason, frame = runner.feed(report(2, "0", "P-0") + test_request + report(4, "0", "P-1"), 9)
    assert (reason, frame) == ("handback", test_request)
    assert (runner.acked, runner.next_in_seq, runner.handbacks) == (1, 3, 1)
    load._hand_back(session, runner, frame)
    assert (runner.next_in_seq, runner.next_out_seq) == (4, 3)  # the Heartbeat took MsgSeqNum 2
    assert runner.feed(b"", 9) == ("more", b"")  # the ER kept behind the hand-back is handled now
    assert (runner.acked, runner.next_in_seq) == (2, 5)
    unwritten, unread = runner.finish()
    heartbeat = decode_message(unwritten)
    assert (heartbeat.msg_type, heartbeat.msg_seq_num, heartbeat.get(112)) == ("0", 2, b"T1")
    assert unread == b"" and runner.is_finished
    with pytest.raises(RuntimeError):
        runner.run()


def _wrong(raw: bytes, old: bytes, new: bytes) -> bytes:
    """``raw`` with ``old`` replaced and BodyLength and CheckSum made right again."""
    body = raw[raw.index(b"\x0135=") + 1 : raw.rindex(b"10=")].replace(old, new, 1)
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    return head + body + b"10=%03d\x01" % (sum(head + body) % 256)


@pytest.mark.parametrize(
    "frame",
    [
        report(3, "0", "P-0"),  # MsgSeqNum too high
        report(1, "0", "P-0"),  # too low
        report(2, "0", "P-0")[:-4] + b"000\x01",  # bad CheckSum
        report(2, "0", "P-0", FixEncoder("OTHER", "B")),  # SenderCompID
        report(2, "0", "P-0", FixEncoder("HFTSIM", "Z")),  # TargetCompID
        _wrong(report(2, "0", "P-0"), b"\x0152=", b"\x0143=Y\x01122=20260101-00:00:00.000\x0152="),  # PossDup
        _wrong(report(2, "0", "P-0"), b"35=8", b"35=9"),  # another MsgType
        _wrong(report(2, "0", "P-0"), b"\x0155=SIM", b"\x0155=SIM\x0155=SIM"),  # duplicate tag
        _wrong(report(2, "0", "P-0"), b"\x0155=SIM", b"\x0155="),  # empty value
        _wrong(report(2, "0", "P-0"), b"\x0155=SIM", b"\x01055=SIM"),  # tag with a leading zero
        _wrong(report(2, "0", "P-0"), b"\x0152=", b"\x0199999=1\x0152="),  # tag beyond the duplicate check
        _wrong(report(2, "0", "P-0"), b"35=8\x01", b""),  # MsgType not first
        report(2, "0", "P-0").replace(b"8=FIX.4.4", b"8=FIX.4.2"),  # BeginString (same length)
    ],
)
def test_loadgen_anything_but_an_in_sequence_report_is_handed_back(pair, frame):
    a, _ = pair
    runner = make_runner(a.fileno())
    after = report(2, "0", "P-1")
    assert runner.feed(frame + after, 5) == ("handback", frame)
    assert (runner.acked, runner.next_in_seq) == (0, 2)
    assert runner.feed(b"", 5) == ("more", b"") and runner.acked == 1  # the next frame was kept


@pytest.mark.parametrize(
    "data",
    [
        b"xx" + report(2, "0", "P-0"),
        b"8=FIX.4.4\x019=12a\x01" + report(2, "0", "P-0"),
        b"8=FIX.4.4\x0135=8\x01" + report(2, "0", "P-0"),
        report(2, "0", "P-0").replace(b"\x019=", b"\x019=9", 1),  # BodyLength runs past its CheckSum
    ],
)
def test_loadgen_unframeable_bytes_stop_the_runner_with_every_unprocessed_byte(pair, data):
    a, _ = pair
    runner = make_runner(a.fileno())
    assert runner.feed(data, 5) == ("garbled", data)
    assert runner.is_finished and runner.next_in_seq == 2
    session_framer = FixFramer()
    assert (
        session_framer.feed(data)[0].is_garbled and session_framer.buffered == 0
    )  # Python takes over cleanly


def test_loadgen_count_report_is_the_same_rule_for_reports_python_handled(pair):
    a, _ = pair
    ack_ns = np.zeros(5, np.int64)
    runner = make_runner(a.fileno(), ack_ns=ack_ns)
    runner.count_report(b"0", b"P-3", 42)
    runner.count_report(b"0", b"P-3", 43)  # a duplicate keeps the first time
    runner.count_report(b"4", b"P-c3", 44)
    runner.count_report(b"8", None, 45)
    runner.count_report(None, None, 46)
    assert (runner.acked, runner.canceled, runner.rejected, runner.other_reports) == (1, 1, 1, 1)
    assert ack_ns.tolist() == [0, 0, 0, 42, 0]


# ------------------------------------------------------------------ a fake venue over a socketpair


class FakeVenue(threading.Thread):
    """Acknowledge every NewOrderSingle; optionally send a TestRequest after ``test_request_after`` orders."""

    def __init__(self, sock: socket.socket, expected_msgs: int, test_request_after: int = -1) -> None:
        super().__init__(daemon=True)
        self.sock, self.expected, self.test_request_after = sock, expected_msgs, test_request_after
        self.received: list[FixMessage] = []
        self.seq = 2

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.seq += 1

    def run(self) -> None:
        framer, orders = FixFramer(), 0
        deadline = time.monotonic() + 5
        self.sock.settimeout(0.05)
        while len(self.received) < self.expected and time.monotonic() < deadline:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            for msg in framer.feed(data):
                self.received.append(msg)
                if msg.msg_type == "D":
                    self.send(report(self.seq, "0", msg.get_str(11)))
                    orders += 1
                    if orders == self.test_request_after:
                        self.send(encode_test_request(VENUE, self.seq, NOW_NS, "mid-run"))


def test_loadgen_partial_writes_keep_every_byte_in_order(pair):
    a, b = pair
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    total = 600
    venue = FakeVenue(b, total)
    venue.start()
    ack_ns, send_ns = np.zeros(300, np.int64), np.zeros(300, np.int64)
    runner = make_runner(
        a.fileno(), total=total, drain_timeout_ns=4_000_000_000, ack_ns=ack_ns, send_ns=send_ns
    )
    assert runner.run() == ("done", b"")
    venue.join(5)
    assert runner.partial_writes > 0  # the small buffer made send() write less than asked
    assert [m.msg_seq_num for m in venue.received] == list(range(2, 2 + total))
    assert runner.bytes_sent == sum(len(m.raw) for m in venue.received)
    assert runner.acked == 300 and np.all(ack_ns >= send_ns) and np.all(send_ns > 0)


def test_loadgen_resumes_the_same_schedule_after_a_hand_back(pair):
    a, b = pair
    session = logged_on_session()
    total = 200
    venue = FakeVenue(b, total + 1, test_request_after=10)  # + the Heartbeat
    venue.start()
    runner = make_runner(
        a.fileno(),
        total=total,
        rate_msgs_per_s=20_000.0,
        drain_timeout_ns=4_000_000_000,
        ack_ns=np.zeros(100, np.int64),
        send_ns=np.zeros(100, np.int64),
    )
    reason, frame = runner.run()
    assert reason == "handback" and decode_message(frame).msg_type == "1"
    t0, sent = runner.t0_ns, runner.sent
    assert 0 < sent < total
    load._hand_back(session, runner, frame)
    assert runner.run() == ("done", b"")
    venue.join(5)
    assert runner.t0_ns == t0 and runner.sent == total and runner.acked == 100
    received = venue.received
    assert [m.msg_seq_num for m in received] == list(range(2, 2 + total + 1))  # no gap, no repeat
    heartbeat = next(m for m in received if m.msg_type == "0")
    assert heartbeat.get(112) == b"mid-run"
    assert [m.get_str(11) for m in received if m.msg_type == "D"] == [f"P-{k}" for k in range(100)]
    assert runner.max_lag_ns < 1_000_000_000
