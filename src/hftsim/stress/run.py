"""Run stress scenarios into a result directory: perf.csv, log, samples, plots, index page. Edge.

Layout of ``<out>/<run-id>/``::

    run.json            scenario, mode, repeat, status (running -> complete), load average, wall time,
                        suites not available in this build, scenarios that failed
    perf.csv, meta.json one row per metric (``hftsim regress`` input) and the scenario versions
                        (with --repeat N > 1: rep-01/perf.csv ... rep-NN/perf.csv, compared by median)
    medians.csv         the median of each metric over the repeats (not read by regress)
    targets.csv         every target: value, bound, met / NOT MET / not available
    stress.log          what ran, each step's figures, errors with tracebacks
    samples/*.npy       raw samples (latency per order, gap fills, backlog)
    tables/*.csv        per-step tables (e.g. the flood ramp)
    plots/*.png         latency over time and CDFs, throughput vs offered load, backlog over time
    work/               scratch (venue configuration and logs)
    index.html          links to all of the above
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import json
import logging
import os
import statistics
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hftsim.bench.regress import PERF_COLUMNS, write_perf, write_report
from hftsim.stress.baseline import check_comparable, compare_runs, load_thresholds
from hftsim.stress.outcome import Outcome
from hftsim.stress.registry import Context, SuiteUnavailable, get_scenario
from hftsim.stress.target import TARGETS, Target, TargetCheck, check_targets

__all__ = ["RunReport", "median_rows", "run_stress"]


@dataclass
class RunReport:
    """What :func:`run_stress` did."""

    run_dir: Path
    rows: list[dict]
    checks: list[TargetCheck]
    unavailable: dict[str, str]
    failed: dict[str, str]
    wall_s: float
    regressions: list | None = None
    manifest: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.failed:
            return 1
        if self.regressions and any(not c.passed for c in self.regressions):
            return 1
        return 0


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _new_run_dir(out: Path, name: str, mode: str, run_id: str | None) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = run_id or f"{name}-{mode}-{stamp}"
    run_dir, k = out / base, 2
    while run_dir.exists():
        if run_id:
            raise FileExistsError(f"{run_dir} exists; choose another --run-id")
        run_dir, k = out / f"{base}-{k}", k + 1
    run_dir.mkdir(parents=True)
    return run_dir


def _logger(run_dir: Path, echo: bool) -> logging.Logger:
    log = logging.getLogger(f"hftsim.stress.{run_dir.name}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(run_dir / "stress.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    if echo:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("stress: %(message)s"))
        log.addHandler(console)
    return log


def median_rows(rows: list[dict]) -> list[dict]:
    """Collapse repeated rows to one per (suite, metric, conditions) holding the median value."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["suite"], r["metric"], r["conditions"]), []).append(r)
    return [{**g[0], "value": statistics.median(float(x["value"]) for x in g)} for g in groups.values()]


def _write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        cols = list(dict.fromkeys(k for r in rows for k in r))
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


def _keep(outcome: Outcome, run_dir: Path, rep_dir: Path, rep: int, is_last: bool) -> None:
    write_perf(rep_dir, outcome.rows, {outcome.suite: outcome.scenario_version})
    suffix = f"_rep{rep:02d}" if rep else ""
    (run_dir / "samples").mkdir(exist_ok=True)
    for name, arr in outcome.samples.items():
        np.save(
            run_dir / "samples" / f"{outcome.suite}_{name}{suffix}.npy", np.asarray(arr), allow_pickle=False
        )
    for name, rows in outcome.tables.items():
        if rows:
            _write_csv(run_dir / "tables" / f"{name}{suffix}.csv", rows)
    if is_last:
        from hftsim.stress.plot import draw

        (run_dir / "plots").mkdir(exist_ok=True)
        for plot in outcome.plots:
            draw(plot, run_dir / "plots")


