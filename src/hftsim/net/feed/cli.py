"""The ``data itch`` command: ITCH 5.0 file -> L1 and trade Parquet, optionally replayed as a feed. Edge."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from hftsim.core.errors import ConfigError, HftsimError

__all__ = ["add_parser", "replay_itch_file"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``data itch FILE [--out DIR] [--symbols A,B] [--replay HOST:PORT]``; return the parser."""
    data = subparsers.add_parser("data", help="convert and replay market-data files")
    sub = data.add_subparsers(dest="data_command", metavar="FORMAT")
    itch = sub.add_parser(
        "itch",
        help="read a Nasdaq TotalView-ITCH 5.0 file",
        description="Rebuild books from an ITCH 5.0 file (length-prefixed messages, .gz allowed), write "
        "l1.parquet and trades.parquet, and optionally replay the messages as a MoldUDP64 feed.",
    )
    itch.add_argument("file", type=Path, metavar="FILE")
    itch.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output directory (default: no tables)"
    )
    itch.add_argument("--symbols", default=None, help="comma-separated stocks to keep (default: all)")
    itch.add_argument(
        "--replay", default=None, metavar="HOST:PORT", help="also publish the messages to this address"
    )
    itch.add_argument("--rate", type=float, default=100_000.0, help="replay rate in messages per second")
    itch.add_argument("--session", default="REPLAY", help="MoldUDP64 session of the replay")
    itch.set_defaults(func=_run)
    data.set_defaults(func=lambda args: data.print_help() or 2)
    return data


def _run(args: argparse.Namespace) -> int:
    from hftsim.data.itch_file import convert_itch_file

    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()] if args.symbols else None
    try:
        summary = convert_itch_file(args.file, args.out, symbols)
        print(
            f"{args.file}: {summary.messages} messages, {len(summary.symbols)} symbols, "
            f"{summary.l1_rows} L1 rows, {summary.trade_rows} trades"
            + (f" -> {args.out}" if args.out else "")
        )
        if args.replay:
            host, _, port = args.replay.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"--replay: expected HOST:PORT, got {args.replay!r}")
            sent = asyncio.run(replay_itch_file(args.file, [(host, int(port))], args.session, args.rate))
            print(f"replayed {sent} messages to {args.replay}")
    except (HftsimError, OSError) as e:
        print(f"hftsim data itch: {e}", file=sys.stderr)
        return 1
    return 0


async def replay_itch_file(
    path,
    destinations: list[tuple[str, int]],
    session: str = "REPLAY",
    rate_per_s: float = 100_000.0,
    rerequest_port: int = 0,
) -> int:
    """Publish an ITCH file's supported messages via a FeedPublisher at ``rate_per_s``; return the count."""
    from hftsim.net.feed.publisher import FeedPublisher
    from hftsim.net.itch import MESSAGE_LENGTHS, iter_raw_messages, open_itch_file

    supported = {t[0] for t in MESSAGE_LENGTHS}
    publisher = FeedPublisher([], session.encode(), destinations, rerequest_port)
    await publisher.start()
    sent = 0
    batch: list[bytes] = []
    start = time.monotonic()
    with open_itch_file(path) as stream:
        for _, message in iter_raw_messages(stream):
            if message and message[0] in supported:
                batch.append(message)
            if len(batch) >= 256:
                publisher.publish_messages(batch)
                sent += len(batch)
                batch = []
                ahead = sent / rate_per_s - (time.monotonic() - start)
                await asyncio.sleep(max(0.0, ahead))
    publisher.publish_messages(batch)
    sent += len(batch)
    await publisher.stop()
    return sent
