"""``python -m hftsim.net.venue serve|load ...``: the venue commands before the lead wires them into
``hftsim``. Edge."""

import argparse
import sys

from hftsim.net.venue.cli import add_parser


def main() -> int:
    """Parse ``venue`` arguments and run the sub-command."""
    parser = argparse.ArgumentParser(prog="python -m hftsim.net.venue")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["venue", *sys.argv[1:]])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
