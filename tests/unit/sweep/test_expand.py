import pytest

from hftsim.core.errors import ConfigError
from hftsim.sweep import canonical_json, expand_points, parse_sweep, plan, task_id, task_seed


def test_expand_grid_is_cartesian_product_last_parameter_fastest():
    spec = parse_sweep({"scenario": "quick", "grid": {"a.x": [1, 2], "b.y": ["u", "v", "w"]}})
    points = expand_points(spec)
    assert len(points) == 6
    assert points[:3] == [{"a.x": 1, "b.y": "u"}, {"a.x": 1, "b.y": "v"}, {"a.x": 1, "b.y": "w"}]


def test_expand_random_draws_n_points_within_bounds_reproducibly():
    doc = {
        "scenario": "quick",
        "seed": 9,
        "random": {
            "n": 50,
            "g": {"dist": "loguniform", "low": 0.001, "high": 1.0},
            "k": {"dist": "integer", "low": 1, "high": 3},
            "c": {"dist": "choice", "values": ["a", "b"]},
        },
    }
    points = expand_points(parse_sweep(doc))
    assert len(points) == 50
    assert all(0.001 <= p["g"] <= 1.0 and p["k"] in (1, 2, 3) and p["c"] in ("a", "b") for p in points)
    assert points == expand_points(parse_sweep(doc))
    assert points != expand_points(parse_sweep({**doc, "seed": 10}))


def test_task_seed_depends_only_on_sweep_seed_params_and_index():
    params = canonical_json({"b": [0.4, 0.3], "a": 1})
    assert params == '{"a":1,"b":[0.4,0.3]}'
    assert task_seed(7, params, 0) == task_seed(7, canonical_json({"a": 1, "b": [0.4, 0.3]}), 0)
    seeds = {task_seed(7, params, i) for i in range(100)}
    assert len(seeds) == 100 and all(0 <= s < 2**63 for s in seeds)
    assert task_seed(8, params, 0) != task_seed(7, params, 0)
    assert task_id(params, 0) != task_id(params, 1) and len(task_id(params, 0)) == 16


def test_plan_seeds_do_not_depend_on_grid_order():
    forward = plan(
        parse_sweep(
            {"scenario": "quick", "seed": 3, "seeds": 2, "grid": {"flows.noise.limit_rate": [0.1, 0.2, 0.3]}}
        )
    )
    backward = plan(
        parse_sweep(
            {"scenario": "quick", "seed": 3, "seeds": 2, "grid": {"flows.noise.limit_rate": [0.3, 0.2, 0.1]}}
        )
    )
    key = lambda t: (t.task_id, t.seed, t.params_json)  # noqa: E731
    assert sorted(map(key, forward.tasks)) == sorted(map(key, backward.tasks))
    assert forward.tasks[0].params_json != backward.tasks[0].params_json


def test_plan_applies_duration_override_and_parameters():
    the_plan = plan(
        parse_sweep({"scenario": "quick", "duration_s": 5, "grid": {"flows.noise.limit_rate": [0.5]}})
    )
    doc = the_plan.tasks[0].scenario
    assert doc["session"]["duration_s"] == 5 and doc["flows"][1]["limit_rate"] == 0.5


@pytest.mark.parametrize(
    ("grid", "found"),
    [
        (
            {"flows.0.hawkes.baseline": [[1.0]]},
            r"point 0 \(flows.0.hawkes.baseline = \[1.0\]\): flows\[0\].hawkes.baseline: unknown key",
        ),
        (
            {"flows.0.hawkes.baselines": [[0.5] * 6, [-0.3] * 6]},
            r"point 1 .*flows\[0\].hawkes.baselines\[0\]: expected a number > 0",
        ),
        ({"flows.7.population": [3]}, "index 7 is out of range"),
        ({"venue.speed": [1]}, "venue.speed: unknown key"),
        ({"flows.noise.limit_rate": [0.1, 0.1]}, "identical"),
    ],
)
def test_plan_bad_grid_raises_config_error_naming_the_path(grid, found):
    with pytest.raises(ConfigError, match=found):
        plan(parse_sweep({"scenario": "quick", "grid": grid}))


def test_plan_unknown_agent_parameter_names_the_agent(tmp_path):
    from hftsim.sweep import load_sweep
    from tests.unit.sweep.conftest import write_sweep

    path = write_sweep(tmp_path, '[grid]\n"agents.probe.colour" = ["red"]\n', with_probe=True)
    with pytest.raises(
        ConfigError, match=r"point 0 .*agents\[0\].params: sweep_probe rejected its parameters"
    ):
        plan(load_sweep(path))
