"""The whole exception tree of hftsim. Cold path.

::

    HftsimError
    ├── ConfigError          bad configuration or malformed input data (names the field path)
    ├── ProtocolError        a wire message broke its protocol
    │   ├── FixParseError
    │   └── FeedGapError
    ├── JournalError
    │   └── JournalCorrupt
    └── InvariantError       an internal invariant broke: fail fast, recover by replay

Expected trading outcomes (a rejected order, an unknown order id) are never exceptions: they are
``OrderRejected`` events with a reason code.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FeedGapError",
    "FixParseError",
    "HftsimError",
    "InvariantError",
    "JournalCorrupt",
    "JournalError",
    "ProtocolError",
]


class HftsimError(Exception):
    """Base of every error hftsim raises on purpose."""


class ConfigError(HftsimError, ValueError):
    """A configuration value or an input file is wrong; the message names where and why."""


class ProtocolError(HftsimError):
    """A peer broke a wire protocol."""


class FixParseError(ProtocolError):
    """A FIX message could not be parsed (checksum, body length, missing tag...)."""


class FeedGapError(ProtocolError):
    """A market-data gap could not be recovered."""


class JournalError(HftsimError):
    """The journal could not be written or read."""


class JournalCorrupt(JournalError):
    """A journal record failed its checks; the message names the file and offset."""


class InvariantError(HftsimError, AssertionError):
    """An internal invariant is broken: the process must stop and recover from the journal."""
