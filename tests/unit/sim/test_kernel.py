"""Kernel: event order, latency legs, callbacks, conservation and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from hftsim.core.enums import EventKind, OrderType, Side, TimeInForce
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import NewOrder, OrderAccepted, OrderFilled
from hftsim.sim.agent import Agent
from hftsim.sim.kernel import Kernel
from hftsim.sim.latency import ConstantLatency, LatencyProfile
from hftsim.sim.scenario import load_scenario

INSTRUMENTS = [Instrument(symbol="T", band_low_ticks=1, band_high_ticks=10_000)]
NO_LATENCY = LatencyProfile()


def _profile(to_venue: int = 0, processing: int = 0, market_data: int = 0, order_events: int | None = None):
    return LatencyProfile(
        to_venue=ConstantLatency(ns=to_venue),
        processing=ConstantLatency(ns=processing),
        market_data=ConstantLatency(ns=market_data),
        order_events=None if order_events is None else ConstantLatency(ns=order_events),
    )


class TimerAgent(Agent):
    def __init__(self, name: str, timers: list[tuple[int, int]]) -> None:
        super().__init__(name)
        self.timers = timers
        self.fired: list[tuple[int, int]] = []

    def on_start(self, ctx) -> None:
        for at_ns, timer_id in self.timers:
            ctx.set_timer(at_ns, timer_id)

    def on_timer(self, ctx, timer_id: int) -> None:
        self.fired.append((ctx.now_ns(), timer_id))


class Maker(Agent):
    """Rests one sell order at start; records its order events and quotes with their arrival times."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.order_events: list[tuple[int, object]] = []
        self.quotes: list[tuple[int, int, int]] = []

    def on_start(self, ctx) -> None:
        ctx.send(NewOrder(symbol_id=0, client_order_id=1, side=Side.SELL, qty=10, price_ticks=100))

    def on_order_event(self, ctx, event) -> None:
        self.order_events.append((ctx.now_ns(), event))

    def on_l1(self, ctx, l1) -> None:
        self.quotes.append((ctx.now_ns(), l1.ask_px_ticks, l1.ask_qty))


class Taker(Agent):
    def __init__(self, name: str, at_ns: int, qty: int) -> None:
        super().__init__(name)
        self.at_ns, self.qty = at_ns, qty
        self.fills: list[tuple[int, OrderFilled]] = []

    def on_start(self, ctx) -> None:
        ctx.set_timer(self.at_ns)

    def on_timer(self, ctx, timer_id: int) -> None:
        ctx.send(
            NewOrder(
                symbol_id=0,
                client_order_id=7,
                side=Side.BUY,
                qty=self.qty,
                order_type=OrderType.MARKET,
                tif=TimeInForce.IOC,
            )
        )

    def on_order_event(self, ctx, event) -> None:
        if isinstance(event, OrderFilled):
            self.fills.append((ctx.now_ns(), event))


def test_kernel_timers_same_time_fire_in_seq_order():
    agent = TimerAgent("a", [(500, 1), (300, 2), (300, 3), (100, 4), (300, 5)])
    Kernel(INSTRUMENTS, 1, 1_000, agents=[(agent, NO_LATENCY)]).run()
    assert agent.fired == [(100, 4), (300, 2), (300, 3), (300, 5), (500, 1)]


def test_kernel_events_at_or_after_end_never_fire():
    agent = TimerAgent("a", [(999, 1), (1_000, 2)])
    Kernel(INSTRUMENTS, 1, 1_000, agents=[(agent, NO_LATENCY)]).run()
    assert agent.fired == [(999, 1)]


def test_kernel_command_arrives_after_to_venue_plus_processing_latency():
    maker = Maker("maker")
    kernel = Kernel(INSTRUMENTS, 1, 1_000_000, agents=[(maker, _profile(1_000, 500, 3_000, 2_000))])
    kernel.run()
    first = kernel.commands()[0]
    assert first["ts_event"] == 1_500 and first["owner_id"] == 1
    accepted = [(t, e) for t, e in maker.order_events if isinstance(e, OrderAccepted)]
    assert [t for t, _ in accepted] == [1_500 + 2_000]
    assert accepted[0][1].ts_event == 1_500


