"""Start a journaled venue node: primary (``--journal``) or hot standby (``--standby-of``). Edge."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from hftsim.journal import AckMode, FsyncPolicy, JournaledVenue
from hftsim.net.standby.epoch import EpochFile, FenceFile, is_stale
from hftsim.net.standby.primary import PrimaryServer, write_status
from hftsim.net.standby.replica import open_replica
from hftsim.net.standby.standby import Standby
from hftsim.net.venue.clock import WallClock
from hftsim.net.venue.config import VenueConfig
from hftsim.net.venue.sessionlog import SessionLog

__all__ = ["FENCED_EXIT", "open_primary", "run_node", "warm_up"]

log = logging.getLogger("hftsim.failover")
FENCED_EXIT = 3


def warm_up() -> None:
    """Load the journal's compiled CRC kernel now: loading it on the first command would stall the
    event loop for a few hundred ms, longer than the heartbeat timeout."""
    import numpy as np

    from hftsim.core.arrays import COMMAND_DTYPE
    from hftsim.journal._frame import count_valid_frames, encode_command_frames

    frames = encode_command_frames(np.zeros(1, dtype=COMMAND_DTYPE))
    count_valid_frames(frames.view(np.uint8).reshape(-1))


async def open_primary(
    config: VenueConfig, publisher=None, dashboard_port: int | None = None
) -> PrimaryServer | None:
    """Open ``config.journal.directory`` as the primary; None when the fence forbids it (logged)."""
    warm_up()
    directory = Path(config.journal.directory)
    directory.mkdir(parents=True, exist_ok=True)
    fence = FenceFile(config.replication.fence_file) if config.replication.fence_file else None
    epoch_file = EpochFile(directory)
    epoch = epoch_file.read()
    fence_epoch = fence.read() if fence else 0
    if is_stale(epoch, fence_epoch) and not (epoch == 0 and fence_epoch == 0):
        log.error(
            "fenced: this node's epoch is %d but the fence file %s holds epoch %d; another node took over. "
            "Start this directory as a standby (--standby-of) from an empty directory instead",
            epoch, config.replication.fence_file, fence_epoch,
        )  # fmt: skip
        write_status(
            directory / "status.json", {"role": "fenced", "epoch": epoch, "fence_epoch": fence_epoch}
        )
        return None
    if epoch == 0:
        epoch = 1
        epoch_file.write(epoch)
        if fence is not None:
            fence.advance(epoch)
    clock = WallClock()
    venue = JournaledVenue(
        directory,
        clock.now_ns,
        config.instruments,
        config.journal.run_seed,
        mode=AckMode.GROUP_COMMIT,
        stp_mode=config.stp,
        fsync_policy=FsyncPolicy.EVERY_BATCH,
        group_records=1 << 16,
    )
    replica = open_replica(config, directory, clock, publisher, epoch=epoch, truncate_torn_tail=False)
    gateway = replica.gateway
    session_log = SessionLog(directory)
    gateway.attach(venue, session_log)
    return PrimaryServer(
        config,
        gateway=gateway,
        store=replica.store,
        venue=venue,
        session_log=session_log,
        epoch=epoch,
        fence=fence,
        publisher=publisher,
        dashboard_port=dashboard_port,
    )


async def _run(config: VenueConfig, publisher, dashboard_port: int | None = None) -> int:
    loop = asyncio.get_running_loop()
    if config.replication.standby_of:
        warm_up()
        standby = Standby(config, publisher, dashboard_port=dashboard_port)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        run = loop.create_task(standby.run())
        stopper = loop.create_task(stop.wait())
        await asyncio.wait({run, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if run.done():
            stopper.cancel()
            return run.result()
        if standby.primary is not None:  # took over, then asked to stop
            standby.primary.request_stop()
            return await run
        run.cancel()
        standby.close()
        return 0
    primary = await open_primary(config, publisher, dashboard_port)
    if primary is None:
        return FENCED_EXIT
    await primary.serve()
    return primary.exit_code


def run_node(
    config: VenueConfig, publisher=None, use_uvloop: bool = True, dashboard_port: int | None = None
) -> int:
    """Run a primary or standby node until SIGINT/SIGTERM, step-down or refusal; return the exit code.

    ``dashboard_port``: the primary (a standby once it takes over) serves the dashboard there.
    """
    from hftsim.net.venue.server import new_event_loop

    loop = new_event_loop(use_uvloop)
    try:
        return loop.run_until_complete(_run(config, publisher, dashboard_port))
    finally:
        loop.close()
