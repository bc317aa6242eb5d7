"""``python -m hftsim.stress``: the ``hftsim stress`` command before it is wired into ``hftsim``."""

import sys

from hftsim.stress.cli import main

if __name__ == "__main__":
    sys.exit(main())
