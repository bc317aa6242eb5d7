"""FIX 4.4 session layer: a sans-I/O state machine, bytes in and bytes out. Hot path for in-sequence
application messages, cold path for everything else.

Nothing here reads a clock or touches a socket: the caller passes ``now_ns`` to every method, feeds
received bytes to :meth:`FixSession.receive`, writes :meth:`FixSession.take_output` to its transport
and closes the connection once :attr:`FixSession.wants_close` is set. The rules implemented
(``shared/PROTOCOLS.md`` section 2):

* the first message must be a Logon whose (TargetCompID, SenderCompID) pair is configured; otherwise
  Logout with text, then disconnect. A pair may be logged on over one connection at a time;
* MsgSeqNum too high: ResendRequest(expected, 0) once, and the higher messages are not processed;
  too low without PossDupFlag: Logout with text and disconnect; too low with PossDupFlag: ignored;
* ResendRequest is answered from the stored outgoing messages with their original MsgSeqNum,
  PossDupFlag=Y and OrigSendingTime; admin messages (and messages no longer stored) become one
  SequenceReset-GapFill per run;
* SequenceReset: GapFill moves the expected number forward; Reset sets it (never backwards);
* Heartbeat after HeartBtInt with nothing sent, TestRequest after HeartBtInt * (1 + grace) with
  nothing received, disconnect when that goes unanswered as long again;
* garbled frames (bad checksum or length, garbage bytes) are ignored; malformed messages (bad tag,
  missing tag, bad value) get a session Reject (35=3) with SessionRejectReason (373);
* sequence numbers (and the outgoing message store) live in a :class:`SessionState` per CompID pair,
  kept across reconnects; :class:`SequenceStore` also saves the numbers to a small JSON file.

Every refusal is counted in the shared ``metrics`` dict.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path

from hftsim.core.errors import ConfigError, FixParseError
from hftsim.net.fix.admin import (
    encode_heartbeat,
    encode_logon,
    encode_logout,
    encode_reject,
    encode_resend_request,
    encode_sequence_reset,
    encode_test_request,
)
from hftsim.net.fix.application import encode_execution_report, report_from_values
from hftsim.net.fix.codec import FixEncoder, FixFramer, FixMessage, decode_message, parse_utc_timestamp
from hftsim.net.fix.resend import ResendStore

__all__ = [
    "ADMIN_MSG_TYPES",
    "FixSession",
    "SequenceStore",
    "SessionState",
    "SessionStatus",
]

#: administrative MsgTypes: never resent (a Reject, 3, may be, so it is not in this set)
ADMIN_MSG_TYPES = frozenset({"0", "1", "2", "4", "5", "A"})
_NS_PER_S = 1_000_000_000
_INVALID_MSG_TYPE = 11
_COMP_ID_PROBLEM = 9
_VALUE_INCORRECT = 5
_REQUIRED_TAG_MISSING = 1


class SessionStatus:
    """Where a connection's session is."""

    AWAIT_LOGON = 0
    ACTIVE = 1
    LOGOUT_SENT = 2
    CLOSED = 3


