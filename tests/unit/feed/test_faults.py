"""Fault injector: seeded determinism and statistics that match the configuration."""

from __future__ import annotations

import numpy as np
import pytest

from hftsim.core.errors import ConfigError
from hftsim.net.faults import FaultConfig, FaultInjector, fault_config_from_flags


def _run(config: dict, n: int) -> FaultInjector:
    inj = FaultInjector(config)
    for i in range(n):
        inj.process(i.to_bytes(4, "big"))
    return inj


def test_faults_same_seed_same_packets_same_outcome():
    cfg = {"seed": 3, "loss": 0.05, "burst": 3, "reorder": 0.05, "duplicate": 0.05, "jitter_ms": 1.0}
    a, b = FaultInjector(cfg), FaultInjector(cfg)
    outs_a = [a.process(bytes([i % 256])) for i in range(2000)]
    outs_b = [b.process(bytes([i % 256])) for i in range(2000)]
    assert outs_a == outs_b


@pytest.mark.slow
def test_faults_gilbert_elliott_loss_and_burst_length_match_config():
    inj = _run({"seed": 1, "loss": 0.05, "burst": 4.0}, 200_000)
    stats = inj.stats()
    assert stats["loss_rate"] == pytest.approx(0.05, rel=0.1)
    assert stats["mean_burst"] == pytest.approx(4.0, rel=0.1)
    lengths = np.asarray(inj.burst_lengths)
    # geometric bursts: P(length == 1) = 1 / burst
    assert np.mean(lengths == 1) == pytest.approx(0.25, abs=0.03)


def test_faults_uniform_loss_has_short_bursts():
    stats = _run({"seed": 2, "loss": 0.1}, 50_000).stats()
    assert stats["loss_rate"] == pytest.approx(0.1, rel=0.1)
    assert stats["mean_burst"] == pytest.approx(1 / 0.9, rel=0.05)


def test_faults_duplicate_and_reorder_rates_match_config():
    inj = FaultInjector({"seed": 4, "duplicate": 0.1, "reorder": 0.1})
    sent = []
    for i in range(20_000):
        sent += [d for _, d in inj.process(i.to_bytes(4, "big"))]
    sent += inj.release_held()
    assert inj.counts["duplicated"] == pytest.approx(2000, rel=0.1)
    assert inj.counts["reordered"] == pytest.approx(1800, rel=0.15)
    assert len(sent) == 20_000 + inj.counts["duplicated"]
    seqs = [int.from_bytes(d, "big") for d in sent]
    assert sorted(set(seqs)) == list(range(20_000)) and seqs != sorted(seqs)


def test_faults_config_from_mapping_and_flags_agree():
    a = FaultConfig.from_mapping({"seed": 7, "loss": 0.01, "burst": 4})
    b = fault_config_from_flags("seed=7,loss=0.01,burst=4")
    assert a == b and a.expected_loss() == pytest.approx(0.01)


@pytest.mark.parametrize(
    "table, field",
    [
        ({"loss": 1.5}, "loss"),
        ({"burst": 0.5}, "burst"),
        ({"p_good_bad": 0.1}, "p_good_bad"),
        ({"nope": 1}, "nope"),
    ],
)
def test_faults_bad_config_raises_config_error_naming_field(table, field):
    with pytest.raises(ConfigError, match=field):
        FaultConfig.from_mapping(table)
