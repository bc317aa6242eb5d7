"""The dashboard's HTTP server: static page, server-sent events, ``/snapshot`` and ``/metrics``. Edge.

Back-pressure design: the server holds exactly one snapshot, the latest, already encoded as an SSE
frame (a single slot the producer overwrites). :meth:`Dashboard.publish_snapshot` costs one JSON
encode and an attribute store whatever the number of clients. Each client coroutine sends the newest
frame whenever its socket has drained the previous one, so a slow client skips snapshots instead of
queueing them, its buffered bytes are bounded by the transport's high-water mark (64 KiB) plus one
frame (the kernel send buffer of an event stream is capped at 128 KiB), and it never blocks the
producer or other clients. A client that has not drained for
``client_timeout_s`` is disconnected.

Polling cost: with a ``snapshot_source`` the server builds a snapshot every ``interval_s`` only while
an event stream is connected. Without one it builds nothing; a request for ``/``, ``/snapshot`` or
:meth:`Dashboard.latest` then builds a fresh one on demand when the last is older than
``interval_s``. ``/metrics`` reads the registry directly and is always current.
"""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import msgspec

from hftsim.core.errors import ConfigError
from hftsim.monitor.dashboard._http import MAX_HEAD_BYTES, BadRequest, read_request, response
from hftsim.monitor.metrics import MetricsRegistry

__all__ = ["Dashboard"]

_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
}
_SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
    b"X-Accel-Buffering: no\r\nConnection: keep-alive\r\n\r\nretry: 1000\n\n"
)
_SNAPSHOT_MARK = b"/*SNAPSHOT*/null"
_HIGH_WATER_BYTES = 64 * 1024
_SNDBUF_BYTES = 128 * 1024


def _static(name: str) -> bytes:
    return (resources.files("hftsim.monitor.dashboard") / "static" / name).read_bytes()


