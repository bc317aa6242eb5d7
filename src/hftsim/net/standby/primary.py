"""The journaled primary: a VenueServer that journals, replicates to its standby and holds output
until it is safe to release. Edge.

After every drain (one event-loop tick of commands) the primary:

1. stages Reservation notes for sessions near their outbound MsgSeqNum limit;
2. writes the session notes (they must reach the file before the journal records they describe),
   commits the journal batch and waits for the fsync (one fsync per drain: group commit);
3. in durable mode fsyncs the session log too;
4. checks the fence: a higher epoch there means another node took over, so it steps down instead;
5. ships the new records and notes to the standby link;
6. releases the drain's output, or, in durable mode with a synchronous standby, cuts it into a held
   batch released when the standby acknowledges the batch's seq and notes offset.

Stepping down (a higher epoch seen, or in durable mode the synchronous standby unreachable for the
heartbeat timeout) aborts every FIX connection without writing what is held, and stops the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from pathlib import Path
from time import perf_counter_ns

import msgspec

from hftsim.core.errors import ProtocolError
from hftsim.journal import JournaledVenue
from hftsim.journal.checkpoint import _JournalTail
from hftsim.net.standby.epoch import FenceFile, primary_must_step_down
from hftsim.net.standby.protocol import (
    Ack,
    Digest,
    FrameDecoder,
    Heartbeat,
    Hello,
    Records,
    Refuse,
    Welcome,
    encode_frame,
)
from hftsim.net.venue.journaled import JournaledGateway
from hftsim.net.venue.server import VenueServer
from hftsim.net.venue.sessionlog import SessionLog

__all__ = ["PrimaryServer", "status_of", "write_status"]

log = logging.getLogger("hftsim.failover")
_MAX_RECORDS_PER_FRAME = 32768
_DIGEST_INTERVAL_S = 1.0
_STEP_DOWN_EXIT = 3


def write_status(path: Path, status: dict) -> None:
    """Write the status JSON atomically (no fsync: it is for observers)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(status, sort_keys=True))
    os.replace(tmp, path)


class _StandbyLink(asyncio.Protocol):
    """The primary's end of one standby's replication connection."""

    def __init__(self, primary: PrimaryServer) -> None:
        self.primary = primary
        self.transport: asyncio.Transport | None = None
        self.decoder = FrameDecoder()
        self.node = "?"
        self.tail: _JournalTail | None = None
        self.notes_sent = 0
        self.acked_seq = -1
        self.acked_notes = -1
        self.shipped_seq = 0
        self.is_sync = False
        self.is_welcomed = False
        self.last_heard = time.monotonic()

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.last_heard = time.monotonic()
        try:
            messages = self.decoder.feed(data)
        except ProtocolError as e:
            log.error("replication from %s: %s; dropping the link", self.node, e)
            self.transport.abort()
            return
        for msg in messages:
            self.primary._on_link_message(self, msg)

    def connection_lost(self, exc: Exception | None) -> None:
        self.primary._on_link_lost(self)

    def send(self, msg) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(msg))


