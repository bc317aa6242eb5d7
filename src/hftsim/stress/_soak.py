"""``soak``: the venue under steady load for a fixed time; RSS growth and latency drift. Edge.

One session offers a constant rate for ``duration_s`` (20 s with ``quick``, 300 s otherwise) while
the venue's resident set size is sampled every 0.5 s. Growth is measured from the end of the first
tenth of the run (allocator warm-up) to the end; drift compares the p50/p99 of the last third of the
round trips with the first third.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from hftsim.stress._flood import step_figures, window_percentiles
from hftsim.stress._load import sampled_load
from hftsim.stress._venue import VenueProcess, rss_mb
from hftsim.stress.outcome import Outcome, PlotData
from hftsim.stress.registry import SCENARIOS, Context

__all__ = ["run"]


async def _soak(venue: VenueProcess, rate: float, duration_s: float) -> tuple:
    rss: list[tuple[float, float]] = []
    done = asyncio.Event()

    async def sample() -> None:
        start = time.monotonic()
        while not done.is_set():
            rss.append((time.monotonic() - start, rss_mb(venue.proc.pid)))
            try:
                await asyncio.wait_for(done.wait(), 0.5)
            except TimeoutError:
                pass

    sampler = asyncio.ensure_future(sample())
    try:
        s = await sampled_load(
            "127.0.0.1", venue.port, "LOAD1", rate, duration_s, drain_timeout_s=3.0, tag="soak"
        )
    finally:
        done.set()
        await sampler
    return s, np.asarray(rss)


def _drift_pct(first: np.ndarray, last: np.ndarray, q: float) -> float:
    if first.size == 0 or last.size == 0:
        return float("nan")
    a, b = np.percentile(first, q), np.percentile(last, q)
    return round(float((b - a) / a * 100), 1) if a else float("nan")


def run(ctx: Context) -> list[Outcome]:
    """Hold 5k msgs/s (quick: 20 s) or 10k msgs/s (300 s) on the venue."""
    from hftsim.net.venue.server import new_event_loop

    rate, duration_s = (5_000.0, 20.0) if ctx.quick else (10_000.0, 300.0)
    out = Outcome("soak", SCENARIOS["soak"].version, ctx.mode)
    loop = new_event_loop()
    try:
        with VenueProcess(ctx.work_dir / "venue") as venue:
            s, rss = loop.run_until_complete(_soak(venue, rate, duration_s))
    finally:
        loop.close()
    fig = step_figures(s)
    t, rtt = s.ack_offset_s, s.rtt_us
    third = duration_s / 3
    warm = rss[rss[:, 0] >= duration_s / 10] if len(rss) else rss
    growth = float(warm[-1, 1] - warm[0, 1]) if len(warm) > 1 else float("nan")
    figures = {
        "rtt_p50_us": fig["rtt_p50_us"],
        "rtt_p99_us": fig["rtt_p99_us"],
        "lost_orders": fig["lost_orders"],
        "rss_growth_mb": round(growth, 2),
        "rss_end_mb": round(float(rss[-1, 1]), 1) if len(rss) else float("nan"),
        "rtt_p50_drift_pct": _drift_pct(rtt[t < third], rtt[t > 2 * third], 50),
        "rtt_p99_drift_pct": _drift_pct(rtt[t < third], rtt[t > 2 * third], 99),
    }
    for key, value in figures.items():
        out.add(key, value, offered_msgs_per_s=int(rate), duration_s=int(duration_s))
    ctx.log.info("soak: %s", {**fig, **figures})
    out.samples["rtt_us"] = rtt
    out.samples["rss_mb"] = rss[:, 1] if len(rss) else np.zeros(0)
    out.plots += [
        PlotData(
            "soak_latency_over_time",
            "latency_over_time",
            f"RTT over the soak at {rate:,.0f} msgs/s (1 s windows)",
            {f"p{q}": window_percentiles(t, rtt, 1.0, q) for q in (50, 99)},
            "us",
            "seconds",
            "RTT (µs)",
        ),
        PlotData(
            "soak_rss",
            "series",
            "venue resident set size",
            {"RSS": (rss[:, 0], rss[:, 1]) if len(rss) else ([], [])},
            "MB",
            "seconds",
            "MB",
        ),
        PlotData("soak_latency_cdf", "cdf", "RTT CDF over the soak", {"soak": rtt}, "us", "RTT (µs)"),
    ]
    return [out]
