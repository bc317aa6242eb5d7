import pytest

from hftsim.core.errors import ConfigError
from hftsim.sweep import list_sweeps, load_sweep, parse_sweep, plan


def _doc(**extra):
    return {"scenario": "quick", "seeds": 2, "grid": {"flows.noise.limit_rate": [0.1, 0.2]}, **extra}


def test_parse_sweep_defaults_fill_in():
    spec = parse_sweep(_doc())
    assert spec.seed == 0 and spec.seeds == 2 and spec.retries == 1 and spec.keep_runs is False
    assert spec.parameters == ("flows.noise.limit_rate",)
    assert spec.scenario_path.endswith("scenarios/quick.toml")


@pytest.mark.parametrize(
    ("doc", "found"),
    [
        ({"scenario": "quick", "grid": {}}, "grid: expected a table"),
        ({"scenario": "quick", "grid": {"seed": []}}, "non-empty list"),
        ({"scenario": "quick"}, "expected a \\[grid\\] or a \\[random\\]"),
        (
            {
                "scenario": "quick",
                "grid": {"seed": [1]},
                "random": {"n": 2, "seed": {"dist": "uniform", "low": 0, "high": 1}},
            },
            "not both",
        ),
        ({"scenario": "nope", "grid": {"seed": [1]}}, "no shipped scenario"),
        (_doc(metrics=["sharpe"]), "unknown metric 'sharpe'"),
        (_doc(seeds=0), "seeds: expected an integer >= 1"),
        (_doc(colour="red"), "colour: unknown key"),
        (
            {"scenario": "quick", "random": {"n": 3, "x": {"dist": "loguniform", "low": 0, "high": 1}}},
            "0 < low",
        ),
        ({"scenario": "quick", "random": {"n": 3, "x": {"dist": "gamma"}}}, "dist = one of"),
        (_doc(plot={"kind": "curve", "x": "seed", "y": "volatility"}), "plot.x"),
    ],
)
def test_parse_sweep_bad_input_raises_config_error(doc, found):
    with pytest.raises(ConfigError, match=found):
        parse_sweep(doc)


def test_list_sweeps_ships_the_three_studies():
    assert {"as_risk_aversion", "square_root_impact", "hawkes_branching"} <= set(list_sweeps())


@pytest.mark.parametrize("name", ["as_risk_aversion", "square_root_impact", "hawkes_branching"])
def test_shipped_sweep_plans_without_error(name):
    the_plan = plan(load_sweep(name))
    assert len(the_plan.tasks) == len(the_plan.points) * the_plan.spec.seeds
    assert the_plan.spec.plot is not None