class SessionState:
    """What outlives a connection for one (local, remote) CompID pair.

    Attributes:
        local_comp_id: our CompID (SenderCompID of what we send).
        remote_comp_id: the counterparty's CompID.
        next_in: the MsgSeqNum expected next from the counterparty.
        next_out: the MsgSeqNum of the next message we send.
        sent: resendable messages we sent, by MsgSeqNum (bounded to ``max_stored``).
        connection: the logged-on :class:`FixSession`, or None.
    """

    __slots__ = (
        "local_comp_id",
        "remote_comp_id",
        "encoder",
        "next_in",
        "next_out",
        "sent",
        "max_stored",
        "connection",
    )

    def __init__(
        self,
        local_comp_id: str,
        remote_comp_id: str,
        next_in: int = 1,
        next_out: int = 1,
        max_stored: int = 200_000,
    ) -> None:
        self.local_comp_id = local_comp_id
        self.remote_comp_id = remote_comp_id
        self.encoder = FixEncoder(local_comp_id, remote_comp_id)
        self.next_in = next_in
        self.next_out = next_out
        self.sent = ResendStore(max_stored)  # what was sent, for ResendRequest (off the heap)
        self.max_stored = max_stored
        self.connection: FixSession | None = None

    def send_with(self, encode: Callable, payload, now_ns: int) -> bytes:
        """Encode an application message with the next MsgSeqNum, store it and send it when connected.

        ``encode(encoder, msg_seq_num, sending_time_ns, payload)`` builds the bytes (for example
        :func:`~hftsim.net.fix.application.encode_execution_report`). While no connection is logged on
        the message is only stored; the counterparty recovers it with a ResendRequest after its Logon.
        """
        seq = self.next_out
        return self._emit(seq, encode(self.encoder, seq, now_ns, payload), now_ns)

    def send_report(self, report, now_ns: int) -> bytes:
        """:meth:`send_with` of an ExecutionReport, encoded by the compiled codec when it can (hot path).

        ``report`` is an ExecutionReport or the tuple of its values (``REPORT_VALUES`` order).
        """
        seq = self.next_out
        raw = self.encoder.compiled_execution_report(seq, now_ns, report)
        if raw is None:
            if report.__class__ is tuple:
                report = report_from_values(report)
            raw = encode_execution_report(self.encoder, seq, now_ns, report)
        return self._emit(seq, raw, now_ns)

    def _emit(self, seq: int, raw: bytes, now_ns: int) -> bytes:
        """Take ``raw`` as message ``seq``: store it for resends and queue it when connected."""
        self.next_out = seq + 1
        self.sent[seq] = raw  # the oldest beyond max_stored is evicted
        connection = self.connection
        if connection is not None:
            connection._out.append(raw)
            connection._last_sent_ns = now_ns
        return raw

    def reset(self) -> None:
        """Start both directions again at 1 (Logon with ResetSeqNumFlag=Y)."""
        self.next_in = 1
        self.next_out = 1
        self.sent.clear()


class SequenceStore:
    """:class:`SessionState` per (local, remote) CompID pair, optionally saved to a JSON file.

    Only the two sequence numbers are saved; the message store stays in memory, so after a restart
    a ResendRequest for older messages is answered with a gap fill.

    Args:
        path: the state file (read now if it exists, written by :meth:`save`), or None.
        max_stored: outgoing messages kept per pair for resends.
    """

    def __init__(self, path: str | os.PathLike | None = None, max_stored: int = 200_000) -> None:
        self.path = Path(path) if path is not None else None
        self.max_stored = max_stored
        self._states: dict[tuple[str, str], SessionState] = {}
        self._saved: dict[str, list[int]] = {}
        if self.path is not None and self.path.exists():
            try:
                self._saved = json.loads(self.path.read_text())
            except (OSError, ValueError) as e:
                raise ConfigError(
                    f"state_file {self.path}: cannot read it ({e}); delete it to start "
                    "every session at MsgSeqNum 1"
                ) from e

    def get(self, local_comp_id: str, remote_comp_id: str) -> SessionState:
        """Return the state of the pair, created (from the file when saved there) on first use."""
        key = (local_comp_id, remote_comp_id)
        state = self._states.get(key)
        if state is None:
            next_in, next_out = self._saved.get(f"{local_comp_id}|{remote_comp_id}", (1, 1))
            state = SessionState(local_comp_id, remote_comp_id, next_in, next_out, self.max_stored)
            self._states[key] = state
        return state

    def states(self) -> list[SessionState]:
        """Return every state created so far, sorted by pair."""
        return [self._states[k] for k in sorted(self._states)]

    def save(self) -> None:
        """Write the sequence numbers to the state file atomically (no-op without a path)."""
        if self.path is None:
            return
        data = dict(self._saved)
        for (local, remote), s in sorted(self._states.items()):
            data[f"{local}|{remote}"] = [s.next_in, s.next_out]
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True, indent=1))
        os.replace(tmp, self.path)


def _body_of(raw: bytes) -> str:
    """Return the body (fields after SendingTime, before CheckSum) of a message we encoded."""
    start = raw.index(b"\x0152=")
    start = raw.index(b"\x01", start + 1) + 1
    return raw[start:-7].decode("ascii")


