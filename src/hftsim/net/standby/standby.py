"""The hot standby: follow a primary's journal stream, and take over when it falls silent. Edge.

The standby connects to the primary's replication port, says where it is (:class:`Hello`), and
receives every journal record and session-log byte after that point, catch-up first, then live. For
each :class:`Records` message it appends the session-log bytes and the records to its own files,
fsyncs both, acknowledges, then applies the records to its gateway replica (engine, ClOrdID tables,
session sequence numbers, stored reports). A :class:`Digest` from the primary is checked against the
replica's engine at the same seq; a mismatch is logged and counted (never silently divergent).

Takeover (:meth:`Standby.take_over`) happens only when the primary has been silent for the whole
heartbeat timeout *and* the primary had declared this standby synchronous (so it holds every
acknowledged command). It raises the fence to a new epoch, persists the epoch, reopens the directory
as a :class:`~hftsim.journal.JournaledVenue` (whose digest must equal the replica's), attaches the
gateway and starts a :class:`~hftsim.net.standby.primary.PrimaryServer` on this node's FIX port.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.errors import ProtocolError
from hftsim.journal import FsyncPolicy, JournaledVenue, JournalWriter
from hftsim.journal.checkpoint import RetentionPolicy, apply_retention, read_manifest, write_checkpoint
from hftsim.net.standby.epoch import EpochFile, FenceFile, may_take_over, next_epoch, standby_accepts_primary
from hftsim.net.standby.primary import PrimaryServer, write_status
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
from hftsim.net.standby.replica import open_replica
from hftsim.net.venue.clock import WallClock
from hftsim.net.venue.config import VenueConfig
from hftsim.net.venue.sessionlog import SessionLog, decode_notes

__all__ = ["Standby"]

log = logging.getLogger("hftsim.failover")


class _Link(asyncio.Protocol):
    def __init__(self, standby: Standby) -> None:
        self.standby = standby
        self.decoder = FrameDecoder()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.decoder.feed(data)
        except ProtocolError as e:
            log.error("replication stream: %s; reconnecting", e)
            self.transport.abort()
            return
        for msg in messages:
            self.standby._on_message(self, msg)

    def connection_lost(self, exc: Exception | None) -> None:
        self.standby._on_lost(self)

    def send(self, msg) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(msg))


def is_self_connected(transport: asyncio.BaseTransport | None) -> bool:
    """True when a TCP connection's local and remote addresses are the same (it reached itself)."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return False
    try:
        return sock.getsockname() == sock.getpeername()
    except OSError:
        return False


