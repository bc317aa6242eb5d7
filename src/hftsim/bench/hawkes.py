"""Benchmark of Hawkes simulation and maximum-likelihood fitting. Cold path (edge: reads wall time).

Reference process (2-D, exponential kernel): baselines (0.4, 0.3), norms ((0.5, 0.2), (0.3, 0.4)),
decay 3.0 per second; about 1M events (100k with ``quick``). Numba kernels are compiled and
warmed on a small sample first, so the figures measure steady-state speed. Reference figures
from the ``tick`` library on the 2-core development machine: 1M-event simulation 0.15 s,
MLE with known decay 1.43 s, full MLE 15.5 s.
"""

from __future__ import annotations

import time

import numpy as np

from hftsim.core.rng import rng_for
from hftsim.flow.hawkes import HawkesParams, fit, simulate_n

__all__ = ["REFERENCE_PARAMS", "run"]

REFERENCE_PARAMS = HawkesParams.create([0.4, 0.3], [[0.5, 0.2], [0.3, 0.4]], [3.0], source="bench.hawkes")


def run(quick: bool = False, seed: int = 20240601) -> dict:
    """Time simulation and fits on the reference process.

    Args:
        quick: use 100k events instead of 1M.
        seed: run seed (stream ``"bench.hawkes"``).

    Returns:
        ``simulate_1m_s`` (seconds to simulate the sample; 1M events unless ``quick``),
        ``fit_1m_s`` (full MLE including the decay), ``fit_known_decay_s``,
        ``fit_max_rel_error`` (max relative error of the full MLE over all parameters),
        ``fit_max_abs_z`` (max |estimate - truth| / standard error), ``fit_converged``,
        ``n_events``.
    """
    n_events = 100_000 if quick else 1_000_000
    params = REFERENCE_PARAMS
    _warm_up(params)
    rng = rng_for(seed, "bench.hawkes")
    start = time.perf_counter()
    times, marks = simulate_n(params, n_events, rng)
    simulate_s = time.perf_counter() - start

    start = time.perf_counter()
    full = fit(times, marks, dim=params.dim)
    fit_s = time.perf_counter() - start

    start = time.perf_counter()
    known = fit(times, marks, dim=params.dim, decays=params.beta, fit_decays=False)
    known_s = time.perf_counter() - start

    truth = np.concatenate([params.mu, params.alpha.ravel(), params.beta])
    estimate = np.concatenate([full.baselines, full.norms.ravel(), full.decays])
    std_err = np.concatenate([full.baselines_se, full.norms_se.ravel(), full.decays_se])
    return {
        "simulate_1m_s": simulate_s,
        "fit_1m_s": fit_s,
        "fit_known_decay_s": known_s,
        "fit_max_rel_error": float(np.max(np.abs(estimate / truth - 1.0))),
        "fit_max_abs_z": float(np.max(np.abs(estimate - truth) / std_err)),
        "fit_converged": bool(full.converged and known.converged),
        "n_events": int(times.size),
    }


def _warm_up(params: HawkesParams) -> None:
    times, marks = simulate_n(params, 5_000, rng_for(0, "bench.hawkes.warmup"))
    fit(times, marks, dim=params.dim)
    fit(times, marks, dim=params.dim, decays=params.beta, fit_decays=False)


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:>20}: {value}")
