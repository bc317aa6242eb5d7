"""``hftsim dashboard RUN_DIR``: show a finished run on the web dashboard. Edge.

Needs the run's ``l1.parquet`` and ``trades.parquet``; ``metrics.json`` adds latency, backlog and
PnL figures. The page is served on ``--host``/``--port`` (port 0 picks a free one; the URL is
printed) until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from hftsim.core.errors import ConfigError

__all__ = ["add_parser", "serve_run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``dashboard``."""
    p = subparsers.add_parser(
        "dashboard", help="show a run directory on the web dashboard", description=__doc__
    )
    p.add_argument(
        "run_dir", metavar="RUN_DIR", help="a run directory (holding l1.parquet and trades.parquet)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="TCP port (default: 0, a free port)")
    p.add_argument("--duration", type=float, default=30.0, help="wall seconds the replay lasts (default: 30)")
    p.add_argument(
        "--symbol-id", type=int, default=None, help="symbol whose book is shown (default: busiest)"
    )
    p.set_defaults(func=_run)
    return p


async def serve_run(
    run_dir: str,
    host: str = "127.0.0.1",
    port: int = 0,
    duration_s: float = 30.0,
    symbol_id: int | None = None,
    until: asyncio.Event | None = None,
) -> None:
    """Serve the replay of ``run_dir`` until ``until`` is set (or forever).

    Raises:
        ConfigError: the run directory cannot be shown (see :func:`~hftsim.monitor.dashboard.check_run_dir`).
    """
    from hftsim.monitor.dashboard import Dashboard, RunReplay
    from hftsim.monitor.metrics import MetricsRegistry

    replay = RunReplay(run_dir, duration_s=duration_s, symbol_id=symbol_id)
    dashboard = Dashboard(MetricsRegistry(), replay, host=host, port=port)
    await dashboard.start()
    print(f"hftsim dashboard: serving {replay.path} on {dashboard.url} (Ctrl-C to stop)", flush=True)
    if replay.metrics is None:
        print(
            "hftsim dashboard: no metrics.json in the run; latency, backlog and PnL panels stay empty",
            file=sys.stderr,
            flush=True,
        )
    try:
        await (until or asyncio.Event()).wait()
    finally:
        await dashboard.stop()


def _run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(serve_run(args.run_dir, args.host, args.port, args.duration, args.symbol_id))
    except ConfigError as e:
        print(f"hftsim dashboard: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"hftsim dashboard: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
