import math

import numpy as np
import pytest

from hftsim.sim.kernel import L1_RECORD_DTYPE, KernelResult
from hftsim.sweep.metric import run_metrics

S = 1_000_000_000


def _l1(rows):
    out = np.zeros(len(rows), dtype=L1_RECORD_DTYPE)
    for i, (ts, bid, ask) in enumerate(rows):
        out[i] = (ts, 0, bid, 100, ask, 100)
    return out


def _kernel(final_bid, final_ask):
    return KernelResult(
        digest="d",
        engine_digest="e",
        n_commands=10,
        n_events=20,
        n_deliveries=0,
        n_l1=3,
        flow_counts={},
        final_l1=[(final_bid, 100, 1, final_ask, 100, 1)],
        live_orders=[2],
    )


def test_run_metrics_spread_is_time_weighted_and_volatility_on_one_second_grid():
    l1 = _l1([(0, 99, 101), (1 * S, 99, 103), (3 * S, 100, 102)])
    row = run_metrics(l1, np.zeros((0, 6), np.int64), np.array([-1]), _kernel(100, 102), [], 0, 4 * S, 5, 700)
    # spread 2 for 1 s, 4 for 2 s, 2 for 1 s
    assert row["spread_mean_ticks"] == pytest.approx((2 + 8 + 2) / 4)
    # mids on the grid 0..4 s: 100, 101, 101, 101, 101
    assert row["volatility"] == pytest.approx(math.sqrt(1 / 4))
    assert (row["trades"], row["volume"], row["events"]) == (5, 700, 30)


def test_run_metrics_agent_pnl_impact_and_shortfall_from_fills():
    l1 = _l1([(0, 99, 101), (2 * S, 101, 103), (3 * S, 103, 105)])
    # fields: ts_event, owner_id, symbol_id, side, price_ticks, qty; agent 1 buys 300, agent 2 idle
    fills = np.array([[S + 5, 1, 0, 1, 101, 100], [3 * S, 1, 0, 1, 103, 200]], dtype=np.int64)
    first = np.array([-1, S, -1])
    row = run_metrics(l1, fills, first, _kernel(103, 105), ["ex", "idle"], 0, 4 * S, 2, 300)
    assert row["position.ex"] == 300 and row["filled_qty.ex"] == 300
    vwap = (101 * 100 + 103 * 200) / 300
    assert row["vwap_ticks.ex"] == pytest.approx(vwap)
    assert row["pnl_ticks.ex"] == pytest.approx(-(101 * 100 + 103 * 200) + 300 * 104)
    assert row["impact_ticks.ex"] == pytest.approx(104 - 100)
    assert row["shortfall_ticks.ex"] == pytest.approx(vwap - 100)
    assert row["pnl_ticks.idle"] == 0.0 and math.isnan(row["impact_ticks.idle"])


@pytest.mark.slow
def test_task_kept_run_and_streamed_metrics_agree(tmp_path):
    """The twin paths: metrics from the kernel stream equal those read back from kept Parquet files."""
    from hftsim.sweep import load_sweep, plan, run_task

    the_plan = plan(load_sweep("as_risk_aversion"))
    task = the_plan.tasks[0]
    task = type(task)(
        **{
            **{f: getattr(task, f) for f in task.__struct_fields__},
            "scenario": {**task.scenario, "session": {"duration_s": 10, "block_s": 5}},
        }
    )
    streamed = run_task(task, str(tmp_path / "a"))
    kept = run_task(
        type(task)(**{**{f: getattr(task, f) for f in task.__struct_fields__}, "keep_runs": True}),
        str(tmp_path / "b"),
    )
    assert streamed.error == "" and kept.error == ""
    assert (tmp_path / "b" / "tasks" / task.task_id / "run" / "events.parquet").is_file()
    assert not (tmp_path / "a" / "tasks" / task.task_id / "run").exists()
    assert streamed.row["digest"] == kept.row["digest"]
    a, b = streamed.row["metrics"], kept.row["metrics"]
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], nan_ok=True, rel=1e-12), k
    assert a["filled_qty.mm"] > 0
