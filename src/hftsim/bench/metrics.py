"""``hftsim bench metrics``: what recording metrics costs, so they can stay on in benchmarks. Cold path.

What is measured:

* ``record_ns``: one :meth:`LatencyHistogram.record` call through a bound method, on a list of
  lognormal latencies (median 1 µs), net of the bare loop's own cost. ``counter_inc_ns``: one
  :meth:`Counter.inc` call, likewise. ``record_many_ns``: per sample, for a 65,536-sample array.
* ``timer_ns``: one ``time.perf_counter_ns()`` read (a latency sample needs two).
* the engine loop, on the engine benchmark's seeded workload (one symbol), each command applied with
  ``submit_record`` (the per-command path the venue uses), in three variants:

  - ``bare``: ``submit(rec)``;
  - ``timed``: ``t0 = clock(); submit(rec); clock() - t0`` (the timestamps alone);
  - ``recorded``: ``t0 = clock(); submit(rec); hist.record(clock() - t0); counter.inc()``.

  - ``buffered``: ``t0 = clock(); submit(rec); samples.append(clock() - t0)``, then once per chunk
    of 8,192 commands ``hist.record_many(samples)`` and ``counter.inc(len(chunk))``.

  ``metrics_overhead_pct`` is recorded vs bare: everything metrics add per command.
  ``buffered_overhead_pct`` is buffered vs bare.
  ``record_overhead_pct`` is recorded vs timed: the histogram and counter alone, for a path that
  takes the timestamps anyway (the venue stamps every command for the journal).

Each variant runs ``repeats`` times, interleaved, on a fresh engine; the median time is kept.
"""

from __future__ import annotations

import gc
import time
from array import array

import numpy as np

from hftsim.bench.workload import bench_instruments, engine_workload
from hftsim.core.enums import StpMode
from hftsim.matching.engine import MatchingEngine
from hftsim.monitor.histogram import LatencyHistogram
from hftsim.monitor.metrics import MetricsRegistry

__all__ = ["TARGETS", "run"]

_CHUNK = 8_192


def _per_call_ns(n: int, seed: int) -> dict[str, float]:
    values = [int(v) for v in np.random.default_rng(seed).lognormal(np.log(1000), 1.0, n)]
    hist = LatencyHistogram("bench")
    counter = MetricsRegistry().counter("bench")
    record, inc = hist.record, counter.inc
    clock = time.perf_counter_ns

    def loop_empty() -> int:
        t0 = clock()
        for _v in values:
            pass
        return clock() - t0

    def loop_record() -> int:
        t0 = clock()
        for v in values:
            record(v)
        return clock() - t0

    def loop_inc() -> int:
        t0 = clock()
        for _v in values:
            inc()
        return clock() - t0

    def loop_clock() -> int:
        t0 = clock()
        for _v in values:
            clock()
        return clock() - t0

    best = {
        name: min(f() for _ in range(5))
        for name, f in (
            ("empty", loop_empty),
            ("record", loop_record),
            ("inc", loop_inc),
            ("clock", loop_clock),
        )
    }
    array = np.asarray(values[:65_536], dtype=np.int64)
    t0 = clock()
    hist.record_many(array)
    many_ns = (clock() - t0) / len(array)
    return {
        "record_ns": round((best["record"] - best["empty"]) / n, 1),
        "counter_inc_ns": round((best["inc"] - best["empty"]) / n, 1),
        "timer_ns": round((best["clock"] - best["empty"]) / n, 1),
        "record_many_ns": round(many_ns, 1),
    }


def _engine() -> MatchingEngine:
    return MatchingEngine(bench_instruments(1), StpMode.CANCEL_RESTING, capacity=65_536)


def _bare(chunks: list[list[tuple]]) -> float:
    submit = _engine().submit_record
    clock = time.perf_counter_ns
    elapsed = 0
    for records in chunks:
        t0 = clock()
        for rec in records:
            submit(rec)
        elapsed += clock() - t0
    return elapsed / 1e9


def _timed(chunks: list[list[tuple]]) -> float:
    submit = _engine().submit_record
    clock = time.perf_counter_ns
    elapsed = 0
    for records in chunks:
        t0 = clock()
        for rec in records:
            start = clock()
            submit(rec)
            _latency = clock() - start
        elapsed += clock() - t0
    return elapsed / 1e9


