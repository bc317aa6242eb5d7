"""Feed benchmark: publisher and handler over loopback UDP under bursty loss. Edge (wall clock, sockets).

The parent process runs a matching engine on a seeded workload and a :class:`FeedPublisher` paced at
``rate`` ITCH messages per second, with Gilbert-Elliott loss (mean burst 4 packets), 1% reordering
and 1% duplication on the live feed. A child process runs the :class:`FeedHandler`, which recovers
gaps through the re-request server and rebuilds the book; at the end the two books are compared.
Everything is on 127.0.0.1 and bounded in time.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing as mp
import time

import numpy as np

__all__ = ["run"]

SESSION = b"BENCH"


def _book_digest(rows) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()


def _handler_main(conn, n_symbols: int, deadline_s: float) -> None:
    from hftsim.net.feed import REF_ORDER_MASK, FeedHandler

    async def main() -> dict:
        handler = FeedHandler(SESSION, ("127.0.0.1", 0), ("127.0.0.1", 1))
        await handler.start()
        conn.send(handler.feed_address)
        handler.rerequest_address = tuple(conn.recv())
        end = time.monotonic() + deadline_s
        while time.monotonic() < end and not (handler.is_end_of_session and not handler.open_gaps):
            await asyncio.sleep(0.01)
        stats = handler.stats()
        stats["books"] = [
            _book_digest([(ref & REF_ORDER_MASK, side, px, q) for ref, side, px, q in handler.l3(s + 1)])
            for s in range(n_symbols)
        ]
        await handler.stop()
        return stats

    conn.send(asyncio.run(main()))


async def _publish(engine, commands, instruments, faults: dict, rate: float, duration_s: float, conn) -> dict:
    from hftsim.net.feed import FeedPublisher

    feed_address = conn.recv()
    publisher = FeedPublisher(
        instruments, SESSION, [tuple(feed_address)], 0, faults=faults, heartbeat_interval_s=0.1
    )
    await publisher.start()
    conn.send(publisher.rerequest_address)
    await asyncio.sleep(0.2)  # let the handler's loop settle
    i, chunk, n = 0, 32, len(commands)
    start = time.monotonic()
    lag_ms = []
    while (elapsed := time.monotonic() - start) < duration_s and i < n:
        due = rate * elapsed
        tick = time.monotonic()
        while publisher.stats_messages < due and i < n:
            publisher.publish(engine.run_batch(commands[i : i + chunk]))
            i += chunk
        lag_ms.append((time.monotonic() - tick) * 1e3)
        await asyncio.sleep(0.001)
    elapsed = time.monotonic() - start
    stats = publisher.stats()
    # serve re-requests until the handler reports it is complete (or gives up at its deadline):
    # a message counts as unrecovered only if the receiver could not get it while the venue was up
    await publisher.stop(linger_s=30.0, linger_until=conn.poll)
    stats["linger_s"] = round(time.monotonic() - start - elapsed, 3)
    stats["elapsed_s"] = elapsed
    stats["commands"] = i
    stats["tick_work_p99_ms"] = float(np.percentile(lag_ms, 99)) if lag_ms else 0.0
    return stats


def _scenario(commands, instruments, loss: float, rate: float, duration_s: float, seed: int) -> dict:
    from hftsim.matching import MatchingEngine

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_handler_main, args=(child, len(instruments), duration_s + 20.0), daemon=True)
    proc.start()
    engine = MatchingEngine(instruments, capacity=1 << 16)
    faults = {"seed": seed, "loss": loss, "burst": 4.0, "reorder": 0.01, "duplicate": 0.01}
    try:
        pub = asyncio.run(_publish(engine, commands, instruments, faults, rate, duration_s, parent))
        got = parent.recv() if parent.poll(duration_s + 30.0) else {}
    finally:
        proc.join(5.0)
        if proc.is_alive():
            proc.terminate()
    scale = 100  # bench instruments: tick 0.01 -> Price(4) units
    books = [
        _book_digest(
            [
                (int(r["order_id"]), int(r["side"]), int(r["price_ticks"]) * scale, int(r["leaves_qty"]))
                for r in engine.l3(s)
            ]
        )
        for s in range(len(instruments))
    ]
    never = max(0, pub["next_sequence_number"] - got.get("next_seq", 0))
    return {
        "publisher": pub,
        "handler": got,
        "unrecovered": got.get("messages_unrecovered", 0) + never,
        "is_book_equal": got.get("books") == books,
    }


def run(quick: bool = False, seed: int = 20240601, rate: float = 150_000.0) -> dict:
    """Run the feed at ``rate`` messages/s for 10 s (quick: 2 s) with 1% and 5% bursty loss.

    Returns:
        ``feed_unrecovered_1pct`` / ``feed_unrecovered_5pct`` (messages the handler never got, nor
        recovered), ``gap_fill_p99_ms`` (worst of the two runs) and per run: achieved publish rate,
        gaps, retransmitted messages, snapshots, shed packets, whether the rebuilt book equals the
        engine's, and the observed loss rate.
    """
    from hftsim.bench.workload import bench_instruments, engine_workload

    duration_s = 2.0 if quick else 10.0
    instruments = bench_instruments(2)
    t0 = time.monotonic()
    commands = engine_workload(int(rate * duration_s * 1.0), n_symbols=2, seed=seed)
    out: dict = {
        "rate_target_msgs_per_s": rate,
        "duration_s": duration_s,
        "workload_build_s": round(time.monotonic() - t0, 2),
    }
    p99s = []
    for loss, tag in ((0.01, "1pct"), (0.05, "5pct")):
        r = _scenario(commands, instruments, loss, rate, duration_s, seed)
        pub, got = r["publisher"], r["handler"]
        p99s.append(got.get("gap_fill_p99_ms", float("nan")))
        out[f"feed_unrecovered_{tag}"] = r["unrecovered"]
        out[f"feed_msgs_per_s_{tag}"] = round(pub["messages"] / pub["elapsed_s"])
        out[f"feed_book_equal_{tag}"] = r["is_book_equal"]
        out[f"feed_loss_observed_{tag}"] = round(pub.get("faults_loss_rate", 0.0), 4)
        out[f"feed_gaps_{tag}"] = got.get("gaps", 0)
        out[f"feed_gap_fill_p50_ms_{tag}"] = round(got.get("gap_fill_p50_ms", float("nan")), 3)
        out[f"feed_gap_fill_p99_ms_{tag}"] = round(got.get("gap_fill_p99_ms", float("nan")), 3)
        out[f"feed_retransmitted_{tag}"] = pub.get("rerequest_retransmitted_messages", 0)
        out[f"feed_request_retries_{tag}"] = got.get("request_retries", 0)
        out[f"feed_snapshots_{tag}"] = got.get("snapshots_applied", 0)
        out[f"feed_packets_shed_{tag}"] = pub.get("packets_shed", 0)
        out[f"feed_tick_work_p99_ms_{tag}"] = round(pub["tick_work_p99_ms"], 3)
    out["gap_fill_p99_ms"] = round(max(p99s), 3)
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
