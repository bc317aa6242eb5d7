"""The example in docs/strategies.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "strategies.md"


def test_strategies_doc_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/strategies.md must contain a python example"
    namespace: dict = {"__name__": "strategies_doc_example"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    jumper = namespace["jumper"]
    assert jumper.oms.position() == 10
    assert jumper.oms.holding(0).fees_units == -20_000  # maker rebate on 10 shares
    assert "position 10" in capsys.readouterr().out
