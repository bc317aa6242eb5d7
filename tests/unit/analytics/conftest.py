"""Synthetic quotes and trades with known statistical properties."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest


def poisson_times_ns(rng: np.random.Generator, n: int, rate_per_s: float) -> np.ndarray:
    """Return ``n`` event times of a Poisson process (ns, strictly increasing in practice)."""
    return np.cumsum(rng.exponential(1e9 / rate_per_s, n)).astype(np.int64) + 1


def random_walk_quotes(
    rng: np.random.Generator, n: int, rate_per_s: float, *, bounce_ticks: int = 0
) -> dict[str, np.ndarray]:
    """One-tick-wide quotes whose mid moves ±1 tick per update at Poisson times.

    With ``bounce_ticks``, the quotes also jump up or down by that much at random, independently per
    update (microstructure noise on top of the random walk).
    """
    efficient = 10_000 + np.cumsum(rng.choice([-1, 1], n))
    noise = bounce_ticks * rng.choice([-1, 1], n) if bounce_ticks else 0
    bid = efficient + noise
    return {
        "ts_ns": poisson_times_ns(rng, n, rate_per_s),
        "symbol_id": np.zeros(n, dtype=np.int32),
        "bid_px_ticks": bid,
        "bid_qty": rng.integers(1, 100, n),
        "ask_px_ticks": bid + 1,
        "ask_qty": rng.integers(1, 100, n),
    }


def markov_signs(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    """Return ±1 signs that repeat with probability (1 + rho)/2, so that ACF(k) = rho**k."""
    flips = rng.random(n) >= (1.0 + rho) / 2.0
    flips[0] = False
    return np.where(np.cumsum(flips) % 2 == 0, 1, -1).astype(np.int8)


def trades_at(ts_ns: np.ndarray, signs: np.ndarray) -> dict[str, np.ndarray]:
    n = ts_ns.size
    return {
        "ts_ns": ts_ns,
        "symbol_id": np.zeros(n, dtype=np.int32),
        "price_ticks": np.full(n, 10_000),
        "qty": np.ones(n, dtype=np.int64),
        "aggressor_side": signs.astype(np.int8),
        "exec_id": np.arange(1, n + 1),
    }


@pytest.fixture
def market() -> SimpleNamespace:
    """The generators above, for tests (conftest modules are not imported by name)."""
    return SimpleNamespace(
        poisson_times_ns=poisson_times_ns,
        random_walk_quotes=random_walk_quotes,
        markov_signs=markov_signs,
        trades_at=trades_at,
    )
