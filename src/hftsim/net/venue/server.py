"""The live venue: an asyncio FIX 4.4 acceptor in front of the gateway and matching engine. Edge.

Data flow: socket bytes -> :class:`~hftsim.net.fix.session.FixSession` (framing, sequence checks,
admin messages, answered at once) -> in-sequence application messages appended to one queue ->
applied to the :class:`~hftsim.net.venue.gateway.Gateway` in arrival order, at once for each read
(``drains_inline``; one wake-up less per round trip) or by one drain callback per event-loop tick
(a subclass that group-commits) -> ExecutionReports collect in each session's output -> one
``write`` per connection per drain. Each connection is independent: a broken or garbled stream
only ever closes its own connection.

Back-pressure: when the inbound queue holds more than ``max_backlog`` messages every connection
stops reading until it drains; a connection whose unsent output exceeds ``max_write_buffer`` bytes
(a slow consumer) is disconnected rather than allowed to grow memory.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections import Counter, deque
from time import perf_counter_ns

from hftsim.matching.engine import MatchingEngine
from hftsim.net.fix.session import FixSession, SequenceStore
from hftsim.net.venue.clock import WallClock
from hftsim.net.venue.config import VenueConfig
from hftsim.net.venue.gateway import Gateway
from hftsim.net.venue.monitoring import VenueMonitor
from hftsim.net.venue.output import VenueOutput

__all__ = ["VenueServer", "event_loop_name", "new_event_loop"]

log = logging.getLogger("hftsim.venue")
_TIMER_INTERVAL_S = 0.2
_SAVE_INTERVAL_S = 1.0


def new_event_loop(use_uvloop: bool = True) -> asyncio.AbstractEventLoop:
    """Return a new uvloop event loop when uvloop is installed and wanted, else asyncio's default."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def event_loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """Return ``"uvloop"`` or ``"asyncio"`` for the running loop, for the start-up log line."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else f"asyncio ({type(loop).__name__})"


