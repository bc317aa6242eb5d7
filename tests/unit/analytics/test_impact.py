"""Impact curves from a run: signs, mids before each trade, propagator."""

import numpy as np
import pytest

from hftsim.analytics.impact import impact_curves, impact_from_run, trade_signs_and_mids, write_impact
from hftsim.core.errors import ConfigError


def cols(**kw):
    return {k: np.asarray(v) for k, v in kw.items()}


def test_impact_uses_the_quote_in_force_before_each_aggressive_order():
    l1 = cols(
        ts_ns=[10, 20, 30], symbol_id=[0, 0, 0], bid_px_ticks=[99, 100, 0], ask_px_ticks=[101, 102, 103]
    )
    # two prints of one buy at ts 20 (a sweep), a sell at 25, a buy at 31 after the bid vanished
    trades = cols(ts_ns=[5, 20, 20, 25, 31], symbol_id=[0, 0, 0, 0, 0], aggressor_side=[1, 1, 1, -1, 1])
    signs, mids = trade_signs_and_mids(l1, trades)
    assert signs.tolist() == [1.0, -1.0] and mids.tolist() == [100.0, 101.0]


def test_impact_curves_recover_a_known_linear_impact():
    rng = np.random.default_rng(5)
    signs = np.where(rng.random(20_000) < 0.5, 1.0, -1.0)
    mids = 1_000 + np.concatenate([[0.0], np.cumsum(0.5 * signs[:-1])]) + rng.normal(0, 0.1, 20_000)
    curves = impact_curves(signs, mids, max_lag=10)
    assert curves.response_ticks[1] == pytest.approx(0.5, abs=0.02)  # permanent impact of half a tick
    assert curves.propagator_ticks[5] == pytest.approx(0.5, abs=0.03)
    assert abs(curves.sign_autocorrelation[1]) < 0.03


def test_impact_refuses_short_runs_and_missing_files(tmp_path):
    with pytest.raises(ConfigError, match="too few"):
        impact_curves(np.ones(10), np.ones(10), max_lag=50)
    with pytest.raises(ConfigError, match="no l1.parquet"):
        impact_from_run(tmp_path)


@pytest.mark.slow
def test_impact_from_a_simulated_run_writes_csv_and_plot(tmp_path):
    from hftsim.sim import run_scenario

    run_scenario("quick", tmp_path / "run", progress=False)
    curves = impact_from_run(tmp_path / "run", max_lag=20)
    assert curves.n_trades > 100 and curves.response_ticks[0] == 0.0
    assert curves.response_ticks[5] > 0  # buying pushes the price up in a market with impact
    csv_path, png_path = write_impact(curves, tmp_path / "impact")
    assert csv_path.read_text().count("\n") == 22 and png_path.stat().st_size > 1000
