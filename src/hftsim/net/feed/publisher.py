"""FeedPublisher: engine events -> ITCH 5.0 -> MoldUDP64 over UDP, with retransmission. Hot path.

``publish(events)`` translates, stores and sends at once and never waits: full packets go straight to
the (non-blocking) socket, the open packet is flushed at the end of the event-loop tick. When the
socket's write buffer is over ``max_backlog_bytes`` a live packet is *shed*: counted in
``packets_shed``/``messages_shed`` and still recoverable from the retransmit store, never silently
lost. Heartbeats go out after ``heartbeat_interval_s`` of silence; :meth:`stop` sends System Event 'C'
and End of Session packets. Sockets are on 127.0.0.1 only; a multicast destination (224.0.0.0/4) is
sent on the loopback interface with TTL 0 or 1 and IP_MULTICAST_LOOP on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any, Sequence

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.net.faults import FaultConfig, FaultInjector, FaultySender, Flood
from hftsim.net.feed.book import ItchBook
from hftsim.net.feed.server import RerequestServer, RetransmitPolicy
from hftsim.net.feed.store import RetransmitStore
from hftsim.net.feed.translate import NS_PER_DAY, EventTranslator
from hftsim.net.itch import AddOrder, encode
from hftsim.net.mold import MoldPacker, session_field

__all__ = ["FeedPublisher", "check_destination"]

LOOPBACK = "127.0.0.1"


def check_destination(host: str, port: int) -> bool:
    """Return True for a multicast group, False for a loopback unicast address.

    Raises:
        ConfigError: any other address (the venue only talks on 127.0.0.1), or a bad port.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError as e:
        raise ConfigError(f"feed destination {host!r}: not an IPv4 address") from e
    if not 0 < int(port) < 65536:
        raise ConfigError(f"feed destination {host}:{port}: port must be 1..65535")
    if address.is_multicast:
        return True
    if not address.is_loopback:
        raise ConfigError(f"feed destination {host}: only loopback (127.0.0.0/8) or multicast groups allowed")
    return False


