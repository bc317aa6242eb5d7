"""``hftsim bench engine``: throughput, latency and memory of the matching engine. Cold path.

What is measured, on the seeded workload of :mod:`hftsim.bench.workload`:

* **batch**: ``run_batch(chunk, reuse_buffer=True)`` over the whole workload in chunks of 8,192
  commands, as a streaming replay consumes it (each chunk's events are a record array the caller reads
  before the next chunk). ``batch_msgs_per_s`` is commands in per second of wall time.
* **per command**: ``submit_record(record)`` once per command, the record being one row of the
  workload as a tuple (``commands.tolist()``, done before the timed loop, chunk by chunk).
  ``msgs_per_s`` times the bare loop; the latency pass times each call with two
  ``perf_counter_ns`` reads, whose own cost (``timer_overhead_ns``, measured the same way around
  nothing) is included in ``p50_ns``/``p99_ns``/``p999_ns``, not subtracted.
* **memory**: ``peak_rss_mb`` is the peak RSS of this benchmark process (``VmHWM``; workload
  arrays included). ``resting_1m_growth_mb`` is measured in a fresh subprocess: RSS after building the
  engine and the 1,000,000 orders' command array, then after resting them all.

Each pass uses a fresh engine (arena preallocated for 65,536 orders per symbol, as a venue sizes it
for its peak book; it still grows past that), so passes do not share a warm book. Throughput is the
median of three passes.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from array import array

import numpy as np

from hftsim.bench.workload import bench_instruments, engine_workload, resting_workload
from hftsim.core.enums import StpMode
from hftsim.matching.engine import MatchingEngine

__all__ = ["resting_growth_mb", "run"]

_CHUNK = 8_192
_REPEATS = 3  # throughput passes; the median is reported
_CAPACITY = 65_536  # orders preallocated per symbol, as a venue sizes its arena for its peak book
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _peak_rss_mb() -> float:
    """Peak RSS of this program: VmHWM of its address space.

    Not ``getrusage().ru_maxrss``: Linux carries the RSS a process had when it was forked across
    ``exec`` into that figure, so a benchmark started from a large process would report the parent's.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _chunks(commands: np.ndarray) -> list[np.ndarray]:
    return [commands[i : i + _CHUNK] for i in range(0, len(commands), _CHUNK)]


def _engine(n_symbols: int) -> MatchingEngine:
    return MatchingEngine(bench_instruments(n_symbols), StpMode.CANCEL_RESTING, capacity=_CAPACITY)


def _batch_pass(commands: np.ndarray, n_symbols: int) -> tuple[float, int]:
    engine = _engine(n_symbols)
    n_events = 0
    elapsed = 0.0
    for chunk in _chunks(commands):
        t0 = time.perf_counter()
        events = engine.run_batch(chunk, reuse_buffer=True)
        elapsed += time.perf_counter() - t0
        n_events += len(events)
    return elapsed, n_events


def _per_command_pass(commands: np.ndarray, n_symbols: int) -> float:
    engine = _engine(n_symbols)
    submit = engine.submit_record
    elapsed = 0.0
    for chunk in _chunks(commands):
        records = chunk.tolist()
        t0 = time.perf_counter()
        for rec in records:
            submit(rec)
        elapsed += time.perf_counter() - t0
        del records
    return elapsed


def _latency_pass(commands: np.ndarray, n_symbols: int) -> np.ndarray:
    engine = _engine(n_symbols)
    submit = engine.submit_record
    clock = time.perf_counter_ns
    latencies = array("q")
    append = latencies.append
    gc.disable()  # a collection pause is the interpreter's, not the engine's; the core allocates nothing
    try:
        for chunk in _chunks(commands):
            records = chunk.tolist()
            for rec in records:
                t0 = clock()
                submit(rec)
                append(clock() - t0)
            del records
    finally:
        gc.enable()
    return np.frombuffer(latencies, dtype=np.int64)


def _timer_overhead_ns(n: int = 200_000) -> float:
    clock = time.perf_counter_ns
    samples = array("q")
    for _ in range(n):
        t0 = clock()
        samples.append(clock() - t0)
    return float(np.median(np.frombuffer(samples, dtype=np.int64)))


