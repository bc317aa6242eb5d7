"""Flatten stylized facts into named statistics: a dict, a table, facts.csv and facts.json. Cold path."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from hftsim.analytics.stylized import StylizedFacts, interval_label

__all__ = ["Statistic", "facts_table", "statistics", "summary", "write_facts"]

_SIGN_LAGS = (1, 2, 5, 10, 100)
_RETURN_LAGS = (1, 2, 5)


@dataclass(frozen=True)
class Statistic:
    """One named number with its unit."""

    name: str
    value: float
    unit: str


def _acf_at(acf: np.ndarray, lag: int) -> float:
    return float(acf[lag]) if lag < acf.size else math.nan


def statistics(facts: StylizedFacts) -> list[Statistic]:
    """Return every statistic of ``facts`` in a fixed order (NaN where the data was too short)."""
    out = [
        Statistic("num_quotes", facts.num_quotes, "rows"),
        Statistic("num_trades", facts.num_trades, "aggressive orders"),
        Statistic("duration_s", facts.duration_ns * 1e-9, "s"),
        Statistic("spread_mean_ticks", facts.spread.mean(), "ticks"),
        Statistic("spread_median_ticks", facts.spread.quantile(0.5), "ticks"),
        Statistic("spread_one_tick_fraction", facts.spread.probability(1), "fraction of time"),
        Statistic("bid_depth_mean", facts.bid_depth.mean(), "shares"),
        Statistic("bid_depth_median", facts.bid_depth.quantile(0.5), "shares"),
        Statistic("ask_depth_mean", facts.ask_depth.mean(), "shares"),
        Statistic("ask_depth_median", facts.ask_depth.quantile(0.5), "shares"),
    ]
    sig = facts.signature
    for i, interval_ns in enumerate(sig.intervals_ns):
        label = interval_label(int(interval_ns))
        out += [
            Statistic(f"realized_variance_per_s_{label}", sig.realized_variance_per_s[i], "ticks^2/s"),
            Statistic(f"return_std_{label}", sig.return_std_ticks[i], "ticks"),
            Statistic(f"return_excess_kurtosis_{label}", sig.return_kurtosis[i], "1"),
            Statistic(f"num_returns_{label}", sig.num_returns[i], "returns"),
        ]
    ratio = (
        sig.realized_variance_per_s[0] / sig.realized_variance_per_s[-1]
        if sig.intervals_ns.size and sig.realized_variance_per_s[-1] > 0
        else math.nan
    )
    out.append(Statistic("signature_ratio_first_to_last", ratio, "1"))
    out.append(Statistic("return_acf_interval_s", facts.return_acf_interval_ns * 1e-9, "s"))
    out += [Statistic(f"return_acf_lag{k}", _acf_at(facts.return_acf, k), "1") for k in _RETURN_LAGS]
    out += [Statistic(f"sign_acf_lag{k}", _acf_at(facts.sign_acf, k), "1") for k in _SIGN_LAGS]
    fit, arrivals = facts.sign_fit, facts.interarrival
    out += [
        Statistic("sign_acf_gamma", fit.gamma, "1"),
        Statistic("sign_acf_amplitude", fit.amplitude, "1"),
        Statistic("sign_acf_fit_r_squared", fit.r_squared, "1"),
        Statistic("sign_hurst", fit.hurst, "1"),
        Statistic("interarrival_mean_s", arrivals.mean_s, "s"),
        Statistic("interarrival_std_s", arrivals.std_s, "s"),
        Statistic("interarrival_cv", arrivals.cv, "1"),
        Statistic("trade_rate_per_s", arrivals.rate_per_s, "1/s"),
        Statistic("interarrival_ks_statistic", arrivals.ks_statistic, "1"),
        Statistic("interarrival_ks_pvalue", arrivals.ks_pvalue, "1"),
        Statistic("interarrival_zero_fraction", arrivals.zero_fraction, "fraction"),
    ]
    return [Statistic(s.name, float(s.value), s.unit) for s in out]


def summary(facts: StylizedFacts) -> dict[str, float]:
    """Return ``{statistic name: value}`` in the order of :func:`statistics`."""
    return {s.name: s.value for s in statistics(facts)}


def facts_table(facts: StylizedFacts) -> pa.Table:
    """Return one row per statistic: ``statistic`` (string), ``value`` (float64), ``unit`` (string)."""
    rows = statistics(facts)
    return pa.table(
        {
            "statistic": pa.array([s.name for s in rows], pa.string()),
            "value": pa.array([s.value for s in rows], pa.float64()),
            "unit": pa.array([s.unit for s in rows], pa.string()),
        }
    )


def _replace_atomically(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_facts(facts: StylizedFacts, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``facts.csv`` (one row per statistic) and ``facts.json`` (the summary) into ``out_dir``.

    NaN becomes an empty CSV cell and JSON ``null``. Files are written under a temporary name and
    renamed into place.

    Returns:
        The paths of facts.csv and facts.json.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    table = facts_table(facts)
    values = table.column("value")
    table = table.set_column(
        1, "value", pa.array([None if math.isnan(v) else v for v in values.to_pylist()], pa.float64())
    )
    csv_path, json_path = directory / "facts.csv", directory / "facts.json"
    _replace_atomically(csv_path, lambda p: pcsv.write_csv(table, p))
    document = {k: (None if math.isnan(v) else v) for k, v in summary(facts).items()}
    text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    _replace_atomically(json_path, lambda p: p.write_text(text))
    return csv_path, json_path
