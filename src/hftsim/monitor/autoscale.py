"""Autoscaling of the consumers that read the engine's output queues. Cold path (once per batch).

The rules, per queue, checked after every batch the producer puts on the queue:

* **Scale up**: the backlog is above ``high_backlog`` (200) after ``up_batches`` (3) consecutive
  batches -> add one consumer (up to ``max_consumers``). The streak then starts again from zero, so
  a further consumer needs three more such batches.
* **Scale down**: the backlog has stayed at or below ``low_backlog`` for ``idle_ns`` of clock time
  (every batch in that period, and at least ``idle_batches`` batches) -> remove one consumer (down to
  ``min_consumers``). The idle period then starts again.
* **Hysteresis**: a backlog between ``low_backlog`` and ``high_backlog`` breaks both a scale-up
  streak and an idle period; any decision restarts both. Scaling down therefore needs a full idle
  period after the last scale-up, and the two rules can never alternate batch by batch.

Every decision is a :class:`ScaleDecision` kept in a bounded log (newest last) and counted in the
registry (``autoscale_decisions{queue,action}``, gauge ``queue_consumers{queue}``). The
:class:`Autoscaler` is pure: it reads time only from the injected clock and changes nothing but its
own state, so tests drive it with synthetic backlog sequences and a :class:`~hftsim.core.SimClock`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import msgspec

from hftsim.core.clock import Clock
from hftsim.core.errors import ConfigError
from hftsim.monitor.metrics import Counter, MetricsRegistry

__all__ = ["AutoscalePolicy", "Autoscaler", "ScaleDecision"]


class AutoscalePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Thresholds of the autoscaler (see the module docstring)."""

    high_backlog: int = 200
    up_batches: int = 3
    low_backlog: int = 20
    idle_ns: int = 5_000_000_000
    idle_batches: int = 3
    min_consumers: int = 1
    max_consumers: int = 8

    def check(self) -> AutoscalePolicy:
        """Return self after checking the thresholds are consistent.

        Raises:
            ConfigError: naming the offending field.
        """
        if not 0 <= self.low_backlog < self.high_backlog:
            raise ConfigError(
                f"autoscale.low_backlog must be >= 0 and below high_backlog ({self.high_backlog}), "
                f"got {self.low_backlog}"
            )
        if self.up_batches < 1 or self.idle_batches < 1:
            raise ConfigError("autoscale.up_batches and autoscale.idle_batches must be at least 1")
        if self.idle_ns < 0:
            raise ConfigError(f"autoscale.idle_ns must be >= 0, got {self.idle_ns}")
        if not 1 <= self.min_consumers <= self.max_consumers:
            raise ConfigError(
                f"autoscale.min_consumers ({self.min_consumers}) must be >= 1 and <= max_consumers "
                f"({self.max_consumers})"
            )
        return self


class ScaleDecision(msgspec.Struct, frozen=True, kw_only=True):
    """One autoscaling decision."""

    ts_ns: int
    queue: str
    action: str  # "add" or "remove"
    consumers_before: int
    consumers_after: int
    backlog: int
    reason: str


class _QueueState:
    __slots__ = ("consumers", "streak", "idle_since_ns", "idle_batches")

    def __init__(self, consumers: int) -> None:
        self.consumers = consumers
        self.streak = 0
        self.idle_since_ns: int | None = None
        self.idle_batches = 0


