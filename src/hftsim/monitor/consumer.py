"""A bounded queue of engine output read by an autoscaled set of asyncio consumers. Edge.

The producer (the venue loop) calls :meth:`ConsumerPool.offer_batch` with each batch of messages. It
never waits. When the queue is full, the pool's ``overflow`` policy decides:

* ``"drop"`` (the default): the messages that do not fit are dropped and counted
  (``messages_dropped{queue}``), as DESIGN.md asks of every queue ("a slow consumer is shed or
  scaled, never allowed to stall the engine");
* ``"handle"``: the producer handles the oldest messages itself, in order, until the batch fits
  (``messages_handled_inline{queue}``). Nothing is lost and FIFO order is kept, at the price of
  stalling the producer while it catches up. For a consumer whose losses cannot be repaired
  downstream (a market-data feed: a message never published is never sequenced or stored, so no
  client can recover it).

After each batch the pool records the backlog (a distribution, exported as its 99th percentile,
``queue_backlog_p99_messages{queue}``) and hands it to the
:class:`~hftsim.monitor.autoscale.Autoscaler`, which may start or retire one consumer;
:meth:`ConsumerPool.tick` shows the autoscaler the backlog between batches, so an idle queue is seen
idle without traffic.

Consumers share the producer's event loop. Each handles at most ``per_turn`` messages, then yields
to the loop, so one turn of one consumer is bounded and the engine's own work (reading orders,
sending acknowledgements) interleaves: the number of consumers is the share of the loop the queue
gets, k consumers handling up to ``k * per_turn`` messages per loop iteration. With a plain
(synchronous) handler a turn runs without yielding, so the messages are handled in FIFO order
whatever the number of consumers; a coroutine handler lets consumers overlap (and order is then not
kept). With ``is_list_handler`` the handler takes a turn's messages as one list (consecutive, in
order), for consumers that work faster on batches.

A coroutine handler's consumer is a task waiting on an event. A plain handler's consumer is a loop
callback per turn, scheduled when messages wait (one consumer per ``per_turn`` of them): no task
to wake and no future per batch. At one message per batch (a venue at 10k orders/s) the task's
wake-up cost more than the turn.

Per message the queue costs a ``deque`` append and pop and part of a loop (well under 0.1 µs).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from hftsim.core.errors import ConfigError
from hftsim.monitor.autoscale import Autoscaler, ScaleDecision
from hftsim.monitor.histogram import LatencyHistogram
from hftsim.monitor.metrics import MetricsRegistry

__all__ = ["ConsumerPool"]

log = logging.getLogger("hftsim.monitor")
_OVERFLOW = ("drop", "handle")


class _Consumer:
    """A plain handler's consumer: its next turn, scheduled on the loop, or None while idle."""

    __slots__ = ("handle", "is_retired")

    def __init__(self) -> None:
        self.handle: asyncio.Handle | None = None
        self.is_retired = False

    def cancel(self) -> None:
        """Retire: a scheduled turn does not run (its messages stay queued for the others)."""
        self.is_retired = True
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class ConsumerPool:
    """Consumers of one bounded queue, scaled by an :class:`Autoscaler`.

    Args:
        name: the queue's name (metric label, autoscaler key).
        handler: called with each message; a plain function or a coroutine function.
        autoscaler: decides the number of consumers (the pool calls ``track`` on it).
        registry: where backlog, drops and handled counts go.
        maxsize: capacity of the queue, in messages.
        per_turn: messages one consumer handles before it yields to the event loop.
        overflow: ``"drop"`` or ``"handle"`` (plain handlers only): what a full queue does (see the
            module docstring).
        is_list_handler: the (plain) handler takes a list of consecutive messages, not one.
    """

    def __init__(
        self,
        name: str,
        handler: Callable[[Any], Any],
        autoscaler: Autoscaler,
        registry: MetricsRegistry,
        maxsize: int = 10_000,
        per_turn: int = 64,
        overflow: str = "drop",
        is_list_handler: bool = False,
    ) -> None:
        if maxsize < 1:
            raise ConfigError(f"queue {name!r}: maxsize must be >= 1, got {maxsize}")
        if per_turn < 1:
            raise ConfigError(f"queue {name!r}: per_turn must be >= 1, got {per_turn}")
        if overflow not in _OVERFLOW:
            raise ConfigError(f"queue {name!r}: overflow must be one of {_OVERFLOW}, got {overflow!r}")
        self._is_async = inspect.iscoroutinefunction(handler)
        if self._is_async and (overflow == "handle" or is_list_handler):
            raise ConfigError(
                f"queue {name!r}: overflow='handle' and is_list_handler need a plain (not async) handler"
            )
        self.name = name
        self.maxsize = maxsize
        self.per_turn = per_turn
        self._handler = handler
        self._is_list_handler = is_list_handler
        self._is_handling_overflow = overflow == "handle"
        self._autoscaler = autoscaler
        self._queue: deque[Any] = deque()
        self._wakeup = asyncio.Event()
        self._is_paused = False
        self._is_running = False
        self._workers: list[asyncio.Task[None] | _Consumer] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy: set[asyncio.Task[None]] = set()  # inside a coroutine handler (holding a message)
        self._retire = 0
        labels = {"queue": name}
        self._dropped = registry.counter("messages_dropped", "messages shed by a full queue", labels)
        self.handled = registry.counter("messages_handled", "messages consumed from a queue", labels)
        self._inline = registry.counter(
            "messages_handled_inline", "messages the producer handled itself (queue full)", labels
        )
        self._errors = registry.counter("consumer_errors", "messages whose handler raised", labels)
        registry.gauge("queue_backlog_messages", "messages waiting in a queue", labels, self._queue.__len__)
        # a distribution of message counts (not of times), sampled after each batch
        self.backlog_samples = LatencyHistogram(f"{name}_backlog", highest_ns=1 << 20)
        registry.gauge(
            "queue_backlog_p99_messages",
            "99th percentile of the messages waiting after each batch",
            labels,
            lambda: self.backlog_samples.percentiles([99])[0],
        )
        autoscaler.track(name)

    @property
    def backlog(self) -> int:
        """Messages waiting."""
        return len(self._queue)

    @property
    def consumers(self) -> int:
        """Consumers running (retiring ones excluded)."""
        return len(self._workers) - self._retire

    @property
    def dropped(self) -> int:
        """Messages dropped because the queue was full."""
        return self._dropped.value

    def start(self) -> None:
        """Start the autoscaler's initial number of consumers (call inside the event loop)."""
        self._is_running = True
        self._loop = asyncio.get_running_loop()
        for _ in range(self._autoscaler.consumers(self.name) - len(self._workers)):
            self._spawn()

    # ------------------------------------------------------------ producer side

    def offer_batch(self, messages: Iterable[Any]) -> ScaleDecision | None:
        """Enqueue a batch without waiting, record the backlog, let the autoscaler decide.

        A full queue drops the messages that do not fit, or handles the oldest here (``overflow``).
        """
        batch = messages if isinstance(messages, list) else list(messages)
        queue = self._queue
        room = self.maxsize - len(queue)
        if len(batch) > room:
            if self._is_handling_overflow:
                batch = self._handle_inline(len(batch) - room, batch)
            else:
                self._dropped.value += len(batch) - room
                batch = batch[:room]
        queue.extend(batch)
        if queue and not self._is_paused:
            self._wake()
        backlog = len(queue)
        self.backlog_samples.record(backlog)
        return self._observe(backlog)

    def _handle_inline(self, n: int, batch: list[Any]) -> list[Any]:
        """Handle the ``n`` oldest messages (queued first, then the batch's) here; return the rest."""
        queue = self._queue
        from_queue = min(n, len(queue))
        self._handle([queue.popleft() for _ in range(from_queue)] + batch[: n - from_queue])
        self._inline.value += n
        return batch[n - from_queue :]

    def tick(self) -> ScaleDecision | None:
        """Show the autoscaler the backlog between batches (no sample is recorded)."""
        return self._observe(len(self._queue))

    def _observe(self, backlog: int) -> ScaleDecision | None:
        decision = self._autoscaler.observe(self.name, backlog)
        if decision is not None:
            self._apply(decision.consumers_after)
        return decision

    def pause(self) -> None:
        """Stop taking messages off the queue from the next turn on (it keeps filling, then overflows)."""
        self._is_paused = True

    def resume(self) -> None:
        """Take messages again after :meth:`pause`."""
        self._is_paused = False
        if self._queue:
            self._wake()

    def flush(self) -> int:
        """Handle every queued message now, in order (plain handlers only); return how many.

        Raises:
            ConfigError: the handler is a coroutine function.
        """
        if self._is_async:
            raise ConfigError(f"queue {self.name!r}: flush() needs a plain (not async) handler")
        messages = list(self._queue)
        self._queue.clear()
        self._handle(messages)
        return len(messages)

    def _handle(self, messages: list[Any]) -> None:
        """Handle ``messages`` here, in order (a list handler gets them ``per_turn`` at a time)."""
        if not self._is_list_handler:
            self._turn(messages)
            return
        for i in range(0, len(messages), self.per_turn):
            self._turn(messages[i : i + self.per_turn])

    # ------------------------------------------------------------ consumers

    def _apply(self, target: int) -> None:
        if not self._is_running:  # before start() or after stop(): start() spawns the right number
            return
        while self.consumers < target:
            if self._retire:
                self._retire -= 1
            else:
                self._spawn()
        while self.consumers > target:
            free = [t for t in self._workers if t not in self._busy]
            if free:
                free[-1].cancel()  # waiting, or between messages: cancelling loses nothing
                self._workers.remove(free[-1])
            else:
                self._retire += 1  # the next consumer to finish a message leaves
        if self._queue and not self._is_async:
            self._wake()  # a retired consumer's scheduled turn goes to another

    def _wake(self) -> None:
        """Let consumers take the waiting messages: set the event the tasks wait on, or schedule the
        turns of idle plain consumers, one per ``per_turn`` messages waiting."""
        if self._is_async:
            self._wakeup.set()
            return
        if not self._is_running or self._is_paused:
            return
        turns = -(-len(self._queue) // self.per_turn)
        for consumer in self._workers:
            if turns <= 0:
                break
            if consumer.handle is None:
                consumer.handle = self._loop.call_soon(self._run, consumer)
            turns -= 1

    def _run(self, consumer: _Consumer) -> None:
        """One turn of a plain consumer; another one later while messages remain."""
        consumer.handle = None
        queue = self._queue
        if self._is_paused or not queue:
            return
        n = min(self.per_turn, len(queue))
        popleft = queue.popleft
        self._turn([popleft() for _ in range(n)])
        if queue and not consumer.is_retired and not self._is_paused:
            consumer.handle = self._loop.call_soon(self._run, consumer)  # let the loop run first

    def _spawn(self) -> None:
        if not self._is_async:
            self._workers.append(_Consumer())
            self._wake()
            return
        task = asyncio.get_running_loop().create_task(self._work(), name=f"consumer-{self.name}")
        self._workers.append(task)

    def _turn(self, messages: Iterable[Any]) -> None:
        """Handle ``messages`` with the plain handler; a message whose handler raises is counted."""
        handler = self._handler
        n = 0
        if self._is_list_handler:
            chunk = messages if isinstance(messages, list) else list(messages)
            n = len(chunk)
            try:
                handler(chunk)
            except Exception:  # noqa: BLE001 - the outermost loop of an edge consumer keeps consuming
                self._count_error()
        else:
            pending = iter(messages)
            while True:
                try:
                    for message in pending:
                        n += 1
                        handler(message)
                    break
                except Exception:  # noqa: BLE001 - as above; go on with the next message
                    self._count_error()
        self.handled.value += n

    def _count_error(self) -> None:
        if not self._errors.value:
            log.exception("queue %s: the consumer's handler raised (further errors only counted)", self.name)
        self._errors.value += 1

    async def _work(self) -> None:
        me = asyncio.current_task()
        assert me is not None
        queue, wakeup = self._queue, self._wakeup
        while True:
            if not queue or self._is_paused:
                wakeup.clear()
                await wakeup.wait()
                continue
            n = await self._turn_async(me)
            if n < 0:
                return  # retired
            if n >= self.per_turn:
                await asyncio.sleep(0)  # a full turn: let the engine and the other consumers run

    async def _turn_async(self, me: asyncio.Task[None]) -> int:
        """Handle up to ``per_turn`` messages with the coroutine handler; -1 when this consumer retires."""
        queue, handler = self._queue, self._handler
        n = 0
        while queue and n < self.per_turn and not self._is_paused:
            message = queue.popleft()
            n += 1
            self._busy.add(me)
            try:
                await handler(message)
            except Exception:  # noqa: BLE001 - as in _turn
                self._count_error()
            finally:
                self._busy.discard(me)
            self.handled.value += 1
            if self._retire:
                self._retire -= 1
                self._workers.remove(me)
                return -1
        return n

    async def stop(self) -> None:
        """Cancel every consumer and wait for them (queued messages stay queued; see :meth:`flush`)."""
        self._is_running = False
        workers, self._workers = self._workers, []
        self._retire = 0
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*(w for w in workers if isinstance(w, asyncio.Task)), return_exceptions=True)
