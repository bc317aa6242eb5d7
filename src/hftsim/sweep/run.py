"""Run a sweep on Dask: an embedded LocalCluster or an existing cluster. Cold path (an edge: it
starts processes and talks to the network; wall time comes from an injected clock).

Flow: :func:`~hftsim.sweep.expand.plan` validates every point (nothing runs on a bad input); the
output directory is checked against the sweep's fingerprint; tasks whose ``result.json`` is already
there are skipped; the rest are submitted to Dask and gathered as they finish. A failed task is
reported with its parameters and traceback and submitted again (``retries`` times, 1 by default);
the sweep goes on and ends with the list of what still failed. Then ``results.parquet``,
``summary.parquet`` and ``failures.json`` are written, each atomically.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from hftsim.core.errors import ConfigError
from hftsim.sweep.expand import Plan, SimTask, plan
from hftsim.sweep.spec import SweepSpec
from hftsim.sweep.table import results_table, summary_table, write_parquet
from hftsim.sweep.task import TaskOutcome, read_result, run_task, write_result

__all__ = ["SweepFailure", "SweepResult", "connect", "default_workers", "run_sweep"]

FINGERPRINT_FILE = "sweep.json"


class SweepFailure(msgspec.Struct, frozen=True, kw_only=True):
    """A task that failed on its last attempt.

    Attributes:
        task_id, point, seed_index, seed: the task.
        params: its parameters.
        attempts: how many times it ran.
        error: the last traceback.
    """

    task_id: str
    point: int
    seed_index: int
    seed: int
    params: dict[str, Any]
    attempts: int
    error: str


class SweepResult(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`run_sweep` returns.

    Attributes:
        out_dir: the sweep's output directory.
        n_tasks: tasks in the sweep.
        n_skipped: tasks already done before this call (resumed).
        n_run: tasks that ran in this call and succeeded.
        failures: tasks that failed after their retries.
        results_path, summary_path: the Parquet tables ("" when no task succeeded).
        wall_s: wall time of the task phase (submission to last result), or None.
    """

    out_dir: str
    n_tasks: int
    n_skipped: int
    n_run: int
    failures: list[SweepFailure]
    results_path: str
    summary_path: str
    wall_s: float | None


