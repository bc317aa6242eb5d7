"""Per-component random streams derived from the run seed. Cold path."""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["rng_for"]


def rng_for(run_seed: int, component: str) -> np.random.Generator:
    """Give each component its own stream, so a new component never shifts another's draws.

    Args:
        run_seed: the run's seed (required; written into the journal header).
        component: a stable name such as ``"flow.hawkes"`` or ``"agent.mm1"``.

    Returns:
        A PCG64 generator seeded from ``(run_seed, crc32(component))``.
    """
    key = zlib.crc32(component.encode())  # stable across processes, unlike hash()
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(run_seed), spawn_key=(key,))))
