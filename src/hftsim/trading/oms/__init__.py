"""Order management: the order state machine, pre-trade risk, positions, fees, PnL and reconciliation.

Every strategy trades through one :class:`Oms`. Money stays in integers: prices in ticks, quantities in
shares, cash and fees in fee units of 1e-4 tick-share (see :mod:`hftsim.trading.oms.ledger`).
"""

from hftsim.trading.oms._oms import Oms
from hftsim.trading.oms.ledger import (
    FILL_DTYPE,
    MARK_DTYPE,
    UNITS_PER_TICK,
    FeeSchedule,
    Holding,
    PnlSnapshot,
)
from hftsim.trading.oms.order import OmsOrder
from hftsim.trading.oms.reconcile import Reconciliation, reconcile
from hftsim.trading.oms.report import summary_rows, write_report
from hftsim.trading.oms.risk import RiskCheck, RiskLimits, RiskReason, RiskRejected
from hftsim.trading.oms.state import (
    LIVE_STATES,
    OPEN_STATES,
    TERMINAL_STATES,
    OrderState,
    Trigger,
    legal_transitions,
    next_state,
)

__all__ = [
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
