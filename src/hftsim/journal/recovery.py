"""Crash recovery of a journaled venue: latest valid checkpoint + replay of the journal tail. Cold path.

A venue directory holds ``venue.json`` (run seed, STP mode, instruments), ``journal/`` (the
segments) and ``checkpoints/``. :func:`recover` rebuilds the engine exactly as it was after the last
whole journal record:

1. read the manifest; check every journal segment header (format version, run seed);
2. truncate a torn last write (:meth:`JournalReader.recover_tail`);
3. load the newest checkpoint that passes its checks. A damaged or partial one is skipped in
   favour of the one before, loudly (logged at ERROR and listed in ``skipped_checkpoints``). A
   checkpoint of another run seed or instrument set, or one ahead of the journal, is an error:
   it means files of different runs were mixed, which no automatic choice can repair;
4. replay the journal from the checkpoint's seq + 1. Damage in the middle of the journal stops
   recovery with :class:`JournalCorrupt` naming the file and byte offset; nothing is skipped.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import msgspec

from hftsim.core.enums import StpMode
from hftsim.core.errors import JournalCorrupt, JournalError
from hftsim.journal._reader import JournalReader, TailReport, _read_segment
from hftsim.journal.checkpoint import (
    VenueManifest,
    engine_from_checkpoint,
    list_checkpoints,
    read_checkpoint,
    read_manifest,
)
from hftsim.matching.engine import MatchingEngine

__all__ = ["CheckpointStart", "RecoveredVenue", "load_latest_checkpoint", "recover", "replay_into"]

log = logging.getLogger("hftsim.journal")

JOURNAL_SUBDIR = "journal"
CHECKPOINT_SUBDIR = "checkpoints"
_REPLAY_BATCH = 65536


class CheckpointStart(msgspec.Struct, kw_only=True):
    """Where replay starts: an engine and the seq it is valid at.

    Attributes:
        engine: the engine (a fresh one when no checkpoint was used).
        seq: the last command applied to ``engine`` (``first_seq - 1`` when fresh).
        path: the checkpoint used, or None.
        extra_state: the callers' component state saved with the checkpoint (empty when none).
        skipped: damaged checkpoints passed over, with the reason, newest first.
    """

    engine: MatchingEngine
    seq: int
    path: Path | None
    extra_state: dict
    skipped: list[str]


class RecoveredVenue(msgspec.Struct, kw_only=True):
    """The result of :func:`recover`.

    Attributes:
        engine: the engine in the state after ``last_seq``.
        last_seq: the last command applied (the journal's last whole record).
        digest: :meth:`MatchingEngine.digest` of that state.
        extra_state: the callers' component state from the checkpoint used (valid at
            ``checkpoint_seq``; components replay the tail themselves). Empty without a checkpoint.
        checkpoint_seq: the seq of the checkpoint used, or None when replay started from scratch.
        checkpoint_path: the checkpoint used, or None.
        replayed_records: journal records applied after the checkpoint.
        replayed_events: events those records produced.
        torn_tail: what :meth:`JournalReader.recover_tail` truncated, or None.
        skipped_checkpoints: damaged checkpoints passed over (each with its reason).
        manifest: the venue's manifest.
        seconds: wall time of the stages (``checkpoint``, ``replay``, ``digest``, ``total``).
    """

    engine: MatchingEngine
    last_seq: int
    digest: str
    extra_state: dict
    checkpoint_seq: int | None
    checkpoint_path: Path | None
    replayed_records: int
    replayed_events: int
    torn_tail: TailReport | None
    skipped_checkpoints: list[str]
    manifest: VenueManifest
    seconds: dict[str, float]


def recover(
    directory: str | os.PathLike[str],
    *,
    use_checkpoints: bool = True,
    truncate_torn_tail: bool = True,
    impl: str = "fast",
    compute_digest: bool = True,
) -> RecoveredVenue:
    """Rebuild a venue's engine from its latest valid checkpoint and the journal tail.

    Args:
        directory: the venue directory (``venue.json``, ``journal/``, ``checkpoints/``).
        use_checkpoints: False replays the whole journal (a check of the checkpoints).
        truncate_torn_tail: truncate a torn last write (needs the journal lock: no writer may run).
            When False a torn tail stops recovery with JournalCorrupt.
        impl: engine implementation, ``"fast"`` or ``"reference"``.
        compute_digest: compute the state digest (about 0.2 s for a million resting orders).

    Returns:
        The recovered venue.

    Raises:
        JournalError: not a venue directory, a journal of another format version or run seed, a
            checkpoint of another run or instrument set or ahead of the journal, a journal that
            starts after seq ``first_seq`` with no checkpoint covering the start, or a writer still
            holds the journal.
        JournalCorrupt: a damaged record in the middle of the journal (file and byte offset named).
    """
    started = time.perf_counter()
    directory = Path(directory)
    manifest = read_manifest(directory)
    # A crash between writing venue.json and creating the journal leaves an empty venue.
    (directory / JOURNAL_SUBDIR).mkdir(exist_ok=True)
    reader = JournalReader(directory / JOURNAL_SUBDIR)
    _check_headers(reader, manifest)
    try:
        torn = reader.recover_tail() if truncate_torn_tail else None
    except JournalCorrupt as e:
        raise JournalCorrupt(
            f"{e}; recovery stopped: the journal is damaged before its tail, which is "
            "never truncated automatically (nothing was applied)"
        ) from e
    if torn is not None:
        log.warning(
            "recovery truncated a torn journal tail: %s (%d bytes after byte offset %d)",
            torn.reason,
            torn.torn_bytes,
            torn.good_bytes,
        )
    start = (
        load_latest_checkpoint(directory, manifest, impl=impl)
        if use_checkpoints
        else _fresh_start(manifest, impl)
    )
    loaded = time.perf_counter()
    first_seq = _journal_first_seq(reader, manifest)
    if start.seq + 1 < first_seq:
        where = f"checkpoint at seq {start.seq}" if start.path else "no valid checkpoint"
        raise JournalError(
            f"{reader_dir(reader)}: the journal starts at seq {first_seq} but recovery has "
            f"{where}; the records before it are missing: restore the checkpoint that covered "
            "them or the pruned segments"
        )
    records, events, last_seq = replay_into(start.engine, reader, start.seq)
    if start.path is not None and not records:
        journal_last = _journal_last_seq(reader, manifest)
        if journal_last < start.seq:
            raise JournalError(
                f"{start.path}: checkpoint at seq {start.seq} is ahead of the journal, which ends "
                f"at seq {journal_last}: the journal lost records the checkpoint includes (was it "
                "written with FsyncPolicy.NEVER, or copied from another run?)"
            )
    replayed = time.perf_counter()
    digest = start.engine.digest() if compute_digest else ""
    done = time.perf_counter()
    return RecoveredVenue(
        engine=start.engine,
        last_seq=max(last_seq, start.seq),
        digest=digest,
        extra_state=start.extra_state,
        checkpoint_seq=start.seq if start.path else None,
        checkpoint_path=start.path,
        replayed_records=records,
        replayed_events=events,
        torn_tail=torn,
        skipped_checkpoints=start.skipped,
        manifest=manifest,
        seconds={
            "checkpoint": loaded - started,
            "replay": replayed - loaded,
            "digest": done - replayed,
            "total": done - started,
        },
    )


def replay_into(engine: MatchingEngine, reader: JournalReader, after_seq: int) -> tuple[int, int, int]:
    """Apply every journal record after ``after_seq`` to ``engine``.

    Returns:
        ``(records, events, last_seq)``: records applied, events they produced, and the last seq
        applied (``after_seq`` when none).

    Raises:
        JournalCorrupt: damage in the journal. Every record before it has been applied, none after;
            the message says up to which seq.
    """
    records = events = 0
    last_seq = after_seq
    try:
        for batch in reader.iter_batches(from_seq=after_seq + 1, max_records=_REPLAY_BATCH):
            events += engine.run_batch(batch, reuse_buffer=True).shape[0]
            records += batch.shape[0]
            last_seq = int(batch["seq"][-1])
    except JournalCorrupt as e:
        raise JournalCorrupt(
            f"{e}; recovery stopped: the state holds every record up to seq {last_seq} "
            "and none after the damage"
        ) from e
    return records, events, last_seq


def load_latest_checkpoint(
    directory: Path, manifest: VenueManifest, *, impl: str = "fast"
) -> CheckpointStart:
    """Return the engine of the newest valid checkpoint, or a fresh engine when there is none.

    Damaged or partial checkpoints are skipped (logged at ERROR, listed in ``skipped``).

    Raises:
        JournalError: a checkpoint of another run seed or instrument set, or of another format version.
    """
    skipped: list[str] = []
    for info in reversed(list_checkpoints(Path(directory) / CHECKPOINT_SUBDIR)):
        try:
            body = read_checkpoint(info.path)
            engine = engine_from_checkpoint(body, manifest, info.path, impl)
        except JournalCorrupt as e:
            log.error("skipping damaged checkpoint: %s; falling back to the one before", e)
            skipped.append(str(e))
            continue
        extra = msgspec.msgpack.decode(body.extra_state) if body.extra_state else {}
        return CheckpointStart(
            engine=engine, seq=body.seq, path=info.path, extra_state=extra, skipped=skipped
        )
    fresh = _fresh_start(manifest, impl)
    fresh.skipped = skipped
    return fresh


def reader_dir(reader: JournalReader) -> Path:
    """The directory a reader reads (for messages)."""
    segments = reader.segments
    return segments[0].parent if segments else Path("<empty journal>")


def _fresh_start(manifest: VenueManifest, impl: str) -> CheckpointStart:
    engine = MatchingEngine(manifest.instruments, StpMode(manifest.stp_mode), impl)
    return CheckpointStart(engine=engine, seq=manifest.first_seq - 1, path=None, extra_state={}, skipped=[])


def _check_headers(reader: JournalReader, manifest: VenueManifest) -> None:
    for header, path in zip(reader.headers(), reader.segments):
        if header.run_seed != manifest.run_seed:
            raise JournalError(
                f"{path}: journal segment of run seed {header.run_seed}, venue.json says "
                f"{manifest.run_seed}: the journal belongs to another run"
            )


def _journal_last_seq(reader: JournalReader, manifest: VenueManifest) -> int:
    segments = reader.segments
    if not segments:
        return manifest.first_seq - 1
    last = _read_segment(segments[-1], is_last=True)
    if last.header is None:
        return manifest.first_seq - 1
    return last.header.first_seq + last.records.shape[0] - 1


def _journal_first_seq(reader: JournalReader, manifest: VenueManifest) -> int:
    headers = reader.headers()
    return headers[0].first_seq if headers else manifest.first_seq
