"""Sweep files: a base scenario, a grid or a random search, seeds and metrics. Cold path.

A sweep file is TOML (the format is documented in ``docs/sweeps.md``)::

    name = "as_risk_aversion"
    scenario = "scenarios/as_market.toml"   # shipped scenario name, or a path relative to this file
    seed = 2024                             # the sweep seed: every run seed derives from it
    seeds = 8                               # runs per parameter point
    duration_s = 60                         # optional: overrides session.duration_s
    metrics = ["spread_mean_ticks", "pnl_ticks"]   # optional: default all
    keep_runs = false                       # true: keep each run's Parquet files

    [grid]
    "agents.mm.gamma" = [0.01, 0.1, 1.0]

or, instead of ``[grid]``, a random search::

    [random]
    n = 16
    "agents.mm.gamma" = { dist = "loguniform", low = 0.001, high = 1.0 }

Validation here covers the sweep file itself; :func:`hftsim.sweep.expand.plan` then validates the
scenario of every point with the scenario validator.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from hftsim.core.errors import ConfigError
from hftsim.sweep.metric import METRICS

__all__ = ["DISTRIBUTIONS", "PLOT_KINDS", "SweepSpec", "list_sweeps", "load_sweep", "parse_sweep"]

_TOP_KEYS = {
    "name",
    "description",
    "scenario",
    "seed",
    "seeds",
    "duration_s",
    "metrics",
    "keep_runs",
    "retries",
    "grid",
    "random",
    "plot",
}
#: distribution name -> its required keys
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "integer": ("low", "high"),
    "normal": ("mean", "std"),
    "choice": ("values",),
}
#: plot kind -> what it draws
PLOT_KINDS: dict[str, str] = {
    "distribution": "box plot of one metric per value of one parameter (all seeds)",
    "curve": "mean and standard deviation of metrics against one parameter",
    "impact": "log-log impact against metaorder size, with the square-root-law fit",
}
_X_TRANSFORMS = ("none", "spectral_radius")


class SweepSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A validated sweep file.

    Attributes:
        name: sweep name (default: the file stem).
        description: one line.
        scenario: the base scenario as written (shipped name or path).
        scenario_path: the resolved TOML path of the base scenario.
        seed: the sweep seed.
        seeds: runs per parameter point.
        duration_s: session length override in seconds, or None.
        metrics: metric names to gather (per-agent families such as ``pnl_ticks`` included).
        keep_runs: keep each run's Parquet outputs under ``tasks/<task_id>/run``.
        retries: how many times a failed task is run again (1).
        grid: ordered ``{path: [values...]}``, or None.
        random: ``{"n": int, path: distribution table, ...}``, or None.
        plot: the ``[plot]`` table (``kind``, ``x``, ``y``, ...), or None.
        source: the sweep file, or ``""``.
    """

    name: str
    description: str
    scenario: str
    scenario_path: str
    seed: int
    seeds: int
    duration_s: float | None
    metrics: tuple[str, ...]
    keep_runs: bool
    retries: int
    grid: dict[str, list[Any]] | None
    random: dict[str, Any] | None
    plot: dict[str, Any] | None
    source: str

    @property
    def parameters(self) -> tuple[str, ...]:
        """The swept parameter paths, in file order."""
        table = self.grid if self.grid is not None else self.random or {}
        return tuple(k for k in table if not (self.random is not None and k == "n"))


def list_sweeps() -> dict[str, str]:
    """Return the shipped example sweeps as ``{name: description}``, sorted by name."""
    from hftsim.sim.scenario import list_shipped

    return list_shipped("sweeps")


def load_sweep(name_or_path: str | Path) -> SweepSpec:
    """Load a sweep file by path, or a shipped example by name, and validate it.

    Raises:
        ConfigError: unknown name, unreadable file, or an invalid field (named by its key).
    """
    from hftsim.sim.scenario import read_shipped_toml

    path, doc = read_shipped_toml(name_or_path, "sweeps", "sweep")
    return parse_sweep(doc, source=str(path), default_name=path.stem)


def parse_sweep(doc: dict[str, Any], source: str = "", default_name: str = "sweep") -> SweepSpec:
    """Validate a parsed sweep document (the base scenario is located, not yet validated).

    Raises:
        ConfigError: the first invalid field, named by its key.
    """
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key; expected one of {sorted(_TOP_KEYS)}")
    scenario = doc.get("scenario")
    if not isinstance(scenario, str) or not scenario:
        raise ConfigError("scenario: required, a shipped scenario name or a path to a scenario TOML file")
    grid, random = doc.get("grid"), doc.get("random")
    if grid is None and random is None:
        raise ConfigError(
            "grid: expected a [grid] or a [random] table of parameters; for a plain Monte Carlo over "
            'seeds use a grid with one value, e.g. "session.duration_s" = [60]'
        )
    if grid is not None and random is not None:
        raise ConfigError("grid, random: give either a [grid] or a [random] table, not both")
    metrics = doc.get("metrics", list(METRICS))
    if not isinstance(metrics, list) or not metrics:
        raise ConfigError(f"metrics: expected a non-empty list of names out of {list(METRICS)}")
    for i, m in enumerate(metrics):
        if m not in METRICS:
            raise ConfigError(f"metrics[{i}]: unknown metric {m!r}; expected one of {list(METRICS)}")
    duration = doc.get("duration_s")
    spec = SweepSpec(
        name=_str(doc.get("name", default_name), "name"),
        description=_str(doc.get("description", ""), "description"),
        scenario=scenario,
        scenario_path=_scenario_path(scenario, source),
        seed=_int(doc.get("seed", 0), "seed", 0),
        seeds=_int(doc.get("seeds", 1), "seeds", 1),
        duration_s=None if duration is None else _positive(duration, "duration_s"),
        metrics=tuple(dict.fromkeys(metrics)),
        keep_runs=_bool(doc.get("keep_runs", False), "keep_runs"),
        retries=_int(doc.get("retries", 1), "retries", 0),
        grid=None if grid is None else _grid(grid),
        random=None if random is None else _random(random),
        plot=None,
        source=source,
    )
    if "plot" in doc:
        spec = msgspec.structs.replace(spec, plot=_plot(doc["plot"], spec))
    return spec