def _recorded(chunks: list[list[tuple]], hist: LatencyHistogram, registry: MetricsRegistry) -> float:
    submit = _engine().submit_record
    record = hist.record
    inc = registry.counter("commands").inc
    clock = time.perf_counter_ns
    elapsed = 0
    for records in chunks:
        t0 = clock()
        for rec in records:
            start = clock()
            submit(rec)
            record(clock() - start)
            inc()
        elapsed += clock() - t0
    return elapsed / 1e9


def _buffered(chunks: list[list[tuple]], hist: LatencyHistogram, registry: MetricsRegistry) -> float:
    submit = _engine().submit_record
    counter = registry.counter("commands")
    clock = time.perf_counter_ns
    samples = array("q")
    add = samples.append
    elapsed = 0
    for records in chunks:
        t0 = clock()
        for rec in records:
            start = clock()
            submit(rec)
            add(clock() - start)
        hist.record_many(np.frombuffer(samples, dtype=np.int64))
        counter.inc(len(records))
        del samples[:]
        elapsed += clock() - t0
    return elapsed / 1e9


def _cold_path_ms(hist: LatencyHistogram, registry: MetricsRegistry) -> dict[str, float]:
    clock = time.perf_counter_ns
    t0 = clock()
    hist.interval().summary()
    interval_ms = (clock() - t0) / 1e6
    registry.stage_histograms()
    out = {"interval_summary_ms": round(interval_ms, 3)}
    try:
        from hftsim.monitor.prometheus import render_text

        t0 = clock()
        render_text(registry)
        out["prometheus_render_ms"] = round((clock() - t0) / 1e6, 3)
    except ImportError:
        pass
    return out


def run(quick: bool = False, seed: int = 7, repeats: int = 3, commands: int | None = None) -> dict:
    """Run the metrics benchmark.

    Args:
        quick: 100,000 engine commands (and 200,000 micro-benchmark samples) instead of 1,000,000.
        seed: workload seed.
        repeats: passes per engine-loop variant (median kept).
        commands: engine commands, overriding ``quick`` (for tests).

    Returns:
        A flat dict of figures (see the module docstring).
    """
    n = commands or (100_000 if quick else 1_000_000)
    out = {"commands": n, **_per_call_ns(min(n, 200_000) if quick or commands else 1_000_000, seed)}
    commands = engine_workload(n, 1, seed)
    chunks = [commands[i : i + _CHUNK].tolist() for i in range(0, n, _CHUNK)]
    hist, registry = LatencyHistogram("match_latency"), MetricsRegistry()
    times: dict[str, list[float]] = {"bare": [], "timed": [], "recorded": [], "buffered": []}
    gc.disable()  # a collection pause is the interpreter's; compare like with like
    try:
        for _ in range(repeats):
            times["bare"].append(_bare(chunks))
            times["timed"].append(_timed(chunks))
            times["recorded"].append(_recorded(chunks, hist, registry))
            times["buffered"].append(_buffered(chunks, LatencyHistogram("buffered"), registry))
    finally:
        gc.enable()
    bare, timed, recorded, buffered = (float(np.median(times[k])) for k in times)
    p50, p99, p999 = hist.percentiles([50, 99, 99.9])
    out.update(
        bare_ns_per_command=round(bare / n * 1e9, 1),
        timed_ns_per_command=round(timed / n * 1e9, 1),
        recorded_ns_per_command=round(recorded / n * 1e9, 1),
        metrics_overhead_pct=round(100 * (recorded - bare) / bare, 1),
        record_overhead_pct=round(100 * (recorded - timed) / timed, 1),
        buffered_ns_per_command=round(buffered / n * 1e9, 1),
        buffered_overhead_pct=round(100 * (buffered - bare) / bare, 1),
        bare_msgs_per_s=round(n / bare),
        recorded_msgs_per_s=round(n / recorded),
        match_p50_ns=round(p50),
        match_p99_ns=round(p99),
        match_p999_ns=round(p999),
        samples=hist.count,
        **_cold_path_ms(hist, registry),
        quick=quick,
        seed=seed,
    )
    return out


#: target per key: (comparison, bound)
TARGETS = {
    "record_ns": ("<=", 150),
    "counter_inc_ns": ("<=", 80),
    "record_overhead_pct": ("<=", 50),
}
