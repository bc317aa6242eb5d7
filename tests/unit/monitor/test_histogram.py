"""LatencyHistogram: accuracy against numpy, merge, reset, intervals, clamping, layout."""

import math
from fractions import Fraction

import numpy as np
import pytest

from hftsim.core.errors import ConfigError
from hftsim.monitor.histogram import RELATIVE_ERROR, HistogramSnapshot, LatencyHistogram, bucket_index

PERCENTS = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]


def _samples(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    body = rng.lognormal(np.log(2_000), 1.2, n)  # median 2 µs, long right tail
    return np.concatenate([body, rng.integers(0, 3000, n // 10)]).astype(np.int64)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_histogram_percentiles_match_numpy_within_relative_error(seed):
    values = _samples(seed, 50_000)
    hist = LatencyHistogram("t")
    record = hist.record
    for v in values.tolist():
        record(v)
    got = hist.percentiles(PERCENTS)
    ordered = np.sort(values)
    # numpy's inverted_cdf with the rank computed exactly (np.percentile divides by 100 in floats,
    # which moves e.g. the 99.9th rank of 55,000 samples by one)
    want = [ordered[max(1, math.ceil(Fraction(str(p)) * len(values) / 100)) - 1] for p in PERCENTS]
    assert np.allclose(want, np.percentile(values, PERCENTS, method="inverted_cdf"), rtol=0.02)
    for p, g, w in zip(PERCENTS, got, want):
        assert abs(g - w) <= RELATIVE_ERROR * w + 0.5, (p, g, w)  # +0.5: a width-1 bucket's midpoint


def test_histogram_record_many_equals_record():
    values = _samples(4, 20_000)
    one, many = LatencyHistogram(), LatencyHistogram()
    for v in values.tolist():
        one.record(v)
    many.record_many(values)
    assert np.array_equal(one.snapshot().counts, many.snapshot().counts)


def test_histogram_bucket_index_matches_reference_formula_and_bounds_error():
    hist = LatencyHistogram()
    for v in [0, 1, 2047, 2048, 2049, 4095, 4096, 10**6, 10**9 + 7, (1 << 36) - 1]:
        hist.reset()
        hist.record(v)
        counts = hist.snapshot().counts
        assert np.flatnonzero(counts).tolist() == [bucket_index(v)]
        mid = hist.percentile(50)
        assert abs(mid - v) <= RELATIVE_ERROR * v + 0.5


def test_histogram_merge_equals_recording_everything_in_one():
    a_values, b_values = _samples(5, 5_000), _samples(6, 7_000)
    a, b, both = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    a.record_many(a_values)
    for v in b_values.tolist():
        b.record(v)
    both.record_many(np.concatenate([a_values, b_values]))
    a.merge(b)
    assert a.count == 13_200
    assert np.array_equal(a.snapshot().counts, both.snapshot().counts)


def test_histogram_merge_different_range_raises_config_error():
    with pytest.raises(ConfigError, match="same highest_ns"):
        LatencyHistogram(highest_ns=1 << 20).merge(LatencyHistogram())


def test_histogram_reset_forgets_everything():
    hist = LatencyHistogram()
    hist.record_many(_samples(7, 1000))
    hist.record(-5)
    hist.reset()
    assert hist.count == 0 and hist.clamped == 0
    assert math.isnan(hist.percentile(50))


def test_histogram_interval_returns_only_new_samples():
    hist = LatencyHistogram()
    hist.record_many(np.full(100, 1_000))
    first = hist.interval()
    hist.record_many(np.full(50, 5_000))
    second = hist.interval()
    third = hist.interval()
    assert (first.count, second.count, third.count) == (100, 50, 0)
    assert abs(second.percentile(50) - 5_000) <= RELATIVE_ERROR * 5_000
    assert hist.count == 150  # recording was never reset


def test_histogram_out_of_range_values_are_clamped_and_counted():
    hist = LatencyHistogram(highest_ns=1 << 20)
    hist.record(-1)
    hist.record(1 << 40)
    hist.record_many(np.array([-7, 1 << 41, 10]))
    assert hist.clamped == 4 and hist.count == 5
    assert hist.percentile(0) == 0.0
    assert hist.percentile(100) >= hist.highest_ns * (1 - RELATIVE_ERROR)


def test_histogram_snapshot_summary_and_moments():
    values = np.array([1_000, 2_000, 3_000, 4_000], dtype=np.int64)
    hist = LatencyHistogram()
    hist.record_many(values)
    snap = hist.snapshot()
    summary = snap.summary()
    assert set(summary) == {"count", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns"}
    assert summary["count"] == 4
    assert abs(snap.sum - values.sum()) <= RELATIVE_ERROR * values.sum()
    assert abs(snap.max - 4_000) <= 4 and abs(snap.min - 1_000) <= 1
    assert snap.cumulative_at([999, 2_500, 1e12]) == [0, 2, 4]


def test_histogram_empty_snapshot_is_nan_not_error():
    snap = HistogramSnapshot(np.zeros(4096, dtype=np.int64))
    assert snap.count == 0 and math.isnan(snap.max) and math.isnan(snap.mean)


def test_histogram_bad_range_raises_config_error():
    with pytest.raises(ConfigError, match="highest_ns"):
        LatencyHistogram(highest_ns=10)


@pytest.mark.parametrize("highest_ns", [2048, 10**6, 1 << 40])
def test_compiled_record_equals_the_python_rule(highest_ns):
    rng = np.random.default_rng(7)
    edges = [0, 1, 2047, 2048, 2049, 4095, 4096, highest_ns, highest_ns + 1, -1, -(2**63), 2**63, 2**70]
    values = edges + [int(v) for v in rng.integers(-10, highest_ns * 4, 3000)]
    compiled, python = LatencyHistogram("c", highest_ns), LatencyHistogram("p", highest_ns)
    for v in values:
        compiled.record(v)
        python._record_python(v)
    assert np.array_equal(compiled.snapshot().counts, python.snapshot().counts)
    assert compiled.clamped == python.clamped > 0
    assert compiled.count == python.count == len(values)


def test_histograms_in_garbage_cycles_are_collected_safely():
    """The compiled recorder, the counts buffer and the numpy view die together under the collector."""
    import gc

    for _ in range(50):
        hist = LatencyHistogram("cycle")
        hist.record(12_345)
        hist.record(-1)  # through the Python callback (record -> callback -> hist: a cycle)
        del hist
    assert gc.collect() > 0
    survivor = LatencyHistogram("after")
    survivor.record(7)
    assert survivor.count == 1
