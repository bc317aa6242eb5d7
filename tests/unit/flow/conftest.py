"""Shared fixtures for the Hawkes tests: the reference 2-D process and a 2-decay variant."""

import pytest

from hftsim.flow.hawkes import HawkesParams


@pytest.fixture
def ref_params() -> HawkesParams:
    return HawkesParams.create([0.4, 0.3], [[0.5, 0.2], [0.3, 0.4]], [3.0])


@pytest.fixture
def two_decay_params() -> HawkesParams:
    return HawkesParams.create([0.4, 0.3], [[[0.3, 0.2], [0.1, 0.1]], [[0.2, 0.1], [0.05, 0.25]]], [1.0, 7.0])
