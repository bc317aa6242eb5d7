"""``loss``: the ITCH/MoldUDP64 feed under uniform and bursty loss; unrecovered messages, gap fills. Edge.

A matching engine replays the benchmark's seeded workload into a :class:`FeedPublisher` paced at
``rate`` ITCH messages per second, with a :class:`~hftsim.net.faults.FaultConfig` on the live feed
(retransmissions are clean); a :class:`FeedHandler` on 127.0.0.1 recovers gaps through the
re-request server and rebuilds the book, which must equal the engine's at the end. Publisher and
handler share one event loop (so gap-fill latency includes the publisher's own work), and each run
is bounded: ``duration_s`` of publishing plus at most ``settle_s`` for recovery.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from hftsim.stress.outcome import Outcome, PlotData
from hftsim.stress.registry import SCENARIOS, Context, require

__all__ = ["LOSS_GRID", "feed_run", "run"]

SESSION = b"STRESS"
#: (loss rate, mean burst length in packets): uniform (burst 1) and bursty (Gilbert-Elliott, burst 4)
LOSS_GRID = tuple((loss, burst) for loss in (0.01, 0.05, 0.10) for burst in (1.0, 4.0))


async def _feed(commands, instruments, faults: dict, rate: float, duration_s: float, settle_s: float) -> dict:
    from hftsim.matching import MatchingEngine
    from hftsim.net.feed import REF_ORDER_MASK, FeedHandler, FeedPublisher

    engine = MatchingEngine(instruments, capacity=1 << 16)
    handler = FeedHandler(SESSION, ("127.0.0.1", 0), ("127.0.0.1", 1))  # re-request address set below
    await handler.start()
    # the re-request server binds a free port itself: a port picked here and bound later could be
    # taken in between (the handler's own sockets got it once: EADDRINUSE)
    publisher = FeedPublisher(
        instruments, SESSION, [handler.feed_address], 0, faults=faults, heartbeat_interval_s=0.1
    )
    await publisher.start()
    handler.rerequest_address = publisher.rerequest_address
    i, chunk, n = 0, 16, len(commands)
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < duration_s and i < n:
        while publisher.stats_messages < rate * elapsed and i < n:
            publisher.publish(engine.run_batch(commands[i : i + chunk]))
            i += chunk
        await asyncio.sleep(0.001)
    elapsed = time.monotonic() - start
    pub = publisher.stats()
    await publisher.stop(linger_s=0.2)
    end = time.monotonic() + settle_s
    while time.monotonic() < end and not (handler.is_end_of_session and not handler.open_gaps):
        await asyncio.sleep(0.01)
    got = handler.stats()
    gap_fill_ms = np.asarray(handler.gap_fill_ns, dtype=np.float64) / 1e6
    ours = [(ref & REF_ORDER_MASK, side, px, q) for ref, side, px, q in handler.l3(1)]
    await handler.stop()
    theirs = [
        (int(r["order_id"]), int(r["side"]), int(r["price_ticks"]) * 100, int(r["leaves_qty"]))
        for r in engine.l3(0)
    ]
    never = max(0, pub["next_sequence_number"] - got.get("next_seq", 0))
    return {
        "publisher": pub,
        "handler": got,
        "elapsed_s": elapsed,
        "gap_fill_ms": gap_fill_ms,
        "unrecovered": got.get("messages_unrecovered", 0) + never,
        "is_book_equal": ours == theirs,
    }


def feed_run(ctx: Context, faults: dict, rate: float, duration_s: float) -> dict:
    """Run the feed once under ``faults`` and return the publisher's and handler's figures."""
    from hftsim.bench.workload import bench_instruments, engine_workload

    instruments = bench_instruments(1)
    commands = engine_workload(int(rate * duration_s), n_symbols=1, seed=ctx.seed)
    settle_s = 3.0 if ctx.quick else 10.0
    return asyncio.run(_feed(commands, instruments, faults, rate, duration_s, settle_s))


#: per-run figures written to perf.csv; per-run gap-fill medians rest on 4-200 gaps, too few to gate
#: on, so they stay in the table and the medians are taken over the pooled gaps of the grid
GATED = ("unrecovered_msgs", "book_mismatch", "gap_fill_p99_ms", "msgs_per_s")


def add_feed_figures(out: Outcome, r: dict, **conditions) -> dict:
    """Add the perf rows (:data:`GATED`) of one feed run and return its full table row."""
    pub, got = r["publisher"], r["handler"]
    fills = r["gap_fill_ms"]
    figures = {
        "unrecovered_msgs": r["unrecovered"],
        "book_mismatch": 0 if r["is_book_equal"] else 1,
        "gap_fill_p50_ms": round(float(np.percentile(fills, 50)), 3) if fills.size else 0.0,
        "gap_fill_p99_ms": round(float(np.percentile(fills, 99)), 3) if fills.size else 0.0,
        "msgs_per_s": round(pub["messages"] / max(r["elapsed_s"], 1e-9)),
    }
    for key in GATED:
        out.add(key, figures[key], **conditions)
    return {
        **conditions,
        **figures,
        "gaps": got.get("gaps", 0),
        "loss_observed": round(pub.get("faults_loss_rate", 0.0), 4),
        "retransmitted": pub.get("rerequest_retransmitted_messages", 0),
        "snapshots": got.get("snapshots_applied", 0),
        "request_retries": got.get("request_retries", 0),
    }


def run(ctx: Context) -> list[Outcome]:
    """Run the feed at every (loss, burst) of :data:`LOSS_GRID` (1 s at 20k msgs/s with ``quick``)."""
    require("hftsim.net.feed")
    require("hftsim.net.faults")
    rate, duration_s = (20_000.0, 1.0) if ctx.quick else (100_000.0, 5.0)
    out = Outcome("loss", SCENARIOS["loss"].version, ctx.mode)
    table, cdfs = [], {}
    for loss, burst in LOSS_GRID:
        kind = "uniform" if burst == 1.0 else "bursty"
        r = feed_run(ctx, {"seed": ctx.seed, "loss": loss, "burst": burst}, rate, duration_s)
        row = add_feed_figures(out, r, loss=loss, burst=kind, rate_msgs_per_s=int(rate))
        ctx.log.info("loss %s %s: %s", loss, kind, row)
        table.append(row)
        cdfs[f"{loss:.0%} {kind}"] = r["gap_fill_ms"]
        out.samples[f"gap_fill_ms_{int(loss * 100)}pct_{kind}"] = r["gap_fill_ms"]
    pooled = np.concatenate([c for c in cdfs.values()]) if cdfs else np.zeros(0)
    out.samples["gap_fill_ms"] = pooled
    for q in (50, 90, 99):  # over every gap of the grid (~150 in quick): stable enough to gate on
        out.add(
            f"gap_fill_p{q}_ms",
            round(float(np.percentile(pooled, q)), 3) if pooled.size else 0.0,
            loss="grid",
            rate_msgs_per_s=int(rate),
        )
    out.tables["loss_grid"] = table
    xs = [int(r["loss"] * 100) for r in table if r["burst"] == "uniform"]
    out.plots += [
        PlotData(
            "loss_gap_fill_cdf", "cdf", "gap-fill latency CDF per loss pattern", cdfs, "ms", "gap fill (ms)"
        ),
        PlotData(
            "loss_unrecovered",
            "series",
            "unrecovered messages vs loss rate",
            {
                kind: (xs, [r["unrecovered_msgs"] for r in table if r["burst"] == kind])
                for kind in ("uniform", "bursty")
            },
            "count",
            "loss (%)",
            "unrecovered messages",
        ),
    ]
    return [out]
