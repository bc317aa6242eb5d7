"""Reconcile the OMSs of a run with the venue's fills: positions and cash conserved. Cold path.

Every execution produces two ``OrderFilled`` events with one ``exec_id``: the buyer's and the
seller's, at one price and quantity. So across all participants, per symbol, positions sum to zero,
and cash (traded value plus fees) sums to minus the fees. :func:`reconcile` checks

1. the venue fills pair up (two per exec id, opposite sides, equal price and quantity);
2. each OMS booked exactly the venue fills of its owner id: same count, position and cash, with the
   fees of its own schedule;
3. when every participant has an OMS (``is_closed=True``): positions sum to 0 per symbol and
   cash sums to minus the fees, exactly, in integers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import msgspec

from hftsim.core.errors import InvariantError
from hftsim.core.messages import OrderFilled
from hftsim.trading.oms._oms import Oms
from hftsim.trading.oms.ledger import UNITS_PER_TICK

__all__ = ["Reconciliation", "reconcile"]


class Reconciliation(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of :func:`reconcile`.

    Attributes:
        errors: one line per discrepancy; empty when everything reconciles.
        fill_count: venue fill events seen.
        positions: per symbol, the sum of every OMS's position (0 in a closed market).
        cash_units: sum of every OMS's cash, fee units.
        fees_units: sum of every OMS's fees, fee units.
    """

    errors: tuple[str, ...]
    fill_count: int
    positions: dict[int, int]
    cash_units: int
    fees_units: int

    @property
    def is_ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    def check(self) -> None:
        """Raise InvariantError listing the discrepancies, if any."""
        if self.errors:
            raise InvariantError("fills do not reconcile:\n  " + "\n  ".join(self.errors))


def reconcile(omss: Sequence[Oms], fills: Iterable[OrderFilled], *, is_closed: bool = True) -> Reconciliation:
    """Check that the OMSs' books agree with the venue fills and that money is conserved.

    Args:
        omss: the OMS of every participant (each bound to a context, so it knows its owner id).
        fills: every ``OrderFilled`` event the venue emitted in the run.
        is_closed: every participant that traded has an OMS in ``omss``.

    Returns:
        The reconciliation; call :meth:`Reconciliation.check` to fail on a discrepancy.
    """
    fills = [f for f in fills if isinstance(f, OrderFilled)]
    errors = _pairing_errors(fills)
    by_owner: dict[int, list[OrderFilled]] = defaultdict(list)
    for f in fills:
        by_owner[f.owner_id].append(f)
    owners = {oms.owner_id for oms in omss}
    if len(owners) != len(omss):
        errors.append(f"owner ids of the OMSs are not unique: {sorted(o.owner_id for o in omss)}")
    for oms in omss:
        errors.extend(_oms_errors(oms, by_owner.get(oms.owner_id, [])))
    positions: dict[int, int] = defaultdict(int)
    cash = fees = 0
    for oms in omss:
        for symbol_id in oms.symbols():
            holding = oms.holding(symbol_id)
            positions[symbol_id] += holding.position
            cash += holding.cash_units
            fees += holding.fees_units
    if is_closed:
        strangers = sorted(set(by_owner) - owners)
        if strangers:
            errors.append(f"fills of owners without an OMS: {strangers} (pass is_closed=False)")
        for symbol_id, total in sorted(positions.items()):
            if total:
                errors.append(f"symbol {symbol_id}: positions sum to {total}, expected 0")
        if cash != -fees:
            errors.append(f"cash sums to {cash} fee units, expected minus the fees {-fees}")
    return Reconciliation(
        errors=tuple(errors),
        fill_count=len(fills),
        positions=dict(sorted(positions.items())),
        cash_units=cash,
        fees_units=fees,
    )


def _pairing_errors(fills: list[OrderFilled]) -> list[str]:
    by_exec: dict[tuple[int, int], list[OrderFilled]] = defaultdict(list)
    for f in fills:
        by_exec[(f.symbol_id, f.exec_id)].append(f)
    errors = []
    for (symbol_id, exec_id), legs in sorted(by_exec.items()):
        if len(legs) != 2:
            errors.append(f"symbol {symbol_id} exec {exec_id}: {len(legs)} fill events, expected 2")
            continue
        a, b = legs
        if a.side + b.side != 0 or a.qty != b.qty or a.price_ticks != b.price_ticks:
            errors.append(
                f"symbol {symbol_id} exec {exec_id}: legs disagree ({a.side}/{b.side}, "
                f"{a.qty}/{b.qty} at {a.price_ticks}/{b.price_ticks})"
            )
    return errors


def _oms_errors(oms: Oms, fills: list[OrderFilled]) -> list[str]:
    errors = []
    expected: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # position, cash, count
    for f in fills:
        fee = f.qty * (oms.fees.taker_fee_units if f.is_aggressor else oms.fees.maker_fee_units)
        row = expected[f.symbol_id]
        row[0] += f.side * f.qty
        row[1] -= f.side * f.qty * f.price_ticks * UNITS_PER_TICK + fee
        row[2] += 1
    for symbol_id in sorted(set(expected) | set(oms.symbols())):
        holding = oms.holding(symbol_id)
        want = expected[symbol_id]
        got = [holding.position, holding.cash_units, holding.fill_count]
        for what, w, g in zip(("position", "cash units", "fill count"), want, got):
            if w != g:
                errors.append(
                    f"{oms.name} (owner {oms.owner_id}) symbol {symbol_id}: {what} is {g}, "
                    f"venue fills give {w}"
                )
    return errors
