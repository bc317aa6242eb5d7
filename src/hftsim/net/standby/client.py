"""A FIX client that fails over: a list of venue addresses, reconnect, resynchronise. Edge.

:class:`FailoverClient` keeps one :class:`~hftsim.net.fix.session.SessionState` for its CompID pair
across connections (a shared :class:`~hftsim.net.fix.session.SequenceStore`), so sequence numbers
continue over a failover. It sends through that state whether or not it is connected: a message
"sent" while no venue answers is numbered and stored, and reaches the new primary through the normal
FIX recovery:

* the client's Logon carries a MsgSeqNum above what the new primary recovered from the journal, so
  the venue answers with a ResendRequest and the client resends its stored application messages
  (PossDupFlag=Y with OrigSendingTime); the venue processes those it never journaled;
* the venue's Logon answer carries a MsgSeqNum above the client's expected one (the new primary
  starts each session at its reserved limit), so the client asks for a resend and gets every
  ExecutionReport it missed, regenerated from the journal with its original MsgSeqNum and ExecID,
  and a gap fill for the rest.

ExecIDs are deterministic from the journal, so a report received twice has the same ExecID and
content, and :attr:`FailoverClient.executions` keeps one entry per ExecID.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from hftsim.net.client.initiator import FixInitiator
from hftsim.net.fix.codec import FixEncoder, FixMessage
from hftsim.net.fix.session import SequenceStore

__all__ = ["FailoverClient"]

log = logging.getLogger("hftsim.failover")


def _encode_body(encoder: FixEncoder, seq: int, now_ns: int, payload: tuple[str, str]) -> bytes:
    return encoder.encode_body(payload[0], seq, now_ns, payload[1])


class FailoverClient:
    """A FIX initiator over a list of addresses (module docstring).

    Args:
        addresses: (host, port) of every venue node, tried in turn.
        sender_comp_id / target_comp_id: the session's CompIDs.
        on_message: called with ``(message, connection number)`` for every application message.
        heart_bt_int_s: HeartBtInt of the Logon.
        retry_interval_s: pause after a full round of failed connection attempts.
        connect_timeout_s: per attempt (TCP connect plus Logon answer).
    """

    def __init__(
        self,
        addresses: Sequence[tuple[str, int]],
        sender_comp_id: str,
        target_comp_id: str,
        *,
        on_message: Callable[[FixMessage, int], None] | None = None,
        heart_bt_int_s: int = 1,
        retry_interval_s: float = 0.02,
        connect_timeout_s: float = 1.0,
    ) -> None:
        self.addresses = list(addresses)
        self.sender_comp_id = sender_comp_id
        self.target_comp_id = target_comp_id
        self.store = SequenceStore(max_stored=1 << 20)
        self.state = self.store.get(sender_comp_id, target_comp_id)
        self.on_message = on_message
        self.heart_bt_int_s = heart_bt_int_s
        self.retry_interval_s = retry_interval_s
        self.connect_timeout_s = connect_timeout_s
        self.initiator: FixInitiator | None = None
        self.connections = 0
        self.address: tuple[str, int] | None = None
        self.connected_at = 0.0
        self._task: asyncio.Task | None = None
        self._next = 0
        self._is_closed = False

    @property
    def is_connected(self) -> bool:
        """True while logged on to a venue."""
        ini = self.initiator
        return ini is not None and ini.is_connected and ini.session.is_active

    def start(self) -> None:
        """Start connecting (and reconnecting) in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def wait_connected(self, timeout_s: float) -> bool:
        """Wait until logged on; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while not self.is_connected:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _run(self) -> None:
        while not self._is_closed:
            host, port = self.addresses[self._next % len(self.addresses)]
            self._next += 1
            try:
                ini = await FixInitiator.connect(
                    host,
                    port,
                    self.sender_comp_id,
                    self.target_comp_id,
                    timeout_s=self.connect_timeout_s,
                    store=self.store,
                    heart_bt_int_s=self.heart_bt_int_s,
                    on_message=self._on_message,
                )
            except (OSError, ConnectionError, TimeoutError) as e:
                if self._next % len(self.addresses) == 0:
                    await asyncio.sleep(self.retry_interval_s)
                if isinstance(e, ConnectionError) and not isinstance(
                    e, (ConnectionRefusedError, ConnectionResetError)
                ):
                    log.info("%s: %s:%d refused the logon: %s", self.sender_comp_id, host, port, e)
                continue
            self.initiator = ini
            self.connections += 1
            self.address = (host, port)
            self.connected_at = time.monotonic()
            self._next -= 1  # stay with this address next time first
            await ini.wait_until(lambda: not ini.is_connected or self._is_closed, 1e9)
            ini.close()

    def _on_message(self, msg: FixMessage, recv_ns: int) -> None:
        if self.on_message is not None:
            self.on_message(msg, self.connections)

    def send_body(self, msg_type: str, body: str) -> int:
        """Send (or, while disconnected, number and store) an application message; return its MsgSeqNum."""
        seq = self.state.next_out
        self.state.send_with(_encode_body, (msg_type, body), time.time_ns())
        ini = self.initiator
        if ini is not None and ini.is_connected:
            ini.flush()
        return seq

    async def close(self) -> None:
        """Log out (when connected) and stop reconnecting."""
        self._is_closed = True
        ini = self.initiator
        if ini is not None and ini.is_connected:
            await ini.logout(1.0)
        elif ini is not None:
            ini.close()
        if self._task is not None:
            self._task.cancel()
