"""Configuration of the live venue: a TOML file plus command-line overrides. Cold path.

Example (``docs/venue.md`` has the full description)::

    [fix]
    host = "127.0.0.1"
    port = 9878
    state_file = "venue-seq.json"     # optional: sequence numbers survive a restart

    [[fix.sessions]]
    sender_comp_id = "CLIENT1"        # the client's SenderCompID (tag 49 of what it sends)
    target_comp_id = "HFTSIM"         # the venue's CompID (tag 56 of what the client sends)

    [[fix.sessions]]
    sender_comp_id = "DROPCOPY"
    target_comp_id = "HFTSIM"
    drop_copy = true

    [feed]
    session = "HFTSIM0001"
    destinations = ["239.192.0.1:30001"]
    rerequest_port = 30002

    [dashboard]
    port = 8080

    [[instruments]]
    symbol = "AAPL"
    tick_size = "0.01"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.matching.engine import check_instruments

__all__ = [
    "DashboardConfig",
    "FeedConfig",
    "FixConfig",
    "JournalConfig",
    "ReplicationConfig",
    "SessionSpec",
    "VenueConfig",
    "load_config",
    "parse_config",
]


class _Config(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class SessionSpec(_Config):
    """One FIX session, named from the client's side.

    Attributes:
        sender_comp_id: the client's SenderCompID (49 of its messages).
        target_comp_id: the venue's CompID for this session (56 of the client's messages).
        drop_copy: this session receives a copy of every ExecutionReport and enters no orders.
    """

    sender_comp_id: str
    target_comp_id: str
    drop_copy: bool = False


class FixConfig(_Config):
    """The FIX acceptor. ``port`` 0 picks a free port (logged at start-up).

    ``max_stored_messages``: sent messages each session keeps for ResendRequest.
    ``max_cl_ord_ids``: ClOrdIDs each session's table remembers: every live order's, and closed
    orders' newest first up to this many in all (duplicates and late cancels; docs/venue.md).
    """

    host: str = "127.0.0.1"
    port: int = 9878
    sessions: list[SessionSpec] = []
    state_file: str | None = None
    test_request_grace: float = 0.5
    logon_timeout_s: float = 10.0
    max_stored_messages: int = 200_000
    max_cl_ord_ids: int = 100_000


class FeedConfig(_Config):
    """Market-data feed settings, handed to the publisher when one is installed."""

    session: str = "HFTSIM0001"
    destinations: list[str] = []
    rerequest_port: int = 0


class DashboardConfig(_Config):
    """The live dashboard and Prometheus ``/metrics`` of ``hftsim venue serve``: ``port`` 0 means off."""

    port: int = 0


class JournalConfig(_Config):
    """The input journal (``docs/failover.md``). No ``directory``: the venue does not journal.

    Attributes:
        directory: the venue directory (``venue.json``, ``journal/``, ``fix-sessions.log``, ...).
        durable: acknowledge only once fsynced locally and held by the synchronous standby.
        run_seed: the run seed written into a new journal.
        checkpoint_every: a standby writes a checkpoint every this many records (0: never).
    """

    directory: str | None = None
    durable: bool = False
    run_seed: int = 1
    checkpoint_every: int = 0


class ReplicationConfig(_Config):
    """Hot-standby replication (``docs/failover.md``).

    Attributes:
        host / port: where a primary listens for its standby (port 0: no replication listener).
        standby_of: ``HOST:PORT`` of the primary's replication port: run as its hot standby.
        heartbeat_interval_ms: heartbeat period on the replication link.
        heartbeat_timeout_ms: silence after which the standby takes over (and a durable primary
            that lost its synchronous standby steps down).
        fence_file: the shared fencing token (single host); None: epochs in messages only.
        lag_warning_records: a standby further behind than this is reported (log and status).
        status_file: a JSON status written every 200 ms (default: ``status.json`` in the directory).
    """

    host: str = "127.0.0.1"
    port: int = 0
    standby_of: str | None = None
    heartbeat_interval_ms: float = 50.0
    heartbeat_timeout_ms: float = 200.0
    fence_file: str | None = None
    lag_warning_records: int = 1000
    status_file: str | None = None


class VenueConfig(_Config):
    """The whole venue."""

    instruments: list[Instrument]
    fix: FixConfig = FixConfig()
    feed: FeedConfig = FeedConfig()
    dashboard: DashboardConfig = DashboardConfig()
    journal: JournalConfig = JournalConfig()
    replication: ReplicationConfig = ReplicationConfig()
    stp_mode: str = "cancel_resting"
    capacity: int = 1 << 16

    @property
    def stp(self) -> StpMode:
        """The self-trade prevention mode as the enum."""
        return StpMode[self.stp_mode.upper()]

    def feed_destinations(self) -> list[tuple[str, int]]:
        """``feed.destinations`` as (host, port) pairs."""
        return [_host_port(d, f"feed.destinations[{i}]") for i, d in enumerate(self.feed.destinations)]


def _host_port(text: str, where: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{where}: expected HOST:PORT, got {text!r}")
    return host, int(port)


def parse_config(data: dict, where: str = "config") -> VenueConfig:
    """Build and check a :class:`VenueConfig` from decoded TOML.

    Raises:
        ConfigError: a field is missing, unknown or invalid; the message names its path.
    """
    data = dict(data)
    instruments = [
        {"symbol_id": i, **ins} if isinstance(ins, dict) else ins
        for i, ins in enumerate(data.get("instruments", []))
    ]
    data["instruments"] = instruments
    try:
        config = msgspec.convert(data, VenueConfig)
    except msgspec.ValidationError as e:
        raise ConfigError(f"{where}: {e}") from e
    check_instruments(config.instruments)
    if config.stp_mode.upper() not in StpMode.__members__:
        raise ConfigError(
            f"{where}: stp_mode must be one of {sorted(m.lower() for m in StpMode.__members__)}, "
            f"got {config.stp_mode!r}"
        )
    if not 0 <= config.fix.port < 65536:
        raise ConfigError(f"{where}: fix.port must be 0..65535, got {config.fix.port}")
    if config.fix.max_cl_ord_ids < 1:
        raise ConfigError(f"{where}: fix.max_cl_ord_ids must be at least 1, got {config.fix.max_cl_ord_ids}")
    seen = set()
    for i, s in enumerate(config.fix.sessions):
        pair = (s.target_comp_id, s.sender_comp_id)
        for name in ("sender_comp_id", "target_comp_id"):
            value = getattr(s, name)
            if not value or not value.isascii() or "\x01" in value or "|" in value:
                raise ConfigError(f"{where}: fix.sessions[{i}].{name} must be non-empty ASCII, got {value!r}")
        if pair in seen:
            raise ConfigError(
                f"{where}: fix.sessions[{i}] repeats the pair {s.sender_comp_id}/{s.target_comp_id}"
            )
        seen.add(pair)
    if not any(not s.drop_copy for s in config.fix.sessions):
        raise ConfigError(f"{where}: fix.sessions needs at least one session that is not a drop copy")
    config.feed_destinations()
    if config.replication.standby_of is not None:
        _host_port(config.replication.standby_of, f"{where}: replication.standby_of")
        if config.journal.directory is None:
            raise ConfigError(f"{where}: replication.standby_of needs journal.directory")
    repl = config.replication
    if not 0 < repl.heartbeat_interval_ms < repl.heartbeat_timeout_ms:
        raise ConfigError(
            f"{where}: replication.heartbeat_interval_ms must be > 0 and below heartbeat_timeout_ms, "
            f"got {repl.heartbeat_interval_ms} and {repl.heartbeat_timeout_ms}"
        )
    return config


def load_config(path: str | Path) -> VenueConfig:
    """Read a TOML venue configuration.

    Raises:
        ConfigError: the file cannot be read or is invalid (the message names the file and field).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the venue configuration: {e}") from e
    return parse_config(data, str(path))
