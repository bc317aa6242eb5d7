"""The sequenced input journal (segmented, CRC-checked, group commit) and its reader."""

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

__all__ = [
    "BackgroundJournalWriter",
    "DEFAULT_SEGMENT_BYTES",
    "FORMAT_VERSION",
    "FsyncPolicy",
    "JournalReader",
    "JournalWriter",
    "MAGIC",
    "RecordType",
    "SegmentHeader",
    "TailReport",
    "segment_name",
]
