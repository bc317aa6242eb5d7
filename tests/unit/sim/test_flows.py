"""Hawkes flow actions and replay of a recorded flow."""

from __future__ import annotations

import numpy as np

from hftsim.core.enums import CommandKind, EventKind, OrderType
from hftsim.data.tables import FLOW_SCHEMA, FlowKind, write_table
from hftsim.flow.hawkes import stationary_intensity
from hftsim.flow.replay import ReplayFlow, flow_from_log, read_flow
from hftsim.sim.kernel import Kernel
from hftsim.sim.scenario import load_scenario


def _quick_kernel(seed: int, seconds: float, flows=None) -> Kernel:
    scenario = load_scenario("quick")
    kernel = Kernel(
        scenario.instruments,
        seed,
        int(seconds * 1e9),
        flows=scenario.build_flows() if flows is None else flows,
        stp_mode=scenario.stp_mode,
    )
    kernel.run()
    return kernel


def test_hawkes_flow_action_counts_follow_the_process():
    scenario = load_scenario("quick")
    flow = scenario.build_flows()[0]
    kernel = Kernel(scenario.instruments, 9, 60 * 10**9, flows=[flow])
    kernel.run()
    rate = stationary_intensity(flow.params)
    counts = flow.counts
    commands = kernel.commands()
    new = commands[commands["kind"] == CommandKind.NEW]
    assert counts["market_buy"] == int(((new["order_type"] == OrderType.MARKET) & (new["side"] == 1)).sum())
    assert counts["limit_bid"] == int(((new["order_type"] == OrderType.LIMIT) & (new["side"] == 1)).sum())
    total = sum(counts.values())
    assert 0.7 * rate.sum() * 60 < total <= len(flow._times_ns)
    canceled = kernel.events()
    assert int((canceled["kind"] == EventKind.CANCELED).sum()) >= counts["cancel_bid"] + counts["cancel_ask"]


def test_hawkes_flow_cancels_only_its_live_orders():
    kernel = _quick_kernel(2, 30, flows=[load_scenario("quick").build_flows()[0]])
    commands, events = kernel.commands(), kernel.events()
    cancels = set(commands["seq"][commands["kind"] == CommandKind.CANCEL].tolist())
    rejected = events[(events["kind"] == EventKind.REJECTED)]
    assert cancels and not set(rejected["cmd_seq"].tolist()) & cancels


def test_replay_of_recorded_flow_reproduces_the_trades(tmp_path):
    original = _quick_kernel(21, 40)
    table = flow_from_log(original.commands(), original.events())
    path = write_table(table, tmp_path / "flow.parquet", FLOW_SCHEMA)
    replay = ReplayFlow("replay", 0, read_flow(path), align_start=False)
    replayed = _quick_kernel(99, 41, flows=[replay])

    def trades(kernel):
        e = kernel.events()
        t = e[e["kind"] == EventKind.TRADE]
        return np.stack([t["ts_event"], t["price_ticks"], t["qty"], t["aggressor_side"]], axis=1)

    first, second = trades(original), trades(replayed)
    assert len(first) > 50
    assert np.array_equal(first, second)
    assert replay.counts["skipped"] == 0
    assert int((table.column("kind").to_numpy() == FlowKind.EXECUTE).sum()) == len(first)