class Dashboard:
    """A live web dashboard of a registry.

    Args:
        registry: the metrics (served as Prometheus text on ``/metrics``).
        snapshot_source: a callable returning the next snapshot dict (e.g. a
            :class:`~hftsim.monitor.dashboard.snapshot.SnapshotBuilder`), polled every ``interval_s``;
            None when the producer calls :meth:`publish_snapshot` itself.
        host: address to bind (keep the default 127.0.0.1 unless the page must be reachable).
        port: TCP port; 0 picks a free one (read :attr:`port` after :meth:`start`).
        interval_s: polling period of ``snapshot_source`` (the push rate of the page).
        max_clients: connections beyond this get 503.
        client_timeout_s: a client whose socket has not drained for this long is dropped.
        header_timeout_s: time allowed to send a request head.
    """

    def __init__(
        self,
        registry: MetricsRegistry,
        snapshot_source: Callable[[], dict[str, Any] | None] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        interval_s: float = 0.25,
        max_clients: int = 64,
        client_timeout_s: float = 10.0,
        header_timeout_s: float = 5.0,
    ) -> None:
        if interval_s <= 0:
            raise ConfigError(f"dashboard interval_s must be > 0, got {interval_s}")
        self.registry = registry
        self._source = snapshot_source
        self.host, self.port = host, port
        self._interval_s = interval_s
        self._max_clients = max_clients
        self._client_timeout_s = client_timeout_s
        self._header_timeout_s = header_timeout_s
        self._encoder = msgspec.json.Encoder()
        self._slot: tuple[int, bytes, bytes] = (0, b"", b"null")  # (seq, SSE frame, JSON)
        self._seq = 0
        self._built_at = -math.inf  # monotonic time of the last snapshot taken from the source
        self._lock = threading.Lock()  # publish_snapshot may be called from another thread
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._server: asyncio.base_events.Server | None = None
        self._poller: asyncio.Task[None] | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._streams: set[asyncio.StreamWriter] = set()
        self._is_stopping = False
        self._files = {path: (_static(name), kind) for path, (name, kind) in _STATIC.items()}
        #: counters of the server itself (also handy in tests)
        self.stats = {"frames_sent": 0, "clients_dropped": 0, "bad_requests": 0, "published": 0}

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """``http://host:port/`` once started."""
        return f"http://{self.host}:{self.port}/"

    @property
    def clients(self) -> int:
        """Open connections."""
        return len(self._clients)

    @property
    def streams(self) -> int:
        """Open event streams (``/events`` clients)."""
        return len(self._streams)

    def buffered_bytes(self) -> list[int]:
        """Bytes waiting in each event-stream connection's transport buffer (bounded per client)."""
        return [w.transport.get_write_buffer_size() for w in list(self._streams)]

    async def start(self) -> None:
        """Bind and start serving (and polling ``snapshot_source``)."""
        self._is_stopping = False
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._changed = asyncio.Event()
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, limit=MAX_HEAD_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self._source is not None:
            self._poll_once()
            self._poller = self._loop.create_task(self._poll(), name="dashboard-poll")

    async def stop(self) -> None:
        """Stop polling, close every connection and the listening socket."""
        self._is_stopping = True
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._server is not None:
            self._server.close()
        if self._changed is not None:
            self._wake()  # release every stream waiting for a snapshot; each sees _is_stopping and leaves
        while self._clients:  # a connection accepted meanwhile adds a task: loop until none is left
            clients = list(self._clients)
            for task in clients:
                task.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Dashboard:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ producer side

    def publish_snapshot(self, snapshot: dict[str, Any]) -> int:
        """Make ``snapshot`` the one the page shows next; return its sequence number.

        O(1) in the number of clients; safe to call from any thread. The dict gains a ``seq`` key
        in the published copy (the caller's dict is not changed).
        """
        with self._lock:
            self._seq += 1
            seq = self._seq
            body = self._encoder.encode({**snapshot, "seq": seq})
            self._slot = (seq, b"data: " + body + b"\n\n", body)
            self.stats["published"] += 1
        loop = self._loop
        if loop is not None and self._changed is not None:
            if threading.get_ident() == self._loop_thread:
                self._wake()
            else:
                loop.call_soon_threadsafe(self._wake)
        return seq

    def latest(self) -> dict[str, Any] | None:
        """The current snapshot, decoded (None before the first).

        With a snapshot source, a snapshot older than ``interval_s`` (polling pauses while no event
        stream is connected) is rebuilt first: on the event loop's thread directly; called from
        another thread, the loop builds it and this call waits for it (up to 5 s).
        """
        if self._is_stale():
            loop = self._loop
            if threading.get_ident() == self._loop_thread:
                self._poll_safely()
            elif loop is not None and loop.is_running():
                asyncio.run_coroutine_threadsafe(self._refresh(), loop).result(5.0)
        return msgspec.json.decode(self._slot[2])

    def _is_stale(self) -> bool:
        return self._source is not None and time.monotonic() - self._built_at >= self._interval_s

    async def _refresh(self) -> None:
        if self._is_stale():
            self._poll_safely()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        assert changed is not None
        changed.set()

    def _poll_once(self) -> None:
        assert self._source is not None
        self._built_at = time.monotonic()
        snapshot = self._source()
        if snapshot is not None:
            self.publish_snapshot(snapshot)

    def _poll_safely(self) -> None:
        try:
            self._poll_once()
        except Exception as e:  # noqa: BLE001 - the outermost loop of an edge keeps serving
            self.publish_snapshot({"error": f"snapshot source failed: {type(e).__name__}: {e}"})

    async def _poll(self) -> None:
        assert self._loop is not None
        next_at = self._loop.time()
        while True:
            next_at += self._interval_s
            await asyncio.sleep(max(0.0, next_at - self._loop.time()))
            if self._streams:  # nobody watching: build nothing (on demand in _route and latest)
                self._poll_safely()

    # ------------------------------------------------------------ connections

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._is_stopping:
            writer.close()
            return
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._clients.add(task)
        task.add_done_callback(self._clients.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if len(self._clients) > self._max_clients:
                writer.write(response(503, b"too many clients\n"))
                return
            try:
                request = await read_request(reader, self._header_timeout_s)
            except BadRequest as e:
                self.stats["bad_requests"] += 1
                writer.write(response(e.status, f"{e}\n".encode()))
                return
            if request is None:
                return
            if request.path == "/events" and request.method == "GET":
                await self._stream(writer)
                return
            writer.write(self._route(request.path, request.method == "HEAD"))
            await asyncio.wait_for(writer.drain(), self._client_timeout_s)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _route(self, path: str, is_head: bool) -> bytes:
        if path in ("/", "/index.html", "/snapshot") and self._is_stale():
            self._poll_safely()
        if path in self._files:
            body, kind = self._files[path]
            if body.find(_SNAPSHOT_MARK) >= 0:
                inline = self._slot[2].replace(b"</", b"<\\/")
                body = body.replace(_SNAPSHOT_MARK, inline)
            return response(200, body, kind, is_head)
        if path == "/snapshot":
            return response(200, self._slot[2], "application/json", is_head)
        if path == "/metrics":
            return self._metrics(is_head)
        if path == "/healthz":
            return response(200, b"ok\n", is_head=is_head)
        return response(404, b"not found\n", is_head=is_head)

    def _metrics(self, is_head: bool) -> bytes:
        from hftsim.monitor.prometheus import render_text

        try:
            body = render_text(self.registry)
        except ConfigError as e:
            return response(503, f"{e}\n".encode(), is_head=is_head)
        return response(200, body, "text/plain; version=0.0.4; charset=utf-8", is_head)

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        """Send the newest frame whenever the socket has room; skip the ones overwritten meanwhile."""
        sock = writer.get_extra_info("socket")
        if sock is not None:  # bound the kernel's share of a stuck client's backlog too
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SNDBUF_BYTES)
        writer.transport.set_write_buffer_limits(high=_HIGH_WATER_BYTES)
        writer.write(_SSE_HEAD)
        self._streams.add(writer)
        if self._is_stale():  # polling may have paused while nobody watched
            self._poll_safely()
        try:
            await self._send_newest(writer)
        finally:
            self._streams.discard(writer)

    async def _send_newest(self, writer: asyncio.StreamWriter) -> None:
        # The loop checks _is_stopping rather than relying on cancellation alone: Python 3.11's
        # wait_for() swallows a cancel that races with its inner future completing.
        sent = -1
        while not self._is_stopping:
            changed = self._changed
            assert changed is not None
            seq, frame, _ = self._slot
            if seq == sent or not frame:
                try:
                    await asyncio.wait_for(changed.wait(), 15.0)
                except TimeoutError:
                    writer.write(b": keep-alive\n\n")
                    await self._drain(writer)
                continue
            writer.write(frame)
            sent = seq
            await self._drain(writer)
            self.stats["frames_sent"] += 1

    async def _drain(self, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(writer.drain(), self._client_timeout_s)
        except TimeoutError:
            self.stats["clients_dropped"] += 1
            writer.transport.abort()
            raise
