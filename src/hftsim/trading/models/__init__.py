"""Standalone market-making, execution and impact models, usable without a simulation. Cold path.

One module per model, each stating its maths and citing its paper (see ``docs/models_trading.md``):
Almgren-Chriss, Avellaneda-Stoikov, Gueant-Lehalle-Fernandez-Tapia, Cartea-Jaimungal-Penalva,
Obizhaeva-Wang, Gatheral-Schied transient impact, the Bouchaud et al. propagator and the square-root law.
"""

from __future__ import annotations

from hftsim.trading.models.almgren_chriss import (
    AlmgrenChrissTrajectory,
    ac_cost_variance,
    ac_efficient_frontier,
    ac_expected_cost,
    ac_half_life,
    ac_kappa,
    ac_optimal_trajectory,
    optimal_cost_closed_form,
)
from hftsim.trading.models.avellaneda_stoikov import (
    AS_PAPER_PARAMS,
    AsPaperResult,
    as_optimal_quotes,
    as_optimal_spread,
    as_reservation_price,
    simulate_as_paper,
)
from hftsim.trading.models.cartea_jaimungal import cjp_depths, cjp_omega
from hftsim.trading.models.gatheral_schied import (
    exponential_kernel,
    impact_matrix,
    power_law_kernel,
    transient_impact_cost,
    transient_optimal_schedule,
)
from hftsim.trading.models.glft import glft_approx_depths, glft_exact_depths, glft_value_vector
from hftsim.trading.models.obizhaeva_wang import (
    ObizhaevaWangSchedule,
    ow_discrete_schedule,
    ow_expected_cost,
    ow_optimal_schedule,
    ow_schedule_cost,
)
from hftsim.trading.models.propagator import estimate_propagator, response_function, sign_autocorrelation
from hftsim.trading.models.square_root import SquareRootFit, fit_square_root_law, square_root_impact

__all__ = [
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
