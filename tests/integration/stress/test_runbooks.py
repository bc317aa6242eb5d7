"""The runbooks' commands still work: every ```sh runbook block of the stress docs, run in quick mode (slow).

Commands run in order, one temporary directory per document (later commands use earlier results),
each bounded by a timeout. ``hftsim stress`` runs as ``python -m hftsim.stress`` until it is wired
into ``hftsim``.
"""

import re
from pathlib import Path

import pytest

from tests.integration.stress._cli import run

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parents[3] / "docs"
_BLOCK = re.compile(r"```sh runbook\n(.*?)```", re.S)


def runbook_commands(text: str) -> list[str]:
    """Return the commands of every ```sh runbook block (comments and blank lines dropped)."""
    lines = []
    for block in _BLOCK.findall(text):
        for line in block.splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def test_runbook_commands_extracted():
    text = "x\n```sh runbook\nhftsim stress oms --quick  # note\n\n```\n```sh\nnot me\n```\n"
    assert runbook_commands(text) == ["hftsim stress oms --quick"]


@pytest.mark.parametrize("doc", ["stress_testing.md", "integration.md"])
def test_runbook_commands_run(tmp_path, doc):
    commands = runbook_commands((DOCS / doc).read_text())
    assert commands, f"{doc} has no runbook blocks"
    for command in commands:
        assert "--quick" in command or command.startswith(("hftsim regress", "hftsim stress compare")), (
            command
        )
        done = run(command, tmp_path, timeout_s=180)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
