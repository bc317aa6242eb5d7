"""``hftsim venue serve`` and ``hftsim venue load``: run the live venue, or offer it FIX load. Edge."""

from __future__ import annotations

import argparse
import json
import logging
import sys

import msgspec

__all__ = ["add_parser", "make_publisher"]

log = logging.getLogger("hftsim.venue")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``venue`` with the sub-commands ``serve`` and ``load``."""
    p = subparsers.add_parser(
        "venue", help="run the live venue (FIX 4.4) or a load generator against it", description=__doc__
    )
    sub = p.add_subparsers(dest="venue_command", metavar="SUBCOMMAND", required=True)

    serve = sub.add_parser("serve", help="run the venue until SIGINT/SIGTERM")
    serve.add_argument("--config", required=True, help="TOML venue configuration (see docs/venue.md)")
    serve.add_argument("--host", help="override fix.host")
    serve.add_argument("--port", type=int, help="override fix.port (0 picks a free port)")
    serve.add_argument("--state-file", help="override fix.state_file (sequence numbers kept across restarts)")
    serve.add_argument("--no-uvloop", action="store_true", help="use asyncio's own event loop")
    serve.add_argument("--no-feed", action="store_true", help="do not start the market-data publisher")
    serve.add_argument(
        "--dashboard-port",
        type=int,
        help="serve the live dashboard and Prometheus /metrics on this port (0: any free port; "
        "default: dashboard.port of the config, where 0 means off)",
    )
    serve.add_argument(
        "--busy-poll-us",
        type=int,
        default=0,
        help="after each input poll the sockets for this many µs instead of sleeping (lower latency "
        "at low rates for a core's worth of CPU while orders flow; default 0: off)",
    )
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    serve.add_argument("--journal", metavar="DIR", help="journal every command into this venue directory")
    serve.add_argument(
        "--durable",
        action="store_true",
        help="acknowledge only once fsynced locally and held by the synchronous standby",
    )
    serve.add_argument("--run-seed", type=int, help="run seed of a new journal (journal.run_seed)")
    serve.add_argument("--standby-of", metavar="HOST:PORT", help="hot standby of this primary")
    serve.add_argument("--repl-host", help="replication listener host (replication.host)")
    serve.add_argument("--repl-port", type=int, help="replication listener port (0: any free port)")
    serve.add_argument("--fence", metavar="FILE", help="shared fence file (replication.fence_file)")
    serve.add_argument("--heartbeat-interval-ms", type=float, help="replication heartbeat period")
    serve.add_argument("--heartbeat-timeout-ms", type=float, help="silence before takeover / step-down")
    serve.add_argument("--status-file", help="JSON status written every 200 ms (default DIR/status.json)")
    serve.add_argument("--checkpoint-every", type=int, help="a standby checkpoints every N records")
    serve.set_defaults(func=_serve)

    load = sub.add_parser("load", help="offer open-loop FIX order flow and measure order-to-ack round trips")
    load.add_argument("--host", default="127.0.0.1")
    load.add_argument("--port", type=int, required=True)
    load.add_argument("--sender", default="LOAD1", help="our SenderCompID (a session of the venue)")
    load.add_argument("--target", default="HFTSIM", help="the venue's CompID")
    load.add_argument(
        "--rate",
        type=float,
        action="append",
        help="offered messages per second; repeat for several runs (default 10000)",
    )
    load.add_argument("--duration", type=float, default=2.0, help="seconds per rate (default 2)")
    load.add_argument("--count", type=int, help="at most this many messages per rate")
    load.add_argument("--symbol", default="SIM")
    load.add_argument("--price", default="100.00")
    load.add_argument("--qty", type=int, default=100)
    load.add_argument("--no-cancel", action="store_true", help="send only orders (the book grows)")
    load.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    load.add_argument("--no-uvloop", action="store_true")
    load.add_argument(
        "--client",
        choices=("c", "python"),
        help="load engine: the compiled runner (default when built) or the pure-Python sender",
    )
    load.set_defaults(func=_load)
    from hftsim.journal.cli import add_recover_parser

    add_recover_parser(sub)
    return p


def make_publisher(config):
    """Return the market-data FeedPublisher for ``config``, or None when not installed or configured."""
    if not config.feed.destinations:
        return None
    try:
        from hftsim.net.feed.publisher import FeedPublisher
    except ImportError:
        log.warning("venue: feed destinations configured but hftsim.net.feed is not installed; feed off")
        return None
    return FeedPublisher(
        config.instruments,
        config.feed.session.encode("ascii"),
        config.feed_destinations(),
        config.feed.rerequest_port,
    )


def _serve(args: argparse.Namespace) -> int:
    from hftsim.core.errors import ConfigError
    from hftsim.net.venue.config import load_config
    from hftsim.net.venue.server import VenueServer, new_event_loop

    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config)
        fix = config.fix
        overrides = {
            k: v
            for k, v in (("host", args.host), ("port", args.port), ("state_file", args.state_file))
            if v is not None
        }
        if overrides:
            config = msgspec.structs.replace(config, fix=msgspec.structs.replace(fix, **overrides))
        config = _failover_overrides(config, args)
        if args.busy_poll_us < 0:
            raise ConfigError(f"--busy-poll-us must be >= 0 µs, got {args.busy_poll_us}")
    except ConfigError as e:
        print(f"hftsim venue serve: {e}", file=sys.stderr)
        return 2
    publisher = None if args.no_feed else make_publisher(config)
    dashboard_port = (
        args.dashboard_port if args.dashboard_port is not None else (config.dashboard.port or None)
    )
    if config.journal.directory is not None:
        from hftsim.net.standby.node import run_node

        return run_node(config, publisher, not args.no_uvloop, dashboard_port)
    server = VenueServer(config, publisher, dashboard_port=dashboard_port, busy_poll_us=args.busy_poll_us)
    loop = new_event_loop(not args.no_uvloop)
    try:
        loop.run_until_complete(server.serve())
    finally:
        loop.close()
    return 0


def _failover_overrides(config, args: argparse.Namespace):
    """Apply ``--journal`` ... ``--checkpoint-every`` to the journal and replication sections."""
    from hftsim.net.venue.config import parse_config

    journal = {
        k: v
        for k, v in (
            ("directory", args.journal),
            ("durable", True if args.durable else None),
            ("run_seed", args.run_seed),
            ("checkpoint_every", args.checkpoint_every),
        )
        if v is not None
    }
    repl = {
        k: v
        for k, v in (
            ("standby_of", args.standby_of),
            ("host", args.repl_host),
            ("port", args.repl_port),
            ("fence_file", args.fence),
            ("heartbeat_interval_ms", args.heartbeat_interval_ms),
            ("heartbeat_timeout_ms", args.heartbeat_timeout_ms),
            ("status_file", args.status_file),
        )
        if v is not None
    }
    if not journal and not repl:
        return config
    data = msgspec.to_builtins(config)
    data["journal"].update(journal)
    data["replication"].update(repl)
    return parse_config(data, "command line")


def _load(args: argparse.Namespace) -> int:
    from hftsim.net.client.load import run_load
    from hftsim.net.venue.server import new_event_loop

    rates = args.rate or [10_000.0]
    loop = new_event_loop(not args.no_uvloop)
    results = []
    try:
        for rate in rates:
            result = loop.run_until_complete(
                run_load(
                    args.host,
                    args.port,
                    sender_comp_id=args.sender,
                    target_comp_id=args.target,
                    rate_msgs_per_s=rate,
                    duration_s=args.duration,
                    max_msgs=args.count,
                    symbol=args.symbol,
                    price=args.price,
                    qty=args.qty,
                    cancel_every_order=not args.no_cancel,
                    engine=args.client,
                )
            )
            results.append(result)
            if args.json:
                print(json.dumps(msgspec.to_builtins(result)), flush=True)
    finally:
        loop.close()
    if not args.json:
        _print_table(results)
    return 0


def _print_table(results: list) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="hftsim venue load (order sent -> ack arrived, µs; read p99: -> ack read)")
    columns = (
        "offered/s",
        "achieved/s",
        "sent",
        "acked",
        "lost",
        "rejected",
        "unsent",
        "p50",
        "p99",
        "p99.9",
        "max",
        "read p99",
        "send lag",
        "drain ms",
        "sustained",
    )
    for col in columns:
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(
            f"{r.offered_msgs_per_s:,.0f}",
            f"{r.achieved_msgs_per_s:,.0f}",
            str(r.sent_msgs),
            str(r.acked_orders),
            str(r.lost_orders),
            str(r.rejected_orders),
            str(r.unsent_msgs),
            f"{r.rtt_p50_us:.1f}",
            f"{r.rtt_p99_us:.1f}",
            f"{r.rtt_p999_us:.1f}",
            f"{r.rtt_max_us:.1f}",
            f"{r.rtt_read_p99_us:.1f}",
            f"{r.max_send_lag_us:.0f}",
            f"{r.drain_ms:.1f}",
            "yes" if r.is_sustained else "no",
        )
    Console().print(table)
