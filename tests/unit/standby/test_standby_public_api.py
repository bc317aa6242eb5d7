"""Pin the public API of hftsim.net.standby."""

import hftsim.net.standby as standby


def test_standby_public_api_pinned():
    assert standby.__all__ == [
        "EpochFile",
        "FailoverClient",
        "FenceFile",
        "FrameDecoder",
        "PrimaryServer",
        "Standby",
        "encode_frame",
        "is_stale",
        "may_serve",
        "may_take_over",
        "next_epoch",
        "open_primary",
        "primary_must_step_down",
        "run_node",
        "standby_accepts_primary",
        "status_of",
    ]
    assert all(hasattr(standby, name) for name in standby.__all__)


def test_failover_cli_add_parser_registers_drill():
    import argparse

    from hftsim.net.standby.cli import add_parser

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["failover", "drill", "--kills", "2", "--seed", "5", "--json"])
    assert (args.kills, args.seed, args.json) == (2, 5, True)
