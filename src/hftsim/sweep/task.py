"""One sweep task, as run on a Dask worker, and its record on disk. Cold path.

:func:`run_task` builds the point's scenario, runs it with its seed and returns a
:class:`TaskOutcome`. It never raises for a failing simulation: the traceback is formatted on the
worker and returned, so the client can report it with the task's parameters and retry.

The record of a finished task is ``OUT/tasks/<task_id>/result.json``, written to a temporary name and
renamed into place: a task directory without it is not done, whatever else it holds. With
``keep_runs`` the run directory (``run_scenario``'s Parquet files and summary.json) is
``OUT/tasks/<task_id>/run``.
"""

from __future__ import annotations

import json
import os
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from hftsim.sim.run import build_kernel, run_scenario
from hftsim.sim.scenario import parse_scenario
from hftsim.sweep.expand import SimTask
from hftsim.sweep.metric import MetricSink, metrics_from_run_dir, run_metrics

__all__ = ["TaskOutcome", "read_result", "result_path", "run_task", "write_result"]

RESULT_FILE = "result.json"


class TaskOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a task returns to the client.

    Attributes:
        task_id: the task.
        attempt: which attempt this was.
        row: the result row (None when the task failed).
        error: the formatted traceback of a failure, or ``""``.
    """

    task_id: str
    attempt: int
    row: dict[str, Any] | None = None
    error: str = ""


def result_path(out_dir: str | Path, task_id: str) -> Path:
    """Return ``OUT/tasks/<task_id>/result.json``."""
    return Path(out_dir) / "tasks" / task_id / RESULT_FILE


def write_result(out_dir: str | Path, row: dict[str, Any]) -> Path:
    """Write a task's row atomically (temporary file, then rename) and return its path."""
    path = result_path(out_dir, row["task_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{RESULT_FILE}.{os.getpid()}.partial")
    partial.write_text(json.dumps(row, sort_keys=True, allow_nan=True) + "\n")
    os.replace(partial, path)
    return path


def read_result(out_dir: str | Path, task: SimTask) -> dict[str, Any] | None:
    """Return the recorded row of ``task``, or None when it is not done (or was a different run)."""
    path = result_path(out_dir, task.task_id)
    try:
        row = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if row.get("seed") != task.seed or row.get("params_json") != task.params_json:
        return None
    return row


def run_task(task: SimTask, out_dir: str, wall_clock: Callable[[], float] | None = None) -> TaskOutcome:
    """Run one task on a worker, record it under ``out_dir`` and return its outcome.

    Args:
        task: the task.
        out_dir: the sweep's output directory (shared with the client, or local to the worker:
            the client writes the record again from the returned row).
        wall_clock: a function returning seconds, to time the run (``time.perf_counter``).

    Returns:
        The row, or the formatted traceback of a failure.
    """
    try:
        row = _run(task, Path(out_dir), wall_clock)
        write_result(out_dir, row)
        return TaskOutcome(task_id=task.task_id, attempt=task.attempt, row=row)
    except Exception:  # noqa: BLE001 - the task boundary is the worker's outermost loop
        return TaskOutcome(task_id=task.task_id, attempt=task.attempt, error=traceback.format_exc())


def _run(task: SimTask, out_dir: Path, wall_clock: Callable[[], float] | None) -> dict[str, Any]:
    scenario = parse_scenario(task.scenario, source=task.scenario_source, default_name=task.scenario_name)
    names = [a.name for a in scenario.agents]
    started = wall_clock() if wall_clock else None
    if task.keep_runs:
        run_dir = out_dir / "tasks" / task.task_id / "run"
        outputs = {"events": True, "l1": True, "trades": True}
        scenario = msgspec.structs.replace(scenario, outputs=outputs)
        if run_dir.exists() and not (run_dir / "summary.json").is_file():
            shutil.rmtree(run_dir)
        kernel = run_scenario(scenario, run_dir, progress=False, seed=task.seed).kernel
        metrics = metrics_from_run_dir(run_dir, kernel, names, scenario.start_ns, scenario.end_ns)
    else:
        sink = MetricSink(len(names))
        kernel = build_kernel(scenario, task.seed, sink).run()
        l1, fills, first = sink.arrays()
        metrics = run_metrics(
            l1, fills, first, kernel, names, scenario.start_ns, scenario.end_ns, sink.n_trades, sink.volume
        )
    wall_s = (wall_clock() - started) if wall_clock and started is not None else None
    return {
        "task_id": task.task_id,
        "point": task.point,
        "seed_index": task.seed_index,
        "seed": task.seed,
        "params_json": task.params_json,
        "digest": kernel.digest,
        "metrics": metrics,
        "wall_s": wall_s,
        "attempts": task.attempt,
    }
