"""Latency models and FIFO legs."""

from __future__ import annotations

import numpy as np
import pytest

from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for
from hftsim.sim.latency import (
    ConstantLatency,
    EmpiricalLatency,
    LatencyLeg,
    LognormalLatency,
    latency_from_mapping,
)


def test_constant_leg_adds_exactly():
    leg = LatencyLeg(ConstantLatency(ns=250), rng_for(1, "latency.x"))
    assert [leg.arrival(t) for t in (0, 10, 1_000)] == [250, 260, 1_250]


def test_lognormal_median_matches():
    draws = LognormalLatency(median_ns=20_000, sigma=0.5, floor_ns=1_000).sample(rng_for(1, "l"), 20_000)
    assert draws.min() >= 1_000
    assert abs(np.median(draws) - 21_000) < 21_000 * 0.03


def test_empirical_draws_only_recorded_values():
    draws = EmpiricalLatency(samples_ns=(5, 7, 100)).sample(rng_for(1, "l"), 3_000)
    assert set(draws.tolist()) == {5, 7, 100}


def test_leg_is_fifo_and_deterministic():
    model = EmpiricalLatency(samples_ns=(10, 1_000))
    arrivals = [LatencyLeg(model, rng_for(3, "latency.a")).arrival(t) for t in range(0, 5)]
    again = [LatencyLeg(model, rng_for(3, "latency.a")).arrival(t) for t in range(0, 5)]
    leg = LatencyLeg(model, rng_for(3, "latency.a"))
    seq = [leg.arrival(t) for t in range(0, 2_000, 2)]
    assert arrivals == again
    assert all(b >= a for a, b in zip(seq, seq[1:]))


def test_latency_from_mapping_integer_is_constant():
    assert latency_from_mapping(1_500, "x") == ConstantLatency(ns=1_500)


def test_latency_from_mapping_errors_name_path():
    with pytest.raises(ConfigError, match=r"^a\.b\.samples_ns\[1\]: expected an integer >= 0, got -3$"):
        latency_from_mapping({"model": "empirical", "samples_ns": [1, -3]}, "a.b")
    with pytest.raises(ConfigError, match=r"^a\.mu: unknown key"):
        latency_from_mapping({"model": "lognormal", "median_ns": 3, "mu": 2}, "a")
