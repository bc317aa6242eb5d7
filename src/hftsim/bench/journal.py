"""Benchmark of the input journal: group-commit append with fsync, and checked replay. Cold path
(edge: reads wall time).

Workload: 2M command records (200k with ``quick``) appended in fixed batches of 1,000 records with
an fsync after every batch (FsyncPolicy.EVERY_BATCH). At the 1M records/s budget a batch is at most
1 ms of order flow, so this is at least as strict as "fsync every millisecond". Replay reads the
segments back through :class:`JournalReader`, checking every CRC and sequence number; the files
are then in the page cache, so replay measures the CPU cost of checking, not the disk.
Budgets: append >= 1M records/s, replay >= 1M records/s.

Durability (``hftsim.journal.venue``, ``checkpoint``, ``recovery``): a journaled venue fed 1M
commands of the realistic engine workload (100k with ``quick``), 4 symbols, then

* ``recover_1m_s``: recovery with no checkpoint (read, check and apply the whole journal, digest);
  ``recover_1m_from_checkpoint_s``: from a checkpoint 1% before the end (load it + replay the rest);
* ``replay_events_per_s``: events the engine produced per second of journal read + apply during the
  no-checkpoint recovery (until this suite measured durability, this key was the read-and-check rate
  of records alone, now ``journal_read_records_per_s``);
* ``checkpoint_pause_p99_us``: the per-command latency stall attributable to checkpointing: the
  primary's per-command latency p99 (``submit_record``, group commit, EVERY_BATCH, 200k commands;
  50k quick) with the shadow checkpointer running and a checkpoint requested every 4,000 commands,
  minus the same p99 without the checkpointer (0 when lower). Beside it: the time spent inside
  ``request_checkpoint`` per request (``checkpoint_request_p99_us``/``_max_us``) and, as a control,
  the same-sized window at the same commands of the run without checkpointer (building the extra
  state dict and encoding it) (``control_window_p99_us``): outliers of both are the journal writer
  thread taking the GIL and the OS scheduling other work, not the checkpoint code;
* ``inline_snapshot_ms_*``: ``MatchingEngine.snapshot()`` on the engine thread for 10k/100k/1M
  resting orders (the pause the shadow avoids).
Budgets: recovery of 1M commands <= 2 s, replay >= 1M events/s, checkpoint pause p99 <= 100 µs.
"""

from __future__ import annotations

import os
import tempfile
import time

import msgspec
import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.rng import rng_for
from hftsim.journal import BackgroundJournalWriter, FsyncPolicy, JournalReader, JournalWriter

__all__ = ["BATCH_RECORDS", "TARGETS", "run"]

TARGETS = {
    "append_records_per_s": (">=", 1_000_000),
    "background_append_records_per_s": (">=", 1_000_000),
    "journal_read_records_per_s": (">=", 1_000_000),
    "replay_events_per_s": (">=", 1_000_000),
    "recover_1m_s": ("<=", 2.0),
    "recover_1m_from_checkpoint_s": ("<=", 2.0),
    "checkpoint_pause_p99_us": ("<=", 100),
}

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
            writer.append_batch(records[first : first + BATCH_RECORDS])
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
        "journal_read_records_per_s": total / replay_s,
        "records": total,
        "batch_records": BATCH_RECORDS,
        "fsync_calls": fsync_calls[0],
        "segments": len(segments),
        "journal_bytes": journal_bytes,
        **_durability(quick, directory, seed),
    }


