"""How tests call ``hftsim stress``: the installed command when it has ``stress``, else ``python -m``."""

import functools
import os
import shlex
import subprocess
import sys
from pathlib import Path

HFTSIM = Path(sys.executable).with_name("hftsim")


@functools.cache
def is_stress_wired() -> bool:
    if not HFTSIM.exists():
        return False
    done = subprocess.run([str(HFTSIM), "stress", "--help"], capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and "scenario" in done.stdout


def argv(command: str) -> list[str]:
    """Turn a runbook line (``hftsim stress ...``, ``hftsim regress ...``) into an argv for this venv."""
    words = shlex.split(command)
    assert words[0] == "hftsim", command
    if words[1] == "stress" and not is_stress_wired():
        return [sys.executable, "-m", "hftsim.stress", *words[2:]]
    return [
        str(HFTSIM) if HFTSIM.exists() else sys.executable,
        *([] if HFTSIM.exists() else ["-m", "hftsim.cli"]),
        *words[1:],
    ]


def run(command: str, cwd: Path, timeout_s: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "COLUMNS": "160"},
    )
