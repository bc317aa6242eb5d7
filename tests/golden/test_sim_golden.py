"""Golden digests of shipped simulation scenarios.

Each scenario runs twice with its seed; both digests must equal the stored one in
``tests/golden/sim_digests.json``. After an intended change of the simulation (engine, flows,
kernel or log layout), regenerate the file and commit it with the change::

    HFTSIM_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/golden/test_sim_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hftsim.sim.run import run_scenario

GOLDEN = Path(__file__).with_name("sim_digests.json")
SCENARIOS = ["quick"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_same_seed_same_digest_equals_golden(name, tmp_path):
    first = run_scenario(name, tmp_path / "a", progress=False)
    second = run_scenario(name, tmp_path / "b", progress=False)
    assert first.digest == second.digest
    stored = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if os.environ.get("HFTSIM_REGEN_GOLDEN"):
        stored[name] = first.digest
        GOLDEN.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    assert first.digest == stored[name], "simulation changed: regenerate the golden digests if intended"
