import argparse

import hftsim.sweep
from hftsim.sweep.cli import add_parser


def test_sweep_public_api_is_pinned():
    assert sorted(hftsim.sweep.__all__) == [
        "METRICS",
        "Plan",
        "SimTask",
        "SweepFailure",
        "SweepResult",
        "SweepSpec",
        "TaskOutcome",
        "canonical_json",
        "connect",
        "default_workers",
        "expand_points",
        "list_sweeps",
        "load_sweep",
        "parse_sweep",
        "plan",
        "run_sweep",
        "run_task",
        "set_param",
        "task_id",
        "task_seed",
    ]


def test_add_parser_registers_sweep_with_its_options_once():
    parser = argparse.ArgumentParser(prog="hftsim")
    sub = parser.add_subparsers(dest="command")
    assert add_parser(sub) is not None and add_parser(sub) is None
    args = parser.parse_args(
        ["sweep", "s.toml", "--out", "o", "--scheduler", "tcp://h:8786", "--no-progress"]
    )
    assert (str(args.out), args.scheduler, args.workers, args.no_progress) == (
        "o",
        "tcp://h:8786",
        None,
        True,
    )
    assert parser.parse_args(["sweep", "s.toml", "--workers", "3"]).workers == 3
