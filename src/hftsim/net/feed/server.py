"""The MoldUDP64 re-request server: retransmissions and snapshots from the store. Hot path.

Policy (``docs/feed.md``):

* A request is first checked (:func:`~hftsim.net.mold.decode_request`): wrong length, session,
  sequence 0, count 0 or above ``max_request_messages`` are ignored and counted by reason.
* Each source address has a token bucket of requests; a flood beyond it is dropped and counted.
* Small recent requests (at most ``small_request_messages``, starting within ``recent_messages``
  of the live edge) go to the **priority** queue and are answered in the tick they arrive; large,
  old ranges and snapshots go to the **paced** queue, served from a token bucket of messages per
  second, so a retransmission storm never takes the event loop from the live feed.
* Answers are standard downstream packets unicast to the requester's address.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Callable

from hftsim.core.errors import ProtocolError
from hftsim.net.feed.snapshot import encode_snapshot, is_snapshot_request
from hftsim.net.feed.store import RetransmitStore
from hftsim.net.mold import MoldPacker, MoldRequestError, decode_request

__all__ = ["RerequestServer", "RetransmitPolicy", "TokenBucket"]


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; time in ns from the caller."""

    __slots__ = ("rate", "burst", "tokens", "_t_ns")

    def __init__(self, rate: float, burst: float, now_ns: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self._t_ns = now_ns

    def refill(self, now_ns: int) -> float:
        """Add the tokens earned since the last call and return the tokens available."""
        dt = now_ns - self._t_ns
        if dt > 0:
            self.tokens = min(self.burst, self.tokens + dt * self.rate / 1e9)
            self._t_ns = now_ns
        return self.tokens

    def take(self, n: float, now_ns: int) -> bool:
        """Take ``n`` tokens if available."""
        if self.refill(now_ns) >= n:
            self.tokens -= n
            return True
        return False


class RetransmitPolicy:
    """Limits of the re-request server (all bounded; see the module docstring).

    Args:
        max_request_messages: larger requests are ignored as oversized.
        small_request_messages: requests up to this size may take the priority queue...
        recent_messages: ...when they start within this many messages of the live edge.
        paced_messages_per_s: token rate of the paced queue (messages per second).
        paced_burst_messages: its bucket depth.
        priority_messages_per_tick: priority messages sent per event-loop tick at most.
        requests_per_s_per_source: request rate allowed per source address (bucket depth = 1 s).
        max_queued_jobs: requests queued beyond this are dropped and counted.
        max_sources: source addresses tracked for rate limiting (oldest forgotten first).
    """

    def __init__(
        self,
        *,
        max_request_messages: int = 2000,
        small_request_messages: int = 500,
        recent_messages: int = 100_000,
        paced_messages_per_s: float = 200_000.0,
        paced_burst_messages: float = 5_000.0,
        priority_messages_per_tick: int = 4_000,
        requests_per_s_per_source: float = 2_000.0,
        max_queued_jobs: int = 10_000,
        max_sources: int = 4096,
    ) -> None:
        self.max_request_messages = max_request_messages
        self.small_request_messages = small_request_messages
        self.recent_messages = recent_messages
        self.paced_messages_per_s = paced_messages_per_s
        self.paced_burst_messages = paced_burst_messages
        self.priority_messages_per_tick = priority_messages_per_tick
        self.requests_per_s_per_source = requests_per_s_per_source
        self.max_queued_jobs = max_queued_jobs
        self.max_sources = max_sources


class _Job:
    __slots__ = ("addr", "seq", "count", "packets")

    def __init__(self, addr, seq: int, count: int, packets: list[bytes] | None = None) -> None:
        self.addr = addr
        self.seq = seq
        self.count = count
        self.packets = packets  # prebuilt (snapshots); else built from the store as it goes


class RerequestServer(asyncio.DatagramProtocol):
    """Answer MoldUDP64 re-requests and snapshot requests.

    Args:
        session: the 10-byte session field.
        store: where retransmitted messages come from.
        snapshot_source: returns ``(valid_at, add_order_messages)`` of the current book.
        policy: limits.
        clock_ns: monotonic nanoseconds.
        max_payload: packet size limit.
    """

    def __init__(
        self,
        session: bytes,
        store: RetransmitStore,
        snapshot_source: Callable[[], tuple[int, list[bytes]]],
        policy: RetransmitPolicy,
        clock_ns: Callable[[], int],
        max_payload: int = 1400,
    ) -> None:
        self._session = session
        self._store = store
        self._snapshot_source = snapshot_source
        self.policy = policy
        self._clock_ns = clock_ns
        self._max_payload = max_payload
        self._transport: asyncio.DatagramTransport | None = None
        self._sources: dict[object, TokenBucket] = {}
        self._priority: deque[_Job] = deque()
        self._paced: deque[_Job] = deque()
        self._paced_bucket = TokenBucket(policy.paced_messages_per_s, policy.paced_burst_messages, clock_ns())
        self._is_scheduled = False
        self._snapshot_id = 0
        self.counts = {
            "requests": 0,
            "requests_priority": 0,
            "requests_paced": 0,
            "requests_rate_limited": 0,
            "requests_queue_full": 0,
            "requests_unavailable": 0,
            "snapshots": 0,
            "retransmitted_messages": 0,
            "retransmitted_packets": 0,
            "malformed": 0,
            **{f"malformed_{r.name.lower()}": 0 for r in MoldRequestError},
        }

    # ------------------------------------------------------------ asyncio

    def connection_made(self, transport) -> None:
        self._transport = transport

    def connection_lost(self, exc) -> None:
        self._transport = None

    def error_received(self, exc) -> None:
        self.counts.setdefault("socket_errors", 0)
        self.counts["socket_errors"] += 1

    def datagram_received(self, data: bytes, addr) -> None:
        now = self._clock_ns()
        if not self._allow(addr, now):
            self.counts["requests_rate_limited"] += 1
            return
        if len(self._priority) + len(self._paced) >= self.policy.max_queued_jobs:
            self.counts["requests_queue_full"] += 1
            return
        if is_snapshot_request(data, self._session):
            self.counts["snapshots"] += 1
            self._snapshot_id += 1
            valid_at, messages = self._snapshot_source()
            packets = encode_snapshot(self._session, valid_at, self._snapshot_id, messages, self._max_payload)
            self._paced.append(_Job(addr, 0, len(messages), packets))
            self._schedule()
            return
        try:
            req = decode_request(
                data, max_message_count=self.policy.max_request_messages, session=self._session
            )
        except ProtocolError as e:
            self.counts["malformed"] += 1
            self.counts[f"malformed_{e.reason.name.lower()}"] += 1
            return
        self.counts["requests"] += 1
        seq, count = req.sequence_number, req.message_count
        if seq < self._store.first_sequence_number or seq >= self._store.next_sequence_number:
            self.counts["requests_unavailable"] += 1
            return
        job = _Job(addr, seq, count)
        edge = self._store.next_sequence_number
        if count <= self.policy.small_request_messages and edge - seq <= self.policy.recent_messages:
            self.counts["requests_priority"] += 1
            self._priority.append(job)
        else:
            self.counts["requests_paced"] += 1
            self._paced.append(job)
        self._schedule()

    def _allow(self, addr, now: int) -> bool:
        bucket = self._sources.get(addr)
        if bucket is None:
            if len(self._sources) >= self.policy.max_sources:
                del self._sources[next(iter(self._sources))]
            rate = self.policy.requests_per_s_per_source
            bucket = self._sources[addr] = TokenBucket(rate, rate, now)
        return bucket.take(1, now)

    # ------------------------------------------------------------ sending

    @property
    def backlog_jobs(self) -> int:
        """Return the requests waiting to be answered."""
        return len(self._priority) + len(self._paced)

    def _schedule(self, delay_s: float = 0.0) -> None:
        if self._is_scheduled:
            return
        self._is_scheduled = True
        loop = asyncio.get_running_loop()
        if delay_s:
            loop.call_later(delay_s, self._drain)
        else:
            loop.call_soon(self._drain)

    def _drain(self) -> None:
        self._is_scheduled = False
        if self._transport is None:
            self._priority.clear()
            self._paced.clear()
            return
        budget = self.policy.priority_messages_per_tick
        while self._priority and budget > 0:
            budget -= self._send_some(self._priority, budget)
        now = self._clock_ns()
        while self._paced:
            tokens = int(self._paced_bucket.refill(now))
            if tokens < 1:
                break
            sent = self._send_some(self._paced, tokens)
            self._paced_bucket.tokens -= sent
        if self._priority:
            self._schedule()
        elif self._paced:
            self._schedule(0.001)

    def _send_some(self, queue: deque[_Job], budget: int) -> int:
        """Send up to about ``budget`` messages of the job at the head of ``queue``; return messages sent."""
        job = queue[0]
        if job.packets is not None:  # a snapshot: whole packets
            sent = 0
            while job.packets and sent < budget:
                packet = job.packets.pop(0)
                self._transport.sendto(packet, job.addr)
                sent += len(packet) // 38 + 1  # about one Add Order block per 38 bytes
                self.counts["retransmitted_packets"] += 1
            if not job.packets:
                queue.popleft()
            return max(sent, 1)
        n = min(job.count, budget)
        messages = self._store.get(job.seq, n)
        if not messages:
            queue.popleft()
            return 1
        packer = MoldPacker(self._session, self._max_payload, job.seq)
        for packet in packer.pack(messages):
            self._transport.sendto(packet, job.addr)
            self.counts["retransmitted_packets"] += 1
        job.seq += len(messages)
        job.count -= len(messages)
        self.counts["retransmitted_messages"] += len(messages)
        if job.count <= 0 or len(messages) < n:
            queue.popleft()
        return len(messages)
