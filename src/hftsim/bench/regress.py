"""``hftsim regress BASELINE CURRENT``: compare two result directories and gate on regressions. Edge.

A result directory holds one or more ``perf.csv`` files (in it or in sub-directories, one per
repeated run) with the columns ``suite, metric, unit, value, conditions`` and optionally ``better``
(``higher`` or ``lower``), and may hold a ``meta.json`` naming the scenario version of each suite.

Each (suite, metric, conditions) is compared by the **median** over the runs found, which tames
noisy metrics when runs are repeated. A metric regresses when it moves the wrong way by more than
its threshold:

* relative thresholds in percent (defaults: latency, time and memory 10%, throughput 10%), or
* absolute ones for counts that must stay at a level (``unrecovered``, ``lost``, ``mismatch``...:
  any increase fails).

Thresholds can be set per metric (``suite.metric``) or per suite in a TOML file
(``[thresholds] "engine.p99_ns" = 15``). Anything that does not line up (a metric missing on one
side, a suite whose scenario version differs, a directory without results) is an error naming what
does not match: never a silent pass.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from hftsim.core.errors import ConfigError

__all__ = [
    "Comparison",
    "PERF_COLUMNS",
    "add_parser",
    "compare_dirs",
    "load_results",
    "perf_rows",
    "write_perf",
    "write_report",
]

PERF_COLUMNS = ("suite", "metric", "unit", "value", "conditions", "better")
_COUNT_WORDS = ("unrecovered", "lost", "mismatch", "duplicate", "dropped", "errors", "failed")
_DEFAULT_PCT = 10.0


def unit_of(metric: str) -> str:
    """The unit a metric name carries in its suffix (``_ns``, ``_per_s``, ``_mb``...)."""
    for suffix, unit in (
        ("_per_s", "1/s"),
        ("_ns", "ns"),
        ("_us", "us"),
        ("_ms", "ms"),
        ("_mb", "MB"),
        ("_pct", "%"),
        ("_s", "s"),
    ):
        if metric.endswith(suffix) or f"{suffix}_" in metric:
            return unit
    return "count"


def better_of(metric: str, unit: str) -> str:
    """Which direction is better for a metric: ``higher`` for rates and speed-ups, else ``lower``."""
    if unit == "1/s" or "speedup" in metric or metric.startswith("max_sustained"):
        return "higher"
    return "lower"


def perf_rows(suite: str, figures: dict, conditions: str = "") -> list[dict]:
    """Turn a benchmark's figures into perf.csv rows (numbers only; flags and labels are left out)."""
    rows = []
    for metric, value in figures.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        unit = unit_of(metric)
        rows.append(
            {
                "suite": suite,
                "metric": metric,
                "unit": unit,
                "value": value,
                "conditions": conditions,
                "better": better_of(metric, unit),
            }
        )
    return rows


