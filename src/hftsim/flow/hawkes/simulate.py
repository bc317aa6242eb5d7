"""Exact simulation of multivariate Hawkes processes by Ogata thinning. Cold path (wrappers).

The event loop is the compiled :func:`hftsim.flow.hawkes._kernels.simulate_chunk`: Ogata's (1981)
modified thinning with the current intensity as the bound, which is exact for non-increasing
kernels such as sums of exponentials. All randomness comes from the caller's
``np.random.Generator`` (passed into numba, which shares its bit-generator state), so one
generator state gives one sample, whatever the buffer sizes.
"""

from __future__ import annotations

import math

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.flow.hawkes._kernels import simulate_chunk
from hftsim.flow.hawkes.params import HawkesParams, stationary_intensity

__all__ = ["simulate", "simulate_n"]


def simulate(
    params: HawkesParams, horizon_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate the process on ``[0, horizon_s]``, starting with no history at time 0.

    Args:
        params: validated parameters.
        horizon_s: end of the window in seconds (> 0, finite).
        rng: the component's generator, e.g. ``rng_for(seed, "flow.hawkes")``.

    Returns:
        ``(times, marks)``: sorted float64 event times in seconds and int64 marks in ``[0, D)``.

    Raises:
        ConfigError: if ``horizon_s`` is not a positive finite number.
    """
    if not (isinstance(horizon_s, (int, float)) and math.isfinite(horizon_s) and horizon_s > 0):
        raise ConfigError(f"simulate: horizon_s = {horizon_s!r}: must be a positive finite number of seconds")
    expected = float(stationary_intensity(params).sum()) * float(horizon_s)
    capacity = int(expected * 1.05 + 6.0 * math.sqrt(expected) + 64)
    return _run(params, float(horizon_s), capacity, None, rng)


def simulate_n(
    params: HawkesParams, n_events: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate exactly the first ``n_events`` events of the process started empty at time 0.

    Args:
        params: validated parameters.
        n_events: number of events (>= 1).
        rng: the component's generator.

    Returns:
        ``(times, marks)`` as in :func:`simulate`; ``times[-1]`` is the last event time.

    Raises:
        ConfigError: if ``n_events`` < 1.
    """
    if int(n_events) < 1:
        raise ConfigError(f"simulate_n: n_events = {n_events!r}: must be >= 1")
    return _run(params, math.inf, int(n_events), int(n_events), rng)


def _run(
    params: HawkesParams, horizon: float, capacity: int, max_events: int | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    mu, alpha, beta = params.mu, params.alpha, params.beta
    state = np.zeros((params.dim, params.n_decays))
    times_parts: list[np.ndarray] = []
    marks_parts: list[np.ndarray] = []
    t = 0.0
    total = 0
    while True:
        times_out = np.empty(capacity, dtype=np.float64)
        marks_out = np.empty(capacity, dtype=np.int64)
        n, t, is_done = simulate_chunk(mu, alpha, beta, state, t, horizon, rng, times_out, marks_out)
        times_parts.append(times_out[:n])
        marks_parts.append(marks_out[:n])
        total += n
        if is_done or (max_events is not None and total >= max_events):
            break
        # a burst outran the estimate; continue with a chunk half the size so far
        capacity = max(1024, total // 2) if max_events is None else max_events - total
    if len(times_parts) == 1:
        return times_parts[0], marks_parts[0]
    return np.concatenate(times_parts), np.concatenate(marks_parts)
