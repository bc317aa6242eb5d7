"""Run a scenario and write its run directory. Cold path (the kernel it drives is the hot path).

A run directory holds:

==================  ==========================================================================
commands.parquet    every command that reached the venue (COMMAND_DTYPE fields, ``seq`` order)
events.parquet      every venue event (EVENT_DTYPE fields; ``cmd_seq`` links it to its command)
l1.parquet          top of book after each change (:data:`hftsim.data.tables.L1_SCHEMA`)
trades.parquet      every trade (:data:`hftsim.data.tables.TRADE_SCHEMA`)
summary.json        seed, scenario, counts, digest, wall time, events/s, final books, strategies
agents/             per-agent PnL, inventory and fills (CSV and PNG), for agents with an OMS
==================  ==========================================================================

Every agent runs behind the failure guard: an agent whose handler raises is stopped alone (its open
orders canceled) and listed under ``strategies.failures``; the run goes on. After every run the
OMS of every trading agent is reconciled with the venue's fills (positions, cash and fees, fill by
fill): a disagreement is an :class:`~hftsim.core.errors.InvariantError`, never a silent report.

Everything is written into a hidden sibling directory ``.<name>.partial`` that is renamed to
the target only when the run finished, so a directory without ``summary.json`` never looks complete.
Wall time is read only through an injected ``wall_clock`` (the CLI and benchmarks pass
``time.perf_counter``): the simulator core never reads the wall clock.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE
from hftsim.core.enums import EventKind
from hftsim.core.errors import ConfigError
from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, l1_table, trade_table, write_table
from hftsim.sim.kernel import L1_RECORD_DTYPE, Kernel, KernelResult, LogChunk
from hftsim.sim.scenario import Scenario, load_scenario

__all__ = ["RunResult", "build_kernel", "run_scenario"]


class RunResult(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`run_scenario` returns (also written as summary.json).

    Attributes:
        out_dir: the run directory.
        scenario: scenario name.
        seed: run seed.
        digest: the run digest (see :mod:`hftsim.sim.kernel`).
        kernel: the kernel's counts and final books.
        wall_s: wall time of the simulation loop (None without a wall clock).
        events_per_s: (commands + venue events) per wall second of the loop, or None.
    """

    out_dir: str
    scenario: str
    seed: int
    digest: str
    kernel: KernelResult
    wall_s: float | None
    events_per_s: float | None
    strategies: dict[str, Any] = {}


def _record_schema(dtype: np.dtype) -> pa.Schema:
    return pa.schema(
        [pa.field(n, pa.from_numpy_dtype(dtype.fields[n][0]), nullable=False) for n in dtype.names]
    )


