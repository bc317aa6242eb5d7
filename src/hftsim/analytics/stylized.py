"""Stylized facts of a market's quotes and trades. Cold path.

Given an L1 quote table and a trade table (see :mod:`hftsim.data.tables`), compute the usual
empirical regularities of high-frequency data (Bouchaud, Bonart, Donier, Gould, *Trades, Quotes and
Prices*, 2018; Cont, "Empirical properties of asset returns", Quant. Finance 1, 2001):

* spread (ticks) and depth at the touch (shares), time-weighted: each quote row counts for as long
  as it was in force;
* mid-price returns ``r = m(t + Δ) - m(t)`` in ticks, with ``m`` sampled on a regular grid of step
  Δ by the previous-tick rule, for several Δ;
* realised variance per second ``RV(Δ) = Σ r² / (n Δ)``; its plot against Δ is the signature plot,
  flat for a random walk and falling with Δ when microstructure noise (bid-ask bounce) is present;
* autocorrelation ``ρ(k) = Σ (x_t - x̄)(x_{t+k} - x̄) / Σ (x_t - x̄)²`` of returns and of trade signs,
  and the long-memory fit ``ρ(k) ≈ A k^{-γ}`` of signs (Lillo and Farmer, 2004), whose Hurst
  exponent is ``H = 1 - γ/2``;
* trade inter-arrival times: mean, coefficient of variation (1 for a Poisson process) and the
  Kolmogorov-Smirnov distance to the exponential law with the same mean.

Trades that share a timestamp and a sign are counted as one aggressive order by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from hftsim.analytics._series import (
    L1_FIELDS,
    TRADE_FIELDS,
    columns_of,
    hold_durations_ns,
    merge_same_time,
)
from hftsim.core.errors import ConfigError

__all__ = [
    "DEFAULT_INTERVALS_NS",
    "Distribution",
    "InterArrival",
    "PowerLawFit",
    "Signature",
    "StylizedFacts",
    "autocorrelation",
    "compute_facts",
    "depth_distribution",
    "fit_power_law",
    "interarrival",
    "interval_label",
    "mid_price",
    "sample_returns",
    "signature",
    "spread_distribution",
]

#: 100 ms to 5 min.
DEFAULT_INTERVALS_NS = tuple(int(x * 1e9) for x in (0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300))


@dataclass(frozen=True)
class Distribution:
    """A discrete distribution: distinct ``values`` (ascending) and their probabilities ``weights``."""

    values: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray) -> Distribution:
        """Build from samples and non-negative sample weights (equal weights if they sum to 0)."""
        if values.size == 0:
            return cls(np.zeros(0, dtype=values.dtype), np.zeros(0))
        weights = np.asarray(weights, dtype=np.float64)
        if not weights.sum() > 0:
            weights = np.ones(values.size)
        distinct, index = np.unique(values, return_inverse=True)
        mass = np.bincount(index, weights=weights)
        return cls(distinct, mass / mass.sum())

    def mean(self) -> float:
        """Return the mean (NaN when empty)."""
        return float(np.dot(self.values, self.weights)) if self.values.size else math.nan

    def quantile(self, q: float) -> float:
        """Return the smallest value whose cumulative probability reaches ``q`` (NaN when empty)."""
        if self.values.size == 0:
            return math.nan
        index = int(np.searchsorted(np.cumsum(self.weights), q - 1e-12))
        return float(self.values[min(index, self.values.size - 1)])

    def probability(self, value: float) -> float:
        """Return the probability of exactly ``value``."""
        return float(self.weights[self.values == value].sum())


@dataclass(frozen=True)
class Signature:
    """Realised variance of mid returns against the sampling interval.

    Attributes:
        intervals_ns: the sampling intervals with enough returns.
        realized_variance_per_s: ``Σ r² / (n Δ)`` in ticks² per second, per interval.
        return_std_ticks: standard deviation of the returns, per interval.
        return_kurtosis: excess kurtosis of the returns (0 for Gaussian), per interval.
        num_returns: number of returns, per interval.
    """

    intervals_ns: np.ndarray
    realized_variance_per_s: np.ndarray
    return_std_ticks: np.ndarray
    return_kurtosis: np.ndarray
    num_returns: np.ndarray


@dataclass(frozen=True)
class PowerLawFit:
    """Least-squares fit of ``log ρ(k) = log A - γ log k`` over ``num_points`` log-spaced lags."""

    gamma: float
    amplitude: float
    r_squared: float
    num_points: int

    @property
    def hurst(self) -> float:
        """Return ``H = 1 - γ/2`` (long memory when 1/2 < H < 1)."""
        return 1.0 - self.gamma / 2.0


@dataclass(frozen=True)
class InterArrival:
    """Trade inter-arrival times and their fit by an exponential law of the same mean.

    ``ks_pvalue`` treats the fitted rate as known, so it overstates the fit (Lilliefors);
    compare ``ks_statistic`` across runs instead.
    """

    durations_s: np.ndarray
    mean_s: float
    std_s: float
    cv: float
    rate_per_s: float
    ks_statistic: float
    ks_pvalue: float
    zero_fraction: float


@dataclass(frozen=True)
class StylizedFacts:
    """Every statistic of one symbol's quotes and trades; :func:`hftsim.analytics.summary` flattens them."""

    num_quotes: int
    num_trades: int
    duration_ns: int
    spread: Distribution
    bid_depth: Distribution
    ask_depth: Distribution
    signature: Signature
    return_acf_interval_ns: int
    return_acf: np.ndarray
    sign_acf: np.ndarray
    sign_fit: PowerLawFit
    interarrival: InterArrival


