"""Execution algorithms: slicing along their schedules, completion, and the per-parent report."""

from __future__ import annotations

import numpy as np
import pytest

from hftsim.core import ConfigError, NewOrder, Side, TimeInForce
from hftsim.testing import ManualStrategy
from hftsim.trading.models import (
    ac_optimal_trajectory,
    ow_discrete_schedule,
    power_law_kernel,
    transient_optimal_schedule,
)
from hftsim.trading.oms import UNITS_PER_TICK
from hftsim.trading.strategies import (
    AlmgrenChrissExecutor,
    GatheralSchiedExecutor,
    ObizhaevaWangExecutor,
    PovExecutor,
    TwapExecutor,
    VwapExecutor,
    cumulative_targets,
)

from .strategy_support import market_with_book

S = 1_000_000_000


def _run(executor, horizon_ns=11 * S, **book):
    market, lp = market_with_book(executor, **book)
    market.advance_to(horizon_ns)
    return market, lp


def _child_sizes(executor):
    return [c.qty for c in executor.children]


def test_twap_slices_evenly_on_time_and_completes_the_parent():
    twap = TwapExecutor("twap", side="buy", qty=1_000, horizon_s=10.0, n_slices=10)
    market, lp = _run(twap)
    assert _child_sizes(twap) == [100] * 10
    assert [c.created_ns for c in twap.children] == [k * S for k in range(10)]
    assert all(c.tif == TimeInForce.IOC for c in twap.children)
    report = twap.report()
    assert report.is_complete and report.filled_qty == 1_000 and twap.oms.position() == 1_000
    assert report.arrival_mid_ticks == 1_000.0
    assert report.avg_fill_ticks == 1_005.0 and report.slippage_ticks_per_share == 5.0


def test_twap_uneven_quantity_differs_by_at_most_one_share():
    twap = TwapExecutor("twap", side="sell", qty=1_003, horizon_s=10.0, n_slices=10)
    _run(twap)
    sizes = _child_sizes(twap)
    assert sum(sizes) == 1_003 and max(sizes) - min(sizes) <= 1
    assert twap.oms.position() == -1_003


def test_twap_carries_unfilled_quantity_into_the_next_slice():
    twap = TwapExecutor("twap", side="buy", qty=300, horizon_s=3.0, n_slices=3)
    market, lp = market_with_book(twap, depth_qty=50, levels=1)  # only 50 on the ask
    market.advance_to(1 * S - 1)
    assert twap.filled_qty == 50
    lp.oms.submit(Side.SELL, 1_005, 1_000)
    market.advance_to(3 * S)
    assert _child_sizes(twap) == [100, 150, 100]
    assert twap.report().is_complete


def test_implementation_shortfall_adds_fees_and_opportunity_cost():
    twap = TwapExecutor(
        "twap", side="buy", qty=300, horizon_s=3.0, n_slices=3, fees={"taker_fee_units": 5_000}
    )
    market, lp = market_with_book(twap, depth_qty=100, levels=1)
    market.advance_to(3 * S)  # only 100 filled: the ask is gone after the first slice
    lp.oms.submit(Side.SELL, 1_011, 10)  # the ask comes back higher: mid 1003
    report = twap.report()
    assert report.filled_qty == 100 and not report.is_complete and report.final_mid_ticks == 1_003.0
    execution = (1_005 - 1_000) * 100 + 100 * 5_000 / UNITS_PER_TICK
    opportunity = (1_003 - 1_000) * 200
    assert report.implementation_shortfall_ticks == pytest.approx(execution + opportunity)
    assert report.shortfall_bps == pytest.approx((execution + opportunity) / (300 * 1_000) * 1e4)
    assert report.fees_units == 500_000


def test_vwap_slices_follow_the_volume_profile():
    vwap = VwapExecutor("vwap", side="buy", qty=1_000, horizon_s=4.0, volume_profile=[4, 1, 1, 4])
    _run(vwap, horizon_ns=5 * S)
    assert _child_sizes(vwap) == [400, 100, 100, 400]


