"""Scenario loading and validation: every error names its field path."""

from __future__ import annotations

import copy

import pytest

from hftsim.core.errors import ConfigError
from hftsim.sim.agent import Agent
from hftsim.sim.registry import register_agent, registered_agents
from hftsim.sim.scenario import list_scenarios, load_scenario, parse_scenario


class Idle(Agent):
    def __init__(self, name, subscriptions=(0,), patience: int = 1):
        super().__init__(name, subscriptions)
        self.patience = patience


register_agent("test_idle", Idle)


@pytest.fixture
def doc():
    return copy.deepcopy(load_scenario("quick").raw)


def test_list_scenarios_ships_default_zi_1000_and_quick():
    scenarios = list_scenarios()
    assert {"default", "zi_1000", "quick"} <= set(scenarios)
    assert all(scenarios.values())


@pytest.mark.parametrize("name", ["default", "zi_1000", "quick"])
def test_load_scenario_shipped_is_valid(name):
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.instruments and scenario.flows


def test_load_scenario_default_lasts_one_hour():
    assert load_scenario("default").end_ns == 3_600 * 10**9
    zi = load_scenario("zi_1000")
    assert zi.end_ns == 3_600 * 10**9 and zi.flows[0]["population"] == 1000


def test_load_scenario_unknown_name_lists_known():
    with pytest.raises(ConfigError, match="no such shipped scenario.*quick"):
        load_scenario("no_such_scenario")


def test_load_scenario_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[instruments]]\nsymbol = "A"\n[[flows]]\ntype = "zero_intelligence"\nlimit_rate = 1.0\n'
    )
    scenario = load_scenario(path)
    assert scenario.name == "mine" and scenario.flows[0]["type"] == "zero_intelligence"


def test_load_scenario_bad_toml_is_config_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[instruments]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["flows"][0]["hawkes"]["baselines"].__setitem__(1, -0.3),
            r"^flows\[0\]\.hawkes\.baselines\[1\]: expected a number > 0, got -0\.3$",
        ),
        (
            lambda d: d["flows"][0]["hawkes"]["norms"][2].__setitem__(3, "x"),
            r"^flows\[0\]\.hawkes\.norms\[2\]\[3\]: expected a number >= 0, got 'x'$",
        ),
        (
            lambda d: d["flows"][0]["hawkes"]["decays"].__setitem__(0, 0),
            r"^flows\[0\]\.hawkes\.decays\[0\]: expected a number > 0",
        ),
        (
            lambda d: d["flows"][1].__setitem__("cancel_rate", -1),
            r"^flows\[1\]\.cancel_rate: expected a number >= 0, got -1$",
        ),
        (lambda d: d["flows"][1].__setitem__("populaton", 3), r"^flows\[1\]\.populaton: unknown key"),
        (lambda d: d["flows"][1].__setitem__("type", "zi"), r"^flows\[1\]\.type: unknown flow type 'zi'"),
        (
            lambda d: d["flows"][0]["actions"].__setitem__(0, "buy"),
            r"^flows\[0\]\.actions\[0\]: expected one of",
        ),
        (
            lambda d: d["flows"][1]["placement"].__setitem__("max", 0.5),
            r"^flows\[1\]\.placement\.max: expected an integer",
        ),
        (
            lambda d: d["session"].__setitem__("duration_s", "1h"),
            r"^session\.duration_s: expected a number > 0",
        ),
        (lambda d: d.__setitem__("sesion", {}), r"^sesion: unknown key"),
        (
            lambda d: d["instruments"][0].__setitem__("lot_size", 0),
            r"^instruments\[0\]\.lot_size: expected an integer >= 1",
        ),
        (lambda d: d.__setitem__("venue", {"stp": "maybe"}), r"^venue\.stp: expected one of"),
        (
            lambda d: d.__setitem__("agents", [{"type": "no_such_agent"}]),
            r"^agents\[0\]\.type: unknown agent type 'no_such_agent'",
        ),
        (
            lambda d: d.__setitem__(
                "agents", [{"type": "test_idle", "latency": {"to_venue": {"model": "gamma"}}}]
            ),
            r"^agents\[0\]\.latency\.to_venue\.model: expected one of",
        ),
        (
            lambda d: d.__setitem__(
                "agents",
                [{"type": "test_idle", "latency": {"to_venue": {"model": "lognormal", "median_ns": -5}}}],
            ),
            r"^agents\[0\]\.latency\.to_venue\.median_ns: expected a number > 0, got -5$",
        ),
        (
            lambda d: d.__setitem__("agents", [{"type": "test_idle", "latency": {"wire": 5}}]),
            r"^agents\[0\]\.latency\.wire: unknown latency leg",
        ),
        (
            lambda d: d.__setitem__("agents", [{"type": "test_idle", "subscriptions": [3]}]),
            r"^agents\[0\]\.subscriptions\[0\]: expected a symbol id in \[0, 0\], got 3$",
        ),
        (
            lambda d: d.__setitem__("agents", [{"type": "test_idle", "name": "noise"}]),
            r"name 'noise' is used twice",
        ),
    ],
)
def test_parse_scenario_invalid_field_names_its_path(doc, edit, message):
    edit(doc)
    with pytest.raises(ConfigError, match=message):
        parse_scenario(doc)


def test_parse_scenario_nonstationary_hawkes_is_rejected(doc):
    doc["flows"][0]["hawkes"]["norms"][0][0] = 1.5
    with pytest.raises(ConfigError, match=r"flows\[0\]\.hawkes\.norms: non-stationary"):
        parse_scenario(doc)


def test_parse_scenario_agent_params_are_checked_by_the_class(doc):
    doc["agents"] = [{"type": "test_idle", "params": {"patience": 3}}]
    assert parse_scenario(doc).build_agents()[0][0].patience == 3
    doc["agents"] = [{"type": "test_idle", "params": {"impatience": 3}}]
    with pytest.raises(ConfigError, match=r"agents\[0\]\.params: test_idle rejected its parameters"):
        parse_scenario(doc).build_agents()


def test_register_agent_rejects_non_agent_and_taken_name():
    assert registered_agents()["test_idle"] is Idle
    with pytest.raises(ConfigError, match="subclass"):
        register_agent("test_bad", int)
    other = type("Other", (Agent,), {})
    with pytest.raises(ConfigError, match="already registered"):
        register_agent("test_idle", other)
