"""Support of the dashboard tests: a live venue (a real MatchingEngine) on an event loop in a thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

import numpy as np

from hftsim.core.enums import OrderType, Side, TimeInForce
from hftsim.core.instrument import Instrument
from hftsim.core.messages import CancelOrder, NewOrder, OrderAccepted, Trade
from hftsim.matching import MatchingEngine
from hftsim.monitor import AutoscalePolicy, Autoscaler, MetricsRegistry, VenueMetrics, watch_book
from hftsim.monitor.dashboard import Dashboard, SnapshotBuilder, engine_book


class LoopThread:
    """An asyncio loop running in a daemon thread; ``run`` executes a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro, timeout_s: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class LiveVenue:
    """Order flow through a MatchingEngine, its metrics, and a snapshot published every period.

    ``published`` maps each snapshot's seq to the ``commands`` counter it showed; ``publish_times``
    holds the wall time of every publish (the producer's rate).
    """

    def __init__(self, publish_hz: float = 10.0, pad_bytes: int = 0, seed: int = 11) -> None:
        self.registry = MetricsRegistry()
        self.metrics = VenueMetrics(self.registry)
        self.engine = MatchingEngine(
            [Instrument(symbol="DEMO", symbol_id=0, band_low_ticks=1, band_high_ticks=20_000)]
        )
        watch_book(self.registry, self.engine, 0, "DEMO")
        self.autoscaler = Autoscaler(AutoscalePolicy(idle_ns=1_000_000_000), registry=self.registry)
        self.trades: deque[tuple[int, int, int, int]] = deque(maxlen=20)
        self.builder = SnapshotBuilder(
            self.registry,
            book=engine_book(self.engine, 0, "DEMO"),
            trades=lambda: list(self.trades),
            autoscaler=self.autoscaler,
            title="hftsim venue (test)",
        )
        self.dashboard = Dashboard(self.registry, None, port=0)
        self.period_s = 1.0 / publish_hz
        self.pad = "x" * pad_bytes
        self.published: dict[int, int] = {}
        self.publish_times: list[float] = []
        self.publish_cost_s: list[float] = []
        self._rng = np.random.default_rng(seed)
        self._mid = 10_000
        self._live: deque[int] = deque()
        self._next_id = 1
        self._tick = 0
        self._t0_ns = time.monotonic_ns()
        self._task: asyncio.Task | None = None
        self.autoscaler.track("itch")
        for queue in ("itch", "fix_exec", "journal"):
            self.metrics.backlog(queue)

    async def start(self) -> None:
        await self.dashboard.start()
        self._task = asyncio.get_running_loop().create_task(self._produce())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.dashboard.stop()

    def _step(self) -> None:
        rng = self._rng
        self._mid += int(rng.integers(-2, 3))
        for _ in range(40):
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            aggressive = rng.random() < 0.15
            if aggressive:
                px = self._mid + (4 if side == Side.BUY else -4)
                cmd = NewOrder(
                    ts_event=self._now_ns(),
                    symbol_id=0,
                    client_order_id=self._next_id,
                    side=side,
                    qty=int(rng.integers(1, 5)) * 100,
                    price_ticks=px,
                    order_type=OrderType.LIMIT,
                    tif=TimeInForce.IOC,
                )
            else:
                offset = 1 + int(rng.integers(0, 8))
                px = self._mid - offset if side == Side.BUY else self._mid + offset
                cmd = NewOrder(
                    ts_event=self._now_ns(),
                    symbol_id=0,
                    client_order_id=self._next_id,
                    side=side,
                    qty=int(rng.integers(1, 10)) * 100,
                    price_ticks=px,
                )
            self._next_id += 1
            self._apply(cmd)
            if len(self._live) > 150:
                self._apply(CancelOrder(symbol_id=0, order_id=self._live.popleft()))
        self._tick += 1
        burst = 400 if (self._tick // 25) % 2 == 0 and self._tick % 25 < 6 else int(rng.integers(0, 15))
        self.metrics.backlog("itch").set(burst)
        self.autoscaler.observe("itch", burst)
        self.metrics.backlog("fix_exec").set(int(rng.integers(0, 40)))
        self.metrics.backlog("journal").set(int(rng.integers(0, 120)))
        self.metrics.pnl("maker_1").set(float(np.sin(self._tick / 20) * 5_000 + self._tick * 10))
        self.metrics.pnl("taker_2").set(float(-self._tick * 7.5))

    def _now_ns(self) -> int:
        return time.monotonic_ns() - self._t0_ns

    def _apply(self, cmd) -> None:
        m = self.metrics
        t0 = time.perf_counter_ns()
        events = self.engine.submit(cmd)
        match_ns = time.perf_counter_ns() - t0
        m.stages["match"].record(match_ns)
        m.stages["gateway_in"].record(800 + int(self._rng.integers(0, 400)))
        m.stages["sequencer"].record(150 + int(self._rng.integers(0, 100)))
        m.stages["journal"].record(3_000 + int(self._rng.exponential(2_000)))
        m.stages["publish"].record(1_200 + int(self._rng.integers(0, 600)))
        m.stages["end_to_end"].record(match_ns + 6_000 + int(self._rng.exponential(3_000)))
        m.commands.inc()
        m.events.inc(len(events))
        for e in events:
            if isinstance(e, Trade):
                m.trades.inc()
                self.trades.appendleft((e.ts_event, e.price_ticks, e.qty, int(e.aggressor_side)))
            elif isinstance(e, OrderAccepted) and e.leaves_qty > 0 and cmd.tif == TimeInForce.GTC:
                self._live.append(e.order_id)

    async def _produce(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            self._step()
            snapshot = self.builder()
            if self.pad:
                snapshot["pad"] = self.pad
            t0 = time.perf_counter()
            seq = self.dashboard.publish_snapshot(snapshot)
            self.publish_cost_s.append(time.perf_counter() - t0)
            self.published[seq] = snapshot["counters"]["commands"]
            self.publish_times.append(time.monotonic())
            next_at += self.period_s
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    def rate_between(self, t0: float, t1: float) -> float:
        """Publishes per second in the wall-time window [t0, t1)."""
        return sum(t0 <= t < t1 for t in list(self.publish_times)) / (t1 - t0)


def wait_for(predicate, timeout_s: float, what: str, poll_s: float = 0.01):
    """Poll ``predicate`` until true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(poll_s)
