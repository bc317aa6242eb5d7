"""Pin the public names of the trading packages and the test fakes."""

from __future__ import annotations

import hftsim.testing
import hftsim.trading.oms
import hftsim.trading.strategies


def test_oms_public_names():
    assert sorted(hftsim.trading.oms.__all__) == sorted(
        [
            "FILL_DTYPE",
            "LIVE_STATES",
            "MARK_DTYPE",
            "OPEN_STATES",
            "TERMINAL_STATES",
            "UNITS_PER_TICK",
            "FeeSchedule",
            "Holding",
            "Oms",
            "OmsOrder",
            "OrderState",
            "PnlSnapshot",
            "Reconciliation",
            "RiskCheck",
            "RiskLimits",
            "RiskReason",
            "RiskRejected",
            "Trigger",
            "legal_transitions",
            "next_state",
            "reconcile",
            "summary_rows",
            "write_report",
        ]
    )


def test_strategies_public_names():
    assert sorted(hftsim.trading.strategies.__all__) == sorted(
        [
            "AlmgrenChrissExecutor",
            "AvellanedaStoikovMaker",
            "CarteaJaimungalMaker",
            "ExecutionReport",
            "Executor",
            "Failure",
            "GatheralSchiedExecutor",
            "GlftMaker",
            "GuardedAgent",
            "ObizhaevaWangExecutor",
            "PovExecutor",
            "QuotingStrategy",
            "STRATEGY_TYPES",
            "Strategy",
            "TwapExecutor",
            "VwapExecutor",
            "cumulative_targets",
            "guarded",
            "parse_side",
            "register_all",
        ]
    )


def test_testing_public_names():
    assert sorted(hftsim.testing.__all__) == ["FakeContext", "FakeMarket", "ManualStrategy"]


def test_every_public_name_exists():
    for package in (hftsim.testing, hftsim.trading.oms, hftsim.trading.strategies):
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"
