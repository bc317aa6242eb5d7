"""Validation and closed forms of HawkesParams."""

import numpy as np
import pytest

import hftsim.flow.hawkes as hawkes
from hftsim.core.errors import ConfigError
from hftsim.flow.hawkes import (
    HawkesParams,
    branching_matrix,
    power_law_sum_of_exponentials,
    spectral_radius,
    stationary_intensity,
)


def test_hawkes_all_is_pinned():
    assert sorted(hawkes.__all__) == sorted(
        [
            "HawkesFit",
            "HawkesParams",
            "branching_matrix",
            "check_events",
            "fit",
            "ks_pvalues",
            "log_likelihood",
            "log_likelihood_derivatives",
            "pack_params",
            "power_law_sum_of_exponentials",
            "qq_plot",
            "residuals",
            "simulate",
            "simulate_n",
            "spectral_radius",
            "stationary_intensity",
            "unpack_params",
        ]
    )


def test_params_reference_closed_forms_match_hand_computation(ref_params):
    # A = [[.5,.2],[.3,.4]]: eigenvalues 0.7 and 0.2; (I-A)^-1 mu = (0.30, 0.27) / 0.24
    assert spectral_radius(ref_params) == pytest.approx(0.7)
    np.testing.assert_allclose(stationary_intensity(ref_params), [1.25, 1.125])
    np.testing.assert_allclose(branching_matrix(ref_params), [[0.5, 0.2], [0.3, 0.4]])


def test_params_sum_of_exponentials_branching_sums_over_decays(two_decay_params):
    np.testing.assert_allclose(branching_matrix(two_decay_params), [[0.5, 0.2], [0.3, 0.3]])


def test_params_non_stationary_raises_naming_radius():
    with pytest.raises(ConfigError, match=r"non-stationary: spectral radius 1\.07 >= 1"):
        HawkesParams.create([0.4, 0.3], [[1.07, 0.0], [0.3, 0.4]], [3.0])


@pytest.mark.parametrize(
    ("baselines", "norms", "decays", "pattern"),
    [
        ([0.4, -0.3], [[0.5, 0.2], [0.3, 0.4]], [3.0], r"baselines\[1\] = -0\.3: must be > 0"),
        ([0.4, 0.3], [[0.5, -0.2], [0.3, 0.4]], [3.0], r"norms\[0\]\[1\]\[0\] = -0\.2: must be >= 0"),
        ([0.4, 0.3], [[0.5, 0.2], [0.3, 0.4]], [0.0], r"decays\[0\] = 0\.0: must be > 0"),
        ([0.4, 0.3], [[0.5, 0.2]], [3.0], r"norms: expected shape"),
        ([0.4, float("nan")], [[0.5, 0.2], [0.3, 0.4]], [3.0], r"baselines: values must be finite"),
    ],
)
def test_params_bad_values_raise_config_error_naming_them(baselines, norms, decays, pattern):
    with pytest.raises(ConfigError, match=pattern):
        HawkesParams.create(baselines, norms, decays)


def test_params_direct_construction_validates():
    with pytest.raises(ConfigError, match="baselines"):
        HawkesParams(baselines=(-1.0,), norms=(((0.1,),),), decays=(1.0,))


def test_params_mapping_round_trip_equal(two_decay_params):
    again = HawkesParams.from_mapping({"params": two_decay_params.to_dict()})
    assert again == two_decay_params


def test_params_mapping_missing_key_names_it():
    with pytest.raises(ConfigError, match=r"cfg: missing key\(s\) \['decays'\]"):
        HawkesParams.from_mapping({"baselines": [1.0], "norms": [[0.1]]}, source="cfg")


def test_power_law_weights_approximate_density_over_decades():
    eps, delta = 0.5, 1e-3
    weights, decays = power_law_sum_of_exponentials(eps, delta, n_decays=40, decay_range=(1e-3, 1e5))
    assert weights.sum() == pytest.approx(1.0)
    t = np.geomspace(1e-4, 1e1, 30)
    approx = (weights * decays * np.exp(-np.outer(t, decays))).sum(axis=1)
    exact = eps * delta**eps / (t + delta) ** (1 + eps)
    np.testing.assert_allclose(approx, exact, rtol=0.1)


def test_power_law_params_total_norm_is_branching_ratio():
    params = HawkesParams.from_power_law([0.2, 0.2], [[0.3, 0.1], [0.1, 0.3]], 0.4, 0.01, n_decays=8)
    assert params.n_decays == 8
    np.testing.assert_allclose(branching_matrix(params), [[0.3, 0.1], [0.1, 0.3]])


def test_power_law_bad_exponent_raises():
    with pytest.raises(ConfigError, match="exponent = -1"):
        power_law_sum_of_exponentials(-1, 0.01)
