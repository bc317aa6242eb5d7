"""Stylized facts on synthetic data with known properties."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pyarrow as pa
import pytest

import hftsim.analytics
from hftsim.analytics import (
    autocorrelation,
    compute_facts,
    depth_distribution,
    facts_table,
    fit_power_law,
    interarrival,
    interval_label,
    mid_price,
    sample_returns,
    signature,
    spread_distribution,
    summary,
    write_facts,
)
from hftsim.core.errors import ConfigError

INTERVALS_NS = tuple(int(s * 1e9) for s in (0.1, 0.2, 0.5, 1, 2, 5, 10))


def test_analytics_public_api_is_pinned():
    assert sorted(hftsim.analytics.__all__) == [
        "DEFAULT_INTERVALS_NS",
        "Distribution",
        "InterArrival",
        "PowerLawFit",
        "Signature",
        "Statistic",
        "StylizedFacts",
        "autocorrelation",
        "compute_facts",
        "depth_distribution",
        "facts_table",
        "fit_power_law",
        "interarrival",
        "interval_label",
        "mid_price",
        "sample_returns",
        "signature",
        "spread_distribution",
        "statistics",
        "summary",
        "write_facts",
    ]


def test_autocorrelation_fft_matches_naive_sum():
    x = np.random.default_rng(3).normal(size=257)
    centered = x - x.mean()
    naive = [np.dot(centered[: x.size - k], centered[k:]) / np.dot(centered, centered) for k in range(20)]
    np.testing.assert_allclose(autocorrelation(x, 19), naive, atol=1e-12)


def test_autocorrelation_constant_series_is_nan():
    assert np.isnan(autocorrelation(np.ones(10), 3)).all()


def test_sample_returns_uses_previous_tick_on_grid():
    ts_ns = np.array([0, 150, 420, 1000])
    mid = np.array([10.0, 11.0, 13.0, 12.0])
    # grid 0, 200, 400, 600, 800, 1000 -> 10, 11, 11, 13, 13, 12
    np.testing.assert_array_equal(sample_returns(ts_ns, mid, 200), [1, 0, 2, 0, -1])


def test_signature_random_walk_is_flat_at_jump_rate(market):
    rng = np.random.default_rng(7)
    ts_ns, mid = mid_price(market.random_walk_quotes(rng, 20_000, rate_per_s=10.0))
    sig = signature(ts_ns, mid, INTERVALS_NS)
    assert sig.intervals_ns.tolist() == list(INTERVALS_NS)
    # each update moves the mid one tick: variance per second = update rate = 10 ticks^2/s
    np.testing.assert_allclose(sig.realized_variance_per_s, 10.0, rtol=0.2)


def test_signature_with_bid_ask_bounce_falls_with_interval(market):
    rng = np.random.default_rng(7)
    ts_ns, mid = mid_price(market.random_walk_quotes(rng, 20_000, rate_per_s=10.0, bounce_ticks=2))
    sig = signature(ts_ns, mid, INTERVALS_NS)
    assert sig.realized_variance_per_s[0] > 2.0 * sig.realized_variance_per_s[-1]
    assert np.all(np.diff(sig.realized_variance_per_s[:5]) < 0)
    # at long intervals the noise averages out and the efficient random walk's rate remains
    assert sig.realized_variance_per_s[-1] == pytest.approx(10.0, rel=0.3)


def test_signature_skips_intervals_with_too_few_returns():
    ts_ns = np.arange(0, 10 * 10**9, 10**8)
    sig = signature(ts_ns, np.arange(ts_ns.size, dtype=float), (10**8, 10**9, 5 * 10**9), min_returns=20)
    assert sig.intervals_ns.tolist() == [10**8]


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.7])
def test_sign_acf_of_markov_signs_matches_rho(rho, market):
    rng = np.random.default_rng(11)
    signs = market.markov_signs(rng, 20_000, rho)
    facts = compute_facts(
        market.random_walk_quotes(rng, 500, 10.0),
        market.trades_at(market.poisson_times_ns(rng, signs.size, 5.0), signs),
        max_lag=20,
    )
    assert facts.sign_acf[1] == pytest.approx(rho, abs=0.02)
    assert facts.sign_acf[2] == pytest.approx(rho**2, abs=0.02)


def test_fit_power_law_exact_power_law_recovers_gamma():
    lags = np.arange(1, 1001)
    acf = np.concatenate([[1.0], 0.4 * lags**-0.55])
    fit = fit_power_law(acf, num_samples=10**8)
    assert fit.gamma == pytest.approx(0.55, abs=1e-9)
    assert fit.amplitude == pytest.approx(0.4, rel=1e-9)
    assert fit.hurst == pytest.approx(1 - 0.55 / 2)
    assert fit.r_squared == pytest.approx(1.0)


def test_fit_power_law_long_memory_signs_give_hurst_above_half():
    # runs of equal signs with Pareto(1.5) lengths: ACF(k) ~ k^-(1.5 - 1) (Lillo, Mike, Farmer 2005)
    rng = np.random.default_rng(1)
    lengths = np.ceil(rng.pareto(1.5, 40_000) + 1).astype(np.int64)
    signs = np.repeat(rng.choice([-1, 1], lengths.size), lengths)[:20_000]
    fit = fit_power_law(autocorrelation(signs, 1000), num_samples=signs.size)
    assert 0.35 < fit.gamma < 0.9 and fit.r_squared > 0.8
    assert fit.hurst > 0.5


def test_fit_power_law_white_noise_has_no_fit():
    signs = np.random.default_rng(2).choice([-1, 1], 20_000)
    assert math.isnan(fit_power_law(autocorrelation(signs, 1000), num_samples=signs.size).gamma)


def test_interarrival_poisson_is_exponential_with_cv_one(market):
    arrivals = interarrival(market.poisson_times_ns(np.random.default_rng(5), 20_000, rate_per_s=4.0))
    assert arrivals.cv == pytest.approx(1.0, abs=0.03)
    assert arrivals.rate_per_s == pytest.approx(4.0, rel=0.03)
    assert arrivals.ks_statistic < 0.015


def test_interarrival_regular_times_reject_exponential():
    arrivals = interarrival(np.arange(1, 2_001) * 250_000_000)
    assert arrivals.cv == pytest.approx(0.0, abs=1e-9)
    assert arrivals.ks_statistic > 0.3 and arrivals.ks_pvalue < 1e-6


def test_spread_distribution_is_time_weighted_over_two_sided_rows():
    l1 = {
        "ts_ns": np.array([0, 3, 4, 6, 8]) * 10**9,
        "bid_px_ticks": [100, 100, 100, 0, 100],
        "bid_qty": [5, 5, 5, 0, 5],
        "ask_px_ticks": [101, 102, 101, 101, 103],
        "ask_qty": [5, 5, 5, 5, 5],
    }
    timed = spread_distribution(l1)
    assert timed.values.tolist() == [1, 2, 3]
    # spread 1 holds 3 s + 2 s, spread 2 holds 1 s, the one-sided row is left out, the last row holds 0 s
    np.testing.assert_allclose(timed.weights, [5 / 6, 1 / 6, 0.0])
    counted = spread_distribution(l1, is_time_weighted=False)
    np.testing.assert_allclose(counted.weights, [2 / 4, 1 / 4, 1 / 4])
    assert timed.mean() == pytest.approx(7 / 6) and timed.quantile(0.5) == 1
    assert timed.probability(1) == pytest.approx(5 / 6)


def test_depth_distribution_skips_empty_side():
    l1 = {
        "ts_ns": [0, 1, 2, 3],
        "bid_px_ticks": [100, 0, 100, 100],
        "bid_qty": [10, 0, 30, 30],
        "ask_px_ticks": [101] * 4,
        "ask_qty": [1, 2, 3, 4],
    }
    bid = depth_distribution(l1, 1)
    assert bid.values.tolist() == [10, 30] and bid.weights.tolist() == [0.5, 0.5]
    with pytest.raises(ConfigError, match="side must be 1"):
        depth_distribution(l1, 0)


def test_compute_facts_same_result_from_pyarrow_and_numpy(market):
    rng = np.random.default_rng(9)
    quotes = market.random_walk_quotes(rng, 3_000, 10.0)
    trades = market.trades_at(market.poisson_times_ns(rng, 1_000, 3.0), market.markov_signs(rng, 1_000, 0.5))
    structured = np.zeros(1_000, dtype=[(k, v.dtype) for k, v in trades.items()])
    for name, values in trades.items():
        structured[name] = values
    from_numpy = summary(compute_facts(quotes, structured))
    from_arrow = summary(compute_facts(pa.table(quotes), pa.table(trades)))
    assert json.dumps(from_numpy) == json.dumps(from_arrow)


def test_compute_facts_merges_prints_of_one_aggressive_order(market):
    quotes = market.random_walk_quotes(np.random.default_rng(1), 100, 10.0)
    trades = market.trades_at(np.array([10, 10, 10, 20, 30, 30]), np.array([1, 1, 1, -1, 1, -1]))
    assert compute_facts(quotes, trades).num_trades == 4
    assert compute_facts(quotes, trades, is_merging_same_time=False).num_trades == 6


def test_compute_facts_several_symbols_requires_a_choice(market):
    rng = np.random.default_rng(4)
    quotes = market.random_walk_quotes(rng, 200, 10.0)
    quotes["symbol_id"] = np.arange(200) % 2
    trades = market.trades_at(market.poisson_times_ns(rng, 50, 1.0), market.markov_signs(rng, 50, 0.0))
    with pytest.raises(ConfigError, match=r"l1: holds symbols \[0, 1\]"):
        compute_facts(quotes, trades)
    assert compute_facts(quotes, trades, symbol_id=0).num_quotes == 100
    with pytest.raises(ConfigError, match="symbol_id 5 not present"):
        compute_facts(quotes, trades, symbol_id=5)


def test_compute_facts_missing_field_or_no_data_raises(market):
    with pytest.raises(ConfigError, match=r"trades: missing fields \['aggressor_side'\]"):
        compute_facts(
            market.random_walk_quotes(np.random.default_rng(1), 10, 1.0),
            {"ts_ns": [1], "price_ticks": [1], "qty": [1]},
        )
    empty = {
        k: np.zeros(0, dtype=np.int64)
        for k in (
            "ts_ns",
            "bid_px_ticks",
            "bid_qty",
            "ask_px_ticks",
            "ask_qty",
            "price_ticks",
            "qty",
            "aggressor_side",
        )
    }
    with pytest.raises(ConfigError, match="no quotes and no trades"):
        compute_facts(empty, empty)


def test_facts_table_and_files_agree_with_summary(tmp_path, market):
    rng = np.random.default_rng(12)
    quotes = market.random_walk_quotes(rng, 2_000, 10.0)
    facts = compute_facts(
        quotes, market.trades_at(market.poisson_times_ns(rng, 3, 1.0), np.array([1, -1, 1]))
    )
    values = summary(facts)
    table = facts_table(facts)
    assert table.column_names == ["statistic", "value", "unit"]
    assert table.column("statistic").to_pylist() == list(values)
    csv_path, json_path = write_facts(facts, tmp_path / "out")
    document = json.loads(json_path.read_text())
    assert list(document) == list(values)
    assert document["num_quotes"] == 2_000 and document["spread_one_tick_fraction"] == 1.0
    assert document["sign_acf_gamma"] is None  # too few trades: NaN is written as null
    with csv_path.open() as stream:
        rows = list(csv.DictReader(stream))
    assert [r["statistic"] for r in rows] == list(values)
    assert rows[0]["unit"] == "rows"


@pytest.mark.parametrize(
    ("interval_ns", "label"),
    [(10**8, "100ms"), (10**9, "1s"), (30 * 10**9, "30s"), (120 * 10**9, "2m"), (1500, "1500ns")],
)
def test_interval_label_names_intervals_briefly(interval_ns, label):
    assert interval_label(interval_ns) == label