def _run_once(scenarios, ctx_for, run_dir: Path, rep: int, repeat: int, state: dict, log) -> list[dict]:
    rep_dir = run_dir if repeat == 1 else run_dir / f"rep-{rep:02d}"
    rows: list[dict] = []
    for sc in scenarios:
        if sc.name in state["unavailable"] or sc.name in state["failed"]:
            continue
        # the earlier drills' garbage (venues, books, their reference cycles) is collected now, not
        # by a full collection of 0.1 s in the middle of this drill's measurements (a feed
        # handler paused that long re-requests, a venue that long misses its latency budget)
        gc.collect()
        t0 = time.monotonic()
        log.info("scenario %s (version %s) repeat %d/%d: start", sc.name, sc.version, rep or 1, repeat)
        try:
            outcomes = sc.runner()(ctx_for(sc.name, rep))
        except SuiteUnavailable as e:
            log.info("scenario %s: suite not available in this build: %s", sc.name, e)
            for suite in sc.suites:
                state["unavailable"][suite] = str(e)
            state["unavailable"].setdefault(sc.name, str(e))
            continue
        except Exception as e:  # noqa: BLE001 - the outermost loop: one broken drill must not hide the others
            log.error("scenario %s failed: %s\n%s", sc.name, e, traceback.format_exc())
            state["failed"][sc.name] = f"{type(e).__name__}: {e}"
            continue
        for outcome in outcomes:
            _keep(outcome, run_dir, rep_dir, rep, rep == max(repeat, 1) or repeat == 1)
            rows += outcome.rows
            state["ran"].add(outcome.suite)
            state["module_targets"].update({(outcome.suite, m): t for m, t in outcome.targets.items()})
            state["notes"] += [f"{outcome.suite}: {n}" for n in outcome.notes]
            for n in outcome.notes:
                log.info("%s: %s", outcome.suite, n)
        log.info("scenario %s: done in %.1f s", sc.name, time.monotonic() - t0)
    return rows


def run_stress(
    name: str,
    *,
    quick: bool = False,
    out: Path = Path("results"),
    repeat: int = 1,
    baseline: Path | None = None,
    thresholds: Path | None = None,
    run_id: str | None = None,
    echo: bool = True,
) -> RunReport:
    """Run scenario ``name`` (or ``all``) ``repeat`` times into a new directory under ``out``.

    Args:
        baseline: a result directory to compare with; checked *before* running (ConfigError when it
            cannot be compared), compared after (regression_report.* and before/after CDFs).
        thresholds: TOML ``[thresholds]`` for the comparison (default: the package's stress table).

    Raises:
        ConfigError: unknown scenario, bad repeat, or a baseline that is missing or does not line up.
    """
    from hftsim.core.errors import ConfigError

    scenarios = get_scenario(name)
    if repeat < 1:
        raise ConfigError(f"--repeat: must be >= 1, got {repeat}")
    limits = load_thresholds(thresholds)
    if baseline is not None:
        _precheck_baseline(baseline, scenarios, "quick" if quick else "full")
    mode = "quick" if quick else "full"
    run_dir = _new_run_dir(Path(out), name, mode, run_id)
    log = _logger(run_dir, echo)
    manifest = _start_manifest(run_dir, name, mode, repeat, scenarios, baseline)
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=1))
    state = {"unavailable": {}, "failed": {}, "ran": set(), "notes": [], "module_targets": {}}

    def ctx_for(scenario: str, rep: int) -> Context:
        work = run_dir / "work" / (scenario if repeat == 1 else f"{scenario}-rep{rep:02d}")
        work.mkdir(parents=True, exist_ok=True)
        return Context(quick=quick, work_dir=work, log=log)

    t0 = time.monotonic()
    rows: list[dict] = []
    try:
        for rep in range(1, repeat + 1) if repeat > 1 else [0]:
            rows += _run_once(scenarios, ctx_for, run_dir, rep, repeat, state, log)
    finally:
        wall_s = round(time.monotonic() - t0, 1)
        for h in list(log.handlers):
            h.flush()
    final = median_rows(rows)
    if repeat > 1 and final:
        _write_csv(run_dir / "medians.csv", [{c: r.get(c, "") for c in PERF_COLUMNS} for r in final])
    unavailable = {k: v for k, v in state["unavailable"].items()}
    checks = check_targets(final, state["ran"], unavailable, _all_targets(state["module_targets"]))
    for sc_name, why in state["failed"].items():
        checks.append(TargetCheck(sc_name, "(scenario)", "", None, "", f"failed: {why}", "see stress.log"))
    _write_csv(
        run_dir / "targets.csv", [asdict(c) for c in checks] or [{"suite": "", "status": "no targets"}]
    )
    report = RunReport(run_dir, final, checks, unavailable, dict(state["failed"]), wall_s)
    manifest.update(status="complete" if not report.failed else "complete_with_errors", wall_s=wall_s)
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=1))  # finished: comparable from here on
    regression_rows = _against_baseline(baseline, report, limits, log) if baseline is not None else None
    manifest.update(
        status="complete" if not report.failed else "complete_with_errors",
        wall_s=wall_s,
        loadavg_end=_loadavg(),
        unavailable=unavailable,
        failed=report.failed,
        notes=state["notes"],
    )
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=1))
    report.manifest = manifest
    from hftsim.stress.page import write_index

    write_index(run_dir, manifest, [_check_row(c) for c in checks], regression_rows)
    log.info(
        "run %s: %s in %.1f s (load average %s)",
        run_dir.name,
        manifest["status"],
        wall_s,
        manifest["loadavg_end"],
    )
    for h in list(log.handlers):
        h.close()
        log.removeHandler(h)
    return report


