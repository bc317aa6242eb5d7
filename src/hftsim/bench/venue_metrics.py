"""What the venue's metrics cost per message, measured in one process. Cold path (edge: CPU clock).

Two :class:`~hftsim.net.venue.server.VenueServer` objects, one with its monitor (``dashboard_port``;
the dashboard is not started, it costs nothing until a page connects) and one without, take the same
FIX byte stream through the venue's own path: ``FixSession.receive`` -> ``VenueServer.enqueue`` ->
the sequencer's drain (gateway, engine, ExecutionReports) -> the consumer queues, flushed after each
read. They alternate in rounds (each after a full collection, its venue's state frozen as the
venue's timer does), and each side's CPU time per message is the median over its rounds
(``time.process_time``). Measured on the 2-core machine: 0.5-2% since the monitor samples once per
read or drain; 7-8% when it timed every message (a clock read and two histogram records each).
"""

from __future__ import annotations

import gc
import time

import numpy as np

from hftsim.net.fix.codec import format_utc_timestamp
from hftsim.net.fix.session import FixSession, SequenceStore
from hftsim.net.venue.config import parse_config
from hftsim.net.venue.server import VenueServer

__all__ = ["run"]

_CONFIG = {
    "fix": {
        "host": "127.0.0.1",
        "port": 0,
        "sessions": [{"sender_comp_id": "LOAD1", "target_comp_id": "HFTSIM"}],
    },
    "instruments": [{"symbol": "SIM", "tick_size": "0.01"}],
}


def _reads(n_messages: int, per_read: int) -> tuple[FixSession, list[bytes]]:
    """A client's logon and the reads of NewOrderSingle/OrderCancelRequest pairs, as bytes."""
    now = time.time_ns()
    client = FixSession(
        SequenceStore(max_stored=16),
        now_ns=now,
        is_initiator=True,
        local_comp_id="LOAD1",
        remote_comp_id="HFTSIM",
        reset_on_logon=True,
    )
    client.start(now)
    reads = [client.take_output()]
    acceptor = FixSession(SequenceStore(max_stored=16), now_ns=now, allowed_pairs={("HFTSIM", "LOAD1")})
    acceptor.receive(reads[0], now)
    client.receive(acceptor.take_output(), now)  # logged on: what it sends now goes out
    ts = format_utc_timestamp(now)
    for first in range(0, n_messages, per_read):
        for k in range(first, min(first + per_read, n_messages)):
            order = k // 2
            if k % 2 == 0:
                body = f"11=B{order}\x0155=SIM\x0154=1\x0160={ts}\x0138=100\x0140=2\x0144=100.00\x0159=0\x01"
                client.send_body("D", body, now)
            else:
                client.send_body(
                    "F", f"41=B{order}\x0111=Bc{order}\x0155=SIM\x0154=1\x0160={ts}\x0138=100\x01", now
                )
        reads.append(client.take_output())
    return client, reads


def _one_round(with_metrics: bool, reads: list[bytes]) -> float:
    """CPU seconds of one fresh venue taking every read (the logon is not counted)."""
    server = VenueServer(parse_config(_CONFIG), dashboard_port=0 if with_metrics else None)
    session = FixSession(server.store, now_ns=time.time_ns(), allowed_pairs=server.allowed_pairs)
    session.receive(reads[0], time.time_ns())
    session.take_output()
    server._after_drain = session.take_output  # no socket: the reports are taken and dropped
    pools = list(server.consumers.pools.values())
    clock = server.clock
    applied = 0
    gc.collect()  # the previous round's venue is garbage: its collection must not fall in this round
    gc.freeze()  # as the venue's timer does every 200 ms: its long-lived state out of the collector's way
    start = time.process_time()
    for data in reads[1:]:
        arrived = time.perf_counter_ns()
        messages = session.receive(data, clock.now_ns())
        applied += len(messages)
        server.enqueue(session, messages, arrived)
        for pool in pools:
            pool.flush()
    elapsed = time.process_time() - start
    gc.unfreeze()
    if applied == 0:
        raise RuntimeError("the venue applied no message: the logon failed")
    return elapsed


def run(quick: bool = False) -> dict:
    """Return ``ns_per_msg`` with and without metrics and ``overhead_pct`` (see the module docstring).

    Args:
        quick: 20,000 messages per round and 3 rounds per side instead of 100,000 and 7.
    """
    n_messages, rounds = (20_000, 3) if quick else (100_000, 7)
    _, reads = _reads(n_messages, per_read=8)
    on, off = [], []
    for _ in range(rounds):
        off.append(_one_round(False, reads))
        on.append(_one_round(True, reads))
    ns_on = 1e9 * float(np.median(on)) / n_messages
    ns_off = 1e9 * float(np.median(off)) / n_messages
    return {
        "ns_per_msg_metrics": round(ns_on),
        "ns_per_msg_no_metrics": round(ns_off),
        "overhead_pct": round(100 * (ns_on - ns_off) / ns_off, 2),
        "messages_per_round": n_messages,
        "rounds": rounds,
    }
