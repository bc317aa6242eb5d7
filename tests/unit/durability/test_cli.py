"""The journal recover and journal inspect commands (hftsim venue recover is the same parser)."""

from __future__ import annotations

import argparse

from hftsim.journal import JournalReader
from hftsim.journal.cli import add_parser, main

from .durability_support import FRAME_BYTES, build_venue, workload


def test_cli_registers_its_commands():
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["journal", "recover", "d"])
    assert callable(args.func)
    assert callable(parser.parse_args(["journal", "inspect", "d"]).func)


def test_cli_venue_recover_prints_seq_digest_and_timing(tmp_path, capsys):
    digest = build_venue(tmp_path / "v", workload(300), checkpoint_at=(200,))
    assert main(["journal", "recover", str(tmp_path / "v")]) == 0
    out = capsys.readouterr().out
    assert "last_seq        300" in out and digest in out and "seq 200" in out and "seconds" in out


def test_cli_venue_recover_error_exits_2_without_traceback(tmp_path, capsys):
    assert main(["journal", "recover", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "venue.json is missing" in err and "Traceback" not in err


def test_cli_journal_inspect_shows_segments_and_torn_tail(tmp_path, capsys):
    build_venue(tmp_path / "v", workload(300))
    segment = JournalReader(tmp_path / "v" / "journal").segments[-1]
    with open(segment, "r+b") as f:
        f.truncate(segment.stat().st_size - FRAME_BYTES // 2)
    assert main(["journal", "inspect", str(tmp_path / "v")]) == 0
    out = capsys.readouterr().out
    assert "seqs 1..299" in out and "tail: TORN" in out and "checkpoint" not in out.split("tail:")[1]