def interval_label(interval_ns: int) -> str:
    """Return a short name for an interval: ``"100ms"``, ``"1s"``, ``"5m"``."""
    for unit_ns, suffix in ((60 * 10**9, "m"), (10**9, "s"), (10**6, "ms"), (10**3, "us")):
        if interval_ns >= unit_ns and interval_ns % unit_ns == 0:
            return f"{interval_ns // unit_ns}{suffix}"
    return f"{interval_ns}ns"


def mid_price(l1: object, *, symbol_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ts_ns, mid_ticks)`` over the quote rows where both sides are present."""
    q = columns_of(l1, L1_FIELDS, "l1", symbol_id)
    is_two_sided = (q["bid_qty"] > 0) & (q["ask_qty"] > 0) & (q["bid_px_ticks"] > 0) & (q["ask_px_ticks"] > 0)
    mid = (q["bid_px_ticks"][is_two_sided] + q["ask_px_ticks"][is_two_sided]) / 2.0
    return q["ts_ns"][is_two_sided].astype(np.int64), mid


def spread_distribution(
    l1: object, *, symbol_id: int | None = None, is_time_weighted: bool = True
) -> Distribution:
    """Return the distribution of the bid-ask spread in ticks over two-sided quotes.

    Args:
        l1: the L1 quote table.
        symbol_id: the symbol to use when the table holds several.
        is_time_weighted: weight each row by how long it was in force (else count rows).
    """
    q = columns_of(l1, L1_FIELDS, "l1", symbol_id)
    weights = hold_durations_ns(q["ts_ns"].astype(np.int64)) if is_time_weighted else np.ones(q["ts_ns"].size)
    is_two_sided = (q["bid_qty"] > 0) & (q["ask_qty"] > 0) & (q["bid_px_ticks"] > 0) & (q["ask_px_ticks"] > 0)
    spread = (q["ask_px_ticks"] - q["bid_px_ticks"])[is_two_sided].astype(np.int64)
    return Distribution.of(spread, weights[is_two_sided])


def depth_distribution(
    l1: object, side: int, *, symbol_id: int | None = None, is_time_weighted: bool = True
) -> Distribution:
    """Return the distribution of the quantity at the best price of ``side`` (+1 bid, -1 ask).

    Rows where that side is empty are left out.
    """
    if side not in (1, -1):
        raise ConfigError(f"side must be 1 (bid) or -1 (ask), got {side!r}")
    q = columns_of(l1, L1_FIELDS, "l1", symbol_id)
    name = "bid" if side == 1 else "ask"
    weights = hold_durations_ns(q["ts_ns"].astype(np.int64)) if is_time_weighted else np.ones(q["ts_ns"].size)
    is_present = (q[f"{name}_qty"] > 0) & (q[f"{name}_px_ticks"] > 0)
    return Distribution.of(q[f"{name}_qty"][is_present].astype(np.int64), weights[is_present])


def sample_returns(ts_ns: np.ndarray, mid: np.ndarray, interval_ns: int) -> np.ndarray:
    """Return mid changes over consecutive grid steps ``ts_ns[0] + k Δ`` (previous-tick sampling)."""
    if ts_ns.size < 2 or interval_ns <= 0:
        return np.zeros(0)
    steps = (int(ts_ns[-1]) - int(ts_ns[0])) // interval_ns
    grid = int(ts_ns[0]) + interval_ns * np.arange(steps + 1, dtype=np.int64)
    sampled = mid[np.searchsorted(ts_ns, grid, side="right") - 1]
    return np.diff(sampled)


def signature(
    ts_ns: np.ndarray,
    mid: np.ndarray,
    intervals_ns: tuple[int, ...] = DEFAULT_INTERVALS_NS,
    *,
    min_returns: int = 20,
) -> Signature:
    """Return realised variance per second of mid returns for each interval with ``min_returns`` returns."""
    kept, rv, std, kurtosis, count = [], [], [], [], []
    for interval_ns in sorted(int(i) for i in intervals_ns):
        returns = sample_returns(ts_ns, mid, interval_ns)
        if returns.size < min_returns:
            continue
        kept.append(interval_ns)
        rv.append(float(np.sum(returns**2)) / (returns.size * interval_ns * 1e-9))
        std.append(float(np.std(returns)))
        kurtosis.append(float(stats.kurtosis(returns)) if np.std(returns) > 0 else math.nan)
        count.append(returns.size)
    return Signature(
        np.array(kept, dtype=np.int64),
        np.array(rv),
        np.array(std),
        np.array(kurtosis),
        np.array(count, dtype=np.int64),
    )


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Return the sample autocorrelation ``ρ(0..max_lag)`` of ``x`` (NaN if ``x`` is constant).

    Uses the biased estimator (divide by the full sum of squares), computed by FFT.
    """
    x = np.asarray(x, dtype=np.float64)
    max_lag = max(0, min(int(max_lag), x.size - 1))
    centered = x - x.mean() if x.size else x
    denominator = float(np.dot(centered, centered))
    if x.size < 2 or denominator == 0.0:
        return np.full(max_lag + 1, math.nan)
    size = 1 << int(2 * x.size - 1).bit_length()
    spectrum = np.fft.rfft(centered, size)
    autocovariance = np.fft.irfft(spectrum * np.conj(spectrum), size)[: max_lag + 1]
    return autocovariance / denominator


