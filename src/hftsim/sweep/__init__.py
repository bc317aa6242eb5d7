"""Parameter sweeps and Monte Carlo of scenarios on Dask. Cold path.

A sweep file (:mod:`hftsim.sweep.spec`) names a base scenario, a grid or random search of parameter
paths and the seeds per point; :func:`plan` expands it into tasks and validates every point,
:func:`run_sweep` runs them on an embedded ``LocalCluster`` or an existing Dask cluster and writes
``results.parquet`` and ``summary.parquet``. See ``docs/sweeps.md``.
"""

from hftsim.sweep.expand import Plan, SimTask, canonical_json, expand_points, plan, task_id, task_seed
from hftsim.sweep.metric import METRICS
from hftsim.sweep.param import set_param
from hftsim.sweep.run import SweepFailure, SweepResult, connect, default_workers, run_sweep
from hftsim.sweep.spec import SweepSpec, list_sweeps, load_sweep, parse_sweep
from hftsim.sweep.task import TaskOutcome, run_task

__all__ = [
    "METRICS",
    "Plan",
    "SimTask",
    "SweepFailure",
    "SweepResult",
    "SweepSpec",
    "TaskOutcome",
    "canonical_json",
    "connect",
    "default_workers",
    "expand_points",
    "list_sweeps",
    "load_sweep",
    "parse_sweep",
    "plan",
    "run_sweep",
    "run_task",
    "set_param",
    "task_id",
    "task_seed",
]
