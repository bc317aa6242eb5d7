import pytest

import hftsim.stress as stress
from hftsim.core.errors import ConfigError
from hftsim.stress.registry import (
    ALL_ORDER,
    SCENARIOS,
    SuiteUnavailable,
    get_scenario,
    require,
    scenario_names,
)


def test_stress_all_pinned():
    assert sorted(stress.__all__) == sorted(
        [
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
    )


def test_registry_names_cover_issue_scenarios():
    assert {"flood", "loss", "jitter", "oms", "failover", "soak", "feed", "bench"} == set(SCENARIOS)
    assert scenario_names()[-1] == "all"


def test_get_scenario_all_runs_every_scenario_once():
    assert [s.name for s in get_scenario("all")] == list(ALL_ORDER)
    assert sorted(ALL_ORDER) == sorted(SCENARIOS)


def test_get_scenario_unknown_raises_naming_choices():
    with pytest.raises(ConfigError, match="unknown stress scenario 'floods'.*flood"):
        get_scenario("floods")


def test_every_scenario_module_has_run():
    for sc in SCENARIOS.values():
        assert callable(sc.runner()), sc.name


def test_require_missing_module_raises_unavailable():
    with pytest.raises(SuiteUnavailable, match="hftsim.bench.no_such_suite is not in this build"):
        require("hftsim.bench.no_such_suite")


def test_require_present_module_returns_it():
    assert require("hftsim.stress.registry").SCENARIOS is SCENARIOS