class Autoscaler:
    """Decide, batch by batch, how many consumers each queue should have.

    Args:
        policy: the thresholds.
        clock: where time comes from (a SimClock in tests, a monotonic clock live).
        registry: where decisions are counted and consumer counts shown (optional).
        log_size: how many decisions the log keeps.
    """

    def __init__(
        self,
        policy: AutoscalePolicy | None = None,
        clock: Clock | None = None,
        registry: MetricsRegistry | None = None,
        log_size: int = 100,
    ) -> None:
        if clock is None:
            from hftsim.monitor._clock import MonotonicClock

            clock = MonotonicClock()
        self.policy = (policy or AutoscalePolicy()).check()
        self._clock = clock
        self._registry = registry
        self._queues: dict[str, _QueueState] = {}
        self._log: deque[ScaleDecision] = deque(maxlen=log_size)

    def track(self, queue: str, consumers: int | None = None) -> None:
        """Start tracking ``queue``, which has ``consumers`` consumers (default: ``min_consumers``)."""
        n = self.policy.min_consumers if consumers is None else consumers
        if not self.policy.min_consumers <= n <= self.policy.max_consumers:
            raise ConfigError(
                f"queue {queue!r}: {n} consumers is outside [{self.policy.min_consumers}, "
                f"{self.policy.max_consumers}]"
            )
        self._queues[queue] = _QueueState(n)
        self._show(queue, n)
        for action in ("add", "remove"):  # exported at 0 from the start, not only after a decision
            self._decision_counter(queue, action)

    def consumers(self, queue: str) -> int:
        """How many consumers ``queue`` should have now."""
        return self._queues[queue].consumers

    @property
    def decisions(self) -> list[ScaleDecision]:
        """The decision log, oldest first."""
        return list(self._log)

    def observe(self, queue: str, backlog: int) -> ScaleDecision | None:
        """Take the backlog of ``queue`` after a batch; return the decision taken, if any."""
        try:
            state = self._queues[queue]
        except KeyError:
            raise ConfigError(f"queue {queue!r} is not tracked; call track({queue!r}) first") from None
        p = self.policy
        now = self._clock.now_ns()
        state.streak = state.streak + 1 if backlog > p.high_backlog else 0
        if backlog <= p.low_backlog:
            if state.idle_since_ns is None:
                state.idle_since_ns = now
            state.idle_batches += 1
        else:
            state.idle_since_ns, state.idle_batches = None, 0
        if state.streak >= p.up_batches and state.consumers < p.max_consumers:
            reason = f"backlog > {p.high_backlog} for {state.streak} consecutive batches"
            return self._decide(queue, state, +1, backlog, now, reason)
        if (
            state.idle_since_ns is not None
            and now - state.idle_since_ns >= p.idle_ns
            and state.idle_batches >= p.idle_batches
            and state.consumers > p.min_consumers
        ):
            reason = f"backlog <= {p.low_backlog} for {(now - state.idle_since_ns) / 1e9:.3g} s"
            return self._decide(queue, state, -1, backlog, now, reason)
        return None

    def _decide(
        self, queue: str, state: _QueueState, step: int, backlog: int, now: int, reason: str
    ) -> ScaleDecision:
        decision = ScaleDecision(
            ts_ns=now,
            queue=queue,
            action="add" if step > 0 else "remove",
            consumers_before=state.consumers,
            consumers_after=state.consumers + step,
            backlog=backlog,
            reason=reason,
        )
        state.consumers += step
        state.streak, state.idle_since_ns, state.idle_batches = 0, None, 0
        self._log.append(decision)
        counter = self._decision_counter(queue, decision.action)
        if counter is not None:
            counter.inc()
        self._show(queue, state.consumers)
        return decision

    def _decision_counter(self, queue: str, action: str) -> Counter | None:
        if self._registry is None:
            return None
        return self._registry.counter(
            "autoscale_decisions", "autoscaling decisions", {"queue": queue, "action": action}
        )

    def _show(self, queue: str, consumers: int) -> None:
        if self._registry is not None:
            self._registry.gauge("queue_consumers", "consumers reading a queue", {"queue": queue}).set(
                consumers
            )

    def snapshot(self, last: int = 20) -> dict[str, Any]:
        """``{"consumers": {queue: n}, "decisions": [last decisions as dicts, newest first]}``."""
        return {
            "consumers": {q: s.consumers for q, s in sorted(self._queues.items())},
            "decisions": [msgspec.structs.asdict(d) for d in reversed(list(self._log)[-last:])],
        }
