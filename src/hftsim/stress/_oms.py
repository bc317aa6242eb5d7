"""``oms``: many strategy agents in one simulation, and many FIX sessions on the venue at once. Edge.

Simulation: the ``quick`` scenario's market (Hawkes flow plus zero-intelligence traders) with N
Avellaneda-Stoikov makers, each behind its own OMS with every risk check on and its own latency
profile. The kernel is timed with and without the makers; the difference per agent delivery (market
data, order events, commands) is the agents' cost. Rejects are the OMS's local (risk) and venue
rejects. The OMS benchmark's ``decision_overhead_us`` (OMS loop minus a bare maker, per decision) is
added for its 5 µs budget.

Venue: N trading sessions connect at once and each offers the same rate; the backlog (orders sent
and not yet answered, summed over sessions) is sampled every 5 ms.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from hftsim.stress._flood import step_figures
from hftsim.stress._load import sample_backlog, sampled_load
from hftsim.stress._venue import VenueProcess
from hftsim.stress.outcome import Outcome, PlotData
from hftsim.stress.registry import SCENARIOS, Context

__all__ = ["run", "sim_agents", "venue_sessions"]

_RISK = {
    "max_order_qty": 1_000,
    "max_position": 5_000,
    "collar_ticks": 200,
    "max_orders_per_window": 50,
    "window_ns": 1_000_000_000,
}


def _scenario(n_agents: int, duration_s: float) -> dict:
    from hftsim.sim.scenario import load_scenario

    raw = dict(load_scenario("quick").raw)
    raw["session"] = {"duration_s": duration_s, "block_s": 10}
    raw["agents"] = [
        {
            "type": "avellaneda_stoikov",
            "name": f"mm{i:03d}",
            "params": {
                "gamma": 0.01 * (1 + i % 5),
                "sigma": 0.4,
                "arrival_decay": 1.5,
                "order_qty": 100,
                "horizon_s": duration_s,
                "max_inventory": 2000,
                "risk": _RISK,
            },
            "latency": {
                "to_venue": {"model": "constant", "ns": 20_000 + 1_000 * (i % 50)},
                "market_data": {"model": "constant", "ns": 30_000 + 1_000 * (i % 50)},
            },
        }
        for i in range(n_agents)
    ]
    return raw


def _timed_run(raw: dict, seed: int):
    from hftsim.sim.run import build_kernel
    from hftsim.sim.scenario import parse_scenario

    kernel = build_kernel(parse_scenario(raw, default_name="stress_oms"), seed, sink=lambda chunk: None)
    start = time.perf_counter()
    result = kernel.run()
    return kernel, result, time.perf_counter() - start


def sim_agents(ctx: Context, n_agents: int, duration_s: float) -> dict:
    """Run the market with and without ``n_agents`` makers; return the agents' cost and rejects."""
    with_agents = _scenario(n_agents, duration_s)
    bare = dict(with_agents, agents=[])
    _timed_run(dict(bare, session={"duration_s": 1.0, "block_s": 1}), ctx.seed)  # compile the flow kernels
    _, base_result, base_s = _timed_run(bare, ctx.seed)
    kernel, result, wall_s = _timed_run(with_agents, ctx.seed)
    omss = [getattr(getattr(s.agent, "inner", s.agent), "oms", None) for s in kernel.slots]
    omss = [o for o in omss if o is not None]
    deliveries = max(1, kernel.n_deliveries)
    return {
        "agents": n_agents,
        "agent_deliveries": kernel.n_deliveries,
        "agent_commands": result.n_commands - base_result.n_commands,
        "sim_us_per_agent_delivery": round((wall_s - base_s) / deliveries * 1e6, 3),
        "sim_wall_s": round(wall_s, 3),
        "local_rejects": sum(o.local_reject_count for o in omss),
        "venue_rejects": sum(o.venue_reject_count for o in omss),
        "agent_failures": sum(1 for s in kernel.slots if getattr(s.agent, "failure", None)),
    }


