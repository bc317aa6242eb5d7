"""Registration: every strategy type builds from a TOML table plus its name, and runs."""

from __future__ import annotations

import tomllib

import pytest

from hftsim.core import ConfigError
from hftsim.trading.oms import reconcile
from hftsim.trading.strategies import STRATEGY_TYPES, Strategy, register_all

from .strategy_support import market_with_book

SCENARIO = """
[agents.as1]
type = "avellaneda_stoikov"
gamma = 0.1
sigma = 1.0
arrival_decay = 1.5
order_qty = 10
horizon_s = 5.0
risk = { max_order_qty = 1000, collar_ticks = 50, max_position = 200 }
fees = { maker_fee_units = -2000, taker_fee_units = 3000 }

[agents.glft1]
type = "glft"
inventory_limit = 3
order_qty = 10

[agents.cj1]
type = "cartea_jaimungal"
phi = 0.1
order_qty = 10

[agents.twap1]
type = "twap"
side = "buy"
qty = 300
horizon_s = 2.0
n_slices = 4

[agents.vwap1]
type = "vwap"
side = "sell"
qty = 200
horizon_s = 2.0
volume_profile = [3.0, 1.0, 1.0, 3.0]

[agents.pov1]
type = "pov"
side = "buy"
qty = 100
horizon_s = 2.0
participation = 0.2

[agents.ac1]
type = "almgren_chriss"
side = "sell"
qty = 400
horizon_s = 2.0
n_slices = 4
sigma = 1.0
eta = 0.05
risk_aversion = 0.001

[agents.ow1]
type = "obizhaeva_wang"
side = "buy"
qty = 400
horizon_s = 2.0
n_slices = 5
resilience = 1.0

[agents.gs1]
type = "gatheral_schied"
side = "sell"
qty = 100
horizon_s = 2.0
n_slices = 4
"""


def _build(tables):
    registry = {}
    register_all(lambda type_name, cls: registry.__setitem__(type_name, cls))
    agents = []
    for name, table in tables.items():
        table = dict(table)
        cls = registry[table.pop("type")]
        agents.append(cls(name=name, **table))
    return registry, agents


def test_register_all_registers_every_type_name():
    registry, _ = _build({})
    assert set(registry) >= {
        "avellaneda_stoikov",
        "glft",
        "cartea_jaimungal",
        "twap",
        "vwap",
        "pov",
        "almgren_chriss",
        "obizhaeva_wang",
    }
    assert registry == STRATEGY_TYPES
    assert all(issubclass(cls, Strategy) for cls in registry.values())


def test_every_type_builds_from_toml_and_runs_with_conserved_money():
    _, agents = _build(tomllib.loads(SCENARIO)["agents"])
    market, lp = market_with_book(*agents, levels=10)
    for step in range(1, 31):
        market.advance_to(step * 100_000_000)
    market.stop()
    reconcile([lp.oms] + [a.oms for a in agents], market.fills).check()
    assert all(a.oms.open_orders() == [] for a in agents)
    executors = [a for a in agents if hasattr(a, "report")]
    assert all(a.filled_qty > 0 for a in executors if a.name != "pov1")
    assert agents[0].oms.risk.limits.collar_ticks == 50 and agents[0].oms.fees.maker_fee_units == -2000


def test_unknown_parameter_from_toml_is_refused():
    with pytest.raises(TypeError):
        _build({"x": {"type": "twap", "slices": 3}})
    with pytest.raises(ConfigError, match="colar"):
        _build({"x": {"type": "twap", "risk": {"colar": 3}}})


def _run_scenario(seed):
    _, agents = _build(tomllib.loads(SCENARIO)["agents"])
    market, lp = market_with_book(*agents, levels=10, seed=seed)
    for step in range(1, 31):
        market.advance_to(step * 100_000_000)
    market.stop()
    return market, agents


def test_same_scenario_twice_gives_identical_fills_and_pnl():
    first, first_agents = _run_scenario(3)
    second, second_agents = _run_scenario(3)
    assert first.events == second.events
    for a, b in zip(first_agents, second_agents):
        assert a.oms.fills_array().tobytes() == b.oms.fills_array().tobytes()
        assert a.oms.total_pnl() == b.oms.total_pnl()