def _suite(n_commands: int, n_symbols: int, seed: int) -> dict:
    commands = engine_workload(n_commands, n_symbols, seed)
    batch = [_batch_pass(commands, n_symbols) for _ in range(_REPEATS)]
    batch_s, n_events = float(np.median([b[0] for b in batch])), batch[0][1]
    per_command_s = float(np.median([_per_command_pass(commands, n_symbols) for _ in range(_REPEATS)]))
    lat = _latency_pass(commands, n_symbols)
    p50, p99, p999 = np.percentile(lat, [50, 99, 99.9])
    mix = np.bincount(commands["kind"], minlength=4)
    marketable = int(((commands["kind"] == 1) & (commands["tif"] == 3)).sum())
    out = {
        "commands": n_commands,
        "symbols": n_symbols,
        "events": n_events,
        "new_passive_pct": round(100 * (mix[1] - marketable) / n_commands, 1),
        "marketable_pct": round(100 * marketable / n_commands, 1),
        "cancel_pct": round(100 * mix[2] / n_commands, 1),
        "replace_pct": round(100 * mix[3] / n_commands, 1),
        "batch_msgs_per_s": round(n_commands / batch_s),
        "msgs_per_s": round(n_commands / per_command_s),
        "p50_ns": round(float(p50)),
        "p99_ns": round(float(p99)),
        "p999_ns": round(float(p999)),
        "max_ns": int(lat.max()),
    }
    del commands, lat
    gc.collect()
    return out


def resting_growth_mb(n_orders: int = 1_000_000, seed: int = 7) -> dict:
    """RSS growth of a fresh engine from empty to ``n_orders`` resting orders (run in a fresh process)."""
    commands = resting_workload(n_orders, seed)
    engine = MatchingEngine(bench_instruments(1), StpMode.CANCEL_RESTING)
    gc.collect()
    before = _rss_bytes()
    for chunk in _chunks(commands):
        engine.run_batch(chunk, reuse_buffer=True)
    gc.collect()
    after = _rss_bytes()
    return {
        "resting_orders": engine.live_orders(0),
        "resting_growth_mb": round((after - before) / 2**20, 1),
        "arena_and_maps_mb": round(engine._core.arena_bytes(0) / 2**20, 1),
    }


def _resting_in_subprocess(n_orders: int) -> dict:
    code = (
        "import json; from hftsim.bench.engine import resting_growth_mb; "
        f"print(json.dumps(resting_growth_mb({n_orders})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False, seed: int = 7) -> dict:
    """Run the engine benchmark.

    Args:
        quick: 100,000 commands (and 100,000 resting orders) instead of 1,000,000.
        seed: workload seed.

    Returns:
        A flat dict of figures; the keys of the one-symbol run are unprefixed, the eight-symbol run's
        carry the suffix ``_8sym``.
    """
    n = 100_000 if quick else 1_000_000
    one = _suite(n, 1, seed)
    eight = _suite(n, 8, seed)
    resting = _resting_in_subprocess(n)
    result = {**one, **{f"{k}_8sym": v for k, v in eight.items() if k not in ("commands",)}}
    result.update(
        timer_overhead_ns=_timer_overhead_ns(),
        peak_rss_mb=round(_peak_rss_mb(), 1),
        resting_orders=resting["resting_orders"],
        resting_1m_growth_mb=resting["resting_growth_mb"],
        resting_arena_and_maps_mb=resting["arena_and_maps_mb"],
        quick=quick,
        seed=seed,
    )
    return result


#: target per key: (comparison, bound) — shown next to each figure in the table
TARGETS = {
    "batch_msgs_per_s": (">=", 10_000_000),
    "msgs_per_s": (">=", 2_000_000),
    "p99_ns": ("<=", 1_000),
    "p999_ns": ("<=", 2_000),
    "peak_rss_mb": ("<", 250),
    "resting_1m_growth_mb": ("<=", 64),
}
