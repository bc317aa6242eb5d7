"""Rebuilding the FIX gateway of a venue directory: checkpoint + journal + session log. Cold path.

Used by a primary when it starts on a directory that holds a venue, and by a standby when it starts
(and then keeps applying what its primary sends). The gateway state comes from the newest checkpoint's
``extra_state["gateway"]`` when there is one (the standby writes them), then the journal tail is
replayed through :meth:`~hftsim.net.venue.journaled.JournaledGateway.apply_records` with its notes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hftsim.core.clock import Clock
from hftsim.journal import JournalReader
from hftsim.journal.checkpoint import VenueManifest, read_manifest
from hftsim.journal.recovery import load_latest_checkpoint
from hftsim.matching.engine import MatchingEngine
from hftsim.net.fix.session import SequenceStore
from hftsim.net.venue.config import VenueConfig
from hftsim.net.venue.journaled import JournaledGateway
from hftsim.net.venue.sessionlog import CommandNote, SessionLog

__all__ = ["Replica", "open_replica"]


class Replica:
    """A gateway replica with its session states, the notes still waiting for their record, and
    the manifest of the directory (None for an empty directory)."""

    def __init__(
        self,
        gateway: JournaledGateway,
        store: SequenceStore,
        pending: dict[int, CommandNote],
        manifest: VenueManifest | None,
        checkpoint_seq: int,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.pending = pending
        self.manifest = manifest
        self.checkpoint_seq = checkpoint_seq

    @property
    def last_seq(self) -> int:
        """The last journal seq applied."""
        return self.gateway.last_seq


def new_gateway(
    config: VenueConfig, engine: MatchingEngine, clock: Clock, publisher=None, epoch: int = 0
) -> tuple[JournaledGateway, SequenceStore]:
    """A JournaledGateway over fresh session states (no state file: the journal is the truth)."""
    store = SequenceStore(None, config.fix.max_stored_messages)
    sessions = [(store.get(s.target_comp_id, s.sender_comp_id), s.drop_copy) for s in config.fix.sessions]
    gateway = JournaledGateway(
        engine, clock, sessions, publisher, Counter(), epoch=epoch, history_limit=config.fix.max_cl_ord_ids
    )
    return gateway, store


def open_replica(
    config: VenueConfig,
    directory: str | Path,
    clock: Clock,
    publisher=None,
    *,
    epoch: int = 0,
    truncate_torn_tail: bool = True,
) -> Replica:
    """Rebuild the gateway of ``directory`` (checkpoint, then journal tail with the session log).

    With ``truncate_torn_tail`` (no writer may hold the journal) a torn last write is truncated
    first; a caller that already opened a JournaledVenue on the directory (which did it) passes False.
    """
    directory = Path(directory)
    if not (directory / "venue.json").exists():
        engine = MatchingEngine(config.instruments, config.stp, capacity=config.capacity)
        gateway, store = new_gateway(config, engine, clock, publisher, epoch)
        return Replica(gateway, store, {}, None, 0)
    manifest = read_manifest(directory)
    journal_dir = directory / "journal"
    journal_dir.mkdir(exist_ok=True)
    reader = JournalReader(journal_dir)
    if truncate_torn_tail:
        reader.recover_tail()
    start = load_latest_checkpoint(directory, manifest)
    gateway, store = new_gateway(config, start.engine, clock, publisher, epoch)
    gateway.last_seq = start.seq
    if start.extra_state.get("gateway"):
        gateway.restore_state(start.extra_state["gateway"])
    log = SessionLog(directory)
    pending: dict[int, CommandNote] = {}
    gateway.apply_notes(
        [n for n in log.notes if n.seq > start.seq or not isinstance(n, CommandNote)], pending
    )
    log.close()
    if reader.segments:
        for batch in reader.iter_batches(from_seq=start.seq + 1 if start.seq else None, max_records=65536):
            gateway.apply_records(batch[batch["seq"] > gateway.last_seq], pending)
    return Replica(gateway, store, pending, manifest, start.seq)
