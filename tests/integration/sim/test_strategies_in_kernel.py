"""Strategies trading through their OMS inside the real kernel: guard, reconciliation, reports."""

import json
import tomllib
from importlib import resources

import pytest

from hftsim.core.enums import Side
from hftsim.core.errors import InvariantError
from hftsim.sim import parse_scenario, run_scenario
from hftsim.sim.registry import register_agent
from hftsim.trading.strategies.base import Strategy


class ExplodingStrategy(Strategy):
    """Rests one bid far from the touch, then raises on the next market data."""

    def handle_l1(self, l1):
        if l1.bid_px_ticks and not self.oms.open_orders():
            self.oms.submit(Side.BUY, l1.bid_px_ticks - 20, 100)
        elif self.oms.open_orders():
            raise RuntimeError("strategy bug")


register_agent("test_exploding", ExplodingStrategy)


def scenario_with_agents(*agents: dict):
    doc = tomllib.loads((resources.files("hftsim") / "scenarios" / "quick.toml").read_text())
    doc["agents"] = list(agents)
    return parse_scenario(doc, "test", "quick_with_agents")


MAKER = {
    "type": "avellaneda_stoikov",
    "name": "mm",
    "params": {"gamma": 0.01, "sigma": 0.4, "horizon_s": 120.0, "order_qty": 100},
}
BUYER = {
    "type": "twap",
    "name": "buyer",
    "params": {"side": "buy", "qty": 2000, "horizon_s": 60.0, "n_slices": 6},
}


@pytest.mark.slow
def test_kernel_strategies_trade_reconcile_and_report(tmp_path):
    run = run_scenario(scenario_with_agents(MAKER, BUYER), tmp_path / "run", progress=False)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    agents = summary["strategies"]["agents"]
    assert summary["strategies"]["failures"] == []
    assert summary["strategies"]["reconciled_fills"] > 0
    assert agents["buyer"]["positions"]["0"] == 2000 and agents["buyer"]["execution"]["is_complete"]
    assert agents["buyer"]["execution"]["arrival_mid_ticks"] is not None
    assert run.strategies["agents"]["mm"]["owner_id"] == 1
    for name in ("summary.csv", "fills.csv", "marks.csv", "pnl.png", "inventory.png"):
        assert (tmp_path / "run" / "agents" / name).stat().st_size > 0


@pytest.mark.slow
def test_kernel_raising_strategy_is_stopped_alone_and_its_orders_canceled(tmp_path):
    scenario = scenario_with_agents({"type": "test_exploding", "name": "boom"}, BUYER)
    run_scenario(scenario, tmp_path / "run", progress=False)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    [failure] = summary["strategies"]["failures"]
    assert failure["agent"] == "boom" and failure["error_type"] == "RuntimeError"
    assert failure["canceled_orders"] == 1
    assert summary["strategies"]["agents"]["buyer"]["execution"]["is_complete"]  # the run went on
    import pyarrow.parquet as pq

    events = pq.read_table(tmp_path / "run" / "events.parquet", columns=["owner_id", "kind"])
    owners, kinds = events["owner_id"].to_numpy(), events["kind"].to_numpy()
    assert ((owners == 1) & (kinds == 4)).sum() == 1  # its resting bid was canceled at the venue


@pytest.mark.slow
def test_kernel_oms_disagreeing_with_venue_fails_the_run(tmp_path, monkeypatch):
    from hftsim.trading.oms import _oms

    original = _oms.Oms.on_event

    def drop_first_fill(self, event):
        if type(event).__name__ == "OrderFilled" and not getattr(self, "_dropped", False):
            self._dropped = True
            return None
        return original(self, event)

    monkeypatch.setattr(_oms.Oms, "on_event", drop_first_fill)
    with pytest.raises(InvariantError, match="venue fills give"):
        run_scenario(scenario_with_agents(BUYER), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # no partial output left looking complete


def test_kernel_delivers_market_data_a_strategy_handles_and_nothing_else():
    from hftsim.trading.strategies import guarded
    from hftsim.trading.strategies.execution import PovExecutor
    from hftsim.trading.strategies.making import AvellanedaStoikovMaker

    maker = AvellanedaStoikovMaker("mm")
    pov = PovExecutor("pov", qty=100, participation=0.1)
    assert not maker.wants("trade") and not maker.wants("book_delta")
    assert pov.wants("trade") and not pov.wants("book_delta")  # POV follows the market's volume
    assert guarded(pov).wants("trade") and not guarded(maker).wants("trade")
