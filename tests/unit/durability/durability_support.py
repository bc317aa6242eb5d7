"""Test support of the durability tests: seeded workloads, venue directories, straight replays."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np

from hftsim.bench.workload import bench_instruments, engine_workload
from hftsim.journal import FsyncPolicy, JournaledVenue, JournalReader, RetentionPolicy
from hftsim.matching.engine import MatchingEngine

N_SYMBOLS = 3
SEED = 11
FRAME_BYTES = 76
HEADER_BYTES = 64


@functools.lru_cache(maxsize=4)
def workload(n: int = 2_000, seed: int = SEED) -> np.ndarray:
    """A realistic seeded command stream (cached: tests must not modify it)."""
    commands = engine_workload(n, N_SYMBOLS, seed)
    commands.flags.writeable = False
    return commands


def instruments():
    return bench_instruments(N_SYMBOLS)


def counting_clock(start_ns: int = 1_000, step_ns: int = 1_000):
    counter = itertools.count(start_ns, step_ns)
    return lambda: next(counter)


def build_venue(
    directory: Path,
    commands: np.ndarray,
    *,
    checkpoint_at: tuple[int, ...] = (),
    segment_bytes: int = 64 << 20,
    run_seed: int = SEED,
) -> str:
    """Write a venue directory by feeding ``commands`` in batches, with inline checkpoints after the
    given command counts; return the final digest."""
    venue = JournaledVenue(
        directory,
        counting_clock(),
        instruments(),
        run_seed,
        fsync_policy=FsyncPolicy.EVERY_BATCH,
        segment_bytes=segment_bytes,
    )
    with venue:
        done = 0
        for stop in (*checkpoint_at, commands.shape[0]):
            venue.submit_batch(commands[done:stop])
            done = stop
            if stop in checkpoint_at:
                venue.checkpoint_inline({"feed_seq": stop}, RetentionPolicy(keep_last=10))
        return venue.digest()


def straight_replay_digest(journal_dir: Path, upto_seq: int | None = None) -> tuple[str, int]:
    """Replay the journal's whole records (up to ``upto_seq``) into a fresh engine: (digest, last seq)."""
    records = JournalReader(journal_dir).read_all()
    if upto_seq is not None:
        records = records[records["seq"] <= upto_seq]
    engine = MatchingEngine(instruments())
    engine.run_batch(records)
    return engine.digest(), int(records["seq"][-1]) if records.shape[0] else 0


def replay_digest(commands: np.ndarray) -> str:
    engine = MatchingEngine(instruments())
    engine.run_batch(np.ascontiguousarray(commands))
    return engine.digest()
