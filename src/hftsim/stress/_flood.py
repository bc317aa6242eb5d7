"""``flood``: ramp the offered FIX load on the venue and find its saturation point. Edge.

One venue subprocess, one connection per step (ResetSeqNumFlag), steps in increasing offered rate,
every step run whatever the one before did (so a run always has the same metrics). The rates under
the latency budget are measured as the venue benchmark (``hftsim bench venue``) measures its budget
rate: the venue busy-polls (``--busy-poll-us`` :data:`~hftsim.bench.venue.BUSY_POLL_US`), the
compiled load runner sends when the extension is built and round trips end at the kernel's receive
stamp of the ack. Two differences: those steps last :data:`GATED_STEP_S`, with no warm-up, and the
client and the venue run on different CPUs (:func:`~hftsim.stress._venue.pin_apart`), since each
step starts on a new connection. (At 2,500 orders, a 0.5 s step's p99 is its 25th slowest round
trip, and one of this VM's few-ms scheduling pauses holds up that many.) The saturation
point is the highest offered rate whose step was sustained (nothing lost or rejected, the sender on
schedule, the last ack within 50 ms of the last send) *and* whose p99 round trip is within
``P99_BOUND_US``; ``max_sustained_msgs_per_s`` drops the p99 condition (the venue benchmark's figure).
"""

from __future__ import annotations

import asyncio

import numpy as np

from hftsim.bench.venue import BUSY_POLL_US
from hftsim.net.client.load import default_engine
from hftsim.stress._load import LoadSamples, sampled_load
from hftsim.stress._venue import VenueProcess, pin_apart
from hftsim.stress.outcome import Outcome, PlotData
from hftsim.stress.registry import SCENARIOS, Context

__all__ = [
    "GATED_STEP_S",
    "LATENCY_GATED_RATES",
    "P99_BOUND_US",
    "RATES",
    "run",
    "step_figures",
    "window_percentiles",
]

RATES = (5_000, 10_000, 25_000, 50_000, 100_000, 150_000)
#: steps whose round trips go to perf.csv (every step's are in tables/flood_steps.csv and the plots):
#: above saturation a round trip is the length of the queue built during the step, which depends on
#: the step's duration, not on the build; the capacity there is ``ack_msgs_per_s``, kept for every step
LATENCY_GATED_RATES = (5_000, 10_000)
#: seconds of the latency-gated steps by mode (the other steps: 0.5 s quick, 3 s full); full mode
#: matches the venue benchmark's budget rate (``LOW_RATE_DURATION_S``)
GATED_STEP_S = {"quick": 3.0, "full": 10.0}
P99_BOUND_US = 1_000.0


def window_percentiles(t_s: np.ndarray, values: np.ndarray, window_s: float, q: float) -> tuple:
    """Return (window end times, q-th percentile per window) of samples taken at ``t_s``."""
    if len(t_s) == 0:
        return np.zeros(0), np.zeros(0)
    edges = np.arange(0.0, float(t_s.max()) + window_s, window_s)
    idx = np.digitize(t_s, edges)
    ends, out = [], []
    for k in np.unique(idx):
        chunk = values[idx == k]
        if chunk.size:
            ends.append(edges[min(k, len(edges) - 1)])
            out.append(float(np.percentile(chunk, q)))
    return np.asarray(ends), np.asarray(out)


def step_figures(s: LoadSamples) -> dict:
    """Return the figures of one load step (percentiles in µs, rates in msgs/s)."""
    rtt = s.rtt_us
    elapsed_s = max(1e-9, (s.last_send_ns - s.t0_ns) / 1e9)
    span_s = elapsed_s + s.drain_ms / 1e3
    pct = np.percentile(rtt, [50, 99, 99.9]) if rtt.size else [float("nan")] * 3
    return {
        "rtt_p50_us": round(float(pct[0]), 1),
        "rtt_p99_us": round(float(pct[1]), 1),
        "rtt_p999_us": round(float(pct[2]), 1),
        "rtt_read_p99_us": round(float(np.percentile(s.rtt_read_us, 99)), 1) if rtt.size else float("nan"),
        "achieved_msgs_per_s": round(s.sent_msgs / elapsed_s, 1),
        "ack_msgs_per_s": round(2 * int(np.count_nonzero(s.acked)) / span_s, 1),
        "lost_orders": s.lost_orders,
        "rejected_orders": s.rejected,
        "unsent_msgs": s.unsent_msgs,
        "drain_ms": round(s.drain_ms, 2),
        "max_send_lag_us": s.max_send_lag_us,
        "is_sustained": s.is_sustained,
        "engine": s.engine,
    }