def _durability(quick: bool, directory: str | None, seed: int) -> dict:
    from hftsim.bench.workload import bench_instruments, engine_workload, resting_workload
    from hftsim.journal import JournaledVenue, RetentionPolicy, recover, write_checkpoint
    from hftsim.matching.engine import MatchingEngine

    total = 100_000 if quick else 1_000_000
    commands = engine_workload(total, 4, seed)
    figures: dict = {"durability_commands": total}
    with tempfile.TemporaryDirectory(prefix="hftsim-bench-durability-", dir=directory) as tmp:
        venue_dir = os.path.join(tmp, "venue")
        clock = iter(range(1_000, 1 << 62, 1_000))
        with JournaledVenue(
            venue_dir, lambda: next(clock), bench_instruments(4), seed, fsync_policy=FsyncPolicy.NEVER
        ) as venue:
            for first in range(0, total, 65_536):
                venue.submit_batch(commands[first : first + 65_536])
            digest = venue.digest()
        recover(venue_dir, use_checkpoints=False)  # warm the page cache and the CRC kernel
        full = recover(venue_dir, use_checkpoints=False)
        checkpoint_seq = total - total // 100
        engine = MatchingEngine(bench_instruments(4))
        engine.run_batch(JournalReader(os.path.join(venue_dir, "journal")).read_all()[:checkpoint_seq])
        write_checkpoint(os.path.join(venue_dir, "checkpoints"), checkpoint_seq, seed, engine)
        tail = recover(venue_dir)
        if not full.digest == tail.digest == digest:
            raise AssertionError("recovered digests differ from the venue's digest")
        figures.update(
            {
                "recover_1m_s": full.seconds["total"],
                "recover_1m_replay_s": full.seconds["replay"],
                "recover_1m_from_checkpoint_s": tail.seconds["total"],
                "replay_events_per_s": full.replayed_events / full.seconds["replay"],
                "recovered_resting_orders": sum(full.engine.live_orders(i) for i in range(4)),
            }
        )
        figures.update(
            _checkpoint_pause(
                commands[: 50_000 if quick else 200_000],
                tmp,
                seed,
                bench_instruments(4),
                JournaledVenue,
                RetentionPolicy,
            )
        )
    for resting in (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000):
        engine = MatchingEngine(bench_instruments(1))
        engine.run_batch(resting_workload(resting, seed))
        times = []
        for _ in range(5):
            start = time.perf_counter()
            engine.snapshot()
            times.append(time.perf_counter() - start)
        figures[f"inline_snapshot_ms_{resting // 1000}k"] = float(np.median(times) * 1e3)
    return figures


def _checkpoint_pause(
    commands: np.ndarray, tmp: str, seed: int, instruments, venue_class, retention_class
) -> dict:
    rows = commands.tolist()
    figures = {}
    for label, retention in (("without", None), ("with", retention_class(keep_last=3))):
        clock = iter(range(1_000, 1 << 62, 1_000))
        venue = venue_class(
            os.path.join(tmp, f"pause-{label}"),
            lambda: next(clock),
            instruments,
            seed,
            checkpointer=retention,
        )
        if venue.shadow is not None and not venue.shadow.wait_ready(60):
            raise AssertionError("the shadow checkpointer did not start")
        latency_ns = np.empty(len(rows), dtype=np.int64)
        pauses_ns = []
        clock_ns = time.perf_counter_ns
        submit = venue.submit_record
        for number, row in enumerate(rows):
            start = clock_ns()
            submit(row)
            if number % 4_000 == 3_999:
                checkpoint_start = clock_ns()
                if retention is not None:
                    venue.request_checkpoint({"feed_seq": number})
                else:
                    msgspec.msgpack.encode({"feed_seq": number})
                pauses_ns.append(clock_ns() - checkpoint_start)
            latency_ns[number] = clock_ns() - start
        shadow = venue.shadow
        venue.close()
        figures[f"command_latency_p99_us_{label}_checkpointer"] = float(np.percentile(latency_ns, 99) / 1e3)
        figures[f"command_latency_p999_us_{label}_checkpointer"] = float(
            np.percentile(latency_ns, 99.9) / 1e3
        )
        if shadow is None:
            figures["control_window_p99_us"] = float(np.percentile(np.array(pauses_ns) / 1e3, 99))
        else:
            pauses = np.array(pauses_ns) / 1e3
            figures["checkpoint_pause_p99_us"] = max(
                0.0,
                figures["command_latency_p99_us_with_checkpointer"]
                - figures["command_latency_p99_us_without_checkpointer"],
            )
            figures["checkpoint_request_p99_us"] = float(np.percentile(pauses, 99))
            figures["checkpoint_request_max_us"] = float(pauses.max())
            figures["checkpoint_requests"] = len(pauses_ns)
            figures["checkpoint_requests_dropped"] = shadow.dropped
            figures["checkpoints_kept"] = len(os.listdir(os.path.join(tmp, f"pause-{label}", "checkpoints")))
    return figures


def _time_background(path: str, records: np.ndarray, seed: int) -> float:
    writer = JournalWriter(path, seed, FsyncPolicy.EVERY_BATCH)
    start = time.perf_counter()
    with BackgroundJournalWriter(writer, max_pending_batches=256) as background:
        for first in range(0, records.shape[0], BATCH_RECORDS):
            last = background.submit(records[first : first + BATCH_RECORDS])
        if not background.wait_durable(last, timeout_s=120.0):
            raise AssertionError("background writer did not make the last batch durable within 120 s")
    return time.perf_counter() - start


def _time_no_fsync(path: str, records: np.ndarray, seed: int) -> float:
    start = time.perf_counter()
    with JournalWriter(path, seed, FsyncPolicy.NEVER) as writer:
        for first in range(0, records.shape[0], BATCH_RECORDS):
            writer.append_batch(records[first : first + BATCH_RECORDS])
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
