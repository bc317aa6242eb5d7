"""The sweep's result tables: one row per run, and mean/std per parameter point. Cold path.

``results.parquet`` columns: ``task_id``, ``point``, ``seed_index``, ``seed``, ``params_json``, one
``param.<path>`` column per swept parameter (numbers and strings as such, lists and tables as JSON
text), the selected metrics (``<metric>`` or ``<metric>.<agent>``), ``digest``, ``attempts`` and
``wall_s`` (seconds of the run on its worker). Rows are sorted by ``(point, seed_index)``, so the
file does not depend on which worker finished first.

``summary.parquet``: per point, the ``param.*`` columns, ``runs``, and ``<metric>_mean`` and
``<metric>_std`` (sample standard deviation, NaN with one run) of every metric and ``wall_s``.

Both are written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["results_table", "select_metrics", "summary_table", "write_parquet"]

WALL_COLUMNS = ("wall_s",)


def select_metrics(metrics: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Keep the metrics named in ``names`` (a per-agent family keeps all its ``<name>.<agent>``)."""
    wanted = set(names)
    return {k: v for k, v in metrics.items() if k.split(".")[0] in wanted or k in wanted}


def results_table(
    rows: list[dict[str, Any]], parameters: tuple[str, ...], metrics: tuple[str, ...]
) -> pa.Table:
    """Return the one-row-per-run table of task rows (as written by the tasks)."""
    rows = sorted(rows, key=lambda r: (r["point"], r["seed_index"]))
    selected = [select_metrics(r["metrics"], metrics) for r in rows]
    metric_names = _ordered_metric_names(selected, metrics)
    params = [json.loads(r["params_json"]) for r in rows]
    columns: dict[str, pa.Array] = {
        "task_id": pa.array([r["task_id"] for r in rows], pa.string()),
        "point": pa.array([r["point"] for r in rows], pa.int64()),
        "seed_index": pa.array([r["seed_index"] for r in rows], pa.int64()),
        "seed": pa.array([r["seed"] for r in rows], pa.int64()),
        "params_json": pa.array([r["params_json"] for r in rows], pa.string()),
    }
    for path in parameters:
        columns[f"param.{path}"] = _param_column([p.get(path) for p in params])
    for name in metric_names:
        columns[name] = _metric_column([m.get(name) for m in selected])
    columns["digest"] = pa.array([r["digest"] for r in rows], pa.string())
    columns["attempts"] = pa.array([r["attempts"] for r in rows], pa.int64())
    columns["wall_s"] = pa.array([r["wall_s"] for r in rows], pa.float64())
    return pa.table(columns)


def _ordered_metric_names(selected: list[dict[str, Any]], metrics: tuple[str, ...]) -> list[str]:
    seen = dict.fromkeys(k for m in selected for k in m)
    order = {name: i for i, name in enumerate(metrics)}
    return sorted(seen, key=lambda k: (order.get(k.split(".")[0], len(order)), k))


def _param_column(values: list[Any]) -> pa.Array:
    if all(isinstance(v, bool) for v in values):
        return pa.array(values, pa.bool_())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.array(values, pa.int64())
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return pa.array([float(v) for v in values], pa.float64())
    if all(isinstance(v, str) for v in values):
        return pa.array(values, pa.string())
    return pa.array([json.dumps(v, sort_keys=True, separators=(",", ":")) for v in values], pa.string())


def _metric_column(values: list[Any]) -> pa.Array:
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.array(values, pa.int64())
    return pa.array([math.nan if v is None else float(v) for v in values], pa.float64())


def summary_table(results: pa.Table) -> pa.Table:
    """Return mean and standard deviation across seeds of every metric, one row per point."""
    point = results.column("point").to_numpy()
    points, first = np.unique(point, return_index=True)
    params = [c for c in results.column_names if c.startswith("param.")]
    skip = {"task_id", "point", "seed_index", "seed", "params_json", "digest", "attempts", *params}
    numeric = [
        c
        for c in results.column_names
        if c not in skip
        and (
            pa.types.is_integer(results.schema.field(c).type)
            or pa.types.is_floating(results.schema.field(c).type)
        )
    ]
    columns: dict[str, Any] = {"point": pa.array(points, pa.int64())}
    for c in params:
        columns[c] = results.column(c).take(pa.array(first))
    columns["runs"] = pa.array([int((point == p).sum()) for p in points], pa.int64())
    for c in numeric:
        values = results.column(c).to_numpy(zero_copy_only=False).astype(float)
        groups = [values[point == p] for p in points]
        columns[f"{c}_mean"] = pa.array(
            [float(np.nanmean(g)) if np.isfinite(g).any() else math.nan for g in groups]
        )
        columns[f"{c}_std"] = pa.array(
            [float(np.nanstd(g, ddof=1)) if np.isfinite(g).sum() > 1 else math.nan for g in groups]
        )
    return pa.table(columns)


def write_parquet(table: pa.Table, path: str | Path) -> Path:
    """Write ``table`` to ``path`` atomically (temporary name in the same directory, then rename)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial, compression="zstd")
    os.replace(partial, path)
    return path