def fit_power_law(
    acf: np.ndarray, *, num_samples: int, min_lag: int = 1, max_lag: int | None = None
) -> PowerLawFit:
    """Fit ``ρ(k) ≈ A k^{-γ}`` on log-spaced lags where ρ stands above the noise floor ``2/√n``.

    Args:
        acf: autocorrelations indexed by lag (``acf[0] == 1``).
        num_samples: length of the series ``acf`` came from (sets the noise floor).
        min_lag: smallest lag used.
        max_lag: largest lag used (default: the last in ``acf``).
    """
    last = acf.size - 1 if max_lag is None else min(max_lag, acf.size - 1)
    if last < min_lag:
        return PowerLawFit(math.nan, math.nan, math.nan, 0)
    lags = np.unique(np.geomspace(min_lag, last, num=40).astype(np.int64))
    values = acf[lags]
    is_signal = np.isfinite(values) & (values > 2.0 / math.sqrt(max(num_samples, 1)))
    lags, values = lags[is_signal], values[is_signal]
    if lags.size < 3:
        return PowerLawFit(math.nan, math.nan, math.nan, int(lags.size))
    fit = stats.linregress(np.log(lags), np.log(values))
    return PowerLawFit(
        gamma=float(-fit.slope),
        amplitude=float(math.exp(fit.intercept)),
        r_squared=float(fit.rvalue**2),
        num_points=int(lags.size),
    )