class Standby:
    """A hot standby of the primary at ``config.replication.standby_of`` (module docstring).

    Args:
        config: the venue configuration (same instruments and sessions as the primary's).
        publisher: the market-data publisher to use after takeover (fed during replay, started then).
        dashboard_port: the dashboard's port after takeover (None: no dashboard).
        node: a name for log lines.
    """

    def __init__(
        self, config: VenueConfig, publisher=None, node: str | None = None, dashboard_port: int | None = None
    ) -> None:
        self.config = config
        self.node = node or f"standby-{os.getpid()}"
        self.directory = Path(config.journal.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        repl = config.replication
        host, _, port = repl.standby_of.rpartition(":")
        self.primary_address = (host, int(port))
        self.heartbeat_s = repl.heartbeat_interval_ms / 1000
        self.timeout_s = repl.heartbeat_timeout_ms / 1000
        self.lag_warning = repl.lag_warning_records
        self.status_path = Path(repl.status_file) if repl.status_file else self.directory / "status.json"
        self.fence = FenceFile(repl.fence_file) if repl.fence_file else None
        self.epoch_file = EpochFile(self.directory)
        self.epoch = self.epoch_file.read()
        self.publisher = publisher
        self.dashboard_port = dashboard_port
        self.clock = WallClock()
        self.replica = open_replica(config, self.directory, self.clock, publisher, epoch=self.epoch)
        self.gateway = self.replica.gateway
        self.pending = self.replica.pending
        self.session_log = SessionLog(self.directory)
        self.writer: JournalWriter | None = None
        if self.replica.manifest is not None:
            self._open_writer(self.replica.manifest.run_seed)
        self.primary_epoch = 0
        self.primary_last_seq = 0
        self.is_sync = False
        self.is_connected = False
        self.last_heard = time.monotonic()
        self.digest_checks = 0
        self.digest_mismatches = 0
        self.checkpoint_every = config.journal.checkpoint_every
        self.checkpoints_written = 0
        self.refused = ""
        self.primary: PrimaryServer | None = None
        self.takeover_ms = 0.0
        self._link: _Link | None = None
        self._done: asyncio.Event | None = None
        self._lag_reported = False
        self.exit_code = 0

    def _open_writer(self, run_seed: int) -> None:
        self.writer = JournalWriter(
            self.directory / "journal", run_seed, FsyncPolicy.EVERY_BATCH, first_seq=self.gateway.last_seq + 1
        )

    # ------------------------------------------------------------ replication

    def _hello(self) -> Hello:
        last_record = b""
        if self.gateway.last_seq > 0:
            from hftsim.journal import JournalReader

            self.writer.flush()
            batch = next(
                JournalReader(self.directory / "journal").iter_batches(
                    from_seq=self.gateway.last_seq, max_records=1
                )
            )
            last_record = batch[:1].tobytes()
        return Hello(
            epoch=self.epoch,
            node=self.node,
            last_seq=self.gateway.last_seq,
            notes_offset=self.session_log.size,
            last_record=last_record,
        )

    def _on_message(self, link: _Link, msg) -> None:
        self.last_heard = time.monotonic()
        if not standby_accepts_primary(self.epoch, msg.epoch):
            reason = f"primary epoch {msg.epoch} is below this standby's epoch {self.epoch}: stale primary"
            log.error("refusing primary: %s", reason)
            link.send(Refuse(epoch=self.epoch, reason=reason))
            link.transport.close()
            return
        if msg.epoch > self.epoch:
            self.epoch = msg.epoch
            self.epoch_file.write(self.epoch)
        self.primary_epoch = msg.epoch
        if isinstance(msg, Records):
            self._on_records(link, msg)
        elif isinstance(msg, Heartbeat):
            self.primary_last_seq = max(self.primary_last_seq, msg.last_seq)
            self._set_sync(msg.is_sync)
        elif isinstance(msg, Digest):
            self._on_digest(msg)
        elif isinstance(msg, Welcome):
            self._on_welcome(msg)
        elif isinstance(msg, Refuse):
            self.refused = msg.reason
            log.error("primary refused this standby: %s", msg.reason)
            self.exit_code = 4
            self._done.set()

    def _on_welcome(self, msg: Welcome) -> None:
        # a primary answered: eligible to take over again only once it says this standby caught up
        self.is_sync = False
        self.primary_last_seq = msg.primary_last_seq
        if self.writer is None:
            tmp = self.directory / "venue.json.tmp"
            tmp.write_bytes(msg.manifest)
            os.replace(tmp, self.directory / "venue.json")
            self._open_writer(read_manifest(self.directory).run_seed)
        log.info(
            "following primary epoch %d: at seq %d, primary at %d",
            msg.epoch,
            self.gateway.last_seq,
            msg.primary_last_seq,
        )

    def _on_records(self, link: _Link, msg: Records) -> None:
        if msg.notes:
            if msg.notes_offset != self.session_log.size:
                raise ProtocolError(f"notes at offset {msg.notes_offset}, expected {self.session_log.size}")
            self.session_log.append_bytes(msg.notes)
            notes, _ = decode_notes(msg.notes)
            self.gateway.apply_notes(notes, self.pending)
        records = np.frombuffer(msg.records, dtype=COMMAND_DTYPE)
        if records.shape[0]:
            self.writer.append_batch(records)
        self.session_log.sync()
        last = self.gateway.last_seq + records.shape[0]
        link.send(Ack(epoch=self.epoch, seq=last, notes_offset=self.session_log.size))
        self._set_sync(msg.is_sync)
        self.primary_last_seq = max(self.primary_last_seq, last)
        if records.shape[0]:
            before = self.gateway.last_seq
            self.gateway.apply_records(records, self.pending)
            every = self.checkpoint_every
            if every and self.gateway.last_seq // every != before // every:
                self._checkpoint()
        self._report_lag()

    def _set_sync(self, is_sync: bool) -> None:
        if is_sync and not self.is_sync:
            log.info("standby synchronous at seq %d (eligible to take over)", self.gateway.last_seq)
        self.is_sync = self.is_sync or is_sync

    def _on_digest(self, msg: Digest) -> None:
        if msg.seq != self.gateway.last_seq:
            return
        digest = self.gateway.engine.digest()
        if digest == msg.digest:
            self.digest_checks += 1
        else:
            self.digest_mismatches += 1
            log.error("DIGEST MISMATCH at seq %d: primary %s, standby %s", msg.seq, msg.digest, digest)

    def _checkpoint(self) -> None:
        run_seed = read_manifest(self.directory).run_seed
        extra = {"gateway": self.gateway.snapshot_state()}
        write_checkpoint(
            self.directory / "checkpoints", self.gateway.last_seq, run_seed, self.gateway.engine, extra
        )
        apply_retention(self.directory / "checkpoints", RetentionPolicy(keep_last=2))
        self.checkpoints_written += 1

    def _report_lag(self) -> None:
        lag = self.primary_last_seq - self.gateway.last_seq
        if lag > self.lag_warning and not self._lag_reported:
            self._lag_reported = True
            log.warning("standby behind the primary by %d records", lag)
        elif lag <= self.lag_warning and self._lag_reported:
            self._lag_reported = False
            log.info("standby caught up (lag %d records)", lag)

    def _on_lost(self, link: _Link) -> None:
        if self._link is link:
            self._link = None
            self.is_connected = False
            log.warning("replication link to the primary lost at seq %d", self.gateway.last_seq)

    # ------------------------------------------------------------ main loop

    def status(self) -> dict:
        """Role, epoch, seqs, lag and checks."""
        lag = self.primary_last_seq - self.gateway.last_seq
        return {
            "role": "standby",
            "pid": os.getpid(),
            "node": self.node,
            "epoch": self.epoch,
            "last_seq": self.gateway.last_seq,
            "primary_last_seq": self.primary_last_seq,
            "lag_records": lag,
            "is_behind": lag > self.lag_warning,
            "is_sync": self.is_sync,
            "is_connected": self.is_connected,
            "digest_checks": self.digest_checks,
            "digest_mismatches": self.digest_mismatches,
            "checkpoints_written": self.checkpoints_written,
            "started_from_checkpoint_seq": self.replica.checkpoint_seq,
            "refused": self.refused,
        }

    async def run(self) -> int:
        """Follow the primary until takeover (then serve as primary) or refusal; return an exit code."""
        loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        self.last_heard = time.monotonic()
        reconnect = loop.create_task(self._connect_loop())
        status = loop.create_task(self._status_loop())
        await self._done.wait()
        reconnect.cancel()
        status.cancel()
        if self.primary is None:
            write_status(self.status_path, self.status())
            self.close()
            return self.exit_code
        await self.primary._stopped.wait()
        await self.primary.stop()
        return self.primary.exit_code

    async def _connect_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_tick = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last_tick >= self.timeout_s:
                # this process was stalled (SIGSTOP, swapping): the silence was ours, not the primary's
                log.warning(
                    "standby stalled for %.0f ms; not counting it against the primary",
                    (now - last_tick) * 1e3,
                )
                self.last_heard = now
            last_tick = now
            if self._link is None:
                try:
                    _, link = await asyncio.wait_for(
                        loop.create_connection(lambda: _Link(self), *self.primary_address), self.timeout_s
                    )
                except (OSError, TimeoutError):
                    pass
                else:
                    if is_self_connected(link.transport):
                        # the primary is gone and this connect to its (ephemeral) port picked that
                        # same port as its source: TCP simultaneous open, a link to ourselves that
                        # would echo our own heartbeats and hide the primary's silence
                        link.transport.abort()
                    else:
                        self._link = link
                        self.is_connected = True
                        link.send(self._hello())
            elif self._link.transport is not None:
                self._link.send(Heartbeat(epoch=self.epoch, last_seq=self.gateway.last_seq))
            silent = time.monotonic() - self.last_heard
            if silent >= self.timeout_s:
                if may_take_over(
                    is_sync=self.is_sync, silent_ns=int(silent * 1e9), timeout_ns=int(self.timeout_s * 1e9)
                ):
                    if self._link is not None and self._link.transport is not None:
                        self._link.transport.abort()
                    await self.take_over(silent)
                    self._done.set()
                    return
                if not self._lag_reported:
                    log.error(
                        "primary silent for %.0f ms but this standby is not synchronous: not taking over",
                        silent * 1e3,
                    )
                    self._lag_reported = True
            await asyncio.sleep(self.heartbeat_s / 2)

    async def _status_loop(self) -> None:
        while True:
            write_status(self.status_path, self.status())
            await asyncio.sleep(0.2)

    async def take_over(self, silent_s: float = 0.0) -> PrimaryServer:
        """Become the primary: new epoch, fence, reopen the journal, serve (module docstring)."""
        started = time.monotonic()
        fence_epoch = self.fence.read() if self.fence else 0
        epoch = next_epoch(self.epoch, self.primary_epoch, fence_epoch)
        if self.fence is not None:
            got = self.fence.advance(epoch)
            if got != epoch:
                raise ProtocolError(f"takeover lost the race: fence at epoch {got}, wanted {epoch}")
        self.epoch_file.write(epoch)
        self.epoch = epoch
        log.warning(
            "primary silent for %.0f ms: taking over with epoch %d at seq %d",
            silent_s * 1e3,
            epoch,
            self.gateway.last_seq,
        )
        self.writer.close()
        self.writer = None
        venue = JournaledVenue(
            self.directory,
            self.clock.now_ns,
            mode=_group_commit(),
            group_records=1 << 16,
            fsync_policy=FsyncPolicy.EVERY_BATCH,
        )
        self.gateway.epoch = epoch
        self.gateway.attach(venue, self.session_log)
        self.primary = PrimaryServer(
            self.config,
            gateway=self.gateway,
            store=self.replica.store,
            venue=venue,
            session_log=self.session_log,
            epoch=epoch,
            fence=self.fence,
            publisher=self.publisher,
            dashboard_port=self.dashboard_port,
            status_extra={"took_over_at_seq": venue.last_seq, "takeover_digest": venue.digest(),
                          "digest_checks": self.digest_checks, "digest_mismatches": self.digest_mismatches},
        )  # fmt: skip
        await self.primary.start()
        loop = asyncio.get_running_loop()
        for sig in (15, 2):
            loop.add_signal_handler(sig, self.primary._stopped.set)
        self.takeover_ms = (time.monotonic() - started) * 1e3
        self.primary.status_extra["takeover_ms"] = round(self.takeover_ms, 1)
        log.warning(
            "takeover complete in %.1f ms (epoch %d, seq %d)", self.takeover_ms, epoch, venue.last_seq
        )
        return self.primary

    def close(self) -> None:
        """Close the journal writer and the session log."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.session_log.close()


def _group_commit():
    from hftsim.journal import AckMode

    return AckMode.GROUP_COMMIT
