"""Trading strategies: the Strategy base, market makers, execution algorithms, the failure guard."""

from hftsim.trading.strategies.base import Strategy, parse_side
from hftsim.trading.strategies.execution import (
    AlmgrenChrissExecutor,
    ExecutionReport,
    Executor,
    GatheralSchiedExecutor,
    ObizhaevaWangExecutor,
    PovExecutor,
    TwapExecutor,
    VwapExecutor,
    cumulative_targets,
)
from hftsim.trading.strategies.guard import Failure, GuardedAgent, guarded
from hftsim.trading.strategies.making import (
    AvellanedaStoikovMaker,
    CarteaJaimungalMaker,
    GlftMaker,
    QuotingStrategy,
)
from hftsim.trading.strategies.registry_entries import STRATEGY_TYPES, register_all

__all__ = [
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