def interarrival(ts_ns: np.ndarray) -> InterArrival:
    """Return inter-arrival statistics of event times ``ts_ns`` (sorted)."""
    durations_s = np.diff(np.asarray(ts_ns, dtype=np.int64)) * 1e-9
    if durations_s.size < 2 or not durations_s.mean() > 0:
        nan = math.nan
        return InterArrival(
            durations_s,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            float(np.mean(durations_s == 0)) if durations_s.size else nan,
        )
    mean_s = float(durations_s.mean())
    std_s = float(durations_s.std(ddof=1))
    test = stats.kstest(durations_s, "expon", args=(0.0, mean_s))
    return InterArrival(
        durations_s=durations_s,
        mean_s=mean_s,
        std_s=std_s,
        cv=std_s / mean_s,
        rate_per_s=1.0 / mean_s,
        ks_statistic=float(test.statistic),
        ks_pvalue=float(test.pvalue),
        zero_fraction=float(np.mean(durations_s == 0)),
    )


def compute_facts(
    l1: object,
    trades: object,
    *,
    symbol_id: int | None = None,
    intervals_ns: tuple[int, ...] = DEFAULT_INTERVALS_NS,
    max_lag: int = 1000,
    is_merging_same_time: bool = True,
) -> StylizedFacts:
    """Compute every stylized fact of one symbol.

    Args:
        l1: L1 quotes (:data:`~hftsim.data.tables.L1_SCHEMA` columns; pyarrow, numpy or a mapping).
        trades: trades (:data:`~hftsim.data.tables.TRADE_SCHEMA` columns).
        symbol_id: the symbol to use when the tables hold several.
        intervals_ns: sampling intervals of the signature plot; the smallest with enough returns
            is used for the return autocorrelation.
        max_lag: largest lag of the autocorrelations.
        is_merging_same_time: count trades with equal time and sign as one aggressive order.

    Raises:
        ConfigError: a field is missing, several symbols are present and none was chosen, or there
            are neither quotes nor trades.
    """
    quotes = columns_of(l1, L1_FIELDS, "l1", symbol_id)
    prints = columns_of(trades, TRADE_FIELDS, "trades", symbol_id)
    if quotes["ts_ns"].size == 0 and prints["ts_ns"].size == 0:
        raise ConfigError("no quotes and no trades: nothing to compute facts from")
    ts_ns, mid = mid_price(quotes)
    sig = signature(ts_ns, mid, intervals_ns)
    acf_interval_ns = int(sig.intervals_ns[0]) if sig.intervals_ns.size else 0
    returns = sample_returns(ts_ns, mid, acf_interval_ns) if acf_interval_ns else np.zeros(0)
    trade_ts_ns, sign = prints["ts_ns"].astype(np.int64), prints["aggressor_side"].astype(np.float64)
    if is_merging_same_time:
        trade_ts_ns, sign = merge_same_time(trade_ts_ns, sign)
    sign_acf = autocorrelation(sign, max_lag)
    all_ts = np.concatenate([quotes["ts_ns"], prints["ts_ns"]]).astype(np.int64)
    return StylizedFacts(
        num_quotes=int(quotes["ts_ns"].size),
        num_trades=int(trade_ts_ns.size),
        duration_ns=int(all_ts.max() - all_ts.min()),
        spread=spread_distribution(quotes),
        bid_depth=depth_distribution(quotes, 1),
        ask_depth=depth_distribution(quotes, -1),
        signature=sig,
        return_acf_interval_ns=acf_interval_ns,
        return_acf=autocorrelation(returns, min(max_lag, 100)),
        sign_acf=sign_acf,
        sign_fit=fit_power_law(sign_acf, num_samples=sign.size),
        interarrival=interarrival(trade_ts_ns),
    )
