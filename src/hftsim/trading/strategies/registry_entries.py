"""Scenario type names of the trading strategies, for the kernel's agent registry. Cold path.

The kernel's ``register_agent(type_name, cls)`` maps the ``type`` of a scenario TOML table to a class;
every class here is built as ``cls(name=..., **table)`` with the remaining keys as keyword parameters
(nested tables ``risk`` and ``fees`` become the OMS limits and fee schedule).
"""

from __future__ import annotations

from typing import Callable

from hftsim.trading.strategies.execution import (
    AlmgrenChrissExecutor,
    GatheralSchiedExecutor,
    ObizhaevaWangExecutor,
    PovExecutor,
    TwapExecutor,
    VwapExecutor,
)
from hftsim.trading.strategies.making import AvellanedaStoikovMaker, CarteaJaimungalMaker, GlftMaker

__all__ = ["STRATEGY_TYPES", "register_all"]

#: type name -> class, in registration order.
STRATEGY_TYPES: dict[str, type] = {
    "avellaneda_stoikov": AvellanedaStoikovMaker,
    "glft": GlftMaker,
    "cartea_jaimungal": CarteaJaimungalMaker,
    "twap": TwapExecutor,
    "vwap": VwapExecutor,
    "pov": PovExecutor,
    "almgren_chriss": AlmgrenChrissExecutor,
    "obizhaeva_wang": ObizhaevaWangExecutor,
    "gatheral_schied": GatheralSchiedExecutor,
}


def register_all(register_agent: Callable[[str, type], object]) -> list[str]:
    """Register every strategy class with ``register_agent(type_name, cls)``; return the type names."""
    for type_name, cls in STRATEGY_TYPES.items():
        register_agent(type_name, cls)
    return list(STRATEGY_TYPES)
