"""``hftsim failover drill``: SIGKILL a journaled venue's primary again and again; check nothing is lost.
Edge."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``failover`` with the sub-command ``drill``."""
    p = subparsers.add_parser("failover", help="hot standby failover drill", description=__doc__)
    sub = p.add_subparsers(dest="failover_command", metavar="SUBCOMMAND", required=True)
    drill = sub.add_parser("drill", help="run the venue and its standby, SIGKILL the primary N times, check")
    drill.add_argument("--kills", type=int, default=20, help="primary kills (default 20)")
    drill.add_argument("--seed", type=int, default=7, help="seed of kill points and order flow (default 7)")
    drill.add_argument("--clients", type=int, default=2, help="FIX clients (default 2)")
    drill.add_argument("--rate", type=float, default=50.0, help="orders per second per client (default 50)")
    drill.add_argument(
        "--heartbeat-timeout-ms", type=float, default=200.0, help="takeover timeout (default 200)"
    )
    drill.add_argument("--out", help="output directory (default: a new temporary directory)")
    drill.add_argument("--json", action="store_true", help="print the summary as JSON")
    drill.set_defaults(func=_drill)
    return p


def _drill(args: argparse.Namespace) -> int:
    from hftsim.net.standby.drill import run_drill

    logging.basicConfig(level=logging.INFO if not args.json else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(message)s")  # fmt: skip
    out = args.out or tempfile.mkdtemp(prefix="hftsim-failover-")
    result = run_drill(
        out,
        kills=args.kills,
        seed=args.seed,
        clients=args.clients,
        rate_per_client=args.rate,
        heartbeat_timeout_ms=args.heartbeat_timeout_ms,
    )
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
        print(f"{'output':24} {out} (failover_tests.log, failover_summary.csv)")
    ok = result["acked_orders_lost"] == 0 and result["duplicate_executions"] == 0
    ok = ok and result["digest_mismatches"] == 0 and result["max_abs_pnl_delta"] == 0
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run ``failover`` as a stand-alone program (until the lead wires it into ``hftsim``)."""
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
