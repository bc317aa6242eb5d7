"""JournaledVenue: the sequencer in front of a MatchingEngine, journaling every command. Hot path.

Every command gets the next sequence number and a timestamp from the injected clock, is staged for
the journal, and is applied. Two acknowledgement modes:

* ``AckMode.GROUP_COMMIT`` (throughput): commands are applied at once and staged; every
  ``group_records`` commands (or on :meth:`JournaledVenue.commit`) the staged batch goes to the
  background journal writer, which fsyncs as its policy says. The caller must not release the
  events of a command to the outside world before :attr:`JournaledVenue.durable_seq` reaches its
  seq (:meth:`JournaledVenue.wait_durable`), or a crash could lose a command someone saw.
* ``AckMode.DURABLE``: a call returns only once its records are fsynced, so whatever it returns
  may be acknowledged at once. The engine applies the command while the fsync runs.

The venue directory holds ``venue.json`` (run seed, STP mode, instruments: what recovery needs to
rebuild the engine), ``journal/`` and ``checkpoints/``. Opening a directory that already holds a
venue recovers it (:func:`hftsim.journal.recovery.recover`) and continues its journal.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE, check_dtype
from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError, JournalError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import Command, Event, command_to_record, events_from_array
from hftsim.journal._background import BackgroundJournalWriter
from hftsim.journal._writer import DEFAULT_SEGMENT_BYTES, FsyncPolicy, JournalWriter
from hftsim.journal.checkpoint import (
    RetentionPolicy,
    ShadowCheckpointer,
    VenueManifest,
    apply_retention,
    read_manifest,
    write_checkpoint,
    write_manifest,
)
from hftsim.journal.recovery import CHECKPOINT_SUBDIR, JOURNAL_SUBDIR, RecoveredVenue, recover
from hftsim.matching.engine import MatchingEngine, check_instruments

__all__ = ["AckMode", "JournaledVenue"]

# COMMAND_DTYPE as a struct: seq, ts_event, order_id, client_order_id, price_ticks, qty, owner_id,
# symbol_id, kind, side, order_type, tif, post_only, 3 bytes of zero padding.
_RECORD = struct.Struct("<qqqqqqiiBbBBB3x")
assert _RECORD.size == COMMAND_DTYPE.itemsize


class AckMode(Enum):
    """When a command counts as acknowledged (see the module docstring)."""

    GROUP_COMMIT = "group_commit"
    DURABLE = "durable"


class JournaledVenue:
    """A sequencer that journals every command, then applies it to its MatchingEngine.

    Args:
        directory: the venue directory; created if missing, recovered and continued if it holds a venue.
        clock_ns: returns the time in ns stamped on each command (SimClock.now_ns, a wall clock...).
        instruments: the symbols (required for a new venue; checked against ``venue.json`` otherwise).
        run_seed: the run seed (required for a new venue; checked otherwise).
        mode: group commit or durable acknowledgement.
        stp_mode: self-trade prevention of a new venue.
        fsync_policy: the journal's fsync policy (DURABLE needs one that fsyncs).
        fsync_interval_ms: for FsyncPolicy.INTERVAL_MS.
        segment_bytes: journal segment size.
        group_records: GROUP_COMMIT hands a batch to the journal every this many commands.
        durable_timeout_s: DURABLE mode raises JournalError if an fsync takes longer.
        checkpointer: run a :class:`ShadowCheckpointer` (with this retention) beside the venue.
        checkpoint_every: request a checkpoint every this many commands (0: only on request).
        extra_state: called at each automatic checkpoint for the callers' component state.
        created_at_ns: written into journal segment headers.
        impl: engine implementation.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        clock_ns: Callable[[], int],
        instruments: Sequence[Instrument] | None = None,
        run_seed: int | None = None,
        *,
        mode: AckMode = AckMode.GROUP_COMMIT,
        stp_mode: StpMode = StpMode.CANCEL_RESTING,
        fsync_policy: FsyncPolicy = FsyncPolicy.EVERY_BATCH,
        fsync_interval_ms: float = 5.0,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        group_records: int = 1024,
        durable_timeout_s: float = 10.0,
        checkpointer: RetentionPolicy | None = None,
        checkpoint_every: int = 0,
        extra_state: Callable[[], dict] | None = None,
        created_at_ns: int = 0,
        impl: str = "fast",
    ) -> None:
        if not isinstance(mode, AckMode):
            raise ConfigError(f"venue.mode: expected an AckMode, got {mode!r}")
        if mode is AckMode.DURABLE and fsync_policy is FsyncPolicy.NEVER:
            raise ConfigError("venue.fsync_policy: AckMode.DURABLE needs a policy that fsyncs, got NEVER")
        if group_records < 1 or checkpoint_every < 0:
            raise ConfigError(
                f"venue: group_records must be >= 1 and checkpoint_every >= 0, got "
                f"{group_records} and {checkpoint_every}"
            )
        self._dir = Path(directory)
        self._clock_ns = clock_ns
        self._mode = mode
        self._durable_timeout_s = durable_timeout_s
        self.recovered: RecoveredVenue | None = None
        self._manifest, self.engine = self._open_state(instruments, run_seed, stp_mode, impl)
        self.instruments = self.engine.instruments
        self._last_seq = self.recovered.last_seq if self.recovered else self._manifest.first_seq - 1
        writer = JournalWriter(
            self._dir / JOURNAL_SUBDIR,
            self._manifest.run_seed,
            fsync_policy,
            fsync_interval_ms=fsync_interval_ms,
            segment_bytes=segment_bytes,
            first_seq=self._last_seq + 1,
            created_at_ns=created_at_ns,
        )
        if writer.next_seq != self._last_seq + 1:
            writer.close()
            raise JournalError(
                f"{self._dir}: the journal continues at seq {writer.next_seq}, the recovered "
                f"state is at seq {self._last_seq}"
            )
        self._journal = BackgroundJournalWriter(writer)
        self._group_records = group_records
        self._stage = bytearray(group_records * _RECORD.size)
        self._staged = 0
        self._pack_into = _RECORD.pack_into
        self._engine_submit = self.engine.submit_record
        self._checkpoint_every = checkpoint_every
        self._extra_state = extra_state
        self._shadow = ShadowCheckpointer(self._dir, retention=checkpointer) if checkpointer else None
        self._is_closed = False

    # -- properties --------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The venue directory."""
        return self._dir

    @property
    def run_seed(self) -> int:
        """The run seed."""
        return self._manifest.run_seed

    @property
    def mode(self) -> AckMode:
        """The acknowledgement mode."""
        return self._mode

    @property
    def last_seq(self) -> int:
        """The seq of the last command applied."""
        return self._last_seq

    @property
    def durable_seq(self) -> int:
        """The last seq fsynced: commands up to it may be acknowledged."""
        return self._journal.durable_seq

    @property
    def shadow(self) -> ShadowCheckpointer | None:
        """The shadow checkpointer, when one runs."""
        return self._shadow

    # -- per command -------------------------------------------------------------------------

    def submit_record(self, record: tuple) -> int:
        """Sequence, journal and apply one command given as a COMMAND_DTYPE-ordered 13-tuple.

        The tuple's ``seq`` and ``ts_event`` are ignored: the sequencer sets them. Read the
        events with :meth:`last_events`. No Python object is created per order beyond the tuple.

        Returns:
            The number of events.

        Raises:
            ConfigError: the tuple is not 13 integers.
            JournalError: the journal failed (DURABLE: or did not fsync within the timeout).
        """
        seq = self._last_seq + 1
        stamped = (seq, self._clock_ns()) + record[2:]
        try:
            self._pack_into(self._stage, self._staged * _RECORD.size, *stamped)
        except struct.error as e:
            raise ConfigError(
                f"command record: expected 13 integers in COMMAND_DTYPE field order, got {record!r}: {e}"
            ) from e
        self._staged += 1
        self._last_seq = seq
        if self._mode is AckMode.DURABLE:
            self.commit()
            count = self._engine_submit(stamped)
            self._wait_or_raise(seq)
        else:
            count = self._engine_submit(stamped)
            if self._staged == self._group_records:
                self.commit()
        if self._checkpoint_every and seq % self._checkpoint_every == 0:
            self.request_checkpoint(self._extra_state() if self._extra_state else None)
        return count

    def submit(self, cmd: Command) -> list[Event]:
        """Sequence, journal and apply a command struct; return its events (friendly, slower)."""
        self.submit_record(command_to_record(cmd))
        return events_from_array(self.engine.last_events())

    def last_events(self) -> np.ndarray:
        """Events of the last per-command call, as EVENT_DTYPE records."""
        return self.engine.last_events()

    # -- batch -------------------------------------------------------------------------------

    def submit_batch(self, commands: np.ndarray) -> np.ndarray:
        """Sequence, journal and apply a COMMAND_DTYPE array (one timestamp for the batch).

        The input's ``seq`` and ``ts_event`` are ignored. In DURABLE mode the call returns once
        the batch is fsynced (one fsync for the whole batch).

        Returns:
            The batch's events (EVENT_DTYPE).
        """
        check_dtype(commands, COMMAND_DTYPE, "commands")
        if not commands.shape[0]:
            return np.empty(0, dtype=EVENT_DTYPE)
        self.commit()
        stamped = commands.copy()
        first = self._last_seq + 1
        stamped["seq"] = np.arange(first, first + stamped.shape[0], dtype=np.int64)
        stamped["ts_event"] = self._clock_ns()
        last = self._journal.submit(stamped)
        self._last_seq = last
        events = self.engine.run_batch(stamped)
        if self._mode is AckMode.DURABLE:
            self._wait_or_raise(last)
        every = self._checkpoint_every
        if every and last // every != (first - 1) // every:
            self.request_checkpoint(self._extra_state() if self._extra_state else None)
        return events

    # -- journal -----------------------------------------------------------------------------

    def commit(self) -> int:
        """Hand the staged commands to the journal writer (group commit); return the last seq handed."""
        if self._staged:
            batch = np.frombuffer(self._stage, dtype=COMMAND_DTYPE, count=self._staged)
            self._staged = 0
            return self._journal.submit(batch)  # copies the batch
        return self._last_seq

    def wait_durable(self, seq: int | None = None, timeout_s: float = 10.0) -> bool:
        """Commit staged commands and wait until ``seq`` (default: the last one) is fsynced.

        Returns:
            True once durable, False on timeout.
        """
        self.commit()
        return self._journal.wait_durable(self._last_seq if seq is None else seq, timeout_s)

    def _wait_or_raise(self, seq: int) -> None:
        if not self._journal.wait_durable(seq, self._durable_timeout_s):
            raise JournalError(
                f"{self._dir}: seq {seq} not durable after {self._durable_timeout_s} s; "
                "the disk is not keeping up"
            )

    # -- checkpoints -------------------------------------------------------------------------

    def request_checkpoint(self, extra_state: dict | None = None) -> bool:
        """Ask the shadow checkpointer for a checkpoint at :attr:`last_seq` (no pause of the engine).

        Args:
            extra_state: the callers' component state as of :attr:`last_seq` (msgpack-encodable).

        Returns:
            False when no shadow runs or the request was dropped (the shadow is behind).
        """
        if self._shadow is None:
            return False
        # No commit here: the request reaches the shadow before any record after last_seq exists,
        # and the shadow waits for the staged records to reach the journal with the next commit.
        return self._shadow.request(self._last_seq, extra_state)

    def checkpoint_inline(
        self, extra_state: dict | None = None, retention: RetentionPolicy = RetentionPolicy()
    ) -> Path:
        """Write a checkpoint from the engine thread: the stalling alternative to the shadow.

        Waits for the journal to be durable up to :attr:`last_seq`, then copies the engine state and
        writes the file, all on the caller's thread (measured in ``docs/durability.md``).

        Raises:
            JournalError: the journal did not become durable in time.
        """
        self._wait_or_raise_committed()
        path = write_checkpoint(
            self._dir / CHECKPOINT_SUBDIR, self._last_seq, self.run_seed, self.engine, extra_state
        )
        apply_retention(self._dir / CHECKPOINT_SUBDIR, retention)
        return path

    def _wait_or_raise_committed(self) -> None:
        self.commit()
        self._wait_or_raise(self._last_seq)

    # -- lifecycle ---------------------------------------------------------------------------

    def digest(self) -> str:
        """The engine's state digest."""
        return self.engine.digest()

    def close(self) -> None:
        """Commit staged commands, close the journal (fsync unless NEVER), and stop the shadow."""
        if self._is_closed:
            return
        self._is_closed = True
        try:
            self.commit()
            self._journal.close()
        finally:
            if self._shadow is not None:
                self._shadow.close()

    def __enter__(self) -> JournaledVenue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open_state(
        self, instruments: Sequence[Instrument] | None, run_seed: int | None, stp_mode: StpMode, impl: str
    ) -> tuple[VenueManifest, MatchingEngine]:
        if (self._dir / "venue.json").exists():
            manifest = read_manifest(self._dir)
            _check_same(manifest, instruments, run_seed, self._dir)
            self.recovered = recover(self._dir, impl=impl)
            return manifest, self.recovered.engine
        if instruments is None or run_seed is None:
            raise ConfigError(f"{self._dir}: a new venue needs instruments and run_seed")
        manifest = VenueManifest(
            run_seed=int(run_seed),
            stp_mode=int(StpMode(stp_mode)),
            instruments=check_instruments(instruments),
        )
        self._dir.mkdir(parents=True, exist_ok=True)
        write_manifest(self._dir, manifest)
        return manifest, MatchingEngine(manifest.instruments, StpMode(manifest.stp_mode), impl)


def _check_same(
    manifest: VenueManifest, instruments: Sequence[Instrument] | None, run_seed: int | None, directory: Path
) -> None:
    if run_seed is not None and int(run_seed) != manifest.run_seed:
        raise ConfigError(f"{directory}: holds the venue of run seed {manifest.run_seed}, not {run_seed}")
    if instruments is not None and tuple(instruments) != manifest.instruments:
        raise ConfigError(
            f"{directory}: holds a venue with other instruments "
            f"({[i.symbol for i in manifest.instruments]}); use a new directory"
        )
