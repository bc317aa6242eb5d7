"""Trading: closed-form models, the order management system and strategies.

Subpackages: :mod:`hftsim.trading.models` (standalone formulas), :mod:`hftsim.trading.oms` (orders,
risk, positions, PnL), :mod:`hftsim.trading.strategies` (the Strategy base, makers, executors).
They are imported on demand; this package imports nothing at load time.
"""

__all__: list[str] = []
