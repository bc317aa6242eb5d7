"""``hftsim venue recover DIR``, ``hftsim journal recover|inspect DIR``. Edge.

Recover a journaled venue; look inside a journal.

Errors print one line to stderr and
exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hftsim.core.errors import HftsimError
from hftsim.journal._reader import JournalReader, _read_segment
from hftsim.journal.checkpoint import list_checkpoints, read_checkpoint
from hftsim.journal.recovery import CHECKPOINT_SUBDIR, JOURNAL_SUBDIR, recover

__all__ = ["add_parser", "add_recover_parser", "main"]


def add_recover_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``recover DIR`` under ``subparsers`` (``hftsim venue recover``, ``journal recover``)."""
    p = subparsers.add_parser(
        "recover",
        help="recover a journaled venue directory and print its state",
        description="Rebuild the venue from its latest valid checkpoint and the journal "
        "tail (truncating a torn last write); print the seq, digest and timing.",
    )
    p.add_argument("directory", type=Path, help="venue directory (venue.json, journal/, checkpoints/)")
    p.add_argument(
        "--no-checkpoint", action="store_true", help="replay the whole journal, ignoring checkpoints"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="do not truncate a torn tail (a torn tail then stops recovery)"
    )
    p.set_defaults(func=_recover)
    return p


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``journal inspect DIR`` and ``journal recover DIR``."""
    journal = subparsers.add_parser("journal", help="journal tools")
    sub = journal.add_subparsers(dest="journal_command", metavar="SUBCOMMAND", required=True)
    inspect = sub.add_parser("inspect", help="list segments, seqs, checkpoints and tail status")
    inspect.add_argument("directory", type=Path, help="a venue directory or a journal directory")
    inspect.set_defaults(func=_inspect)
    add_recover_parser(sub)
    return journal


def main(argv: list[str] | None = None) -> int:
    """Run these commands standalone (``python -m hftsim.journal.cli``); return the exit code."""
    parser = argparse.ArgumentParser(prog="hftsim-journal")
    add_parser(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _recover(args: argparse.Namespace) -> int:
    try:
        started = time.perf_counter()
        result = recover(
            args.directory, use_checkpoints=not args.no_checkpoint, truncate_torn_tail=not args.dry_run
        )
        elapsed = time.perf_counter() - started
    except (HftsimError, OSError) as e:
        print(f"hftsim venue recover: {e}", file=sys.stderr)
        return 2
    for reason in result.skipped_checkpoints:
        print(f"WARNING skipped damaged checkpoint: {reason}", file=sys.stderr)
    if result.torn_tail is not None:
        print(
            f"WARNING truncated torn tail: {result.torn_tail.reason} ({result.torn_tail.torn_bytes} bytes)",
            file=sys.stderr,
        )
    checkpoint = (
        f"seq {result.checkpoint_seq} ({result.checkpoint_path.name})" if result.checkpoint_path else "none"
    )
    seconds = result.seconds
    print(f"last_seq        {result.last_seq}")
    print(f"digest          {result.digest}")
    print(f"checkpoint      {checkpoint}")
    print(f"replayed        {result.replayed_records} records, {result.replayed_events} events")
    print(
        f"resting orders  {sum(result.engine.live_orders(i) for i in range(len(result.engine.instruments)))}"
    )
    print(f"extra_state     {sorted(result.extra_state)}")
    print(
        f"seconds         total {elapsed:.3f} (checkpoint {seconds['checkpoint']:.3f}, replay "
        f"{seconds['replay']:.3f}, digest {seconds['digest']:.3f})"
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    directory = args.directory
    journal_dir = directory / JOURNAL_SUBDIR if (directory / JOURNAL_SUBDIR).is_dir() else directory
    try:
        reader = JournalReader(journal_dir)
        segments = reader.segments
        print(f"journal {journal_dir}: {len(segments)} segment(s)")
        for number, path in enumerate(segments):
            _print_segment(path, is_last=number == len(segments) - 1)
        tail = reader.tail()
        print(
            "tail: clean"
            if tail is None
            else f"tail: TORN: {tail.reason}; {tail.torn_bytes} bytes after byte "
            f"offset {tail.good_bytes} (`hftsim venue recover` truncates them)"
        )
        checkpoint_dir = directory / CHECKPOINT_SUBDIR
        for info in list_checkpoints(checkpoint_dir):
            try:
                body = read_checkpoint(info.path)
                status = f"ok, {sum(len(b) // 40 for b in body.books)} resting orders"
            except HftsimError as e:
                status = f"DAMAGED: {e}"
            print(f"checkpoint {info.path.name}: seq {info.seq}, {status}")
    except (HftsimError, OSError) as e:
        print(f"hftsim journal inspect: {e}", file=sys.stderr)
        return 2
    return 0


def _print_segment(path: Path, *, is_last: bool) -> None:
    segment = _read_segment(path, is_last=is_last)
    size = path.stat().st_size
    if segment.header is None:
        print(f"  {path.name}: {size} bytes, header torn")
        return
    count = segment.records.shape[0]
    seqs = (
        f"seqs {segment.header.first_seq}..{segment.header.first_seq + count - 1}" if count else "no records"
    )
    status = "ok" if segment.error is None else f"DAMAGED: {segment.error}"
    print(
        f"  {path.name}: {size} bytes, {count} records, {seqs}, run seed {segment.header.run_seed}, "
        f"format v{segment.header.format_version}, {status}"
    )


if __name__ == "__main__":
    sys.exit(main())
