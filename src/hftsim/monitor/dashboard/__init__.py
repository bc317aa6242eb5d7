"""The live web dashboard: an asyncio HTTP server pushing snapshots with server-sent events."""

from hftsim.monitor.dashboard._server import Dashboard
from hftsim.monitor.dashboard.replay import RunReplay, check_run_dir
from hftsim.monitor.dashboard.snapshot import SnapshotBuilder, engine_book

__all__ = ["Dashboard", "RunReplay", "SnapshotBuilder", "check_run_dir", "engine_book"]