class _Connection(asyncio.Protocol):
    """One accepted TCP connection: its session and transport."""

    def __init__(self, server: VenueServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.session: FixSession | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        server = self.server
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        fix = server.config.fix
        self.session = FixSession(
            server.store,
            now_ns=server.clock.now_ns(),
            allowed_pairs=server.allowed_pairs,
            test_request_grace=fix.test_request_grace,
            logon_timeout_s=fix.logon_timeout_s,
            metrics=server.metrics,
            log=self._log,
        )
        server.connections.add(self)
        if server.is_paused:
            transport.pause_reading()

    def _log(self, line: str) -> None:
        log.info("%s [%s]", line, self.peer)

    def data_received(self, data: bytes) -> None:
        server = self.server
        arrived_ns = perf_counter_ns()
        server.last_input_ns = arrived_ns
        if not server.is_spinning and server.busy_poll_ns:
            server.spin()
        session = self.session
        messages = session.receive(data, server.clock.now_ns())
        if messages:
            server.enqueue(session, messages, arrived_ns)
        while session.has_deferred:  # a Logout read after orders: apply and report them first
            server.drain_now()
            messages = session.receive(b"", server.clock.now_ns())
            if messages:
                server.enqueue(session, messages, arrived_ns)
        self.flush()

    def flush(self) -> None:
        """Write the session's pending output; close when the session is finished."""
        transport = self.transport
        if transport is None or transport.is_closing() or self.server.is_holding:
            return
        data = self.session.take_output()
        if data:
            transport.write(data)
            if transport.get_write_buffer_size() > self.server.max_write_buffer:
                self.server.metrics["slow_consumer_disconnects"] += 1
                log.warning(
                    "session %s: disconnect (slow consumer, %d bytes unsent) [%s]",
                    self.session.name,
                    transport.get_write_buffer_size(),
                    self.peer,
                )
                self.session.connection_lost()
                transport.abort()
                return
        if self.session.wants_close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.connection_lost()
        self.server.connections.discard(self)
        self.server.store.save()


class VenueServer:
    """The FIX acceptor, sequencer and engine of a live venue.

    Args:
        config: the venue configuration.
        publisher: market-data publisher (``start``, ``publish``, ``stop``, ``stats``) or None.
        clock: wall clock (injectable for tests).
        gateway: a prepared gateway over ``store``'s session states (the journaled venue's); a plain
            Gateway over a fresh engine when None.
        store: the session states ``gateway`` uses (required with ``gateway``).
        max_backlog: inbound application messages queued before reading pauses.
        max_write_buffer: unsent bytes per connection before it is dropped as a slow consumer.
        dashboard_port: serve the live dashboard and Prometheus ``/metrics`` on this port of
            ``config.fix.host`` (0: any free port; None: no dashboard, no per-message metrics).
        busy_poll_us: after each input keep polling the sockets for this long instead of sleeping
            (:meth:`spin`; costs a core while traffic flows, saves the idle CPU's wake-up).
    """

    #: apply a read's messages at once (True), or in one callback per loop tick (a subclass that
    #: group-commits a tick's commands before releasing their reports sets False)
    drains_inline = True

    def __init__(
        self,
        config: VenueConfig,
        publisher=None,
        clock=None,
        *,
        gateway: Gateway | None = None,
        store: SequenceStore | None = None,
        max_backlog: int = 50_000,
        max_write_buffer: int = 32 << 20,
        dashboard_port: int | None = None,
        busy_poll_us: int = 0,
    ) -> None:
        self.config = config
        self.clock = clock or WallClock()
        self.publisher = publisher
        self.allowed_pairs = {(s.target_comp_id, s.sender_comp_id) for s in config.fix.sessions}
        if gateway is None:
            self.metrics: Counter = Counter()
            self.store = SequenceStore(config.fix.state_file, config.fix.max_stored_messages)
            engine = MatchingEngine(config.instruments, config.stp, capacity=config.capacity)
            sessions = [
                (self.store.get(s.target_comp_id, s.sender_comp_id), s.drop_copy) for s in config.fix.sessions
            ]
            gateway = Gateway(
                engine, self.clock, sessions, publisher, self.metrics, history_limit=config.fix.max_cl_ord_ids
            )
        else:
            self.metrics = gateway.metrics
            self.store = store
        self.gateway = gateway
        #: while True no connection writes (a subclass holds output until it is durable)
        self.is_holding = False
        self.connections: set[_Connection] = set()
        self.max_backlog = max_backlog
        self.max_write_buffer = max_write_buffer
        self.is_paused = False
        #: poll without sleeping for this long after each input (0: sleep in the kernel when idle)
        self.busy_poll_ns = busy_poll_us * 1000
        self.is_spinning = False
        self.last_input_ns = 0
        self.host = config.fix.host
        self.port = config.fix.port
        self._queue: deque = deque()
        self._drain_handle: asyncio.Handle | None = None
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._timer_task: asyncio.Task | None = None
        #: the consumers of the engine's output (feed, analytics), always on
        self.consumers = VenueOutput(self)
        self.monitor = VenueMonitor(self, dashboard_port) if dashboard_port is not None else None

    @property
    def is_listening(self) -> bool:
        """Return True once :meth:`start` has bound the port (``port`` is then the bound one), until stop."""
        return self._server is not None

    # ------------------------------------------------------------ sequencing

    def enqueue(self, session: FixSession, messages: list, arrived_ns: int = 0) -> None:
        """Queue application messages of ``session`` for the sequencer, in arrival order.

        ``arrived_ns`` is when their bytes came in (``perf_counter_ns``), for the latency metrics; each
        queue entry is ``(session, message, arrived_ns, parsed_ns)``.
        """
        parsed_ns = perf_counter_ns()  # framed, checked and parsed: the gateway_in stage ends here
        if self.monitor is not None and arrived_ns:
            self.monitor.gateway_in(parsed_ns - arrived_ns)  # one sample per read
        queue = self._queue
        for msg in messages:
            queue.append((session, msg, arrived_ns, parsed_ns))
        if self.drains_inline:
            self._drain()
            return
        if self._drain_handle is None:
            self._drain_handle = self._loop.call_soon(self._drain)
        if len(queue) > self.max_backlog and not self.is_paused:
            self.is_paused = True
            self.metrics["backlog_pauses"] += 1
            for conn in self.connections:
                conn.transport.pause_reading()

    def spin(self) -> None:
        """Keep the event loop polling (never sleeping) until ``busy_poll_ns`` after the last input.

        A loop with a callback ready polls its sockets without blocking; an idle vCPU of a VM takes
        tens of µs to wake on the next packet, which is most of a round trip at low rates.
        """
        if perf_counter_ns() - self.last_input_ns < self.busy_poll_ns and self._loop is not None:
            self.is_spinning = True
            self._loop.call_soon(self.spin)
        else:
            self.is_spinning = False

    def drain_now(self) -> None:
        """Apply the queued messages and release their output now, not at the next loop tick."""
        if self._drain_handle is not None:
            self._drain_handle.cancel()
        if self._queue:
            self._drain()

    def _drain(self) -> None:
        self._drain_handle = None
        queue = self._queue
        on_message = self.gateway.on_message
        consumers = self.consumers
        consumers.is_draining = True
        try:
            if self.monitor is None:
                # every queued message was accepted in sequence: it is applied even when its session
                # logged out or dropped after it (its reports are stored for a resend after the next Logon)
                while queue:
                    session, msg, _, _ = queue.popleft()
                    on_message(session, msg)
            else:
                self.monitor.drain(queue, on_message)
        finally:
            consumers.is_draining = False
            consumers.offer_pending()  # the drain's engine output, one batch per consumer queue
        self._after_drain()
        if self.is_paused:
            self.is_paused = False
            for conn in self.connections:
                conn.transport.resume_reading()

    def _after_drain(self) -> None:
        """Release the output of a drain (a journaling subclass first makes it durable)."""
        for conn in list(self.connections):
            conn.flush()

    # ------------------------------------------------------------ life cycle

    async def start(self) -> tuple[str, int]:
        """Start the publisher (if any) and listen; return the bound (host, port)."""
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        if self.publisher is not None:
            await self.publisher.start()
        if self.monitor is not None:
            await self.monitor.dashboard.start()
        self.consumers.start()
        server = await self._loop.create_server(
            lambda: _Connection(self), self.config.fix.host, self.config.fix.port, reuse_address=True
        )
        # the bound address first: another thread polling is_listening then reads a real port
        self.host, self.port = server.sockets[0].getsockname()[:2]
        self._server = server
        self._timer_task = self._loop.create_task(self._timers())
        log.info(
            "venue listening on %s:%d (FIX 4.4, %d sessions, %d instruments, loop=%s, feed=%s)",
            self.host,
            self.port,
            len(self.config.fix.sessions),
            len(self.config.instruments),
            event_loop_name(self._loop),
            "on" if self.publisher is not None else "off",
        )
        if self.monitor is not None:
            log.info(
                "dashboard on http://%s:%d/ (Prometheus metrics on /metrics)",
                self.monitor.dashboard.host,
                self.monitor.dashboard.port,
            )
        return self.host, self.port

    async def _timers(self) -> None:
        since_save = 0.0
        while True:
            await asyncio.sleep(_TIMER_INTERVAL_S)
            # The venue's state only grows (orders, stored reports): a full collection walks all of it,
            # about 20 ms per 100k orders, a pause every client would see. Freezing moves what exists
            # now out of the collector's reach; it is still freed by reference counting when dropped.
            gc.freeze()
            now_ns = self.clock.now_ns()
            for conn in list(self.connections):
                conn.session.on_timer(now_ns)
                conn.flush()
            since_save += _TIMER_INTERVAL_S
            if since_save >= _SAVE_INTERVAL_S:
                since_save = 0.0
                self.store.save()

    def request_stop(self) -> None:
        """Ask the server to shut down (safe from any thread or a signal handler)."""
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None:
            loop.call_soon_threadsafe(stopped.set)

    async def serve(self, install_signal_handlers: bool = True) -> None:
        """Start, run until SIGINT/SIGTERM or :meth:`request_stop`, then shut down cleanly."""
        await self.start()
        if install_signal_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(sig, self._on_signal, sig)
        await self._stopped.wait()
        await self.stop()

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("venue: %s received, shutting down", signal.Signals(sig).name)
        self._stopped.set()

    async def stop(self, grace_s: float = 1.0) -> None:
        """Send Logout to every session, wait briefly for the answers, close everything, save state."""
        if self._server is None:
            return
        self._server.close()
        if self._drain_handle is not None:
            self._drain_handle.cancel()
            self._drain()
        now_ns = self.clock.now_ns()
        for conn in list(self.connections):
            conn.session.logout("venue shutting down", now_ns)
            conn.flush()
        deadline = self._loop.time() + grace_s
        while self.connections and self._loop.time() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            conn.session.connection_lost()
            conn.transport.abort()
        if self._timer_task is not None:
            self._timer_task.cancel()
        await self._server.wait_closed()
        if self.publisher is not None:
            await self.publisher.stop()  # publishes what the feed's queue still holds, then stops
        await self.consumers.stop()
        if self.monitor is not None:
            await self.monitor.dashboard.stop()
        self.store.save()
        self._server = None
        log.info("venue stopped: %s", dict(sorted(self.metrics.items())))
