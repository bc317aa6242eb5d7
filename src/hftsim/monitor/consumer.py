"""A bounded queue of engine output read by an autoscaled set of asyncio consumers. Edge.

The producer (the venue loop) calls :meth:`ConsumerPool.offer_batch` with each batch of messages. It
never waits: a message that finds the queue full is dropped and counted
(``messages_dropped{queue}``), as DESIGN.md asks of every queue ("a slow consumer is shed or
scaled, never allowed to stall the engine"). After each batch the pool hands the backlog to the
:class:`~hftsim.monitor.autoscale.Autoscaler` and starts or retires one consumer when it decides so.
A retired consumer finishes the message it is handling first.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from hftsim.core.errors import ConfigError
from hftsim.monitor.autoscale import Autoscaler, ScaleDecision
from hftsim.monitor.metrics import MetricsRegistry

__all__ = ["ConsumerPool"]


class ConsumerPool:
    """Consumers of one bounded queue, scaled by an :class:`Autoscaler`.

    Args:
        name: the queue's name (metric label, autoscaler key).
        handler: called with each message; a plain function or a coroutine function.
        autoscaler: decides the number of consumers (the pool calls ``track`` on it).
        registry: where backlog, drops and handled counts go.
        maxsize: capacity of the queue.
    """

    def __init__(
        self,
        name: str,
        handler: Callable[[Any], Any],
        autoscaler: Autoscaler,
        registry: MetricsRegistry,
        maxsize: int = 10_000,
    ) -> None:
        if maxsize < 1:
            raise ConfigError(f"queue {name!r}: maxsize must be >= 1, got {maxsize}")
        self.name = name
        self._handler = handler
        self._is_async = inspect.iscoroutinefunction(handler)
        self._autoscaler = autoscaler
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self._workers: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._retire = 0
        self._dropped = registry.counter("messages_dropped", "messages shed by a full queue", {"queue": name})
        self.handled = registry.counter("messages_handled", "messages consumed from a queue", {"queue": name})
        registry.gauge(
            "queue_backlog_messages", "messages waiting in a queue", {"queue": name}, self._queue.qsize
        )
        autoscaler.track(name)

    @property
    def backlog(self) -> int:
        """Messages waiting."""
        return self._queue.qsize()

    @property
    def consumers(self) -> int:
        """Consumers running (retiring ones excluded)."""
        return len(self._workers) - self._retire

    def start(self) -> None:
        """Start the autoscaler's initial number of consumers (call inside the event loop)."""
        for _ in range(self._autoscaler.consumers(self.name)):
            self._spawn()

    def offer_batch(self, messages: Iterable[Any]) -> ScaleDecision | None:
        """Enqueue a batch without waiting (drops when full), then let the autoscaler decide."""
        put = self._queue.put_nowait
        for message in messages:
            try:
                put(message)
            except asyncio.QueueFull:
                self._dropped.value += 1
        decision = self._autoscaler.observe(self.name, self._queue.qsize())
        if decision is not None:
            self._apply(decision.consumers_after)
        return decision

    def _apply(self, target: int) -> None:
        while self.consumers < target:
            if self._retire:
                self._retire -= 1
            else:
                self._spawn()
        while self.consumers > target:
            idle = [t for t in self._workers if t not in self._busy]
            if idle:
                idle[-1].cancel()  # waiting in get(): cancelling loses nothing
                self._workers.remove(idle[-1])
            else:
                self._retire += 1  # the next consumer to finish a message leaves

    def _spawn(self) -> None:
        task = asyncio.get_running_loop().create_task(self._work(), name=f"consumer-{self.name}")
        self._workers.append(task)

    async def _work(self) -> None:
        me = asyncio.current_task()
        assert me is not None
        while True:
            message = await self._queue.get()
            self._busy.add(me)
            try:
                result = self._handler(message)
                if self._is_async:
                    await result
                self.handled.value += 1
            finally:
                self._busy.discard(me)
                self._queue.task_done()
            if self._retire:
                self._retire -= 1
                self._workers.remove(me)
                return

    async def stop(self) -> None:
        """Cancel every consumer and wait for them."""
        workers, self._workers = self._workers, []
        self._retire = 0
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
