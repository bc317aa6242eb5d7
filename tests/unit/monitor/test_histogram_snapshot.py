"""HistogramSnapshot's cheap read path equals the list-based implementation it replaced (a naive twin)."""

import math
from fractions import Fraction

import numpy as np
import pytest

from hftsim.monitor.histogram import RELATIVE_ERROR, HistogramSnapshot, LatencyHistogram

PERCENTS = [0, 0.1, 1, 10, 25, 33.3, 50, 75, 90, 99, 99.5, 99.9, 99.99, 100]


class NaiveHistogram:
    """The previous implementation: a Python list of counts, converted for every read."""

    def __init__(self, n_buckets: int) -> None:
        self.counts = [0] * n_buckets

    def record(self, value: int) -> None:
        shift = max(0, value.bit_length() - 11)
        self.counts[(shift << 10) + (value >> shift)] += 1

    def _midpoints(self, index: np.ndarray) -> np.ndarray:
        all_index = np.arange(len(self.counts), dtype=np.int64)
        shift = np.maximum((all_index >> 10) - 1, 0)
        low, width = (all_index - (shift << 10)) << shift, np.left_shift(np.int64(1), shift)
        return low[index] + (width[index] - 1) / 2.0

    def percentiles(self, percents) -> list[float]:
        cum = np.cumsum(np.array(self.counts, dtype=np.int64))
        n = int(cum[-1])
        ranks = np.array([max(1, math.ceil(Fraction(str(p)) * n / 100)) for p in percents], dtype=np.int64)
        return [float(v) for v in self._midpoints(np.searchsorted(cum, np.minimum(ranks, n), side="left"))]

    def sum(self) -> float:
        counts = np.array(self.counts, dtype=np.int64)
        nonzero = np.flatnonzero(counts)
        return float(np.dot(counts[nonzero], self._midpoints(nonzero)))

    def cumulative_at(self, bounds) -> list[int]:
        counts = np.array(self.counts, dtype=np.int64)
        nonzero = np.flatnonzero(counts)
        mids, cum = self._midpoints(nonzero), np.cumsum(counts[nonzero])
        out = []
        for bound in bounds:
            k = int(np.searchsorted(mids, bound, side="right"))
            out.append(int(cum[k - 1]) if k else 0)
        return out


def _values(seed: int, n: int) -> list[int]:
    rng = np.random.default_rng(seed)
    body = rng.lognormal(np.log(5_000), 1.5, n).astype(np.int64)
    edges = np.array([2**k + d for k in range(10, 30) for d in (-1, 0, 1)], dtype=np.int64)
    return np.concatenate([body, rng.integers(0, 2_100, n // 5), edges]).tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_histogram_snapshot_equals_naive_twin_and_numpy_inverted_cdf(seed):
    values = _values(seed, 20_000)
    hist = LatencyHistogram()
    naive = NaiveHistogram(len(hist.snapshot().counts))
    for v in values:
        hist.record(v)
        naive.record(v)
    snap = hist.snapshot()
    assert snap.percentiles(PERCENTS) == naive.percentiles(PERCENTS)
    assert snap.sum == pytest.approx(naive.sum(), rel=1e-12)
    bounds = [1e2, 1e3, 2_047.5, 5e3, 1e5, 1e7, 1e12]
    assert snap.cumulative_at(bounds) == naive.cumulative_at(bounds)
    assert (snap.min, snap.max) == tuple(naive.percentiles([0, 100]))
    ordered = np.sort(values)
    for p, got in zip(PERCENTS, snap.percentiles(PERCENTS)):
        want = np.percentile(ordered, p, method="inverted_cdf")
        assert abs(got - want) <= RELATIVE_ERROR * want + 0.5, (p, got, want)


def test_histogram_record_and_record_many_share_the_snapshot_counts():
    hist = LatencyHistogram()
    hist.record(3_000)
    hist.record_many(np.array([3_000, 50]))
    before = hist.snapshot()
    hist.record(3_000)  # the snapshot is a copy: later samples do not change it
    assert before.count == 3 and hist.count == 4
    assert before.percentiles([0, 100]) == [50.0, 3_000.5]


def test_histogram_interval_after_reset_and_merge_counts_only_new_samples():
    hist, other = LatencyHistogram(), LatencyHistogram()
    hist.record_many(np.full(10, 1_000))
    hist.interval()
    other.record(7_000)
    hist.merge(other)
    hist.record(9)
    assert hist.interval().percentiles([0, 100]) == [9.0, 7_001.5]  # 7,000..7,003: width 4
    hist.reset()
    hist.record(5)
    assert hist.interval().count == 1 and hist.count == 1


def test_histogram_snapshot_of_given_counts_and_empty_bounds():
    counts = np.zeros(4096, dtype=np.int64)
    counts[[10, 3_000]] = [2, 1]  # bucket 3,000 holds 3,952..3,953
    snap = HistogramSnapshot(counts)
    assert snap.percentiles([50, 100]) == [10.0, 3_952.5]
    assert snap.cumulative_at([]) == [] and snap.cumulative_at([9.9, 10, 1e9]) == [0, 2, 3]
    assert HistogramSnapshot(np.zeros(4096, dtype=np.int64)).cumulative_at([1, 2]) == [0, 0]
