"""Benchmark of the input journal: group-commit append with fsync, and checked replay. Cold path
(edge: reads wall time).

Workload: 2M command records (200k with ``quick``) appended in fixed batches of 1,000 records with
an fsync after every batch (FsyncPolicy.EVERY_BATCH). At the 1M records/s budget a batch is at most
1 ms of order flow, so this is at least as strict as "fsync every millisecond". Replay reads the
segments back through :class:`JournalReader`, checking every CRC and sequence number; the files
are then in the page cache, so replay measures the CPU cost of checking, not the disk.
Budgets: append >= 1M records/s, replay >= 1M records/s.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.rng import rng_for
from hftsim.journal import BackgroundJournalWriter, FsyncPolicy, JournalReader, JournalWriter

__all__ = ["BATCH_RECORDS", "run"]

BATCH_RECORDS = 1_000


def run(quick: bool = False, directory: str | None = None, seed: int = 20240601) -> dict:
    """Time appending and replaying command records.

    Args:
        quick: 200k records instead of 2M.
        directory: where to put the temporary journal (on the disk to measure); the system
            temporary directory when None.
        seed: run seed (stream ``"bench.journal"``) for the synthetic commands.

    Returns:
        ``append_records_per_s`` (synchronous writer, fsync per 1,000-record batch),
        ``append_commit_p50_us`` / ``append_commit_p99_us`` (one batch: frame, write, fsync),
        ``background_append_records_per_s`` (background writer, submit every batch, wait for the
        last to be durable), ``append_no_fsync_records_per_s`` (FsyncPolicy.NEVER: the CPU and
        write cost alone), ``replay_events_per_s`` (read and check), ``records``,
        ``batch_records``, ``fsync_calls``, ``segments``, ``journal_bytes``.
    """
    total = 200_000 if quick else 2_000_000
    records = _commands(total, seed)
    _warm_up()
    with tempfile.TemporaryDirectory(prefix="hftsim-bench-journal-", dir=directory) as tmp:
        fsync_calls = [0]

        def counting_fsync(fd: int) -> None:
            fsync_calls[0] += 1
            os.fsync(fd)

        commit_s = np.empty(total // BATCH_RECORDS + 1)
        writer = JournalWriter(os.path.join(tmp, "sync"), seed, FsyncPolicy.EVERY_BATCH, fsync=counting_fsync)
        start = time.perf_counter()
        for number, first in enumerate(range(0, total, BATCH_RECORDS)):
            batch_start = time.perf_counter()
            writer.append_batch(records[first:first + BATCH_RECORDS])
            commit_s[number] = time.perf_counter() - batch_start
        append_s = time.perf_counter() - start
        writer.close()
        commit_s = commit_s[: number + 1]

        background_s = _time_background(os.path.join(tmp, "background"), records, seed)
        no_fsync_s = _time_no_fsync(os.path.join(tmp, "never"), records, seed)

        reader = JournalReader(os.path.join(tmp, "sync"))
        start = time.perf_counter()
        replayed = sum(batch.shape[0] for batch in reader.iter_batches())
        replay_s = time.perf_counter() - start
        if replayed != total:
            raise AssertionError(f"replayed {replayed} records, wrote {total}")
        segments = reader.segments
        journal_bytes = sum(path.stat().st_size for path in segments)
    return {
        "append_records_per_s": total / append_s,
        "append_commit_p50_us": float(np.percentile(commit_s, 50) * 1e6),
        "append_commit_p99_us": float(np.percentile(commit_s, 99) * 1e6),
        "background_append_records_per_s": total / background_s,
        "append_no_fsync_records_per_s": total / no_fsync_s,
        "replay_events_per_s": total / replay_s,
        "records": total,
        "batch_records": BATCH_RECORDS,
        "fsync_calls": fsync_calls[0],
        "segments": len(segments),
        "journal_bytes": journal_bytes,
    }


def _time_background(path: str, records: np.ndarray, seed: int) -> float:
    writer = JournalWriter(path, seed, FsyncPolicy.EVERY_BATCH)
    start = time.perf_counter()
    with BackgroundJournalWriter(writer, max_pending_batches=256) as background:
        for first in range(0, records.shape[0], BATCH_RECORDS):
            last = background.submit(records[first:first + BATCH_RECORDS])
        if not background.wait_durable(last, timeout_s=120.0):
            raise AssertionError("background writer did not make the last batch durable within 120 s")
    return time.perf_counter() - start


def _time_no_fsync(path: str, records: np.ndarray, seed: int) -> float:
    start = time.perf_counter()
    with JournalWriter(path, seed, FsyncPolicy.NEVER) as writer:
        for first in range(0, records.shape[0], BATCH_RECORDS):
            writer.append_batch(records[first:first + BATCH_RECORDS])
    return time.perf_counter() - start


def _commands(total: int, seed: int) -> np.ndarray:
    rng = rng_for(seed, "bench.journal")
    records = np.zeros(total, dtype=COMMAND_DTYPE)
    records["seq"] = np.arange(1, total + 1)
    records["ts_event"] = np.cumsum(rng.integers(100, 2_000, total))
    records["order_id"] = np.arange(1, total + 1)
    records["client_order_id"] = rng.integers(1, 1 << 40, total)
    records["price_ticks"] = 10_000 + rng.integers(-50, 50, total)
    records["qty"] = rng.integers(1, 100, total)
    records["owner_id"] = rng.integers(0, 64, total)
    records["kind"] = rng.integers(1, 4, total)
    records["side"] = rng.choice(np.array([-1, 1], dtype=np.int8), total)
    records["order_type"] = 1
    records["tif"] = 1
    return records


def _warm_up() -> None:
    # Compiles (or loads from cache) the CRC kernel so the timings measure steady state.
    with tempfile.TemporaryDirectory(prefix="hftsim-bench-journal-warm-") as tmp:
        with JournalWriter(tmp, 0, FsyncPolicy.NEVER) as writer:
            writer.append_batch(_commands(10, 0))
        JournalReader(tmp).read_all()
