"""Impossible parameters raise ConfigError naming the parameter; the public API is pinned."""

import numpy as np
import pytest

import hftsim.trading.models as models
from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for


def test_models_package_all_is_pinned():
    assert sorted(models.__all__) == [
        "AS_PAPER_PARAMS",
        "AlmgrenChrissTrajectory",
        "AsPaperResult",
        "ObizhaevaWangSchedule",
        "SquareRootFit",
        "ac_cost_variance",
        "ac_efficient_frontier",
        "ac_expected_cost",
        "ac_half_life",
        "ac_kappa",
        "ac_optimal_trajectory",
        "as_optimal_quotes",
        "as_optimal_spread",
        "as_reservation_price",
        "cjp_depths",
        "cjp_omega",
        "estimate_propagator",
        "exponential_kernel",
        "fit_square_root_law",
        "glft_approx_depths",
        "glft_exact_depths",
        "glft_value_vector",
        "impact_matrix",
        "optimal_cost_closed_form",
        "ow_discrete_schedule",
        "ow_expected_cost",
        "ow_optimal_schedule",
        "ow_schedule_cost",
        "power_law_kernel",
        "response_function",
        "sign_autocorrelation",
        "simulate_as_paper",
        "square_root_impact",
        "transient_impact_cost",
        "transient_optimal_schedule",
    ]
    for name in models.__all__:
        assert hasattr(models, name)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: models.ac_kappa(1e-6, -0.95, 2.5e-6, 2.5e-7, 1.0), "sigma=-0.95"),
        (lambda: models.ac_kappa(-1e-6, 0.95, 2.5e-6, 2.5e-7, 1.0), "risk_aversion=-1e-06"),
        (lambda: models.ac_optimal_trajectory(1e6, 0, 1.0, 0.95, 2.5e-6, 2.5e-7, 1e-6), "n_periods=0"),
        (lambda: models.ac_kappa(1e-6, 0.95, 1e-7, 2.5e-7, 1.0), "eta_tilde"),
        (lambda: models.as_optimal_spread(-0.1, 2.0, 1.0, 1.5), "gamma=-0.1"),
        (lambda: models.as_reservation_price(100.0, 1, 0.1, 2.0, -1.0), "time_left=-1.0"),
        (lambda: models.simulate_as_paper(0.1, "greedy", 10, rng_for(1, "x")), "strategy='greedy'"),
        (lambda: models.glft_exact_depths(10.0, 5, 0.01, -0.3, 0.9, 0.3), "sigma=-0.3"),
        (lambda: models.glft_approx_depths(0, 0.01, 0.3, 0.0, 0.3), "arrival_scale=0.0"),
        (lambda: models.cjp_depths(1.0, 100.0, 1.0, 1.0, -1e-5, 0.0, -5, 5), "phi=-1e-05"),
        (lambda: models.cjp_depths(1.0, 100.0, 1.0, 1.0, 0.0, 0.0, 1, 5), "q_min=1"),
        (lambda: models.ow_optimal_schedule(1e5, 0.0, 5.0), "horizon=0.0"),
        (lambda: models.ow_optimal_schedule(1e5, 1.0, -5.0), "resilience=-5.0"),
        (lambda: models.power_law_kernel(0.5, -1.0), "time_scale=-1.0"),
        (
            lambda: models.transient_optimal_schedule(
                1.0, np.array([0.0, 0.0]), models.exponential_kernel(1.0)
            ),
            "times",
        ),
        (lambda: models.estimate_propagator(np.ones(10), np.zeros(10), 20), "max_lag + 1"),
        (lambda: models.fit_square_root_law([1.0, 2.0, 3.0], [0.1, -0.2, 0.3], 10.0, 0.02), "impacts"),
        (
            lambda: models.fit_square_root_law([1.0, 2.0, 3.0], [0.1, 0.2, 0.3], 10.0, float("nan")),
            "daily_volatility",
        ),
    ],
)
def test_impossible_parameter_raises_config_error_naming_it(call, name):
    with pytest.raises(ConfigError, match=name.replace("+", r"\+").replace("(", r"\(")):
        call()