async def _ramp(
    port: int, rates: tuple[int, ...], durations: dict, engine: str, ctx: Context
) -> list[LoadSamples]:
    steps = []
    for rate in rates:
        s = await sampled_load(
            "127.0.0.1",
            port,
            "LOAD1",
            rate,
            durations[rate],
            drain_timeout_s=2.0,
            tag=str(rate),
            engine=engine,
        )
        ctx.log.info("flood step %d msgs/s: %s", rate, step_figures(s))
        steps.append(s)
        await asyncio.sleep(0.2)  # let the venue finish the previous step's backlog
    return steps


def run(ctx: Context, rates: tuple[int, ...] = RATES) -> list[Outcome]:
    """Run the ramp (0.5 s per step with ``quick``, 3 s otherwise; :data:`GATED_STEP_S` for the
    latency-gated rates)."""
    from hftsim.net.venue.server import new_event_loop

    duration_s = 0.5 if ctx.quick else 3.0
    durations = {r: GATED_STEP_S[ctx.mode] if r in LATENCY_GATED_RATES else duration_s for r in rates}
    engine = default_engine()
    out = Outcome("flood", SCENARIOS["flood"].version, ctx.mode)
    loop = new_event_loop()
    try:
        with VenueProcess(ctx.work_dir / "venue", busy_poll_us=BUSY_POLL_US) as venue:
            ctx.log.info(
                "venue pid %d on port %d (loop=%s, busy poll %d µs); load engine %s",
                venue.proc.pid,
                venue.port,
                venue.loop_name,
                BUSY_POLL_US,
                engine,
            )
            with pin_apart(venue.proc.pid) as (client_cpus, venue_cpus):
                ctx.log.info("load client on CPUs %s, venue on %s", client_cpus or "any", venue_cpus or "any")
                steps = loop.run_until_complete(_ramp(venue.port, rates, durations, engine, ctx))
    finally:
        loop.close()
    table, curves, t_all, rtt_all, offered_all = [], {}, [], [], []
    offset = 0.0
    for rate, s in zip(rates, steps):
        fig = step_figures(s)
        table.append({"offered_msgs_per_s": rate, **fig})
        out.add("ack_msgs_per_s", fig["ack_msgs_per_s"], offered_msgs_per_s=rate)
        if rate in LATENCY_GATED_RATES:
            for key in ("rtt_p50_us", "rtt_p99_us", "rtt_p999_us"):
                out.add(key, fig[key], offered_msgs_per_s=rate)
        t = s.ack_offset_s + offset
        t_all.append(t)
        rtt_all.append(s.rtt_us)
        offered_all.append(np.full(len(t), rate))
        offset = float(t.max()) + 0.1 if len(t) else offset + durations[rate]
        if s.rtt_us.size:
            curves[f"{rate // 1000}k"] = s.rtt_us
    sustained = [r["offered_msgs_per_s"] for r in table if r["is_sustained"]]
    saturated = [
        r["offered_msgs_per_s"] for r in table if r["is_sustained"] and r["rtt_p99_us"] <= P99_BOUND_US
    ]
    out.add("saturation_msgs_per_s", max(saturated, default=0), p99_bound_us=int(P99_BOUND_US))
    out.add("max_sustained_msgs_per_s", max(sustained, default=0))
    out.tables["flood_steps"] = table
    samples = np.zeros(
        sum(len(x) for x in t_all), dtype=[("t_s", "f8"), ("offered_msgs_per_s", "i8"), ("rtt_us", "f8")]
    )
    if len(samples):
        samples["t_s"], samples["offered_msgs_per_s"] = np.concatenate(t_all), np.concatenate(offered_all)
        samples["rtt_us"] = np.concatenate(rtt_all)
    out.samples["flood_rtt_us"] = samples
    out.samples["rtt_us"] = samples["rtt_us"]
    t, lat = samples["t_s"], samples["rtt_us"]
    out.plots += [
        PlotData(
            "flood_latency_over_time",
            "latency_over_time",
            "FIX order-to-ack RTT over the ramp (100 ms windows)",
            {f"p{q}": window_percentiles(t, lat, 0.1, q) for q in (50, 99)},
            "us",
            "seconds into the ramp",
            "RTT (µs)",
        ),
        PlotData("flood_latency_cdf", "cdf", "RTT CDF per offered load", curves, "us", "RTT (µs)"),
        PlotData(
            "flood_throughput",
            "throughput",
            "throughput vs offered load",
            {
                "sent": ([r["offered_msgs_per_s"] for r in table], [r["achieved_msgs_per_s"] for r in table]),
                "acknowledged": (
                    [r["offered_msgs_per_s"] for r in table],
                    [r["ack_msgs_per_s"] for r in table],
                ),
            },
            "msgs/s",
            "offered (msgs/s)",
            "msgs/s",
        ),
    ]
    out.notes.append(
        f"saturation (sustained and p99 <= {P99_BOUND_US:g} µs): {max(saturated, default=0):,} msgs/s; "
        f"highest sustained: {max(sustained, default=0):,} msgs/s; venue exit code {venue.exit_code}; "
        f"load engine {engine}, venue busy poll {BUSY_POLL_US} µs"
    )
    return [out]
