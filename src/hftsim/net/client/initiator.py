"""An asyncio FIX 4.4 initiator: connect, log on, send orders, receive reports. Edge.

Used by the load generator and by tests; the session rules are those of
:class:`~hftsim.net.fix.session.FixSession` (the same state machine as the venue, as initiator).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from collections.abc import Callable

from hftsim.net.fix.codec import FixMessage, format_utc_timestamp
from hftsim.net.fix.session import FixSession, SequenceStore

__all__ = ["FixInitiator", "new_order_body"]

_SIDE = {1: "1", -1: "2", "1": "1", "2": "2", "buy": "1", "sell": "2"}


def new_order_body(
    cl_ord_id: str, symbol: str, side, qty: int, price: str | None, transact_time_ns: int, tif: str = "0"
) -> str:
    """Return the body of a NewOrderSingle (limit when ``price`` is given, market otherwise)."""
    ts = format_utc_timestamp(transact_time_ns)
    head = f"11={cl_ord_id}\x0155={symbol}\x0154={_SIDE[side]}\x0160={ts}\x0138={qty}\x01"
    if price is None:
        return f"{head}40=1\x0159={tif}\x01"
    return f"{head}40=2\x0144={price}\x0159={tif}\x01"


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: FixInitiator) -> None:
        self.owner = owner

    def connection_made(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner._transport = transport

    def data_received(self, data: bytes) -> None:
        self.owner._on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._on_lost()


class FixInitiator:
    """A FIX client session over TCP.

    Create it with :meth:`connect`. Application messages received are passed to ``on_message``
    (``(message, perf_counter_ns at receipt)``) when given, and otherwise queued for
    :meth:`next_message`.

    Args:
        sender_comp_id: our CompID (49).
        target_comp_id: the venue's CompID (56).
        heart_bt_int_s: HeartBtInt sent in the Logon.
        reset_seq_num: send ResetSeqNumFlag=Y (both sides restart at 1).
        store: sequence numbers kept across connections (a fresh one when None).
        on_message: hot-path callback for application messages.
    """

    def __init__(
        self,
        sender_comp_id: str,
        target_comp_id: str,
        *,
        heart_bt_int_s: int = 30,
        reset_seq_num: bool = False,
        store: SequenceStore | None = None,
        on_message: Callable[[FixMessage, int], None] | None = None,
    ) -> None:
        self.store = store if store is not None else SequenceStore()
        self.session = FixSession(
            self.store,
            now_ns=time.time_ns(),
            is_initiator=True,
            local_comp_id=sender_comp_id,
            remote_comp_id=target_comp_id,
            heart_bt_int_s=heart_bt_int_s,
            reset_on_logon=reset_seq_num,
        )
        self.on_message = on_message
        self.messages: deque[FixMessage] = deque()
        self.is_connected = False
        self._transport: asyncio.Transport | None = None
        self._changed: asyncio.Event | None = None
        self._timer: asyncio.Task | None = None

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        sender_comp_id: str,
        target_comp_id: str,
        *,
        timeout_s: float = 5.0,
        **kwargs,
    ) -> FixInitiator:
        """Connect, send the Logon and wait for the venue's Logon.

        Raises:
            ConnectionError: the venue refused the Logon or closed the connection.
            TimeoutError: no Logon answer within ``timeout_s``.
        """
        self = cls(sender_comp_id, target_comp_id, **kwargs)
        loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        await asyncio.wait_for(loop.create_connection(lambda: _Protocol(self), host, port), timeout_s)
        self.is_connected = True
        self.session.start(time.time_ns())
        self.flush()
        await self.wait_until(lambda: self.session.is_active or not self.is_connected, timeout_s)
        if not self.session.is_active:
            raise ConnectionError(f"logon refused: {self.session.close_reason or 'connection closed'}")
        self._timer = loop.create_task(self._timers())
        return self

    # ------------------------------------------------------------ io

    def _on_data(self, data: bytes) -> None:
        recv_ns = time.perf_counter_ns()
        messages = self.session.receive(data, time.time_ns())
        callback = self.on_message
        if callback is not None:
            for msg in messages:
                callback(msg, recv_ns)
        elif messages:
            self.messages.extend(messages)
        self.flush()
        self._changed.set()

    def _on_lost(self) -> None:
        self.is_connected = False
        self.session.connection_lost()
        if self._changed is not None:
            self._changed.set()

    def flush(self) -> None:
        """Write pending output; close the transport when the session has finished."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        data = self.session.take_output()
        if data:
            transport.write(data)
        if self.session.wants_close:
            transport.close()

    async def _timers(self) -> None:
        while self.is_connected:
            await asyncio.sleep(0.2)
            self.session.on_timer(time.time_ns())
            self.flush()

    # ------------------------------------------------------------ api

    def send_body(self, msg_type: str, body: str, flush: bool = True) -> int:
        """Send an application message; return its MsgSeqNum."""
        seq = self.session.state.next_out
        self.session.send_body(msg_type, body, time.time_ns())
        if flush:
            self.flush()
        return seq

    def send_new_order(
        self, cl_ord_id: str, symbol: str, side, qty: int, price: str | None, tif: str = "0"
    ) -> int:
        """Send a NewOrderSingle; ``side`` is 1/-1, "1"/"2" or "buy"/"sell"."""
        return self.send_body("D", new_order_body(cl_ord_id, symbol, side, qty, price, time.time_ns(), tif))

    def send_cancel(self, cl_ord_id: str, orig_cl_ord_id: str, symbol: str, side, qty: int) -> int:
        """Send an OrderCancelRequest."""
        ts = format_utc_timestamp(time.time_ns())
        return self.send_body(
            "F",
            f"41={orig_cl_ord_id}\x0111={cl_ord_id}\x0155={symbol}\x0154={_SIDE[side]}"
            f"\x0160={ts}\x0138={qty}\x01",
        )

    def send_replace(
        self, cl_ord_id: str, orig_cl_ord_id: str, symbol: str, side, qty: int, price: str
    ) -> int:
        """Send an OrderCancelReplaceRequest (``qty`` is the new total quantity)."""
        ts = format_utc_timestamp(time.time_ns())
        return self.send_body(
            "G",
            f"41={orig_cl_ord_id}\x0111={cl_ord_id}\x0155={symbol}\x0154={_SIDE[side]}"
            f"\x0160={ts}\x0138={qty}\x0140=2\x0144={price}\x01",
        )

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until ``condition()`` holds (checked after every read); False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return condition()
        return True

    async def next_message(self, timeout_s: float = 5.0, msg_type: str | None = None) -> FixMessage:
        """Return the next queued application message (of ``msg_type`` when given).

        Raises:
            TimeoutError: none arrived in time.
        """

        def found() -> bool:
            while self.messages and msg_type is not None and self.messages[0].msg_type != msg_type:
                self.messages.popleft()
            return bool(self.messages)

        if not await self.wait_until(found, timeout_s):
            raise TimeoutError(f"no {msg_type or 'application'} message within {timeout_s}s")
        return self.messages.popleft()

    async def logout(self, timeout_s: float = 2.0) -> None:
        """Send Logout, wait for the answer or the close, then close."""
        self.session.logout(None, time.time_ns())
        self.flush()
        await self.wait_until(lambda: not self.is_connected or self.session.wants_close, timeout_s)
        self.close()

    def close(self) -> None:
        """Close the connection now."""
        if self._timer is not None:
            self._timer.cancel()
        if self._transport is not None:
            self._transport.close()
        self.session.connection_lost()