def test_pov_participates_in_observed_market_volume():
    pov = PovExecutor("pov", side="buy", qty=10_000, horizon_s=3.0, n_slices=3, participation=0.1)
    other = ManualStrategy("other")
    market, lp = market_with_book(pov, other)
    other.oms.submit(Side.BUY, 1_005, 500)  # market volume 500
    market.advance_to(1 * S)
    assert pov.filled_qty == 50
    other.oms.submit(Side.SELL, 995, 1_500)  # +1500
    market.advance_to(3 * S)
    assert pov.filled_qty == 200  # own fills are not counted as market volume
    assert pov.market_volume == 2_000 and not pov.report().is_complete


def test_almgren_chriss_holdings_follow_the_model_trajectory():
    params = {"sigma": 2.0, "eta": 0.05, "gamma": 0.0, "risk_aversion": 1e-3}
    ac = AlmgrenChrissExecutor("ac", side="sell", qty=5_000, horizon_s=10.0, n_slices=10, **params)
    _run(ac)
    trajectory = ac_optimal_trajectory(5_000, 10, 1.0, 2.0, 0.05, 0.0, 1e-3)
    remaining = 5_000 - np.cumsum(_child_sizes(ac))
    np.testing.assert_allclose(remaining, trajectory.holdings[1:], atol=0.5)
    assert trajectory.kappa > 0 and _child_sizes(ac)[0] > _child_sizes(ac)[-1]  # front-loaded
    assert ac.report().is_complete


def test_obizhaeva_wang_blocks_match_the_discrete_schedule():
    ow = ObizhaevaWangExecutor("ow", side="buy", qty=2_000, horizon_s=10.0, n_slices=11, resilience=0.5)
    _run(ow)
    expected = ow_discrete_schedule(2_000, 10.0, 0.5, 10)
    sizes = _child_sizes(ow)
    assert sum(sizes) == 2_000 and len(sizes) == 11
    np.testing.assert_allclose(sizes, expected, atol=1.0)
    assert sizes[0] > sizes[1] and abs(sizes[0] - sizes[-1]) <= 1
    assert ow.children[-1].created_ns == 10 * S


def test_gatheral_schied_follows_the_transient_impact_optimum():
    gs = GatheralSchiedExecutor(
        "gs", side="buy", qty=1_000, horizon_s=5.0, n_slices=5, exponent=0.5, time_scale_s=1.0
    )
    _run(gs, horizon_ns=6 * S)
    expected = transient_optimal_schedule(1_000, np.arange(5) * 1.0, power_law_kernel(0.5, 1.0))
    np.testing.assert_allclose(_child_sizes(gs), expected, atol=1.0)


def test_cumulative_targets_are_monotone_and_end_at_the_quantity():
    targets = cumulative_targets(np.array([0.3, 0.0, 0.2, 0.5]), 7)
    assert targets.tolist()[-1] == 7 and np.all(np.diff(targets) >= 0)
    with pytest.raises(ConfigError, match="weights"):
        cumulative_targets(np.array([1.0, -1.0]), 5)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (TwapExecutor, {"horizon_s": -1.0}, "horizon_s"),
        (TwapExecutor, {"side": "hold"}, "side"),
        (TwapExecutor, {"qty": 0}, "qty"),
        (VwapExecutor, {"volume_profile": [1, 2], "n_slices": 3}, "n_slices"),
        (PovExecutor, {"participation": 1.5}, "participation"),
        (AlmgrenChrissExecutor, {"sigma": -0.1}, "sigma"),
        (AlmgrenChrissExecutor, {"risk_aversion": -1.0}, "risk_aversion"),
        (ObizhaevaWangExecutor, {"resilience": -1.0}, "resilience"),
        (ObizhaevaWangExecutor, {"n_slices": 1}, "n_slices"),
        (GatheralSchiedExecutor, {"exponent": 0.0}, "exponent"),
    ],
)
def test_executor_impossible_parameter_raises_config_error_naming_it(cls, kwargs, name):
    with pytest.raises(ConfigError, match=name):
        cls("bad", **kwargs)


def test_executor_children_pass_the_oms_risk_checks():
    twap = TwapExecutor(
        "twap", side="buy", qty=1_000, horizon_s=10.0, n_slices=10, risk={"max_order_qty": 50}
    )
    market, lp = _run(twap)
    assert twap.filled_qty == 0
    assert not [c for c in market.commands if isinstance(c, NewOrder) and c.owner_id == 2]