async def _sessions(port: int, n: int, rate: float, duration_s: float) -> tuple[list, tuple]:
    live: list = []
    stop = asyncio.Event()
    sampler = asyncio.ensure_future(sample_backlog(live, 0.005, stop))
    try:
        runs = await asyncio.gather(
            *(
                sampled_load(
                    "127.0.0.1",
                    port,
                    f"LOAD{i + 1}",
                    rate,
                    duration_s,
                    drain_timeout_s=3.0,
                    tag=f"s{i}",
                    live=live,
                )
                for i in range(n)
            )
        )
    finally:
        stop.set()
    return runs, await sampler


def venue_sessions(ctx: Context, n: int, rate: float, duration_s: float) -> tuple[dict, list, tuple]:
    """Offer ``rate`` on each of ``n`` sessions at once; return figures, per-session samples, backlog."""
    from hftsim.net.venue.server import new_event_loop

    loop = new_event_loop()
    try:
        with VenueProcess(ctx.work_dir / "venue", n_sessions=n) as venue:
            runs, (t_s, backlog) = loop.run_until_complete(_sessions(venue.port, n, rate, duration_s))
    finally:
        loop.close()
    rtt = np.concatenate([r.rtt_us for r in runs]) if runs else np.zeros(0)
    pct = np.percentile(rtt, [50, 99]) if rtt.size else [float("nan")] * 2
    b = np.asarray(backlog, dtype=float)
    figures = {
        "rtt_p50_us": round(float(pct[0]), 1),
        "rtt_p99_us": round(float(pct[1]), 1),
        "lost_orders": sum(r.lost_orders for r in runs),
        "rejected_orders": sum(r.rejected for r in runs),
        "sessions_sustained": sum(1 for r in runs if r.is_sustained),
        "backlog_p99_orders": round(float(np.percentile(b, 99)), 1) if b.size else float("nan"),
        "backlog_max_orders": float(b.max()) if b.size else float("nan"),
        "ack_msgs_per_s": round(sum(step_figures(r)["ack_msgs_per_s"] for r in runs), 1),
    }
    return figures, runs, (np.asarray(t_s), b)


def run(ctx: Context) -> list[Outcome]:
    """50 makers for 60 simulated s and 20 sessions x 250 msgs/s (quick); 200 makers, 100 sessions (full)."""
    from hftsim.bench import oms as oms_bench

    n_agents, sim_s = (50, 60.0) if ctx.quick else (200, 300.0)
    n_sessions, rate, duration_s = (20, 250.0, 1.5) if ctx.quick else (100, 200.0, 5.0)
    out = Outcome("oms", SCENARIOS["oms"].version, ctx.mode)
    sim = sim_agents(ctx, n_agents, sim_s)
    ctx.log.info("oms simulation: %s", sim)
    for key in (
        "sim_us_per_agent_delivery",
        "local_rejects",
        "venue_rejects",
        "agent_failures",
        "agent_commands",
    ):
        out.add(key, sim[key], path="sim", agents=n_agents, sim_s=int(sim_s))
    bench = oms_bench.run(quick=True)
    ctx.log.info("oms benchmark: %s", bench)
    out.add("decision_overhead_us", bench["decision_overhead_us"], path="bench_oms")
    figures, runs, (t_s, backlog) = venue_sessions(ctx, n_sessions, rate, duration_s)
    ctx.log.info("oms sessions: %s", figures)
    for key, value in figures.items():
        out.add(key, value, path="fix", sessions=n_sessions, msgs_per_s_per_session=int(rate))
    out.tables["oms_sessions"] = [{"session": r.session, **step_figures(r)} for r in runs]
    out.samples["rtt_us"] = np.concatenate([r.rtt_us for r in runs]) if runs else np.zeros(0)
    out.samples["backlog_orders"] = backlog
    out.plots += [
        PlotData(
            "oms_backlog",
            "backlog",
            f"orders awaiting an ack, {n_sessions} sessions x {rate:g} msgs/s",
            {"backlog": (t_s, backlog)},
            "orders",
            "seconds",
            "orders sent, not answered",
        ),
        PlotData(
            "oms_latency_cdf",
            "cdf",
            f"RTT CDF over {n_sessions} concurrent sessions",
            {"all sessions": out.samples["rtt_us"]},
            "us",
            "RTT (µs)",
        ),
    ]
    return [out]