def write_perf(run_dir: Path, rows: list[dict], scenario_versions: dict[str, str] | None = None) -> Path:
    """Append rows to ``run_dir/perf.csv`` and record scenario versions in ``run_dir/meta.json``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "perf.csv"
    is_new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=PERF_COLUMNS)
        if is_new:
            writer.writeheader()
        writer.writerows(rows)
    if scenario_versions:
        meta_path = run_dir / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        meta.setdefault("scenario_versions", {}).update(scenario_versions)
        meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True))
    return path


@dataclass(frozen=True)
class Results:
    """Medians per (suite, metric, conditions) over every perf.csv of a directory."""

    root: Path
    values: dict[tuple[str, str, str], list[float]]
    units: dict[tuple[str, str, str], str]
    better: dict[tuple[str, str, str], str]
    versions: dict[str, str]
    n_runs: int

    def median(self, key: tuple[str, str, str]) -> float:
        return statistics.median(self.values[key])


def load_results(root: Path) -> Results:
    """Read every perf.csv under ``root``; ConfigError names what is missing or malformed."""
    if not root.is_dir():
        raise ConfigError(f"{root}: not a directory of results")
    files = sorted(root.rglob("perf.csv"))
    if not files:
        raise ConfigError(f"{root}: no perf.csv found (a partial or empty result directory?)")
    values: dict = {}
    units: dict = {}
    better: dict = {}
    versions: dict[str, str] = {}
    for path in files:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in PERF_COLUMNS[:5] if c not in (reader.fieldnames or [])]
            if missing:
                raise ConfigError(f"{path}: missing columns {missing}")
            for line, row in enumerate(reader, start=2):
                try:
                    value = float(row["value"])
                except (TypeError, ValueError):
                    raise ConfigError(f"{path}:{line}: value {row['value']!r} is not a number") from None
                key = (row["suite"], row["metric"], row["conditions"] or "")
                values.setdefault(key, []).append(value)
                units[key] = row["unit"]
                better[key] = row.get("better") or better_of(row["metric"], row["unit"])
        meta = path.parent / "meta.json"
        if meta.exists():
            for suite, version in json.loads(meta.read_text()).get("scenario_versions", {}).items():
                if versions.get(suite, version) != version:
                    raise ConfigError(
                        f"{root}: runs of suite {suite!r} mix scenario versions "
                        f"{versions[suite]!r} and {version!r}"
                    )
                versions[suite] = version
    return Results(root, values, units, better, versions, len(files))


@dataclass(frozen=True)
class Comparison:
    """One metric, baseline against current."""

    suite: str
    metric: str
    conditions: str
    unit: str
    baseline: float
    current: float
    delta_pct: float
    threshold: str
    passed: bool


def _threshold(suite: str, metric: str, thresholds: dict) -> tuple[str, float]:
    for key in (f"{suite}.{metric}", metric, suite):
        if key in thresholds:
            return "pct", float(thresholds[key])
    if any(word in metric for word in _COUNT_WORDS):
        return "abs", 0.0
    return "pct", _DEFAULT_PCT


def compare_dirs(baseline: Path, current: Path, thresholds: dict | None = None) -> list[Comparison]:
    """Compare every metric of ``baseline`` with ``current``.

    Raises:
        ConfigError: the two directories do not line up (metrics or scenario versions differ).
    """
    base, cur = load_results(baseline), load_results(current)
    thresholds = thresholds or {}
    for suite in sorted(set(base.versions) & set(cur.versions)):
        if base.versions[suite] != cur.versions[suite]:
            raise ConfigError(
                f"suite {suite!r}: baseline is scenario version {base.versions[suite]!r}, "
                f"current is {cur.versions[suite]!r}; compare results of the same scenario"
            )
    only_base = sorted(set(base.values) - set(cur.values))
    only_cur = sorted(set(cur.values) - set(base.values))
    if only_base or only_cur:

        def fmt(keys):
            return ", ".join(f"{s}.{m}" + (f" [{c}]" if c else "") for s, m, c in keys[:8])

        raise ConfigError(
            "baseline and current do not match: "
            + (f"missing in current: {fmt(only_base)}; " if only_base else "")
            + (f"missing in baseline: {fmt(only_cur)}" if only_cur else "")
        )
    out = []
    for key in sorted(base.values):
        suite, metric, conditions = key
        b, c = base.median(key), cur.median(key)
        delta = (c - b) / abs(b) * 100 if b else (0.0 if c == b else math.inf)
        kind, bound = _threshold(suite, metric, thresholds)
        worse = (c - b) if base.better[key] == "lower" else (b - c)
        if kind == "abs":
            passed = worse <= bound
            shown = f"+{bound:g} abs"
        else:
            worse_pct = worse / abs(b) * 100 if b else (0.0 if worse <= 0 else math.inf)
            passed = worse_pct <= bound
            shown = f"{bound:g}%"
        out.append(Comparison(suite, metric, conditions, base.units[key], b, c, delta, shown, passed))
    return out


def write_report(comparisons: list[Comparison], out_dir: Path) -> tuple[Path, Path]:
    """Write ``regression_report.csv`` and ``regression_report.md``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / "regression_report.csv", out_dir / "regression_report.md"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "suite",
                "metric",
                "conditions",
                "unit",
                "baseline",
                "current",
                "delta_pct",
                "threshold",
                "result",
            ]
        )
        for c in comparisons:
            w.writerow(
                [
                    c.suite,
                    c.metric,
                    c.conditions,
                    c.unit,
                    f"{c.baseline:g}",
                    f"{c.current:g}",
                    f"{c.delta_pct:+.2f}",
                    c.threshold,
                    "pass" if c.passed else "FAIL",
                ]
            )
    failed = [c for c in comparisons if not c.passed]
    lines = [
        "# Regression report",
        "",
        f"{len(comparisons)} metrics compared, {len(failed)} regressed.",
        "",
        "| suite | metric | baseline | current | delta | threshold | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in sorted(comparisons, key=lambda c: (c.passed, c.suite, c.metric)):
        lines.append(
            f"| {c.suite} | {c.metric} | {c.baseline:g} | {c.current:g} | {c.delta_pct:+.1f}% | "
            f"{c.threshold} | {'pass' if c.passed else '**FAIL**'} |"
        )
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``regress``."""
    p = subparsers.add_parser(
        "regress",
        help="compare two result directories; exit 1 on a regression",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("baseline", type=Path, help="result directory of the baseline build")
    p.add_argument("current", type=Path, help="result directory of the build under test")
    p.add_argument("--thresholds", type=Path, help="TOML file with a [thresholds] table (percent per metric)")
    p.add_argument("--out", type=Path, help="where to write the report (default: CURRENT)")
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    try:
        thresholds = {}
        if args.thresholds:
            try:
                thresholds = tomllib.loads(args.thresholds.read_text()).get("thresholds", {})
            except (OSError, tomllib.TOMLDecodeError) as e:
                raise ConfigError(f"{args.thresholds}: {e}") from e
        comparisons = compare_dirs(args.baseline, args.current, thresholds)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    csv_path, md_path = write_report(comparisons, args.out or args.current)
    failed = [c for c in comparisons if not c.passed]
    for c in failed:
        print(
            f"REGRESSION {c.suite}.{c.metric}: {c.baseline:g} -> {c.current:g} ({c.delta_pct:+.1f}%, "
            f"threshold {c.threshold})"
        )
    print(f"{len(comparisons)} metrics, {len(failed)} regressed; report: {csv_path}, {md_path}")
    return 1 if failed else 0