def test_kernel_fills_return_after_order_event_latency_and_quotes_after_market_data_latency():
    maker, taker = Maker("maker"), Taker("taker", at_ns=10_000, qty=4)
    kernel = Kernel(
        INSTRUMENTS,
        1,
        1_000_000,
        agents=[(maker, _profile(1_000, 500, 3_000, 2_000)), (taker, _profile(700, 0, 0, 50))],
    )
    kernel.run()
    fills = [(t, e) for t, e in maker.order_events if isinstance(e, OrderFilled)]
    assert [(t, e.ts_event, e.qty, e.leaves_qty) for t, e in fills] == [(12_700, 10_700, 4, 6)]
    assert [(t, e.qty) for t, e in taker.fills] == [(10_750, 4)]
    assert maker.quotes == [(1_500 + 3_000, 100, 10), (10_700 + 3_000, 100, 6)]


def test_kernel_context_l1_is_the_delayed_view():
    seen = []

    class Peeker(Agent):
        def on_start(self, ctx):
            ctx.set_timer(2_000, 1)
            ctx.set_timer(6_000, 2)

        def on_timer(self, ctx, timer_id):
            seen.append(ctx.l1(0).ask_qty)

    agents = [(Maker("maker"), NO_LATENCY), (Peeker("peek"), _profile(market_data=5_000))]
    Kernel(INSTRUMENTS, 1, 10_000, agents=agents).run()
    assert seen == [0, 10]


def test_kernel_send_rejects_non_command():
    class Bad(Agent):
        def on_start(self, ctx):
            ctx.send("buy")

    with pytest.raises(TypeError, match="command struct"):
        Kernel(INSTRUMENTS, 1, 10, agents=[(Bad("bad"), NO_LATENCY)]).run()


def test_kernel_runs_once_only():
    kernel = Kernel(INSTRUMENTS, 1, 10)
    kernel.run()
    with pytest.raises(ConfigError, match="runs once"):
        kernel.run()


def _run_quick(seed: int, duration_s: float = 20.0) -> Kernel:
    scenario = load_scenario("quick")
    kernel = Kernel(
        scenario.instruments,
        seed,
        int(duration_s * 1e9),
        flows=scenario.build_flows(),
        block_ns=scenario.block_ns,
        stp_mode=scenario.stp_mode,
    )
    kernel.run()
    return kernel


def test_kernel_quick_flows_conserve_filled_quantity():
    kernel = _run_quick(3)
    events = kernel.events()
    filled = events[events["kind"] == EventKind.FILLED]
    bought = int(filled["qty"][filled["side"] == 1].sum())
    sold = int(filled["qty"][filled["side"] == -1].sum())
    traded = int(events["qty"][events["kind"] == EventKind.TRADE].sum())
    assert bought == sold == traded > 0


def test_kernel_event_log_is_time_ordered_and_sequenced():
    kernel = _run_quick(4)
    commands, events = kernel.commands(), kernel.events()
    assert np.array_equal(commands["seq"], np.arange(1, len(commands) + 1))
    assert np.all(np.diff(commands["ts_event"]) >= 0)
    assert np.all(np.diff(events["cmd_seq"]) >= 0)
    assert set(np.unique(events["cmd_seq"])) <= set(commands["seq"].tolist())


@pytest.mark.slow
def test_kernel_same_seed_same_digest_different_seed_different_digest():
    first, second, other = _run_quick(11), _run_quick(11), _run_quick(12)
    assert first._result.digest == second._result.digest
    assert first.commands().tobytes() == second.commands().tobytes()
    assert first._result.digest != other._result.digest


def test_kernel_reference_engine_gives_the_same_digest():
    scenario = load_scenario("quick")
    digests = []
    for impl in ("fast", "reference"):
        kernel = Kernel(
            scenario.instruments, 5, 2_000_000_000, flows=scenario.build_flows(), engine_impl=impl
        )
        digests.append(kernel.run().digest)
    assert digests[0] == digests[1]