def _record_table(records: np.ndarray, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays(
        [pa.array(np.ascontiguousarray(records[n])) for n in schema.names], schema=schema
    )


class _Sink:
    """Streams log chunks into Parquet files and keeps trades and L1 rows."""

    def __init__(self, directory: Path, outputs: dict[str, bool]) -> None:
        self._outputs = outputs
        self._writers: dict[str, tuple[pq.ParquetWriter, pa.Schema]] = {}
        if outputs["events"]:
            for name, dtype in (("commands", COMMAND_DTYPE), ("events", EVENT_DTYPE)):
                schema = _record_schema(dtype)
                self._writers[name] = (
                    pq.ParquetWriter(directory / f"{name}.parquet", schema, compression="zstd"),
                    schema,
                )
        self.trades: list[np.ndarray] = []
        self.l1: list[np.ndarray] = []
        self.fills: list[np.ndarray] = []  # FILLED events of the trading agents, for reconciliation
        self.fill_owners: np.ndarray = np.zeros(0, dtype=np.int32)

    def __call__(self, chunk: LogChunk) -> None:
        commands = np.frombuffer(chunk.commands, dtype=COMMAND_DTYPE)
        events = np.frombuffer(chunk.events, dtype=EVENT_DTYPE)
        if "commands" in self._writers:
            for name, records in (("commands", commands), ("events", events)):
                writer, schema = self._writers[name]
                writer.write_table(_record_table(records, schema))
        if self._outputs["trades"]:
            self.trades.append(events[events["kind"] == EventKind.TRADE].copy())
        if len(self.fill_owners):
            # both legs of every execution a trading agent took part in (one command, so one chunk)
            filled = events["kind"] == EventKind.FILLED
            theirs = events["exec_id"][filled & np.isin(events["owner_id"], self.fill_owners)]
            if len(theirs):
                self.fills.append(events[filled & np.isin(events["exec_id"], theirs)].copy())
        if self._outputs["l1"]:
            self.l1.append(np.frombuffer(chunk.l1, dtype=L1_RECORD_DTYPE).copy())

    def close(self) -> None:
        for writer, _ in self._writers.values():
            writer.close()


def build_kernel(
    scenario: Scenario,
    seed: int,
    sink: Callable[[LogChunk], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Kernel:
    """Build a fresh kernel (new engine, flows and agents) for one run of ``scenario``.

    Every agent is wrapped in the failure guard (:func:`hftsim.trading.strategies.guard.guarded`).
    """
    from hftsim.trading.strategies.guard import guarded

    return Kernel(
        scenario.instruments,
        seed,
        scenario.end_ns,
        agents=[(guarded(agent), profile) for agent, profile in scenario.build_agents()],
        flows=scenario.build_flows(),
        start_ns=scenario.start_ns,
        stp_mode=scenario.stp_mode,
        block_ns=scenario.block_ns,
        sink=sink,
        progress=progress,
        engine_impl=scenario.engine,
    )


def run_scenario(
    scenario: Scenario | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    progress: bool = True,
    seed: int | None = None,
    wall_clock: Callable[[], float] | None = None,
) -> RunResult:
    """Run a scenario and write its run directory.

    Args:
        scenario: a validated scenario, a shipped scenario name, or a TOML path.
        out_dir: the run directory to create. An existing one is replaced only if it holds a
            finished run (a summary.json); an empty one is reused.
        progress: show a rich progress bar and print a summary table at the end.
        seed: run seed; defaults to the scenario's.
        wall_clock: a function returning seconds (``time.perf_counter``) to time the run.

    Returns:
        The run's result (also in ``summary.json``).

    Raises:
        ConfigError: invalid scenario, or ``out_dir`` exists and is not a finished run.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seed = scenario.seed if seed is None else int(seed)
    target = Path(out_dir)
    _check_target(target)
    partial = target.parent / f".{target.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        sink = _Sink(partial, scenario.outputs)
        with _progress(scenario, progress) as tick:
            kernel = build_kernel(scenario, seed, sink, tick)
            sink.fill_owners = np.array(
                [slot.owner_id for slot in kernel.slots if _oms_of(slot.agent) is not None], dtype=np.int32
            )
            started = wall_clock() if wall_clock else None
            result = kernel.run()
            wall_s = (wall_clock() - started) if wall_clock and started is not None else None
        sink.close()
        _write_tables(partial, sink, scenario.outputs)
        strategies = _settle_strategies(kernel, sink, partial)
        run = RunResult(
            out_dir=str(target),
            scenario=scenario.name,
            seed=seed,
            digest=result.digest,
            kernel=result,
            wall_s=wall_s,
            events_per_s=(result.n_total / wall_s) if wall_s else None,
            strategies=strategies,
        )
        summary = _summary(scenario, run)
        (partial / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        _replace(target, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if progress:
        _print_summary(run)
    return run


def _oms_of(agent: Any) -> Any:
    return getattr(getattr(agent, "inner", agent), "oms", None)


def _settle_strategies(kernel: Kernel, sink: _Sink, directory: Path) -> dict[str, Any]:
    """Reconcile every OMS with the venue's fills, write the agents' report, collect failures.

    Raises:
        InvariantError: an OMS disagrees with the venue (positions, cash, fees or fill count).
    """
    from hftsim.core.messages import events_from_array
    from hftsim.trading.oms import reconcile, write_report

    failures = [
        msgspec.to_builtins(slot.agent.failure)
        for slot in kernel.slots
        if getattr(slot.agent, "failure", None)
    ]
    omss = [oms for oms in (_oms_of(slot.agent) for slot in kernel.slots) if oms is not None]
    out: dict[str, Any] = {"failures": failures, "agents": {}}
    if not omss:
        return out
    fills = np.concatenate(sink.fills) if sink.fills else np.zeros(0, dtype=EVENT_DTYPE)
    check = reconcile(omss, events_from_array(fills), is_closed=False)
    check.check()
    out["reconciled_fills"] = check.fill_count
    write_report(omss, directory / "agents")
    for slot in kernel.slots:
        agent = getattr(slot.agent, "inner", slot.agent)
        oms = getattr(agent, "oms", None)
        if oms is None:
            continue
        row = {
            "owner_id": oms.owner_id,
            "pnl": msgspec.to_builtins(oms.total_pnl()),
            "positions": {str(s): oms.position(s) for s in oms.symbols()},
        }
        if callable(getattr(agent, "report", None)):  # execution algorithms: shortfall against arrival
            row["execution"] = msgspec.to_builtins(agent.report())
        out["agents"][oms.name] = row
    return out


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ConfigError(f"--out {target}: exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / "summary.json").is_file():
        raise ConfigError(
            f"--out {target}: directory exists, is not empty and holds no finished run; "
            "choose another directory"
        )


def _replace(target: Path, partial: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target)
    os.replace(partial, target)


def _write_tables(directory: Path, sink: _Sink, outputs: dict[str, bool]) -> None:
    if outputs["trades"]:
        t = np.concatenate(sink.trades) if sink.trades else np.zeros(0, dtype=EVENT_DTYPE)
        write_table(
            trade_table(
                ts_ns=t["ts_event"],
                symbol_id=t["symbol_id"],
                price_ticks=t["price_ticks"],
                qty=t["qty"],
                aggressor_side=t["aggressor_side"],
                exec_id=t["exec_id"],
            ),
            directory / "trades.parquet",
            TRADE_SCHEMA,
        )
    if outputs["l1"]:
        q = np.concatenate(sink.l1) if sink.l1 else np.zeros(0, dtype=L1_RECORD_DTYPE)
        q = q[_changed_quotes(q)]
        write_table(
            l1_table(
                ts_ns=q["ts_ns"],
                symbol_id=q["symbol_id"].astype(np.int32),
                bid_px_ticks=q["bid_px_ticks"],
                bid_qty=q["bid_qty"],
                ask_px_ticks=q["ask_px_ticks"],
                ask_qty=q["ask_qty"],
            ),
            directory / "l1.parquet",
            L1_SCHEMA,
        )


def _changed_quotes(q: np.ndarray) -> np.ndarray:
    """Mask of rows whose prices or sizes differ from the symbol's previous row (order counts aside)."""
    keep = np.ones(len(q), dtype=bool)
    for sym in np.unique(q["symbol_id"]):
        idx = np.flatnonzero(q["symbol_id"] == sym)
        rows = np.stack([q[f][idx] for f in ("bid_px_ticks", "bid_qty", "ask_px_ticks", "ask_qty")], axis=1)
        same = np.zeros(len(idx), dtype=bool)
        same[1:] = np.all(rows[1:] == rows[:-1], axis=1)
        keep[idx[same]] = False
    return keep


def _summary(scenario: Scenario, run: RunResult) -> dict[str, Any]:
    k = run.kernel
    books = {
        ins.symbol: {
            "bid_px_ticks": k.final_l1[i][0],
            "bid_qty": k.final_l1[i][1],
            "ask_px_ticks": k.final_l1[i][3],
            "ask_qty": k.final_l1[i][4],
            "live_orders": k.live_orders[i],
        }
        for i, ins in enumerate(scenario.instruments)
    }
    return {
        "scenario": scenario.name,
        "scenario_source": scenario.source,
        "seed": run.seed,
        "digest": run.digest,
        "engine_digest": k.engine_digest,
        "session": {"start_ns": scenario.start_ns, "end_ns": scenario.end_ns},
        "counts": {
            "commands": k.n_commands,
            "events": k.n_events,
            "total": k.n_total,
            "agent_deliveries": k.n_deliveries,
            "l1_changes": k.n_l1,
            "flows": k.flow_counts,
        },
        "wall_s": run.wall_s,
        "events_per_s": run.events_per_s,
        "events_definition": "commands delivered to the venue + venue events recorded, per wall second",
        "final_books": books,
        "strategies": run.strategies,
        "scenario_document": _jsonable(scenario.raw),
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class _progress:
    """A rich progress bar over simulated time, or nothing."""

    def __init__(self, scenario: Scenario, is_shown: bool) -> None:
        self._scenario = scenario
        self._is_shown = is_shown
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not self._is_shown:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        s = self._scenario
        self._bar = Progress(
            TextColumn(f"simulating {s.name}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} sim s"),
            TimeElapsedColumn(),
        )
        self._bar.start()
        task = self._bar.add_task("sim", total=(s.end_ns - s.start_ns) / 1e9)
        start = s.start_ns
        return lambda t_ns: self._bar.update(task, completed=(t_ns - start) / 1e9)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_summary(run: RunResult) -> None:
    from rich.console import Console
    from rich.table import Table

    k = run.kernel
    table = Table(title=f"{run.scenario} (seed {run.seed})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("commands", f"{k.n_commands:,}"),
        ("venue events", f"{k.n_events:,}"),
        ("agent deliveries", f"{k.n_deliveries:,}"),
        ("L1 changes", f"{k.n_l1:,}"),
        ("wall time", f"{run.wall_s:.2f} s" if run.wall_s else "-"),
        ("events/s", f"{run.events_per_s:,.0f}" if run.events_per_s else "-"),
        ("final L1", "; ".join(f"{q[1]}@{q[0]} / {q[4]}@{q[3]}" for q in k.final_l1)),
        ("digest", run.digest[:32]),
        ("output", run.out_dir),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
