"""Latency models and per-agent latency legs. Hot path (``LatencyLeg.arrival``), cold path otherwise.

A latency model says how long one message takes on one leg, in integer nanoseconds:

* :class:`ConstantLatency` - always ``ns``;
* :class:`LognormalLatency` - ``floor(exp(N(mu, sigma^2)))`` with ``mu = log(median_ns)``, plus an
  optional ``floor_ns`` (the wire time no message beats);
* :class:`EmpiricalLatency` - drawn uniformly with replacement from a recorded sample.

An agent has three legs (:class:`LatencyProfile`): ``to_venue`` (agent to venue gateway),
``processing`` (gateway, risk checks and sequencing before matching) and ``market_data`` (venue
back to the agent: quotes, trades and book deltas). Its own order events return on the
``order_events`` leg, which defaults to the same model as ``market_data`` (with its own draws).
All legs of an agent draw from the agent's stream ``rng_for(run_seed, f"latency.{agent}")``, in
blocks of 1024 taken when a leg runs out, so the draws depend only on the seed and on the
(deterministic) sequence of the agent's messages. Every leg is FIFO, like one TCP connection: a
message never overtakes the one sent before it on the same leg
(``arrival = max(sent + latency, previous arrival)``).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Union

import msgspec
import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.sim._check import check_int as _int
from hftsim.sim._check import check_number as _number

__all__ = [
    "ConstantLatency",
    "EmpiricalLatency",
    "LatencyLeg",
    "LatencyModel",
    "LatencyProfile",
    "LognormalLatency",
    "latency_from_mapping",
]

_BLOCK = 1024


class ConstantLatency(msgspec.Struct, frozen=True, kw_only=True, tag="constant"):
    """Every message takes exactly ``ns`` nanoseconds."""

    ns: int = 0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` latencies in ns (no draws are taken from ``rng``)."""
        return np.full(n, self.ns, dtype=np.int64)


class LognormalLatency(msgspec.Struct, frozen=True, kw_only=True, tag="lognormal"):
    """``floor_ns + exp(N(log(median_ns), sigma^2))`` nanoseconds, rounded down."""

    median_ns: float
    sigma: float = 0.5
    floor_ns: int = 0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` latencies in ns."""
        draws = rng.lognormal(math.log(self.median_ns), self.sigma, n)
        return self.floor_ns + np.floor(draws).astype(np.int64)


class EmpiricalLatency(msgspec.Struct, frozen=True, kw_only=True, tag="empirical"):
    """Latencies drawn uniformly with replacement from ``samples_ns`` (a recorded sample)."""

    samples_ns: tuple[int, ...]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` latencies in ns."""
        values = np.asarray(self.samples_ns, dtype=np.int64)
        return values[rng.integers(0, values.size, n)]


LatencyModel = Union[ConstantLatency, LognormalLatency, EmpiricalLatency]


def latency_from_mapping(table: Any, path: str) -> LatencyModel:
    """Build a model from a scenario table such as ``{model = "lognormal", median_ns = 20000}``.

    A bare integer means a constant latency in ns.

    Args:
        table: the parsed value.
        path: where it came from, for messages (``agents[0].latency.to_venue``).

    Raises:
        ConfigError: unknown model or key, or a value out of range; the message names the path.
    """
    if isinstance(table, bool) or not isinstance(table, (int, Mapping)):
        raise ConfigError(
            f"{path}: expected a table with 'model' or an integer number of ns, got {type(table).__name__}"
        )
    if isinstance(table, int):
        table = {"model": "constant", "ns": table}
    model = table.get("model")
    keys = {"constant": {"ns"}, "lognormal": {"median_ns", "sigma", "floor_ns"}, "empirical": {"samples_ns"}}
    if model not in keys:
        raise ConfigError(
            f"{path}.model: expected one of 'constant', 'lognormal', 'empirical', got {model!r}"
        )
    unknown = sorted(set(table) - keys[model] - {"model"})
    if unknown:
        raise ConfigError(
            f"{path}.{unknown[0]}: unknown key for a {model} latency; expected {sorted(keys[model])}"
        )
    if model == "constant":
        return ConstantLatency(ns=_int(table.get("ns", 0), f"{path}.ns", 0))
    if model == "lognormal":
        if "median_ns" not in table:
            raise ConfigError(f"{path}.median_ns: required for a lognormal latency (a number > 0)")
        return LognormalLatency(
            median_ns=_number(table["median_ns"], f"{path}.median_ns", positive=True),
            sigma=_number(table.get("sigma", 0.5), f"{path}.sigma", positive=False),
            floor_ns=_int(table.get("floor_ns", 0), f"{path}.floor_ns", 0),
        )
    samples = table.get("samples_ns")
    if not isinstance(samples, list) or not samples:
        raise ConfigError(f"{path}.samples_ns: expected a non-empty list of integers >= 0, got {samples!r}")
    return EmpiricalLatency(
        samples_ns=tuple(_int(v, f"{path}.samples_ns[{i}]", 0) for i, v in enumerate(samples))
    )


class LatencyProfile(msgspec.Struct, frozen=True, kw_only=True):
    """The latency legs of one agent. ``order_events=None`` means "same model as ``market_data``"."""

    to_venue: LatencyModel = ConstantLatency()
    processing: LatencyModel = ConstantLatency()
    market_data: LatencyModel = ConstantLatency()
    order_events: LatencyModel | None = None

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], path: str) -> LatencyProfile:
        """Build a profile from a scenario table with optional keys for each leg."""
        legs = ("to_venue", "processing", "market_data", "order_events")
        unknown = sorted(set(table) - set(legs))
        if unknown:
            raise ConfigError(f"{path}.{unknown[0]}: unknown latency leg; expected some of {list(legs)}")
        return cls(**{k: latency_from_mapping(v, f"{path}.{k}") for k, v in table.items()})


class LatencyLeg:
    """One FIFO leg of one agent: turns a send time into an arrival time. Hot path.

    Draws are taken from ``rng`` in blocks of 1024 on demand; a constant model draws nothing.
    """

    __slots__ = ("_model", "_rng", "_buffer", "_next", "_last_ns", "_constant_ns")

    def __init__(self, model: LatencyModel, rng: np.random.Generator) -> None:
        self._model = model
        self._rng = rng
        self._buffer: list[int] = []
        self._next = 0
        self._last_ns = -1
        self._constant_ns = model.ns if isinstance(model, ConstantLatency) else None

    def arrival(self, sent_ns: int) -> int:
        """Return when a message sent at ``sent_ns`` arrives (never before the previous one)."""
        if self._constant_ns is not None:
            t = sent_ns + self._constant_ns
        else:
            if self._next == len(self._buffer):
                self._buffer = self._model.sample(self._rng, _BLOCK).tolist()
                self._next = 0
            t = sent_ns + self._buffer[self._next]
            self._next += 1
        if t < self._last_ns:
            t = self._last_ns
        self._last_ns = t
        return t
