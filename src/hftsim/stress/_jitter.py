"""``jitter``: the feed under jitter and reordering, and FIX order entry through a jittering proxy. Edge.

Feed: the publisher's fault injector delays each live datagram by U[0, jitter_ms) and holds
``reorder`` of them back behind the next one. FIX runs over TCP, which cannot reorder, so a relay on
127.0.0.1 between the load generator and the venue delays each chunk by U[0, jitter_ms) in each
direction while keeping the byte order (a chunk never overtakes the one before it).
"""

from __future__ import annotations

import asyncio

import numpy as np

from hftsim.core.rng import rng_for
from hftsim.stress._feed import add_feed_figures, feed_run
from hftsim.stress._flood import step_figures
from hftsim.stress._load import sampled_load
from hftsim.stress._venue import VenueProcess
from hftsim.stress.outcome import Outcome, PlotData
from hftsim.stress.registry import SCENARIOS, Context, require

__all__ = ["FEED_GRID", "JitterProxy", "VENUE_JITTER_MS", "run"]

#: (jitter_ms, reorder probability) on the live feed
FEED_GRID = ((1.0, 0.01), (5.0, 0.05))
#: one-way jitter added by the FIX relay (0: the relay alone, to separate its cost)
VENUE_JITTER_MS = (0.0, 1.0, 5.0)


class JitterProxy:
    """A TCP relay on 127.0.0.1 that delays every chunk by U[0, jitter_ms), in order, both ways."""

    def __init__(self, upstream_port: int, jitter_ms: float, seed: int) -> None:
        self._upstream = upstream_port
        self._jitter_s = jitter_ms / 1e3
        self._rng = rng_for(seed, "stress.jitter.proxy")
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        last = 0.0
        try:
            while data := await reader.read(65536):
                at = max(loop.time() + self._jitter_s * float(self._rng.random()), last)
                last = at
                loop.call_at(at, _write, writer, data)
        finally:
            loop.call_at(last, writer.close)


def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    if not writer.is_closing():
        writer.write(data)


async def _venue_runs(port: int, rate: float, duration_s: float, seed: int, ctx: Context) -> list:
    results = []
    for jitter_ms in VENUE_JITTER_MS:
        proxy = JitterProxy(port, jitter_ms, seed)
        await proxy.start()
        try:
            s = await sampled_load(
                "127.0.0.1",
                proxy.port,
                "LOAD1",
                rate,
                duration_s,
                drain_timeout_s=2.0,
                tag=f"j{int(jitter_ms * 10)}",
            )
        finally:
            await proxy.stop()
        ctx.log.info("venue via proxy, jitter %.1f ms: %s", jitter_ms, step_figures(s))
        results.append((jitter_ms, s))
    return results


def run(ctx: Context) -> list[Outcome]:
    """Feed at each (jitter, reorder) of :data:`FEED_GRID`; FIX at 2k msgs/s through the relay."""
    require("hftsim.net.feed")
    require("hftsim.net.faults")
    from hftsim.net.venue.server import new_event_loop

    out = Outcome("jitter", SCENARIOS["jitter"].version, ctx.mode)
    rate, duration_s = (20_000.0, 1.0) if ctx.quick else (100_000.0, 5.0)
    table, cdfs = [], {}
    for jitter_ms, reorder in FEED_GRID:
        faults = {"seed": ctx.seed, "jitter_ms": jitter_ms, "reorder": reorder, "reorder_hold_ms": 2.0}
        r = feed_run(ctx, faults, rate, duration_s)
        row = add_feed_figures(out, r, path="feed", jitter_ms=jitter_ms, reorder=reorder)
        ctx.log.info("feed jitter %.1f ms reorder %.2f: %s", jitter_ms, reorder, row)
        table.append(row)
        cdfs[f"feed gap fill, jitter {jitter_ms:g} ms reorder {reorder:.0%}"] = r["gap_fill_ms"]
    fix_rate, fix_s = (2_000.0, 1.0) if ctx.quick else (5_000.0, 5.0)
    loop = new_event_loop()
    try:
        with VenueProcess(ctx.work_dir / "venue") as venue:
            runs = loop.run_until_complete(_venue_runs(venue.port, fix_rate, fix_s, ctx.seed, ctx))
    finally:
        loop.close()
    rtt_cdfs = {}
    for jitter_ms, s in runs:
        fig = step_figures(s)
        for key in ("rtt_p50_us", "rtt_p99_us", "lost_orders"):
            out.add(key, fig[key], path="fix_proxy", jitter_ms=jitter_ms, offered_msgs_per_s=int(fix_rate))
        table.append({"path": "fix_proxy", "jitter_ms": jitter_ms, **fig})
        rtt_cdfs[f"jitter {jitter_ms:g} ms"] = s.rtt_us
        out.samples[f"rtt_us_jitter{jitter_ms:g}ms"] = s.rtt_us
    out.samples["rtt_us"] = np.concatenate(list(rtt_cdfs.values())) if rtt_cdfs else np.zeros(0)
    out.tables["jitter_grid"] = table
    out.plots += [
        PlotData(
            "jitter_feed_gap_fill_cdf",
            "cdf",
            "feed gap fill under jitter and reordering",
            cdfs,
            "ms",
            "gap fill (ms)",
        ),
        PlotData(
            "jitter_fix_rtt_cdf",
            "cdf",
            f"FIX RTT through the jitter relay at {fix_rate:,.0f} msgs/s",
            rtt_cdfs,
            "us",
            "RTT (µs)",
        ),
    ]
    return [out]