class FixSession:
    """The session layer of one FIX connection (acceptor or initiator).

    Args:
        store: where the per-pair states live.
        allowed_pairs: (local, remote) CompID pairs an acceptor accepts; ignored by an initiator.
        local_comp_id / remote_comp_id: an initiator's own and target CompIDs.
        heart_bt_int_s: an initiator's HeartBtInt (an acceptor takes the client's).
        test_request_grace: extra fraction of HeartBtInt before a TestRequest (PROTOCOLS 2.2).
        logon_timeout_s: how long a new connection may wait before its Logon.
        reset_on_logon: an initiator sends ResetSeqNumFlag=Y (both sides restart at 1).
        metrics: counters shared by every session of a server (a Counter when None).
        log: called with one line per session event (logon, logout, disconnect, reject).
        now_ns: creation time.
    """

    def __init__(
        self,
        store: SequenceStore,
        *,
        now_ns: int,
        allowed_pairs: Collection[tuple[str, str]] = (),
        is_initiator: bool = False,
        local_comp_id: str = "",
        remote_comp_id: str = "",
        heart_bt_int_s: int = 30,
        test_request_grace: float = 0.5,
        logon_timeout_s: float = 10.0,
        reset_on_logon: bool = False,
        metrics: Counter | None = None,
        log: Callable[[str], None] | None = None,
        max_body_length: int = 65_536,
    ) -> None:
        self.store = store
        self.allowed_pairs = frozenset(allowed_pairs)
        self.is_initiator = is_initiator
        self.local_comp_id = local_comp_id
        self.remote_comp_id = remote_comp_id
        self.heart_bt_int_s = heart_bt_int_s
        self.test_request_grace = test_request_grace
        self.logon_timeout_ns = int(logon_timeout_s * _NS_PER_S)
        self.reset_on_logon = reset_on_logon
        self.metrics: Counter = metrics if metrics is not None else Counter()
        self._log = log or (lambda line: None)
        self.status = SessionStatus.AWAIT_LOGON
        self.state: SessionState | None = None
        self.close_reason = ""
        self._framer = FixFramer(max_body_length=max_body_length)
        self._out: list[bytes] = []
        self._created_ns = now_ns
        self._last_sent_ns = now_ns
        self._last_recv_ns = now_ns
        self._test_sent_ns = 0
        self._test_count = 0
        self._logout_sent_ns = 0
        self._resend_until = 0  # while next_in <= this, higher messages do not ask again
        self._local_b = b""
        self._remote_b = b""
        self._deferred: list = []  # items after a Logout that followed application messages

    # ------------------------------------------------------------ properties

    @property
    def has_deferred(self) -> bool:
        """Return True while a Logout read after application messages waits (see :meth:`receive`)."""
        return bool(self._deferred)

    @property
    def is_active(self) -> bool:
        """Return True between a successful Logon and the Logout."""
        return self.status == SessionStatus.ACTIVE

    @property
    def wants_close(self) -> bool:
        """Return True when the connection should be closed after writing the pending output."""
        return self.status == SessionStatus.CLOSED

    @property
    def name(self) -> str:
        """``local->remote`` once known, for log lines."""
        if self.state is not None:
            return f"{self.state.local_comp_id}->{self.state.remote_comp_id}"
        return f"{self.local_comp_id or '?'}->{self.remote_comp_id or '?'}"

    def take_output(self) -> bytes:
        """Return and forget the bytes to write to the transport."""
        out = self._out
        if not out:
            return b""
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        return data

    # ------------------------------------------------------------ sending

    def start(self, now_ns: int) -> None:
        """Initiator: send the Logon."""
        state = self.store.get(self.local_comp_id, self.remote_comp_id)
        if self.reset_on_logon:
            state.reset()
        self.state = state
        self._send_admin(
            lambda enc, seq, t: encode_logon(
                enc, seq, t, heart_bt_int_s=self.heart_bt_int_s, reset_seq_num=self.reset_on_logon
            ),
            now_ns,
        )

    def send_with(self, encode: Callable, payload, now_ns: int) -> bytes:
        """Send an application message; see :meth:`SessionState.send_with`."""
        return self.state.send_with(encode, payload, now_ns)

    def send_body(self, msg_type: str, body: str, now_ns: int) -> bytes:
        """Send an application message whose body is ``tag=value<SOH>...`` text."""
        return self.state.send_with(_encode_body, (msg_type, body), now_ns)

    def _send_admin(self, build: Callable[[FixEncoder, int, int], bytes], now_ns: int) -> None:
        state = self.state
        raw = build(state.encoder, state.next_out, now_ns)
        state.next_out += 1
        self._out.append(raw)
        self._last_sent_ns = now_ns

    def logout(self, text: str | None, now_ns: int) -> None:
        """Start a Logout: send 35=5 and close when the answer comes (or on timeout)."""
        if self.status == SessionStatus.ACTIVE:
            self._send_admin(lambda enc, seq, t: encode_logout(enc, seq, t, text), now_ns)
            self.status = SessionStatus.LOGOUT_SENT
            self._logout_sent_ns = now_ns
            self._log(f"session {self.name}: logout sent ({text or 'no reason'})")
        elif self.status == SessionStatus.AWAIT_LOGON:
            self._close("logout before logon")

    def reject(
        self,
        e: FixParseError | FixMessage,
        now_ns: int,
        *,
        reason: int | None = None,
        text: str | None = None,
        tag: int = 0,
    ) -> None:
        """Send a session Reject (35=3) about a malformed message or parse error, and count it."""
        if isinstance(e, FixMessage):
            ref_seq, ref_type, ref_tag, reason_code, text = e.msg_seq_num, e.msg_type, tag, reason, text
        else:
            ref_seq, ref_type, ref_tag = e.msg_seq_num, e.msg_type, e.tag
            reason_code = reason if reason is not None else e.session_reject_reason
            text = text or str(e)
        self.metrics["session_rejects"] += 1
        self._log(f"session {self.name}: reject MsgSeqNum {ref_seq} ({text})")
        text = text.replace("\x01", " ") if text else text
        state = self.state
        raw = encode_reject(
            state.encoder,
            state.next_out,
            now_ns,
            ref_seq_num=ref_seq,
            ref_tag_id=ref_tag or None,
            ref_msg_type=ref_type or None,
            session_reject_reason=reason_code,
            text=text,
        )
        state.sent[state.next_out] = raw  # a Reject may be resent (PROTOCOLS 2.1.5)
        state.next_out += 1
        self._out.append(raw)
        self._last_sent_ns = now_ns

    # ------------------------------------------------------------ receiving

    def receive(self, data: bytes, now_ns: int) -> list[FixMessage]:
        """Feed received bytes; return the application messages to process, in order.

        An acceptor stops at a Logout that follows application messages in the same read: it returns
        those first and keeps the Logout and what follows (:attr:`has_deferred`), so the caller applies
        them, and sends their reports, before calling ``receive(b"", now_ns)`` for the Logout.
        """
        if self.status == SessionStatus.CLOSED:
            self._deferred = []
            return []
        self._last_recv_ns = now_ns
        app: list[FixMessage] = []
        items = self._framer.feed(data)
        if self._deferred:
            items, self._deferred = self._deferred + items, []
        for i, item in enumerate(items):
            if self.status == SessionStatus.CLOSED:
                break
            if item.__class__ is FixMessage:
                state = self.state
                fields = item._fields  # the hot path reads the dict itself: FixMessage.get is one call more
                if (
                    state is not None
                    and item.msg_seq_num == state.next_in
                    and self.status == SessionStatus.ACTIVE
                    and item.msg_type not in ADMIN_MSG_TYPES
                    and 43 not in fields
                    and fields.get(49) == self._remote_b
                    and fields.get(56) == self._local_b
                ):
                    state.next_in += 1  # the hot path: an in-sequence application message
                    app.append(item)
                elif app and item.msg_type == "5" and not self.is_initiator:
                    self._deferred = items[i:]  # the Logout after the orders read with it
                    break
                else:
                    self._on_message(item, now_ns, app)
            else:
                self._on_error(item, now_ns)
        return app

    def _on_error(self, e: FixParseError, now_ns: int) -> None:
        if e.is_garbled:
            self.metrics["garbled"] += 1
            return
        if self.status != SessionStatus.ACTIVE:
            self.metrics["malformed_before_logon"] += 1
            self._refuse_connection(None, f"first message must be a valid Logon ({e})", now_ns)
            return
        self.reject(e, now_ns)
        if e.msg_seq_num == self.state.next_in:
            self.state.next_in += 1

    def _on_message(self, msg: FixMessage, now_ns: int, app: list[FixMessage]) -> None:
        if self.status == SessionStatus.AWAIT_LOGON:
            self._on_first_message(msg, now_ns)
            return
        state = self.state
        if msg.get(49) != self._remote_b or msg.get(56) != self._local_b:
            self.metrics["comp_id_rejects"] += 1
            self.reject(msg, now_ns, reason=_COMP_ID_PROBLEM, text="CompID problem")
            self.logout("CompID problem", now_ns)
            self._close("CompID problem")
            return
        msg_type = msg.msg_type
        if msg_type == "4" and msg.get(123) != b"Y":
            self._on_sequence_reset(msg, now_ns)
            return
        seq = msg.msg_seq_num
        expected = state.next_in
        if seq > expected:
            self._on_gap(expected, seq, now_ns)
            if msg_type == "2":
                self._on_resend_request(msg, now_ns)
            elif msg_type == "5":
                self._on_logout(msg, now_ns)
            return
        if seq < expected:
            if msg.get(43) == b"Y":
                self.metrics["duplicates_ignored"] += 1
                return
            self.metrics["seq_too_low"] += 1
            text = f"MsgSeqNum too low, expecting {expected} but received {seq}"
            self.logout(text, now_ns)
            self._close(text)
            return
        if msg.get(43) == b"Y" and msg_type != "4" and msg.get(122) is None:
            state.next_in += 1
            self.reject(
                msg,
                now_ns,
                reason=_REQUIRED_TAG_MISSING,
                tag=122,
                text="OrigSendingTime (122) required with PossDupFlag=Y",
            )
            return
        state.next_in = seq + 1
        if msg_type not in ADMIN_MSG_TYPES:
            app.append(msg)
            return
        self._on_admin(msg, now_ns)

    def _on_admin(self, msg: FixMessage, now_ns: int) -> None:
        msg_type = msg.msg_type
        if msg_type == "0":
            return
        if msg_type == "1":
            test_req_id = msg.get_str(112) or ""
            self._send_admin(lambda enc, seq, t: encode_heartbeat(enc, seq, t, test_req_id), now_ns)
        elif msg_type == "2":
            self._on_resend_request(msg, now_ns)
        elif msg_type == "4":
            self._on_gap_fill(msg, now_ns)
        elif msg_type == "5":
            self._on_logout(msg, now_ns)
        elif msg_type == "A":
            if self.is_initiator and self.status == SessionStatus.LOGOUT_SENT:
                return
            self.reject(msg, now_ns, reason=_VALUE_INCORRECT, tag=35, text="already logged on")

    # ------------------------------------------------------------ logon

    def _on_first_message(self, msg: FixMessage, now_ns: int) -> None:
        if self.is_initiator and msg.msg_type == "5":
            self._close(f"logon refused: {msg.get_str(58) or 'no reason given'}")
            return
        if msg.msg_type != "A":
            self.metrics["not_logon_first"] += 1
            self._refuse_connection(msg, f"first message must be Logon (35=A), got 35={msg.msg_type}", now_ns)
            return
        local, remote = msg.get_str(56), msg.get_str(49)
        if self.is_initiator:
            if (local, remote) != (self.local_comp_id, self.remote_comp_id):
                self.metrics["comp_id_rejects"] += 1
                self._refuse_connection(msg, "Logon answered with the wrong CompIDs", now_ns)
                return
            state = self.state
        else:
            if (local, remote) not in self.allowed_pairs:
                self.metrics["unknown_comp_id"] += 1
                self._refuse_connection(
                    msg, f"unknown CompID pair SenderCompID={remote} TargetCompID={local}", now_ns
                )
                return
            state = self.store.get(local, remote)
            if state.connection is not None:
                self.metrics["duplicate_logon"] += 1
                self._refuse_connection(msg, "session already logged on", now_ns)
                return
        try:
            heart_bt_int_s = msg.require_int(108)
        except FixParseError as e:
            self.metrics["bad_logon"] += 1
            self._refuse_connection(msg, f"bad Logon: {e}", now_ns)
            return
        is_reset = msg.get(141) == b"Y"
        if is_reset and not self.is_initiator:
            state.reset()
        seq = msg.msg_seq_num
        if seq < state.next_in and not is_reset:
            self.metrics["seq_too_low"] += 1
            self._refuse_connection(
                msg, f"MsgSeqNum too low, expecting {state.next_in} but received {seq}", now_ns, state=state
            )
            return
        self.state = state
        state.connection = self
        self.status = SessionStatus.ACTIVE
        self._local_b = state.local_comp_id.encode()
        self._remote_b = state.remote_comp_id.encode()
        if not self.is_initiator:
            self.heart_bt_int_s = max(0, heart_bt_int_s)
            self._send_admin(
                lambda enc, s, t: encode_logon(
                    enc, s, t, heart_bt_int_s=self.heart_bt_int_s, reset_seq_num=is_reset
                ),
                now_ns,
            )
        self.metrics["logons"] += 1
        self._log(
            f"session {self.name}: logon (HeartBtInt {self.heart_bt_int_s}s, next in {state.next_in}, "
            f"next out {state.next_out}{', reset' if is_reset else ''})"
        )
        if seq > state.next_in:
            self._on_gap(state.next_in, seq, now_ns)
        else:
            state.next_in = seq + 1

    def _refuse_connection(
        self, msg: FixMessage | None, text: str, now_ns: int, state: SessionState | None = None
    ) -> None:
        """Logout (when the CompIDs allow encoding one) and close, without touching any session state."""
        self._log(f"session {self.name}: refused ({text})")
        if msg is not None:
            local, remote = msg.get_str(56) or "", msg.get_str(49) or ""
            try:
                encoder = FixEncoder(local, remote)
            except ValueError:
                encoder = None
            if encoder is not None:
                seq = state.next_out if state is not None else 1
                self._out.append(encode_logout(encoder, seq, now_ns, text.replace("\x01", " ")))
        self._close(text)

    # ------------------------------------------------------------ sequence recovery

    def _on_gap(self, expected: int, seq: int, now_ns: int) -> None:
        if expected <= self._resend_until:
            return  # already asked; wait for the gap to fill
        self.metrics["resend_requests_sent"] += 1
        self._resend_until = seq
        self._log(f"session {self.name}: gap, expected {expected} got {seq}: resend request")
        self._send_admin(lambda enc, s, t: encode_resend_request(enc, s, t, expected, 0), now_ns)

    def _on_resend_request(self, msg: FixMessage, now_ns: int) -> None:
        state = self.state
        self.metrics["resend_requests_received"] += 1
        try:
            begin = msg.require_int(7)
            end = msg.require_int(16)
        except FixParseError as e:
            self.reject(e, now_ns)
            return
        last = state.next_out - 1
        if end == 0 or end > last:
            end = last
        if begin < 1 or begin > end:
            return
        self._log(f"session {self.name}: resend {begin}..{end}")
        gap_start = 0
        for seq in range(begin, end + 1):
            raw = state.sent.get(seq)
            if raw is None:
                if not gap_start:
                    gap_start = seq
                continue
            if gap_start:
                self._gap_fill(gap_start, seq, now_ns)
                gap_start = 0
            self._resend(raw, seq, now_ns)
        if gap_start:
            self._gap_fill(gap_start, end + 1, now_ns)

    def _gap_fill(self, first: int, new_seq_no: int, now_ns: int) -> None:
        self._out.append(encode_sequence_reset(self.state.encoder, first, now_ns, new_seq_no, gap_fill=True))
        self._last_sent_ns = now_ns

    def _resend(self, raw: bytes, seq: int, now_ns: int) -> None:
        original = decode_message(raw)
        self._out.append(
            self.state.encoder.encode_body(
                original.msg_type,
                seq,
                now_ns,
                _body_of(raw),
                poss_dup=True,
                orig_sending_time_ns=parse_utc_timestamp(original.require(52)),
            )
        )
        self._last_sent_ns = now_ns

    def _on_gap_fill(self, msg: FixMessage, now_ns: int) -> None:
        new_seq_no = msg.get_int(36) if msg.get(36) is not None and msg.get(36).isdigit() else None
        if new_seq_no is None:
            self.reject(msg, now_ns, reason=_REQUIRED_TAG_MISSING, tag=36, text="NewSeqNo (36) required")
            return
        if new_seq_no < self.state.next_in:
            self.reject(
                msg,
                now_ns,
                reason=_VALUE_INCORRECT,
                tag=36,
                text=f"NewSeqNo {new_seq_no} below expected {self.state.next_in}",
            )
            return
        self.state.next_in = new_seq_no

    def _on_sequence_reset(self, msg: FixMessage, now_ns: int) -> None:
        """SequenceReset-Reset: its MsgSeqNum is ignored; NewSeqNo may not go backwards."""
        value = msg.get(36)
        if value is None or not value.isdigit():
            self.reject(msg, now_ns, reason=_REQUIRED_TAG_MISSING, tag=36, text="NewSeqNo (36) required")
            return
        new_seq_no = int(value)
        if new_seq_no < self.state.next_in:
            self.reject(
                msg,
                now_ns,
                reason=_VALUE_INCORRECT,
                tag=36,
                text=f"NewSeqNo {new_seq_no} below expected {self.state.next_in}",
            )
            return
        self._log(f"session {self.name}: sequence reset to {new_seq_no}")
        self.state.next_in = new_seq_no
        self._resend_until = 0

    # ------------------------------------------------------------ logout, timers, close

    def _on_logout(self, msg: FixMessage, now_ns: int) -> None:
        if self.status == SessionStatus.LOGOUT_SENT:
            self._close("logout confirmed")
            return
        text = msg.get_str(58)
        self._log(f"session {self.name}: logout received ({text or 'no reason'})")
        self._send_admin(lambda enc, seq, t: encode_logout(enc, seq, t), now_ns)
        self._close("logout by counterparty")

    def on_timer(self, now_ns: int) -> None:
        """Send heartbeats and test requests, and give up on silent or stuck connections."""
        status = self.status
        if status == SessionStatus.AWAIT_LOGON:
            if not self.is_initiator and now_ns - self._created_ns > self.logon_timeout_ns:
                self.metrics["logon_timeouts"] += 1
                self._close("no Logon in time")
            return
        if status == SessionStatus.LOGOUT_SENT:
            if now_ns - self._logout_sent_ns > 2 * _NS_PER_S:
                self._close("no Logout answer in time")
            return
        if status != SessionStatus.ACTIVE or self.heart_bt_int_s <= 0:
            return
        interval_ns = self.heart_bt_int_s * _NS_PER_S
        if now_ns - self._last_sent_ns >= interval_ns:
            self._send_admin(lambda enc, seq, t: encode_heartbeat(enc, seq, t), now_ns)
        patience_ns = int(interval_ns * (1 + self.test_request_grace))
        if self._test_sent_ns and self._last_recv_ns <= self._test_sent_ns:
            if now_ns - self._test_sent_ns >= patience_ns:
                self.metrics["heartbeat_timeouts"] += 1
                self._close("no answer to TestRequest")
            return
        self._test_sent_ns = 0
        if now_ns - self._last_recv_ns >= patience_ns:
            self._test_count += 1
            test_req_id = f"TEST{self._test_count}"
            self._send_admin(lambda enc, seq, t: encode_test_request(enc, seq, t, test_req_id), now_ns)
            self._test_sent_ns = now_ns

    def connection_lost(self) -> None:
        """The transport is gone: free the pair for the next Logon."""
        if self.status != SessionStatus.CLOSED:
            self._close("connection lost")

    def _close(self, reason: str) -> None:
        if self.status == SessionStatus.CLOSED:
            return
        self.status = SessionStatus.CLOSED
        self.close_reason = reason
        if self.state is not None and self.state.connection is self:
            self.state.connection = None
        self._log(f"session {self.name}: disconnect ({reason})")


def _encode_body(encoder: FixEncoder, seq: int, now_ns: int, payload: tuple[str, str]) -> bytes:
    return encoder.encode_body(payload[0], seq, now_ns, payload[1])