class FeedPublisher:
    """Publish a venue's events as a MoldUDP64 ITCH feed with a re-request server.

    Args:
        instruments: the venue's instruments (may be empty for :meth:`publish_messages` replay).
        session: the MoldUDP64 session (up to 10 ASCII bytes).
        destinations: (host, port) of each listener or multicast group.
        rerequest_port: UDP port of the re-request server on 127.0.0.1 (0: any free port; see
            :attr:`rerequest_address`).
        faults: a :class:`~hftsim.net.faults.FaultInjector`, a FaultConfig or a mapping, applied to the
            live feed (not to retransmissions).
        heartbeat_interval_s: silence before a heartbeat.
        max_payload: packet size limit in bytes.
        max_backlog_bytes: socket write-buffer size above which live packets are shed.
        store_messages: retransmit store size in messages.
        policy: re-request server limits.
        multicast_ttl: 0 (host only) or 1.
        end_of_session_repeats: End of Session packets sent by :meth:`stop`, 20 ms apart.
    """

    def __init__(
        self,
        instruments: Sequence[Instrument],
        session: bytes,
        destinations: list[tuple[str, int]],
        rerequest_port: int,
        faults: FaultInjector | FaultConfig | Mapping[str, Any] | None = None,
        *,
        heartbeat_interval_s: float = 1.0,
        max_payload: int = 1400,
        max_backlog_bytes: int = 4 << 20,
        store_messages: int = 1 << 22,
        policy: RetransmitPolicy | None = None,
        multicast_ttl: int = 1,
        end_of_session_repeats: int = 3,
    ) -> None:
        self._session = session_field(session)
        self.destinations = [(str(h), int(p)) for h, p in destinations]
        self._is_multicast = [check_destination(h, p) for h, p in self.destinations]
        if not 0 <= int(rerequest_port) < 65536:
            raise ConfigError(f"rerequest_port must be 0..65535, got {rerequest_port}")
        if multicast_ttl not in (0, 1):
            raise ConfigError(f"multicast_ttl must be 0 or 1, got {multicast_ttl}")
        self._rerequest_port = int(rerequest_port)
        self._translator = EventTranslator(instruments)
        if faults is None or isinstance(faults, FaultInjector):
            self._injector = faults
        else:
            self._injector = FaultInjector(faults, "net.feed.faults")
        self._heartbeat_s = heartbeat_interval_s
        self._max_payload = max_payload
        self._max_backlog = max_backlog_bytes
        self._multicast_ttl = multicast_ttl
        self._eos_repeats = end_of_session_repeats
        self._packer = MoldPacker(self._session, max_payload)
        self._store = RetransmitStore(
            max_messages=store_messages, segment_messages=min(1 << 14, max(1, store_messages // 4))
        )
        self._policy = policy or RetransmitPolicy()
        self._raw_book: ItchBook | None = None  # snapshot source when messages are published raw
        self._transport: asyncio.DatagramTransport | None = None
        self._sender = None
        self._server: RerequestServer | None = None
        self._server_transport: asyncio.DatagramTransport | None = None
        self._heartbeat_task: asyncio.Task | None = None
        self._flood_task: asyncio.Task | None = None
        self._is_flush_scheduled = False
        self._last_send_ns = 0
        self._scratch: list[bytes] = []
        self._started_ns = 0
        self._counts = {
            "events": 0,
            "messages": 0,
            "packets": 0,
            "bytes": 0,
            "heartbeats": 0,
            "packets_shed": 0,
            "messages_shed": 0,
            "max_backlog_bytes": 0,
            "publish_calls": 0,
        }

    # ------------------------------------------------------------ lifecycle

    @property
    def rerequest_address(self) -> tuple[str, int]:
        """Return the re-request server's (host, port) once started."""
        if self._server_transport is None:
            return LOOPBACK, self._rerequest_port
        return self._server_transport.get_extra_info("sockname")[:2]

    @property
    def stats_messages(self) -> int:
        """Return the messages published so far (cheap; for pacing loops)."""
        return self._counts["messages"]

    @property
    def next_sequence_number(self) -> int:
        """Return the sequence number the next message will get."""
        return self._packer.next_sequence_number

    async def start(self, ts_event: int | None = None) -> None:
        """Open the sockets, start heartbeats and send the start of day (System Event 'O', directory)."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind((LOOPBACK, 0))
        if any(self._is_multicast):
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(LOOPBACK))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self._multicast_ttl)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self._transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, sock=sock)
        self._sender = (
            self._transport if self._injector is None else FaultySender(self._transport, self._injector)
        )
        self._server = RerequestServer(
            self._session, self._store, self._snapshot, self._policy, time.monotonic_ns, self._max_payload
        )
        self._server_transport, _ = await loop.create_datagram_endpoint(
            lambda: self._server, local_addr=(LOOPBACK, self._rerequest_port)
        )
        self._started_ns = time.monotonic_ns()
        self._last_send_ns = self._started_ns
        self._heartbeat_task = loop.create_task(self._heartbeats())
        flood = self._injector.config.flood if self._injector is not None else None
        if flood is not None and self.destinations:
            self._flood_task = loop.create_task(
                Flood(flood, self._injector.config.seed).run(self._transport, self.destinations[0])
            )
        if self._translator.instruments:
            self._enqueue(self._translator.start_of_day(time.time_ns() if ts_event is None else ts_event))

    async def stop(
        self,
        ts_event: int | None = None,
        linger_s: float = 0.05,
        linger_until: Callable[[], bool] | None = None,
    ) -> None:
        """Send System Event 'C', End of Session packets, let retransmissions drain, and close.

        Args:
            ts_event: timestamp of the end-of-day messages (default: now).
            linger_s: keep serving re-requests for at most this long.
            linger_until: stop lingering early once this returns True (e.g. every known receiver is
                complete); without it, lingering ends as soon as no retransmission is pending.
        """
        if self._transport is None:
            return
        if self._translator.instruments:
            self._enqueue(self._translator.end_of_day(time.time_ns() if ts_event is None else ts_event))
        self._flush()
        for task in (self._heartbeat_task, self._flood_task):
            if task is not None:
                task.cancel()
        if isinstance(self._sender, FaultySender):
            self._sender.flush()
        for _ in range(self._eos_repeats):
            self._send(self._packer.end_of_session())
            await asyncio.sleep(0.02)
        deadline = time.monotonic() + linger_s
        while self._server is not None and time.monotonic() < deadline:
            if linger_until is None and not self._server.backlog_jobs:
                break
            if linger_until is not None and linger_until() and not self._server.backlog_jobs:
                break
            await asyncio.sleep(0.005)
        self._transport.close()
        self._server_transport.close()
        self._transport = None

    # ------------------------------------------------------------ publishing

    def publish(self, events: np.ndarray) -> None:
        """Translate engine events (EVENT_DTYPE) into the feed. Never blocks."""
        self._counts["publish_calls"] += 1
        self._counts["events"] += len(events)
        messages = self._translator.translate(events, self._scratch)
        if messages:
            self._enqueue(messages)
            messages.clear()

    def publish_messages(self, messages: Sequence[bytes]) -> None:
        """Publish ready ITCH messages (a replay); the publisher keeps its own book for snapshots."""
        if self._raw_book is None:
            self._raw_book = ItchBook()
        for m in messages:
            self._raw_book.apply_bytes(m)
        self._enqueue(messages)

    def _enqueue(self, messages: Sequence[bytes]) -> None:
        self._store.extend(messages)  # stored before any is sent: a re-request can always be served
        for packet in self._packer.extend(messages):
            self._send(packet)
        self._counts["messages"] += len(messages)
        if not self._is_flush_scheduled and self._packer.pending_messages:
            self._is_flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._is_flush_scheduled = False
        packet = self._packer.flush()
        if packet is not None:
            self._send(packet)

    def _send(self, packet: bytes) -> None:
        if self._transport is None:
            return
        backlog = self._transport.get_write_buffer_size()
        if backlog > self._counts["max_backlog_bytes"]:
            self._counts["max_backlog_bytes"] = backlog
        if backlog > self._max_backlog:
            self._counts["packets_shed"] += 1
            self._counts["messages_shed"] += _message_count(packet)
            return
        for dest in self.destinations:
            self._sender.sendto(packet, dest)
        self._counts["packets"] += 1
        self._counts["bytes"] += len(packet)
        self._last_send_ns = time.monotonic_ns()

    async def _heartbeats(self) -> None:
        interval_ns = int(self._heartbeat_s * 1e9)
        while True:
            idle = time.monotonic_ns() - self._last_send_ns
            if idle >= interval_ns:
                self._flush()
                self._send(self._packer.heartbeat())
                self._counts["heartbeats"] += 1
                idle = 0
            await asyncio.sleep((interval_ns - idle) / 1e9)

    # ------------------------------------------------------------ snapshots and stats

    def _snapshot(self) -> tuple[int, list[bytes]]:
        """Return (valid_at, Add Orders) of the feed's current book (pending messages included)."""
        valid_at = self._packer.next_sequence_number
        ts = time.time_ns() % NS_PER_DAY
        if self._raw_book is None:
            return valid_at, self._translator.snapshot(ts)
        book = self._raw_book
        return valid_at, [
            encode(
                AddOrder(
                    stock_locate=o[0],
                    timestamp_ns=ts,
                    order_reference_number=ref,
                    side="B" if o[1] > 0 else "S",
                    shares=o[3],
                    stock=book.stocks.get(o[0], "?"),
                    price_e4=o[2],
                )
            )
            for ref, o in book.orders.items()
        ]

    def stats(self) -> dict:
        """Return the publisher's counters, the re-request server's and the fault injector's."""
        out: dict[str, Any] = dict(self._counts)
        out["next_sequence_number"] = self._packer.next_sequence_number
        out["store_first_sequence_number"] = self._store.first_sequence_number
        out["store_bytes"] = self._store.nbytes
        out["live_orders"] = self._translator.live_orders()
        elapsed = (time.monotonic_ns() - self._started_ns) / 1e9 if self._started_ns else 0.0
        out["messages_per_s"] = self._counts["messages"] / elapsed if elapsed else 0.0
        if self._server is not None:
            out.update({f"rerequest_{k}": v for k, v in self._server.counts.items()})
            out["rerequest_backlog_jobs"] = self._server.backlog_jobs
        if self._injector is not None:
            out.update({f"faults_{k}": v for k, v in self._injector.stats().items()})
        return out


def _message_count(packet: bytes) -> int:
    count = packet[18] << 8 | packet[19]
    return 0 if count == 0xFFFF else count