def _scenario_path(scenario: str, source: str) -> str:
    path = Path(scenario)
    if path.suffix:
        if not path.is_absolute() and source:
            path = Path(source).parent / path
        if not path.is_file():
            raise ConfigError(f"scenario: no such scenario file {str(path)!r}")
        return str(path)
    shipped = Path(str(resources.files("hftsim") / "scenarios")) / f"{scenario}.toml"
    if not shipped.is_file():
        raise ConfigError(f"scenario: no shipped scenario named {scenario!r}; give a name or a .toml path")
    return str(shipped)


def _grid(value: Any) -> dict[str, list[Any]]:
    if not isinstance(value, dict) or not value:
        raise ConfigError(
            'grid: expected a table of parameter paths to lists, e.g. "agents.mm.gamma" = [0.1, 1]'
        )
    for path, values in value.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"grid.{path!r}: expected a non-empty list of values, got {values!r}")
    return dict(value)


def _random(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError("random: expected a table with n and parameter distributions")
    n = _int(value.get("n"), "random.n", 1)
    if len(value) < 2:
        raise ConfigError(
            'random: expected at least one parameter, e.g. "agents.mm.gamma" = {dist = "uniform", ...}'
        )
    out: dict[str, Any] = {"n": n}
    for path, table in value.items():
        if path != "n":
            out[path] = _distribution(table, f"random.{path!r}")
    return out


def _distribution(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict) or table.get("dist") not in DISTRIBUTIONS:
        raise ConfigError(f"{where}: expected a table with dist = one of {list(DISTRIBUTIONS)}")
    dist = table["dist"]
    allowed = {"dist", *DISTRIBUTIONS[dist]}
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(f"{where}.{extra[0]}: unknown key for dist {dist!r}; expected {sorted(allowed)}")
    for key in DISTRIBUTIONS[dist]:
        if key not in table:
            raise ConfigError(f"{where}.{key}: required for dist {dist!r}")
    if dist == "choice":
        if not isinstance(table["values"], list) or not table["values"]:
            raise ConfigError(f"{where}.values: expected a non-empty list")
        return dict(table)
    if dist == "integer":
        low, high = (
            _int(table["low"], f"{where}.low", -(2**62)),
            _int(table["high"], f"{where}.high", -(2**62)),
        )
    else:
        low, high = (_number(table[k], f"{where}.{k}") for k in DISTRIBUTIONS[dist])
    if dist == "normal":
        if high < 0:
            raise ConfigError(f"{where}.std: expected a number >= 0, got {high!r}")
    elif low > high or (dist == "loguniform" and low <= 0):
        need = "0 < low <= high" if dist == "loguniform" else "low <= high"
        raise ConfigError(f"{where}: expected {need}, got low={low!r}, high={high!r}")
    return dict(table)


def _plot(value: Any, spec: SweepSpec) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError("plot: expected a table with kind, x and y")
    allowed = {"kind", "x", "y", "x_transform", "title", "x_log", "y_log", "agent"}
    extra = sorted(set(value) - allowed)
    if extra:
        raise ConfigError(f"plot.{extra[0]}: unknown key; expected one of {sorted(allowed)}")
    if value.get("kind") not in PLOT_KINDS:
        raise ConfigError(f"plot.kind: expected one of {list(PLOT_KINDS)}, got {value.get('kind')!r}")
    if value.get("x") not in spec.parameters:
        raise ConfigError(
            f"plot.x: expected one of the swept parameters {list(spec.parameters)}, got {value.get('x')!r}"
        )
    ys = value.get("y")
    ys = [ys] if isinstance(ys, str) else ys
    if not isinstance(ys, list) or not ys or not all(isinstance(y, str) for y in ys):
        raise ConfigError("plot.y: expected a metric column name or a list of them, e.g. 'pnl_ticks.mm'")
    for i, y in enumerate(ys):
        if y.split(".")[0] not in spec.metrics:
            raise ConfigError(f"plot.y[{i}]: {y!r} is not among the gathered metrics {list(spec.metrics)}")
    if value.get("x_transform", "none") not in _X_TRANSFORMS:
        raise ConfigError(f"plot.x_transform: expected one of {list(_X_TRANSFORMS)}")
    return {**value, "y": ys}


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _int(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}: expected an integer >= {low}, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _positive(value: Any, where: str) -> float:
    number = _number(value, where)
    if number <= 0:
        raise ConfigError(f"{where}: expected a number > 0, got {value!r}")
    return number
