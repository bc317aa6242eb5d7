"""Order-flow sources: the contract between a flow generator and the simulation kernel. Cold path.

A flow source models the aggregate order flow that reaches the venue from a population of
background traders. It does not run one Python object per trader or per event: it pre-generates
its arrival times for a window of simulated time in one vectorised call (:meth:`FlowSource.block`)
and the kernel merges the blocks of all flows into its event order. At each arrival the kernel calls
:meth:`FlowSource.act`, which decides the order from the pre-drawn values and the current top of
book and sends it through the :class:`FlowVenue`. Flow arrival times are the times the orders
reach the matching engine (a flow has no latency legs: it models what arrives, not a trader).

A flow owns a range of owner ids (its population). The kernel tells it when one of its orders rests
(:meth:`FlowSource.on_rest`) and when one leaves the book (:meth:`FlowSource.on_gone`), so it always
knows its live orders exactly.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

import numpy as np

from hftsim.core.errors import ConfigError

__all__ = ["DepthDistribution", "FlowSource", "FlowVenue", "SizeDistribution"]


class FlowVenue(Protocol):
    """What the kernel offers a flow. The calls apply a command at once and return its raw events."""

    #: current top of book per symbol: ``(bid_px, bid_qty, bid_orders, ask_px, ask_qty, ask_orders)``
    l1_now: list[tuple[int, int, int, int, int, int]]

    def new_order(
        self,
        ts_ns: int,
        symbol_id: int,
        side: int,
        order_type: int,
        tif: int,
        price_ticks: int,
        qty: int,
        owner_id: int,
    ) -> bytes:
        """Apply a new order; return its EVENT_DTYPE records as bytes."""
        ...

    def cancel(self, ts_ns: int, symbol_id: int, order_id: int, owner_id: int) -> bytes:
        """Apply a cancel."""
        ...

    def replace(
        self, ts_ns: int, symbol_id: int, order_id: int, owner_id: int, price_ticks: int, qty: int
    ) -> bytes:
        """Apply a cancel-replace."""
        ...

    def schedule(self, at_ns: int, flow_index: int, order_id: int) -> None:
        """Call ``on_timer(order_id, at_ns)`` of flow ``flow_index`` at ``at_ns``."""
        ...


class FlowSource:
    """Base of the flow generators.

    Attributes:
        name: unique in the run; names the RNG stream ``flow.<name>``.
        symbol_id: the symbol the flow trades.
        population: number of owner ids the flow uses (its traders).
        first_owner_id: set by the kernel: the flow owns ``first_owner_id .. + population - 1``.
        index: set by the kernel: the flow's position (for :meth:`FlowVenue.schedule`).
    """

    def __init__(self, name: str, symbol_id: int = 0, population: int = 1) -> None:
        self.name = name
        self.symbol_id = symbol_id
        self.population = population
        self.first_owner_id = 0
        self.index = 0
        self.counts: dict[str, int] = {}

    def bind(
        self, venue: FlowVenue, rng: np.random.Generator, start_ns: int, end_ns: int, band: tuple[int, int]
    ) -> None:
        """Attach to the kernel before the session starts."""
        raise NotImplementedError

    def block(self, t0_ns: int, t1_ns: int) -> np.ndarray:
        """Pre-generate the arrivals in ``[t0_ns, t1_ns)``; return their sorted int64 times."""
        raise NotImplementedError

    def act(self, j: int, t_ns: int) -> None:
        """Handle arrival ``j`` of the current block at ``t_ns``."""
        raise NotImplementedError

    def on_rest(self, order_id: int, owner_id: int, t_ns: int) -> None:
        """One of the flow's orders was accepted (and may rest)."""

    def on_gone(self, order_id: int) -> None:
        """One of the flow's orders left the book (filled, canceled, expired)."""

    def on_timer(self, order_id: int, t_ns: int) -> None:
        """A timer set with :meth:`FlowVenue.schedule` fired."""


class SizeDistribution:
    """Order sizes: fixed ``size``, or uniform on ``[size, size_max]`` in steps of ``lot``."""

    def __init__(self, size: int, size_max: int | None = None, lot: int = 1) -> None:
        self.size = size
        self.size_max = size if size_max is None else size_max
        self.lot = lot

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` sizes."""
        if self.size_max == self.size:
            return np.full(n, self.size, dtype=np.int64)
        low, high = self.size // self.lot, self.size_max // self.lot
        return rng.integers(low, high + 1, n) * self.lot


class DepthDistribution:
    """Distance in ticks of a new limit order from a reference price.

    Kinds: ``uniform`` on ``[min, max]``; ``geometric`` with success probability ``p`` (values
    ``min, min+1, ...``, capped at ``max``); ``weights``: ``P(min + i) ∝ weights[i]``.
    """

    def __init__(
        self,
        kind: str = "uniform",
        low: int = 0,
        high: int = 10,
        p: float = 0.3,
        weights: tuple[float, ...] = (),
    ) -> None:
        self.kind = kind
        self.low = low
        self.high = high
        self.p = p
        self.weights = np.asarray(weights, dtype=np.float64)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], path: str, default_low: int) -> DepthDistribution:
        """Build from ``{kind = "geometric", p = 0.3, min = 0, max = 50}`` and friends."""
        kinds = {"uniform": {"min", "max"}, "geometric": {"p", "min", "max"}, "weights": {"weights", "min"}}
        kind = table.get("kind", "uniform")
        if kind not in kinds:
            raise ConfigError(f"{path}.kind: expected one of {sorted(kinds)}, got {kind!r}")
        unknown = sorted(set(table) - kinds[kind] - {"kind"})
        if unknown:
            raise ConfigError(
                f"{path}.{unknown[0]}: unknown key for a {kind} depth; expected {sorted(kinds[kind])}"
            )
        low = _integer(table.get("min", default_low), f"{path}.min", default_low)
        high = _integer(table.get("max", max(low, 10)), f"{path}.max", low)
        if kind == "geometric":
            p = table.get("p", 0.3)
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1:
                raise ConfigError(f"{path}.p: expected a number in (0, 1], got {p!r}")
            return cls("geometric", low, high, p=float(p))
        if kind == "weights":
            w = table.get("weights")
            if not isinstance(w, list) or not w:
                raise ConfigError(f"{path}.weights: expected a non-empty list of numbers >= 0, got {w!r}")
            for i, x in enumerate(w):
                if isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0:
                    raise ConfigError(f"{path}.weights[{i}]: expected a number >= 0, got {x!r}")
            if sum(w) <= 0:
                raise ConfigError(f"{path}.weights: at least one weight must be > 0")
            return cls("weights", low, low + len(w) - 1, weights=tuple(float(x) for x in w))
        return cls(kind, low, high)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` depths in ticks."""
        if self.kind == "uniform":
            return rng.integers(self.low, self.high + 1, n)
        if self.kind == "geometric":
            return np.minimum(self.low + rng.geometric(self.p, n) - 1, self.high)
        return self.low + rng.choice(self.weights.size, n, p=self.weights / self.weights.sum())


def _integer(value: Any, path: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{path}: expected an integer >= {low}, got {value!r}")
    return value