class PrimaryServer(VenueServer):
    """A journaled, replicated VenueServer (module docstring).

    Args:
        config: the venue configuration (``journal`` and ``replication`` sections used).
        gateway: a JournaledGateway attached to ``venue``.
        store: its session states.
        venue: the journaled venue.
        session_log: the session log of the venue directory.
        epoch: this primary's epoch.
        fence: the shared fence file, or None.
        publisher: market-data publisher or None.
        started_ns: when this node started (for the takeover figure in the status).
        dashboard_port: serve the dashboard and Prometheus ``/metrics`` (see VenueServer); the
            replication backlog is the gauge ``queue_backlog_messages{queue="replication"}``.
    """

    drains_inline = False  # a tick's commands are journaled (and replicated) together before release

    def __init__(
        self,
        config,
        *,
        gateway: JournaledGateway,
        store,
        venue: JournaledVenue,
        session_log: SessionLog,
        epoch: int,
        fence: FenceFile | None,
        publisher=None,
        status_extra: dict | None = None,
        dashboard_port: int | None = None,
    ) -> None:
        super().__init__(config, publisher, gateway=gateway, store=store, dashboard_port=dashboard_port)
        self.venue = venue
        self.session_log = session_log
        self.epoch = epoch
        self.fence = fence
        self.is_durable = config.journal.durable
        repl = config.replication
        self.heartbeat_s = repl.heartbeat_interval_ms / 1000
        self.timeout_s = repl.heartbeat_timeout_ms / 1000
        self.lag_warning = repl.lag_warning_records
        self.directory = Path(config.journal.directory)
        self.status_path = Path(repl.status_file) if repl.status_file else self.directory / "status.json"
        self.status_extra = dict(status_extra or {})
        self.link: _StandbyLink | None = None
        self.held: deque = deque()
        self.step_down_reason = ""
        self.exit_code = 0
        self.repl_port = 0
        self._repl_server = None
        self._standby_lost_at: float | None = None
        self._lag_reported = False
        self._last_digest = 0.0
        self._tasks: list[asyncio.Task] = []
        self.metrics["held_batches_max"] = 0
        self._journal_stage = self.consumers.metrics.stages["journal"].record
        # Replication is one ordered stream per standby, shipped from the journal at each drain: not
        # an autoscaled queue (one consumer by nature; a lagging synchronous standby holds the
        # acknowledgements instead), but its backlog is exported beside the queues'.
        self.consumers.registry.gauge(
            "queue_backlog_messages",
            "messages waiting in a queue",
            {"queue": "replication"},
            lambda: self.venue.last_seq - self.link.acked_seq if self.link is not None else 0,
        )

    # ------------------------------------------------------------ sequencing and release

    def _drain(self) -> None:
        if self.step_down_reason:
            self._queue.clear()
            self._drain_handle = None
            return
        super()._drain()

    def _after_drain(self) -> None:
        venue, notes, gateway = self.venue, self.session_log, self.gateway
        t0 = perf_counter_ns()
        gateway.reserve()
        notes.write()
        venue.commit()
        if not venue.wait_durable(venue.last_seq, 10.0):
            self._step_down(f"journal not durable up to seq {venue.last_seq} within 10 s")
            return
        if self.is_durable:
            notes.sync()
        self._journal_stage(perf_counter_ns() - t0)  # the journal stage: one sample per drain
        if self._is_fenced():
            return
        link = self.link
        if link is not None and link.is_welcomed:
            self._ship(link)
        if self.held or self._must_wait():
            self._cut(venue.last_seq, notes.size)
            self._release()
        else:
            for conn in list(self.connections):
                conn.flush()

    def _must_wait(self) -> bool:
        """Durable mode: output waits for the synchronous standby (or for one to replace it)."""
        link = self.link
        return self.is_durable and (self._standby_lost_at is not None or (link is not None and link.is_sync))

    def _cut(self, seq: int, notes_size: int) -> None:
        out = []
        for conn in self.connections:
            data = conn.session.take_output()
            if data:
                out.append((conn, data))
        if out or self.held:
            self.held.append((seq, notes_size, out))
            self.is_holding = True
            self.metrics["held_batches_max"] = max(self.metrics["held_batches_max"], len(self.held))

    def _release(self) -> None:
        link = self.link
        is_waiting = self._must_wait()
        held = self.held
        while held:
            seq, notes_size, out = held[0]
            if is_waiting and (
                link is None or not link.is_sync or link.acked_seq < seq or link.acked_notes < notes_size
            ):
                break
            held.popleft()
            for conn, data in out:
                if conn.transport is not None and not conn.transport.is_closing():
                    conn.transport.write(data)
        if not held and self.is_holding:
            self.is_holding = False
            for conn in list(self.connections):
                conn.flush()

    def _is_fenced(self) -> bool:
        if self.fence is not None and primary_must_step_down(self.epoch, self.fence.read()):
            self._step_down(f"fence file holds epoch {self.fence.read()} > own epoch {self.epoch}")
            return True
        return False

    def _step_down(self, reason: str) -> None:
        if self.step_down_reason:
            return
        self.step_down_reason = reason
        self.exit_code = _STEP_DOWN_EXIT
        log.error(
            "primary epoch %d stepping down: %s (held batches dropped: %d)",
            self.epoch,
            reason,
            len(self.held),
        )
        self.held.clear()
        self.is_holding = True  # nothing more leaves
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self.link is not None and self.link.transport is not None:
            self.link.transport.abort()
        self.write_status()
        self.request_stop()

    # ------------------------------------------------------------ replication

    def _ship(self, link: _StandbyLink) -> None:
        records = link.tail.poll()
        notes = self.session_log.read_from(link.notes_sent)
        first = 0
        n = records.shape[0]
        while True:
            chunk = records[first : first + _MAX_RECORDS_PER_FRAME]
            chunk_notes = notes if first + _MAX_RECORDS_PER_FRAME >= n else b""
            if not chunk.shape[0] and not chunk_notes:
                break
            link.send(
                Records(
                    epoch=self.epoch,
                    first_seq=int(chunk["seq"][0]) if chunk.shape[0] else link.shipped_seq + 1,
                    records=chunk.tobytes(),
                    notes_offset=link.notes_sent,
                    notes=chunk_notes,
                    is_sync=link.is_sync,
                )
            )
            if chunk.shape[0]:
                link.shipped_seq = int(chunk["seq"][-1])
            if chunk_notes:
                link.notes_sent += len(chunk_notes)
            first += _MAX_RECORDS_PER_FRAME
            if first >= n:
                break

    def _on_link_message(self, link: _StandbyLink, msg) -> None:
        if primary_must_step_down(self.epoch, msg.epoch):
            self._step_down(f"standby {link.node} has epoch {msg.epoch} > own epoch {self.epoch}")
            return
        if isinstance(msg, Ack):
            link.acked_seq, link.acked_notes = msg.seq, msg.notes_offset
            self._check_sync(link)
            self._release()
        elif isinstance(msg, Hello):
            self._on_hello(link, msg)
        elif isinstance(msg, Refuse):
            log.error("standby %s refused: %s", link.node, msg.reason)
            link.transport.close()

    def _on_hello(self, link: _StandbyLink, hello: Hello) -> None:
        link.node = hello.node
        reason = self._hello_problem(hello)
        if reason:
            log.error("refusing standby %s: %s", hello.node, reason)
            link.send(Refuse(epoch=self.epoch, reason=reason))
            link.transport.close()
            return
        if self.link is not None and self.link is not link and self.link.transport is not None:
            log.warning("standby %s replaces standby %s", hello.node, self.link.node)
            self.link.transport.abort()
        self.link = link
        manifest = (self.directory / "venue.json").read_bytes()
        link.send(Welcome(epoch=self.epoch, manifest=manifest, primary_last_seq=self.venue.last_seq))
        link.tail = _JournalTail(self.directory / "journal", hello.last_seq + 1)
        link.notes_sent = hello.notes_offset
        link.shipped_seq = hello.last_seq
        link.acked_seq, link.acked_notes = hello.last_seq, hello.notes_offset
        link.is_welcomed = True
        log.info(
            "standby %s attached at seq %d (primary at %d): catching up",
            hello.node,
            hello.last_seq,
            self.venue.last_seq,
        )
        self._ship(link)

    def _hello_problem(self, hello: Hello) -> str:
        if hello.last_seq > self.venue.last_seq or hello.notes_offset > self.session_log.size:
            return (
                f"standby is ahead (seq {hello.last_seq}, notes {hello.notes_offset}) of the primary "
                f"(seq {self.venue.last_seq}, notes {self.session_log.size}): divergent; "
                "start it from an empty directory"
            )
        if hello.last_seq > 0:
            from hftsim.journal import JournalReader

            batch = next(
                JournalReader(self.directory / "journal").iter_batches(from_seq=hello.last_seq, max_records=1)
            )
            if batch[:1].tobytes() != hello.last_record:
                return (
                    f"standby's record at seq {hello.last_seq} differs from the primary's: divergent journal"
                )
        prefix = self.session_log.read_from(0)[: hello.notes_offset] if hello.notes_offset else b""
        if hello.notes_offset and len(prefix) != hello.notes_offset:
            return "standby's session log is longer than the primary's"
        return ""

    def _check_sync(self, link: _StandbyLink) -> None:
        if (
            not link.is_sync
            and link.acked_seq >= self.venue.last_seq
            and link.acked_notes >= self.session_log.size
        ):
            link.is_sync = True
            self._standby_lost_at = None
            log.info("standby %s synchronous at seq %d", link.node, link.acked_seq)
            link.send(Heartbeat(epoch=self.epoch, last_seq=self.venue.last_seq, is_sync=True))

    def _on_link_lost(self, link: _StandbyLink) -> None:
        if self.link is not link:
            return
        self.link = None
        if link.is_sync:
            log.warning("synchronous standby %s lost at seq %d", link.node, link.acked_seq)
            if self.is_durable:
                self._standby_lost_at = time.monotonic()
        self._release()

    # ------------------------------------------------------------ timers and status

    async def _replication_timer(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            now = time.monotonic()
            if self._is_fenced():
                return
            link = self.link
            if link is not None:
                link.send(Heartbeat(epoch=self.epoch, last_seq=self.venue.last_seq, is_sync=link.is_sync))
                if now - link.last_heard >= self.timeout_s:
                    log.warning("standby %s silent for %.0f ms", link.node, (now - link.last_heard) * 1e3)
                    link.transport.abort()
                else:
                    self._report_lag(link)
                    if link.is_sync and now - self._last_digest >= _DIGEST_INTERVAL_S:
                        self._last_digest = now
                        link.send(
                            Digest(epoch=self.epoch, seq=self.venue.last_seq, digest=self.venue.digest())
                        )
            if self._standby_lost_at is not None and now - self._standby_lost_at >= self.timeout_s:
                self._step_down(
                    f"durable mode and the synchronous standby unreachable for {self.timeout_s * 1e3:.0f} ms"
                )
                return
            if self.gateway.reserve():
                self._after_drain()

    def _report_lag(self, link: _StandbyLink) -> None:
        lag = self.venue.last_seq - link.acked_seq
        if lag > self.lag_warning and not self._lag_reported:
            self._lag_reported = True
            log.warning(
                "standby %s is behind by %d records (acked %d, primary %d)",
                link.node,
                lag,
                link.acked_seq,
                self.venue.last_seq,
            )
        elif lag <= self.lag_warning and self._lag_reported:
            self._lag_reported = False
            log.info("standby %s caught up (lag %d records)", link.node, lag)

    def status(self) -> dict:
        """Role, epoch, seqs, standby lag and metrics."""
        link = self.link
        standby = None
        if link is not None:
            standby = {
                "node": link.node,
                "acked_seq": link.acked_seq,
                "lag_records": self.venue.last_seq - link.acked_seq,
                "is_sync": link.is_sync,
                "is_behind": self.venue.last_seq - link.acked_seq > self.lag_warning,
            }
        return {
            **self.status_extra,
            "role": "stepped_down" if self.step_down_reason else "primary",
            "pid": os.getpid(),
            "epoch": self.epoch,
            "last_seq": self.venue.last_seq,
            "durable_seq": self.venue.durable_seq,
            "notes_size": self.session_log.size,
            "fix_port": self.port,
            "repl_port": self.repl_port,
            "standby": standby,
            "held_batches": len(self.held),
            "step_down_reason": self.step_down_reason,
            "metrics": dict(sorted(self.metrics.items())),
        }

    def write_status(self) -> None:
        """Write :meth:`status` to the status file."""
        write_status(self.status_path, self.status())

    async def _status_timer(self) -> None:
        while True:
            self.write_status()
            await asyncio.sleep(0.2)

    # ------------------------------------------------------------ life cycle

    async def start(self) -> tuple[str, int]:
        host, port = await super().start()
        repl = self.config.replication
        loop = asyncio.get_running_loop()
        self._repl_server = await loop.create_server(
            lambda: _StandbyLink(self), repl.host, repl.port, reuse_address=True
        )
        self.repl_port = self._repl_server.sockets[0].getsockname()[1]
        self._tasks = [loop.create_task(self._replication_timer()), loop.create_task(self._status_timer())]
        log.info(
            "primary epoch %d at seq %d: FIX %s:%d, replication %s:%d, %s",
            self.epoch, self.venue.last_seq, host, port, repl.host, self.repl_port,
            "durable" if self.is_durable else "group commit",
        )  # fmt: skip
        self.write_status()
        return host, port

    async def stop(self, grace_s: float = 1.0) -> None:
        for task in self._tasks:
            task.cancel()
        if self._repl_server is not None:
            self._repl_server.close()
            if self.link is not None and self.link.transport is not None:
                self.link.transport.abort()
        if not self.step_down_reason:
            self.held.clear()  # a clean stop without the standby's ack: nothing held may leave
            self.is_holding = False
        await super().stop(grace_s)
        self.venue.close()
        self.session_log.close()
        self.write_status()


def status_of(path: str | Path) -> dict | None:
    """Read a node's status file (None while it does not exist or is being replaced)."""
    try:
        return msgspec.json.decode(Path(path).read_bytes())
    except (FileNotFoundError, msgspec.DecodeError):
        return None
