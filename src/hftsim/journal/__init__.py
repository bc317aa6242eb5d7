"""The sequenced input journal (segmented, CRC-checked, group commit) and its reader."""

from hftsim.journal.checkpoint import (
    RetentionPolicy,
    ShadowCheckpointer,
    VenueManifest,
    list_checkpoints,
    read_checkpoint,
    write_checkpoint,
)
from hftsim.journal.log import (
    DEFAULT_SEGMENT_BYTES,
    FORMAT_VERSION,
    MAGIC,
    BackgroundJournalWriter,
    FsyncPolicy,
    JournalReader,
    JournalWriter,
    RecordType,
    SegmentHeader,
    TailReport,
    segment_name,
)
from hftsim.journal.recovery import RecoveredVenue, recover
from hftsim.journal.venue import AckMode, JournaledVenue

__all__ = [
    "AckMode",
    "BackgroundJournalWriter",
    "DEFAULT_SEGMENT_BYTES",
    "FORMAT_VERSION",
    "FsyncPolicy",
    "JournalReader",
    "JournalWriter",
    "JournaledVenue",
    "MAGIC",
    "RecordType",
    "RecoveredVenue",
    "RetentionPolicy",
    "SegmentHeader",
    "ShadowCheckpointer",
    "TailReport",
    "VenueManifest",
    "list_checkpoints",
    "read_checkpoint",
    "recover",
    "segment_name",
    "write_checkpoint",
]
