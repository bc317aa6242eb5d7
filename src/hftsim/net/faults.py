"""Seeded network faults for any datagram path: loss, jitter, reordering, duplication, floods. Hot path.

:class:`FaultInjector` is a pure function of its seed and the sequence of datagrams it is given:
each datagram consumes the same five uniform draws whatever happens to it, so a run is replayable.
:class:`FaultySender` puts an injector in front of an asyncio datagram transport (delays become
``call_later``), and :class:`Flood` sends extra traffic at a rate, bounded in count and time.

Loss is uniform (``loss``) or bursty: the Gilbert-Elliott two-state chain (Gilbert 1960; Elliott
1963). In state Good a datagram is lost with probability ``loss_good``, in Bad with ``loss_bad``;
the chain moves Good->Bad with ``p_good_bad`` and Bad->Good with ``p_bad_good`` before each datagram.
The stationary share of Bad is ``pi_B = p_good_bad / (p_good_bad + p_bad_good)``, the loss rate
``pi_B * loss_bad + (1 - pi_B) * loss_good`` and, with ``loss_bad = 1, loss_good = 0``, bursts are
geometric with mean ``1 / p_bad_good``. ``{loss = L, burst = B}`` sets exactly that chain:
``p_bad_good = 1/B``, ``p_good_bad = L / (B (1 - L))``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for

__all__ = ["FaultConfig", "FaultInjector", "FaultySender", "Flood", "FloodConfig", "fault_config_from_flags"]

_BLOCK = 4096  # datagrams of draws generated at once
_DRAWS = 5  # chain, loss, duplicate, reorder, jitter


class FloodConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Extra traffic: ``rate_per_s`` datagrams of ``size`` random bytes, bounded in count and time."""

    rate_per_s: float = 1000.0
    count: int = 1000
    duration_s: float = 1.0
    size: int = 20


class FaultConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to do to datagrams. Probabilities are per datagram; see the module docstring.

    ``loss`` with ``burst`` > 1 builds the Gilbert-Elliott chain; the explicit chain fields
    (``p_good_bad``...) override it. ``reorder``: probability a datagram is held back and sent after
    the next one (or after ``reorder_hold_ms``). ``jitter_ms``: uniform extra delay in [0, jitter_ms).
    """

    seed: int = 0
    loss: float = 0.0
    burst: float = 1.0
    p_good_bad: float | None = None
    p_bad_good: float | None = None
    loss_good: float = 0.0
    loss_bad: float = 1.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_hold_ms: float = 2.0
    jitter_ms: float = 0.0
    flood: FloodConfig | None = None

    def __post_init__(self) -> None:
        for name in ("loss", "loss_good", "loss_bad", "duplicate", "reorder"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"faults.{name}: must be within [0, 1], got {value}")
        if self.loss >= 1.0:
            raise ConfigError(f"faults.loss: must be below 1, got {self.loss}")
        if self.burst < 1.0:
            raise ConfigError(f"faults.burst: mean burst length must be >= 1, got {self.burst}")
        for name in ("p_good_bad", "p_bad_good"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(f"faults.{name}: must be within [0, 1], got {value}")
        if (self.p_good_bad is None) != (self.p_bad_good is None):
            raise ConfigError("faults: give both p_good_bad and p_bad_good, or neither")
        if self.jitter_ms < 0 or self.reorder_hold_ms < 0:
            raise ConfigError("faults.jitter_ms and faults.reorder_hold_ms must be >= 0")

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> FaultConfig:
        """Build from a dict or a TOML table; errors name the field (``faults.loss``)."""
        try:
            return msgspec.convert(dict(table), cls)
        except msgspec.ValidationError as e:
            raise ConfigError(f"faults: {e}") from e

    def chain(self) -> tuple[float, float, float, float]:
        """Return (p_good_bad, p_bad_good, loss_good, loss_bad) of the loss model."""
        if self.p_good_bad is not None:
            return self.p_good_bad, self.p_bad_good, self.loss_good, self.loss_bad
        if self.burst <= 1.0 or self.loss == 0.0:
            return 0.0, 1.0, self.loss, self.loss  # uniform: never leaves Good
        r = 1.0 / self.burst
        return self.loss * r / (1.0 - self.loss), r, 0.0, 1.0

    def expected_loss(self) -> float:
        """Return the stationary loss rate of the chain."""
        p, r, lg, lb = self.chain()
        bad = p / (p + r) if p + r else 0.0
        return bad * lb + (1 - bad) * lg


def fault_config_from_flags(text: str) -> FaultConfig:
    """Parse ``"loss=0.01,burst=4,reorder=0.01,duplicate=0.01,jitter_ms=0.5,seed=7"`` (command-line form)."""
    table: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"faults: expected key=value, got {item!r}")
        try:
            table[key.strip()] = int(value) if key.strip() == "seed" else float(value)
        except ValueError as e:
            raise ConfigError(f"faults.{key.strip()}: not a number: {value!r}") from e
    return FaultConfig.from_mapping(table)


class FaultInjector:
    """Apply a :class:`FaultConfig` to a stream of datagrams, deterministically.

    Args:
        config: the faults (a FaultConfig or a mapping for :meth:`FaultConfig.from_mapping`).
        name: component name for the random stream (``rng_for(config.seed, name)``).
    """

    def __init__(self, config: FaultConfig | Mapping[str, Any], name: str = "net.faults") -> None:
        self.config = config if isinstance(config, FaultConfig) else FaultConfig.from_mapping(config)
        self._rng = rng_for(self.config.seed, name)
        self._p_gb, self._p_bg, self._loss_good, self._loss_bad = self.config.chain()
        self._draws = np.empty((0, _DRAWS))
        self._i = 0
        self._is_bad = False
        self._held: list[bytes] = []
        self._run = 0  # current run of lost datagrams
        self.counts = {"datagrams": 0, "lost": 0, "duplicated": 0, "reordered": 0, "delayed": 0, "bursts": 0}
        self.burst_lengths: list[int] = []  # completed loss runs (kept up to 1e6)

    def process(self, datagram: bytes) -> list[tuple[int, bytes]]:
        """Return what to send for ``datagram`` now: ``(delay_ns, bytes)`` pairs, in order."""
        if self._i >= len(self._draws):
            self._draws = self._rng.random((_BLOCK, _DRAWS))
            self._i = 0
        u_chain, u_loss, u_dup, u_reorder, u_jitter = self._draws[self._i].tolist()
        self._i += 1
        self.counts["datagrams"] += 1
        self._is_bad = (u_chain >= self._p_bg) if self._is_bad else (u_chain < self._p_gb)
        if u_loss < (self._loss_bad if self._is_bad else self._loss_good):
            self.counts["lost"] += 1
            self._run += 1
            return []
        if self._run:
            self._end_run()
        cfg = self.config
        delay = int(u_jitter * cfg.jitter_ms * 1e6) if cfg.jitter_ms else 0
        if delay:
            self.counts["delayed"] += 1
        out = [(delay, datagram)]
        if u_dup < cfg.duplicate:
            self.counts["duplicated"] += 1
            out.append((delay, datagram))
        if self._held:
            out += [(delay, d) for d in self._held]
            self._held.clear()
        elif u_reorder < cfg.reorder:
            self.counts["reordered"] += 1
            self._held = [d for _, d in out]
            return []
        return out

    def release_held(self) -> list[bytes]:
        """Return (and forget) datagrams held back for reordering."""
        held, self._held = self._held, []
        return held

    def _end_run(self) -> None:
        self.counts["bursts"] += 1
        if len(self.burst_lengths) < 1_000_000:
            self.burst_lengths.append(self._run)
        self._run = 0

    def stats(self) -> dict[str, float]:
        """Return counters plus the observed loss rate and mean burst length."""
        n = self.counts["datagrams"]
        out: dict[str, float] = dict(self.counts)
        out["loss_rate"] = self.counts["lost"] / n if n else 0.0
        out["mean_burst"] = float(np.mean(self.burst_lengths)) if self.burst_lengths else 0.0
        return out


class FaultySender:
    """Send datagrams through ``transport`` after a :class:`FaultInjector` (a drop-in for ``sendto``)."""

    def __init__(self, transport: asyncio.DatagramTransport, injector: FaultInjector) -> None:
        self._transport = transport
        self.injector = injector
        self._loop = asyncio.get_running_loop()
        self._hold_timer: asyncio.TimerHandle | None = None
        self._held_addr = None

    def sendto(self, data: bytes, addr=None) -> None:
        for delay_ns, datagram in self.injector.process(data):
            if delay_ns:
                self._loop.call_later(delay_ns / 1e9, self._send_late, datagram, addr)
            else:
                self._transport.sendto(datagram, addr)
        if self.injector._held and self._hold_timer is None:
            self._held_addr = addr
            self._hold_timer = self._loop.call_later(
                self.injector.config.reorder_hold_ms / 1e3, self._release
            )

    def _send_late(self, datagram: bytes, addr) -> None:
        if not self._transport.is_closing():
            self._transport.sendto(datagram, addr)

    def _release(self) -> None:
        self._hold_timer = None
        for datagram in self.injector.release_held():
            self._send_late(datagram, self._held_addr)

    def flush(self) -> None:
        """Send anything held back now."""
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._release()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class Flood:
    """Send bounded extra traffic: ``config.count`` datagrams at ``config.rate_per_s``, bounded.

    Args:
        config: the flood.
        seed: seed of the payload bytes (``rng_for(seed, name)``).
        payload: bytes to send instead of random ones (a valid request, to flood a server).
    """

    def __init__(
        self, config: FloodConfig, seed: int = 0, payload: bytes | None = None, name: str = "net.flood"
    ):
        if config.rate_per_s <= 0 or config.count < 0 or config.duration_s < 0:
            raise ConfigError("faults.flood: rate_per_s must be > 0, count and duration_s >= 0")
        self.config = config
        self._rng = rng_for(seed, name)
        self._payload = payload
        self.sent = 0

    async def run(self, transport: asyncio.DatagramTransport, addr) -> int:
        """Send the flood through ``transport`` to ``addr``; return the datagrams sent."""
        loop = asyncio.get_running_loop()
        cfg = self.config
        start = loop.time()
        per_tick = max(1, int(cfg.rate_per_s / 1000))  # about 1 ms ticks
        while self.sent < cfg.count and loop.time() - start < cfg.duration_s:
            due = min(cfg.count, int((loop.time() - start) * cfg.rate_per_s) + 1)
            for _ in range(min(per_tick, due - self.sent)):
                transport.sendto(self._next_payload(), addr)
                self.sent += 1
            await asyncio.sleep(0.001)
        return self.sent

    def _next_payload(self) -> bytes:
        if self._payload is not None:
            return self._payload
        return self._rng.integers(0, 256, self.config.size, dtype=np.uint8).tobytes()