def _start_manifest(
    run_dir: Path, name: str, mode: str, repeat: int, scenarios, baseline: Path | None
) -> dict:
    return {
        "run_id": run_dir.name,
        "scenario": name,
        "mode": mode,
        "repeat": repeat,
        "status": "running",
        "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_start": _loadavg(),
        "cpu_count": os.cpu_count(),
        "scenarios": {s.name: s.version for s in scenarios},
        "baseline": str(baseline) if baseline else None,
    }


def _against_baseline(
    baseline: Path, report: RunReport, limits: dict, log: logging.Logger
) -> list[dict] | None:
    """Compare the finished run with ``baseline``: regression report, before/after CDFs, table rows."""
    from hftsim.core.errors import ConfigError

    try:
        check_comparable(baseline, report.run_dir)
        report.regressions = compare_runs(baseline, report.run_dir, limits)
    except ConfigError as e:
        log.error("baseline %s cannot be compared: %s", baseline, e)
        report.failed["baseline"] = str(e)
        return None
    write_report(report.regressions, report.run_dir)
    _compare_samples(baseline, report.run_dir)
    return [
        {
            "suite": c.suite,
            "metric": c.metric,
            "conditions": c.conditions,
            "baseline": c.baseline,
            "current": c.current,
            "delta_pct": round(c.delta_pct, 2),
            "threshold": c.threshold,
            "result": "pass" if c.passed else "FAIL",
        }
        for c in report.regressions
    ]


def _precheck_baseline(baseline: Path, scenarios, mode: str) -> None:
    """Refuse, before running, a baseline that is missing, partial, unversioned or of other versions."""
    from hftsim.core.errors import ConfigError
    from hftsim.stress.baseline import suite_versions

    versions = suite_versions(baseline)
    for sc in scenarios:
        for suite in sc.suites:
            if suite in versions and sc.name != "bench" and versions[suite] != f"{sc.version}-{mode}":
                raise ConfigError(
                    f"baseline {baseline}: suite {suite!r} is scenario version {versions[suite]!r}, this run "
                    f"would be {sc.version}-{mode!s}; record a new baseline with the same scenario and mode"
                )


def _all_targets(module_targets: dict) -> tuple[Target, ...]:
    """The stress targets plus each benchmark module's own TARGETS that the stress table lacks."""
    known = {(t.suite, t.metric) for t in TARGETS}
    extra = [
        Target(suite, metric, op, bound, source=f"hftsim.bench.{suite}.TARGETS")
        for (suite, metric), (op, bound) in sorted(module_targets.items())
        if (suite, metric) not in known
    ]
    return TARGETS + tuple(extra)


def _check_row(c: TargetCheck) -> dict:
    value = "" if c.value is None else c.value
    return {
        "suite": c.suite,
        "metric": c.metric,
        "conditions": c.conditions,
        "value": value,
        "target": c.target,
        "status": c.status,
        "source": c.source,
    }


def _compare_samples(baseline: Path, run_dir: Path) -> None:
    """Draw before/after CDFs for every sample file both runs have (first repeat of each)."""
    from hftsim.stress.plot import draw_cdf_compare

    before_dir, after_dir = baseline / "samples", run_dir / "samples"
    if not before_dir.is_dir() or not after_dir.is_dir():
        return
    for after in sorted(after_dir.glob("*.npy")):
        stem = after.stem.split("_rep")[0]
        if not stem.endswith(("_us", "_ms")):
            continue
        before = next(iter(sorted(before_dir.glob(f"{stem}*.npy"))), None)
        if before is None or after.stem != stem and not after.stem.endswith("_rep01"):
            continue
        a, b = np.load(after, allow_pickle=False), np.load(before, allow_pickle=False)
        if a.dtype.names or b.dtype.names:
            continue
        unit = stem.rsplit("_", 1)[1]
        draw_cdf_compare(f"compare_{stem}", f"{stem}: baseline vs this run", b, a, unit, run_dir / "plots")
