"""What one stress scenario measured: perf rows, raw samples, plot data and notes. Cold path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hftsim.bench.regress import perf_rows

__all__ = ["Outcome", "PlotData", "format_conditions"]


def format_conditions(mode: str, **conditions: Any) -> str:
    """Return the stable ``conditions`` text of a perf row: ``mode=quick;key=value...`` in key order.

    The mode comes first and the rest are sorted, so the same measurement always gets the same
    text and ``hftsim regress`` lines up runs of the same build.
    """
    parts = [f"mode={mode}"] + [f"{k}={conditions[k]}" for k in sorted(conditions)]
    return ";".join(parts)


@dataclass
class PlotData:
    """One figure to draw (see :mod:`hftsim.stress.plot` for the kinds).

    kind: ``latency_over_time`` (series: label -> (t_s, latency)), ``cdf`` (series: label ->
    samples), ``throughput`` (series: label -> (offered, achieved)), ``backlog`` (series: label ->
    (t_s, backlog)), ``series`` (label -> (x, y), plain lines).
    """

    name: str
    kind: str
    title: str
    series: dict[str, Any]
    unit: str = "us"
    xlabel: str = ""
    ylabel: str = ""


@dataclass
class Outcome:
    """The measurements of one suite in one run.

    Args:
        suite: the suite name written in perf.csv (a scenario may produce several suites).
        version: the scenario version (bumped when its workload changes; written to meta.json).
        mode: ``quick`` or ``full``.
    """

    suite: str
    version: str
    mode: str
    rows: list[dict] = field(default_factory=list)
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    plots: list[PlotData] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    targets: dict[str, tuple[str, float]] = field(default_factory=dict)

    def add(self, metric: str, value: float, **conditions: Any) -> None:
        """Add one perf row (NaN and non-numbers are left out: perf.csv holds real numbers only)."""
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.notes.append(f"{metric} [{format_conditions(self.mode, **conditions)}]: not measured")
            return
        self.rows.extend(perf_rows(self.suite, {metric: value}, format_conditions(self.mode, **conditions)))

    def add_figures(self, figures: dict, **conditions: Any) -> None:
        """Add every numeric figure of a benchmark's ``run()`` dict (flags and labels are skipped)."""
        for key, value in figures.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                continue
            self.add(key, value, **conditions)

    @property
    def scenario_version(self) -> str:
        """Return the version text written to meta.json: ``<version>-<mode>``."""
        return f"{self.version}-{self.mode}"