def default_workers() -> int:
    """The cores this process may use (the default number of local workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def connect(scheduler: str, timeout_s: float = 5.0) -> Any:
    """Return a ``distributed.Client`` of the cluster at ``scheduler``.

    Raises:
        ConfigError: the scheduler cannot be reached within ``timeout_s``.
    """
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as e:
        raise ConfigError(
            f"--scheduler {scheduler}: cannot connect within {timeout_s:g} s ({e}); check the address "
            "(tcp://HOST:8786) and that `dask scheduler` runs there, or omit it for a local cluster"
        ) from e


@contextlib.contextmanager
def _client(client: Any, scheduler: str | None, n_workers: int | None, timeout_s: float) -> Iterator[Any]:
    if client is not None:
        yield client
        return
    if scheduler:
        remote = connect(scheduler, timeout_s)
        try:
            yield remote
        finally:
            remote.close()
        return
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=n_workers or default_workers(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )
    local = Client(cluster)
    try:
        yield local
    finally:
        with _quiet_shutdown():
            local.close()
            cluster.close()


@contextlib.contextmanager
def _quiet_shutdown() -> Iterator[None]:
    """Mute Dask's logs while the embedded cluster stops: closed-connection errors there are expected."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_sweep(
    sweep: SweepSpec | Plan,
    out_dir: str | os.PathLike[str],
    *,
    client: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool = True,
    wall_clock: Callable[[], float] | None = None,
    connect_timeout_s: float = 5.0,
    report: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run every task of a sweep that is not done yet, and write the result tables.

    Args:
        sweep: a validated sweep, or its plan.
        out_dir: the output directory (created; a directory of another sweep is refused).
        client: an existing ``distributed.Client`` to use (then ``scheduler`` and ``n_workers``
            are ignored and the client is left open).
        scheduler: address of an existing cluster's scheduler (``tcp://HOST:8786``); None: start
            a LocalCluster of ``n_workers`` processes with one thread each.
        n_workers: local workers (default: the usable cores).
        progress: show a rich progress bar.
        wall_clock: seconds for the task phase and per-task wall time (``time.perf_counter``).
        connect_timeout_s: how long to try reaching ``scheduler``.
        report: called with each failure report (default: print to stderr).

    Returns:
        Counts, failures and the paths of the tables.

    Raises:
        ConfigError: bad sweep, bad output directory or unreachable scheduler; raised before any
            task runs.
    """
    the_plan = sweep if isinstance(sweep, Plan) else plan(sweep)
    out = Path(out_dir)
    _claim(out, the_plan)
    rows = {t.task_id: row for t in the_plan.tasks if (row := read_result(out, t)) is not None}
    todo = [t for t in the_plan.tasks if t.task_id not in rows]
    n_skipped = len(rows)
    failures: list[SweepFailure] = []
    wall_s = None
    if todo:
        with _client(client, scheduler, n_workers, connect_timeout_s) as dask_client:
            started = wall_clock() if wall_clock else None
            with _Progress(len(the_plan.tasks), n_skipped, progress) as bar:
                failures = _execute(
                    dask_client,
                    todo,
                    out,
                    wall_clock,
                    the_plan.spec.retries,
                    rows,
                    bar,
                    report or _print_report,
                )
            wall_s = (wall_clock() - started) if wall_clock and started is not None else None
    return _finish(the_plan, out, rows, failures, n_skipped, wall_s)


def _claim(out: Path, the_plan: Plan) -> None:
    marker = out / FINGERPRINT_FILE
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a directory")
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text()).get("fingerprint")
        except ValueError:
            recorded = None
        if recorded != the_plan.fingerprint:
            raise ConfigError(
                f"--out {out}: holds a sweep of another base scenario, session length or sweep seed; "
                "choose another directory (results of different sweeps are not mixed)"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"--out {out}: directory exists, is not empty and holds no sweep; choose another")
    out.mkdir(parents=True, exist_ok=True)
    spec = the_plan.spec
    record = {
        "fingerprint": the_plan.fingerprint,
        "sweep": msgspec.to_builtins(spec),
        "parameters": list(spec.parameters),
        "n_tasks": len(the_plan.tasks),
    }
    partial = out / f".{FINGERPRINT_FILE}.partial"
    partial.write_text(json.dumps(record, indent=2, default=str) + "\n")
    os.replace(partial, marker)


def _execute(
    client: Any,
    todo: list[SimTask],
    out: Path,
    wall_clock: Callable[[], float] | None,
    retries: int,
    rows: dict[str, dict[str, Any]],
    bar: _Progress,
    report: Callable[[str], None],
) -> list[SweepFailure]:
    from distributed import as_completed

    submitted: dict[str, SimTask] = {}
    futures = [_submit(client, t, out, wall_clock, submitted) for t in todo]
    failures = []
    pending = as_completed(futures)
    try:
        for future in pending:
            task = submitted[future.key]
            outcome = _outcome(future, task)
            if outcome.row is not None:
                write_result(out, outcome.row)  # again on the client: the workers may not share OUT
                rows[task.task_id] = outcome.row
                bar.advance(failed=len(failures))
                continue
            will_retry = outcome.attempt <= retries
            report(_failure_report(task, outcome, will_retry))
            if will_retry:
                retry = msgspec.structs.replace(task, attempt=outcome.attempt + 1)
                futures.append(_submit(client, retry, out, wall_clock, submitted))
                pending.add(futures[-1])
            else:
                failures.append(_failure(task, outcome))
                bar.advance(failed=len(failures))
    except BaseException:
        client.cancel(futures)
        raise
    return sorted(failures, key=lambda f: (f.point, f.seed_index))


def _submit(
    client: Any,
    task: SimTask,
    out: Path,
    wall_clock: Callable[[], float] | None,
    submitted: dict[str, SimTask],
) -> Any:
    key = f"hftsim-sweep-{task.task_id}-attempt{task.attempt}"
    submitted[key] = task
    return client.submit(run_task, task, str(out), wall_clock, key=key, pure=False, retries=0)


def _outcome(future: Any, task: SimTask) -> TaskOutcome:
    try:
        return future.result()
    except Exception as e:  # noqa: BLE001 - a worker died or Dask failed the task: report and retry
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        return TaskOutcome(task_id=task.task_id, attempt=task.attempt, error=text)


def _failure(task: SimTask, outcome: TaskOutcome) -> SweepFailure:
    return SweepFailure(
        task_id=task.task_id,
        point=task.point,
        seed_index=task.seed_index,
        seed=task.seed,
        params=task.params,
        attempts=outcome.attempt,
        error=outcome.error,
    )


def _failure_report(task: SimTask, outcome: TaskOutcome, will_retry: bool) -> str:
    then = "retrying" if will_retry else "giving up"
    return (
        f"task {task.task_id} failed (attempt {outcome.attempt}; {then}): point {task.point} "
        f"{task.params_json}, seed index {task.seed_index}, seed {task.seed}\n{outcome.error.rstrip()}"
    )


def _print_report(text: str) -> None:
    import sys

    print(text, file=sys.stderr)


def _finish(
    the_plan: Plan,
    out: Path,
    rows: dict[str, dict[str, Any]],
    failures: list[SweepFailure],
    n_skipped: int,
    wall_s: float | None,
) -> SweepResult:
    spec = the_plan.spec
    done = [rows[t.task_id] for t in the_plan.tasks if t.task_id in rows]
    results_path = summary_path = ""
    if done:
        results = results_table(done, spec.parameters, spec.metrics)
        results_path = str(write_parquet(results, out / "results.parquet"))
        summary_path = str(write_parquet(summary_table(results), out / "summary.parquet"))
    partial = out / ".failures.json.partial"
    partial.write_text(json.dumps([msgspec.to_builtins(f) for f in failures], indent=2) + "\n")
    os.replace(partial, out / "failures.json")
    return SweepResult(
        out_dir=str(out),
        n_tasks=len(the_plan.tasks),
        n_skipped=n_skipped,
        n_run=len(done) - n_skipped,
        failures=failures,
        results_path=results_path,
        summary_path=summary_path,
        wall_s=wall_s,
    )


class _Progress:
    """A rich progress bar over tasks, or nothing."""

    def __init__(self, total: int, done: int, is_shown: bool) -> None:
        self._total, self._done, self._is_shown = total, done, is_shown
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self._is_shown:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]sweep[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=self._total, completed=self._done)
        return self

    def advance(self, failed: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=f"({failed} failed)" if failed else "")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
