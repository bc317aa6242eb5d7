"""Stress, fault and regression drills over the venue, the feed, the OMS and the engine. Edge.

``hftsim stress SCENARIO`` (see :mod:`hftsim.stress.cli` and ``docs/stress_testing.md``) runs named
scenarios (:data:`SCENARIOS`), writes a result directory that ``hftsim regress`` can compare, and
checks every metric against its target (:data:`TARGETS`).
"""

from hftsim.stress.baseline import check_comparable, compare_runs, load_thresholds, suite_versions
from hftsim.stress.outcome import Outcome, PlotData, format_conditions
from hftsim.stress.registry import (
    ALL_ORDER,
    SCENARIOS,
    Context,
    Scenario,
    SuiteUnavailable,
    get_scenario,
    require,
    scenario_names,
)
from hftsim.stress.run import RunReport, median_rows, run_stress
from hftsim.stress.target import TARGETS, Target, TargetCheck, check_targets

__all__ = [
    "ALL_ORDER",
    "Context",
    "Outcome",
    "PlotData",
    "RunReport",
    "SCENARIOS",
    "Scenario",
    "SuiteUnavailable",
    "TARGETS",
    "Target",
    "TargetCheck",
    "check_comparable",
    "check_targets",
    "compare_runs",
    "format_conditions",
    "get_scenario",
    "load_thresholds",
    "median_rows",
    "require",
    "run_stress",
    "scenario_names",
    "suite_versions",
]
