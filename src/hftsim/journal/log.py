"""The sequenced input journal: the truth of every run. Cold path (entry points; see the private modules).

Every command the sequencer numbers is appended here before the engine applies it. Replaying the
journal reproduces the run byte for byte. The byte layout, the fsync policies and what each risks
are described in ``docs/journal.md``.

- :class:`JournalWriter` appends COMMAND_DTYPE records with group commit and segment rollover.
- :class:`BackgroundJournalWriter` runs a writer on a thread; callers wait for durability by seq.
- :class:`JournalReader` reads records back in sequence order, checking every CRC and seq, and
  truncates a torn tail after a crash.
"""

from __future__ import annotations

from hftsim.journal._background import BackgroundJournalWriter
from hftsim.journal._format import FORMAT_VERSION, MAGIC, RecordType, SegmentHeader, segment_name
from hftsim.journal._reader import JournalReader, TailReport
from hftsim.journal._writer import DEFAULT_SEGMENT_BYTES, FsyncPolicy, JournalWriter

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
