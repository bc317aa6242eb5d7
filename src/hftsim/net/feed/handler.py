"""FeedHandler: a MoldUDP64 ITCH listener that recovers gaps and rebuilds the book. Hot path.

Packets are applied strictly in sequence. A packet past the expected number opens a *gap*; the
messages after it wait in a buffer. Once a gap has been open ``request_delay_ms`` (reordered packets
usually fill it first) its missing messages are re-requested from the re-request server in chunks of
``max_request_messages``, and again every ``retry_ms`` up to ``max_retries`` times. A gap still open
after that, or older than ``max_gap_age_ms``, or larger than ``max_missing`` messages, falls back to
a **snapshot** (:mod:`hftsim.net.feed.snapshot`): the book is replaced by the snapshot's Add Orders
and the feed continues at its ``valid_at`` number; messages skipped that way count as unrecovered.
Duplicates (already applied or buffered) are counted and dropped. Heartbeats and End of Session
carry the next sequence number, so loss at the tail is detected too.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import numpy as np

from hftsim.net.feed.book import ItchBook
from hftsim.net.feed.snapshot import decode_marker, encode_snapshot_request
from hftsim.net.mold import END_OF_SESSION_COUNT, HEADER_SIZE, HEARTBEAT_COUNT, encode_request, session_field

__all__ = ["FeedHandler"]

_HEADER = struct.Struct(">10sQH")
LOOPBACK = "127.0.0.1"


class _Gap:
    __slots__ = ("start", "end", "detected_ns", "requested_ns", "retries", "remaining")

    def __init__(self, start: int, end: int, now_ns: int) -> None:
        self.start, self.end = start, end
        self.detected_ns = now_ns
        self.requested_ns = 0
        self.retries = 0
        self.remaining = end - start


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: FeedHandler) -> None:
        self._handler = handler

    def datagram_received(self, data: bytes, addr) -> None:
        self._handler.on_datagram(data)

    def error_received(self, exc) -> None:
        self._handler.counts["socket_errors"] += 1


class FeedHandler:
    """Listen to a feed, recover its gaps, and keep the rebuilt book.

    Args:
        session: the MoldUDP64 session to accept (up to 10 ASCII bytes).
        feed_address: (host, port) to listen on: 127.0.0.1 and a port (0: any; see
            :attr:`feed_address` after start), or a multicast group joined on loopback.
        rerequest_address: (host, port) of the re-request server.
        apply_book: rebuild the book (False: sequence recovery only, for benchmarks of transport).
        request_delay_ms, retry_ms, max_retries, max_gap_age_ms, max_request_messages,
        max_missing, snapshot_timeout_ms: recovery policy (module docstring).
    """

    def __init__(
        self,
        session: bytes,
        feed_address: tuple[str, int],
        rerequest_address: tuple[str, int],
        *,
        apply_book: bool = True,
        request_delay_ms: float = 1.0,
        retry_ms: float = 20.0,
        max_retries: int = 5,
        max_gap_age_ms: float = 500.0,
        max_request_messages: int = 500,
        max_missing: int = 1_000_000,
        snapshot_timeout_ms: float = 200.0,
    ) -> None:
        self._session = session_field(session)
        self._feed_address = (str(feed_address[0]), int(feed_address[1]))
        self._rerequest_address = (str(rerequest_address[0]), int(rerequest_address[1]))
        self._apply_book = apply_book
        self._request_delay_ns = int(request_delay_ms * 1e6)
        self._retry_ns = int(retry_ms * 1e6)
        self._max_retries = max_retries
        self._max_gap_age_ns = int(max_gap_age_ms * 1e6)
        self._max_request = max_request_messages
        self._max_missing = max_missing
        self._snapshot_timeout_ns = int(snapshot_timeout_ms * 1e6)
        self.book = ItchBook()
        self.next_seq = 1
        self._high = 1  # one past the highest sequence number seen
        self._buffer: dict[int, bytes] = {}
        self._missing: dict[int, _Gap] = {}
        self._gaps: list[_Gap] = []
        self._snapshot_parts: dict[int, bytes] = {}
        self._snapshot_requested_ns = 0
        self._snapshot_id = -1
        self._feed_transport = None
        self._request_transport = None
        self._timer: asyncio.TimerHandle | None = None
        self.is_end_of_session = False
        self.gap_fill_ns: list[int] = []
        self.counts = {
            "packets": 0,
            "messages": 0,
            "heartbeats": 0,
            "duplicates": 0,
            "malformed": 0,
            "wrong_session": 0,
            "gaps": 0,
            "gaps_recovered": 0,
            "gaps_unrecovered": 0,
            "messages_missing": 0,
            "messages_recovered": 0,
            "messages_unrecovered": 0,
            "requests_sent": 0,
            "request_retries": 0,
            "snapshots_requested": 0,
            "snapshots_applied": 0,
            "socket_errors": 0,
        }

    # ------------------------------------------------------------ lifecycle

    @property
    def feed_address(self) -> tuple[str, int]:
        """Return the (host, port) the handler listens on."""
        if self._feed_transport is None:
            return self._feed_address
        return self._feed_address[0], self._feed_transport.get_extra_info("sockname")[1]

    @property
    def rerequest_address(self) -> tuple[str, int]:
        """The (host, port) re-requests go to; it may change after :meth:`start`, for a publisher
        that bound a free port only when it started (``FeedPublisher.rerequest_address``)."""
        return self._rerequest_address

    @rerequest_address.setter
    def rerequest_address(self, address: tuple[str, int]) -> None:
        self._rerequest_address = (str(address[0]), int(address[1]))

    async def start(self) -> None:
        """Open the feed socket (joining a multicast group if given) and the request socket."""
        loop = asyncio.get_running_loop()
        host, port = self._feed_address
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.setblocking(False)
        if socket.inet_aton(host)[0] >> 4 == 14:  # 224.0.0.0/4
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            mreq = socket.inet_aton(host) + socket.inet_aton(LOOPBACK)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        else:
            sock.bind((host, port))
        self._feed_transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        rsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        rsock.setblocking(False)
        rsock.bind((LOOPBACK, 0))
        self._request_transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=rsock)

    async def stop(self) -> None:
        """Close the sockets."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for t in (self._feed_transport, self._request_transport):
            if t is not None:
                t.close()
        self._feed_transport = self._request_transport = None

    # ------------------------------------------------------------ views

    def l3(self, locate: int) -> list[tuple[int, int, int, int]]:
        """Return the rebuilt L3 of a stock locate (see :meth:`ItchBook.l3`)."""
        return self.book.l3(locate)

    def l2(self, locate: int, depth: int = 10):
        """Return the rebuilt L2 of a stock locate (see :meth:`ItchBook.l2`)."""
        return self.book.l2(locate, depth)

    @property
    def open_gaps(self) -> int:
        """Return the gaps not yet filled."""
        return len(self._gaps)

    def stats(self) -> dict:
        """Return the counters and gap-fill latency percentiles (ms)."""
        out: dict = dict(self.counts)
        out["next_seq"] = self.next_seq
        out["open_gaps"] = len(self._gaps)
        out["buffered"] = len(self._buffer)
        fills = np.asarray(self.gap_fill_ns, dtype=np.float64) / 1e6
        for q in (50, 99, 100):
            out[f"gap_fill_p{q}_ms"] = float(np.percentile(fills, q)) if fills.size else 0.0
        return out

    # ------------------------------------------------------------ receiving

    def on_datagram(self, data: bytes) -> None:
        """Handle one datagram from the feed or the re-request server."""
        size = len(data)
        if size < HEADER_SIZE:
            self.counts["malformed"] += 1
            return
        session, seq, count = _HEADER.unpack_from(data, 0)
        if session != self._session:
            self.counts["wrong_session"] += 1
            return
        self.counts["packets"] += 1
        if count == HEARTBEAT_COUNT or count == END_OF_SESSION_COUNT:
            self.counts["heartbeats"] += 1
            if count == END_OF_SESSION_COUNT:
                self.is_end_of_session = True
            if seq > self._high:
                self._open_gap(self._high, seq)
                self._high = seq
            return
        messages = _blocks(data, count)
        if messages is None:
            self.counts["malformed"] += 1
            return
        if seq == 0:
            self._on_snapshot_part(messages)
            return
        self.counts["messages"] += len(messages)
        end = seq + len(messages)
        # the common case: in order, nothing waiting and nothing missing (a heartbeat or End of Session
        # ahead of a late packet opens a gap with an empty buffer: that packet must close it)
        if seq == self.next_seq and not self._buffer and not self._missing:
            if self._apply_book:
                apply = self.book.apply_bytes
                for m in messages:
                    apply(m)
            self.next_seq = end
            if end > self._high:
                self._high = end
            return
        if seq > self._high:
            self._open_gap(self._high, seq)
        if end > self._high:
            self._high = end
        buffer, missing, next_seq = self._buffer, self._missing, self.next_seq
        for i, m in enumerate(messages):
            s = seq + i
            if s < next_seq or s in buffer:
                self.counts["duplicates"] += 1
                continue
            buffer[s] = m
            gap = missing.pop(s, None)
            if gap is not None:
                self._filled_one(gap)
        self._drain()

    def _drain(self) -> None:
        buffer = self._buffer
        s = self.next_seq
        apply = self.book.apply_bytes if self._apply_book else None
        while s in buffer:
            m = buffer.pop(s)
            if apply is not None:
                apply(m)
            s += 1
        self.next_seq = s

    def _filled_one(self, gap: _Gap) -> None:
        self.counts["messages_recovered"] += 1
        gap.remaining -= 1
        if gap.remaining == 0:
            self.gap_fill_ns.append(time.monotonic_ns() - gap.detected_ns)
            self.counts["gaps_recovered"] += 1
            self._gaps.remove(gap)

    def _open_gap(self, start: int, end: int) -> None:
        now = time.monotonic_ns()
        self.counts["gaps"] += 1
        self.counts["messages_missing"] += end - start
        if len(self._missing) + end - start > self._max_missing:
            self.counts["gaps_unrecovered"] += 1
            self.counts["messages_unrecovered"] += end - start
            self._request_snapshot(now)
            return
        gap = _Gap(start, end, now)
        self._gaps.append(gap)
        for s in range(start, end):
            self._missing[s] = gap
        self._arm(self._request_delay_ns)

    # ------------------------------------------------------------ recovery

    def _arm(self, delay_ns: int) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(delay_ns / 1e9, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = time.monotonic_ns()
        is_stuck = False
        for gap in self._gaps:
            if now - gap.detected_ns < self._request_delay_ns:
                continue
            if gap.retries > self._max_retries or now - gap.detected_ns > self._max_gap_age_ns:
                is_stuck = True
                break
            if gap.requested_ns == 0 or now - gap.requested_ns >= self._retry_ns:
                if gap.requested_ns:
                    self.counts["request_retries"] += 1
                gap.retries += 1
                gap.requested_ns = now
                self._request_missing(gap)
        if is_stuck or (
            self._snapshot_requested_ns and now - self._snapshot_requested_ns > self._snapshot_timeout_ns
        ):
            self._request_snapshot(now)
        if self._gaps or self._snapshot_requested_ns:
            self._arm(min(self._retry_ns, max(self._request_delay_ns, 1_000_000)))

    def _request_missing(self, gap: _Gap) -> None:
        missing = self._missing
        s, end = gap.start, gap.end
        while s < end:
            if missing.get(s) is not gap:
                s += 1
                continue
            run_end = s + 1
            while run_end < end and run_end - s < self._max_request and missing.get(run_end) is gap:
                run_end += 1
            self._send_request(encode_request(self._session, s, run_end - s))
            s = run_end

    def _send_request(self, packet: bytes) -> None:
        if self._request_transport is not None:
            self._request_transport.sendto(packet, self._rerequest_address)
            self.counts["requests_sent"] += 1

    def _request_snapshot(self, now: int) -> None:
        self.counts["snapshots_requested"] += 1
        self._snapshot_requested_ns = now
        self._snapshot_parts.clear()
        self._snapshot_id = -1
        self._send_request(encode_snapshot_request(self._session))
        self._arm(self._retry_ns)

    def _on_snapshot_part(self, messages: list[bytes]) -> None:
        marker = decode_marker(messages[0]) if messages else None
        if marker is None or not self._snapshot_requested_ns:
            self.counts["malformed" if marker is None else "duplicates"] += 1
            return
        if marker.snapshot_id != self._snapshot_id:
            self._snapshot_id = marker.snapshot_id
            self._snapshot_parts = {}
        self._snapshot_parts[marker.part] = messages[1:]
        if len(self._snapshot_parts) == marker.parts:
            self._apply_snapshot(marker.valid_at)

    def _apply_snapshot(self, valid_at: int) -> None:
        parts = self._snapshot_parts
        self._snapshot_parts = {}
        self._snapshot_requested_ns = 0
        if valid_at <= self.next_seq:
            return  # the gap filled meanwhile; this snapshot is older than the book
        self.counts["snapshots_applied"] += 1
        self.book.clear()
        if self._apply_book:
            for i in range(len(parts)):
                for m in parts[i]:
                    self.book.apply_bytes(m)
        for s in range(self.next_seq, valid_at):
            gap = self._missing.pop(s, None)
            if gap is not None:
                self.counts["messages_unrecovered"] += 1
                gap.remaining -= 1
            self._buffer.pop(s, None)
        for gap in [g for g in self._gaps if g.start < valid_at]:
            if gap.remaining == 0 or gap.end <= valid_at:
                self.counts["gaps_unrecovered"] += 1
                self._gaps.remove(gap)
        self.next_seq = valid_at
        self._high = max(self._high, valid_at)
        self._drain()


def _blocks(data: bytes, count: int) -> list[bytes] | None:
    """Split a downstream packet's blocks, or None when the packet is malformed."""
    out = []
    pos, size = HEADER_SIZE, len(data)
    for _ in range(count):
        if pos + 2 > size:
            return None
        stop = pos + 2 + (data[pos] << 8 | data[pos + 1])
        if stop > size:
            return None
        out.append(data[pos + 2 : stop])
        pos = stop
    return out if pos == size else None
