"""The failover drill: a primary and its standby as real processes, FIX load, SIGKILLs. Edge.

Two node slots (each a FIX port and a replication port on 127.0.0.1) alternate: the primary runs in
one, its hot standby in the other. After a seeded random delay under load the drill SIGKILLs the
primary's process group, waits for the standby to take over, starts a new standby (empty
directory: it catches up from the new primary's journal) in the freed slot, waits until it is
synchronous, and repeats. FIX clients (in this process) know both slots' FIX addresses and fail over.

Measured per kill (one CSV row) and in total (``docs/failover.md`` explains each figure):

* ``takeover_ms``: SIGKILL -> first acknowledgement a client receives from the new primary;
* ``acked_orders_lost``: orders a client saw acknowledged (ExecType New) that are missing from the
  final primary's journal (ClOrdIDs come from its session log);
* ``duplicate_executions``: ExecIDs a client received twice with different content;
* ``digest_ok``: the new primary's digest at takeover equals a fresh engine fed the final journal
  up to the takeover seq;
* ``pnl_delta``: per client, cash and position from its own fill reports (up to the takeover seq)
  against the FILLED events of a journal replay to the same seq, valued at a fixed mark.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.enums import CommandKind, EventKind
from hftsim.core.instrument import Instrument
from hftsim.journal import JournalReader
from hftsim.matching.engine import MatchingEngine
from hftsim.net.client.initiator import new_order_body
from hftsim.net.fix.codec import FixMessage, format_utc_timestamp
from hftsim.net.ports import unused_port
from hftsim.net.standby.client import FailoverClient
from hftsim.net.standby.primary import status_of
from hftsim.net.venue.sessionlog import CommandNote, SessionLog

__all__ = ["DrillResult", "run_drill"]

log = logging.getLogger("hftsim.failover.drill")
_TICK = Decimal("0.01")
_MARK_TICKS = 10_000
_SUMMARY_KEYS = (
    "kills",
    "takeover_p99_ms",
    "acked_orders_lost",
    "duplicate_executions",
    "digest_mismatches",
    "max_abs_pnl_delta",
)
DrillResult = dict


def _config_text(clients: int) -> str:
    sessions = "".join(
        f'[[fix.sessions]]\nsender_comp_id = "C{i}"\ntarget_comp_id = "HFTSIM"\n\n'
        for i in range(1, clients + 1)
    )
    instrument = '[[instruments]]\nsymbol = "SIM"\ntick_size = "0.01"\n'
    return f'[fix]\nhost = "127.0.0.1"\nport = 0\n\n{sessions}{instrument}'


class _Node:
    """One venue process."""

    def __init__(self, index: int, slot: tuple[int, int], directory: Path, log_path: Path) -> None:
        self.index = index
        self.fix_port, self.repl_port = slot
        self.directory = directory
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, config: Path, fence: Path, timeout_ms: float, standby_of: int | None) -> None:
        cmd = [
            sys.executable, "-m", "hftsim.net.venue", "serve", "--config", str(config),
            "--journal", str(self.directory), "--durable", "--port", str(self.fix_port),
            "--repl-port", str(self.repl_port), "--fence", str(fence),
            "--heartbeat-timeout-ms", str(timeout_ms), "--heartbeat-interval-ms", str(timeout_ms / 4),
        ]  # fmt: skip
        if standby_of is not None:
            cmd += ["--standby-of", f"127.0.0.1:{standby_of}"]
        out = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()

    def status(self) -> dict:
        return status_of(self.directory / "status.json") or {}

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout_s: float) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.wait(5)


async def _wait_for(condition, timeout_s: float, what: str, interval_s: float = 0.01) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"failover drill: {what} not within {timeout_s} s")
        await asyncio.sleep(interval_s)


class _ClientBook:
    """What one client saw: sends, acks, executions."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: dict[str, float] = {}
        self.acks: dict[str, tuple[float, int]] = {}
        self.answered: set[str] = set()
        self.executions: dict[str, tuple] = {}
        self.duplicates = 0
        self.open_orders: list[str] = []

    def on_message(self, msg: FixMessage, connection: int) -> None:
        if msg.msg_type == "9":
            self.answered.add(msg.get_str(11))
            return
        if msg.msg_type != "8":
            return
        exec_type = msg.get(150)
        cl = msg.get_str(11)
        exec_id = msg.get_str(17)
        content = (
            cl,
            exec_type,
            msg.get(32),
            msg.get(31),
            msg.get(14),
            msg.get(151),
            msg.get(54),
            msg.get(39),
        )
        seen = self.executions.get(exec_id)
        if seen is not None:
            if seen != content:
                self.duplicates += 1
            return
        self.executions[exec_id] = content
        self.answered.add(cl)
        if exec_type == b"0" and cl not in self.acks:
            self.acks[cl] = (time.monotonic(), connection)
            self.open_orders.append(cl)

    def fills_pnl(self, max_seq: int) -> tuple[int, int]:
        """(cash_ticks, position) from own fill reports of journal seqs <= max_seq."""
        cash = pos = 0
        for exec_id, (_, exec_type, last_qty, last_px, *_rest) in self.executions.items():
            if exec_type != b"F" or exec_id.startswith("G"):
                continue
            if int(exec_id.split("-")[0]) > max_seq:
                continue
            side = 1 if _rest[2] == b"1" else -1
            qty = int(last_qty)
            px = int(Decimal(last_px.decode()) / _TICK)
            cash -= side * qty * px
            pos += side * qty
        return cash, pos


async def _load(clients, books, rng, rate_per_client: float, stop: asyncio.Event) -> None:
    interval = 1.0 / rate_per_client
    n = 0
    while not stop.is_set():
        for client, book in zip(clients, books):
            if book.open_orders and rng.random() < 0.15:
                orig = book.open_orders.pop(int(rng.integers(len(book.open_orders))))
                cl = f"X{n}"
                book.sent[cl] = time.monotonic()
                client.send_body(
                    "F",
                    f"41={orig}\x0111={cl}\x0155=SIM\x0154=1\x0160={format_utc_timestamp(time.time_ns())}\x0138=10\x01",
                )
            else:
                cl = f"N{n}"
                side = 1 if rng.random() < 0.5 else -1
                px = _MARK_TICKS + int(rng.integers(-3, 4)) * (1 if side == 1 else -1)
                book.sent[cl] = time.monotonic()
                client.send_body(
                    "D", new_order_body(cl, "SIM", side, 10, f"{Decimal(px) * _TICK:.2f}", time.time_ns())
                )
            n += 1
        await asyncio.sleep(interval)


def _journal_facts(directory: Path, clients: int):
    """Read the final primary's journal and session log: records, ClOrdIDs of NEW commands per client."""
    reader = JournalReader(directory / "journal")
    reader.recover_tail()
    batches = list(reader.iter_batches())
    records = np.frombuffer(b"".join(b.tobytes() for b in batches), dtype=COMMAND_DTYPE)
    log_ = SessionLog(directory)
    notes = {n.seq: n for n in log_.notes if isinstance(n, CommandNote)}
    log_.close()
    journaled = [set() for _ in range(clients)]
    for rec in records:
        if rec["kind"] == CommandKind.NEW:
            note = notes.get(int(rec["seq"]))
            if note is not None:
                journaled[note.session].add(note.cl_ord_id)
    return records, journaled


def _replay(records: np.ndarray, upto_seqs: list[int], clients: int):
    """Digest and per-owner (cash, position) at each seq of ``upto_seqs`` (ascending)."""
    engine = MatchingEngine([Instrument(symbol="SIM", tick_size="0.01")])
    cash = np.zeros(clients + 1, dtype=np.int64)
    pos = np.zeros(clients + 1, dtype=np.int64)
    out = []
    done = 0
    for seq in upto_seqs:
        chunk = records[done:seq]
        done = max(done, seq)
        if chunk.shape[0]:
            events = engine.run_batch(np.ascontiguousarray(chunk))
            fills = events[events["kind"] == EventKind.FILLED]
            for owner, side, qty, px in zip(
                fills["owner_id"], fills["side"], fills["qty"], fills["price_ticks"]
            ):
                cash[owner] -= int(side) * int(qty) * int(px)
                pos[owner] += int(side) * int(qty)
        out.append((engine.digest(), cash.copy(), pos.copy()))
    return out


async def _drill(
    out_dir: Path, kills: int, seed: int, clients_n: int, rate: float, timeout_ms: float, say
) -> dict:
    rng = np.random.default_rng(seed)
    nodes_dir = out_dir / "nodes"
    shutil.rmtree(nodes_dir, ignore_errors=True)  # a drill always starts from empty directories
    nodes_dir.mkdir(parents=True)
    config = out_dir / "venue.toml"
    config.write_text(_config_text(clients_n))
    fence = out_dir / "fence"
    for stale in (fence, fence.with_name("fence.lock")):
        stale.unlink(missing_ok=True)
    slots = [(unused_port(), unused_port()), (unused_port(), unused_port())]
    all_nodes: list[_Node] = []

    def new_node(slot: int) -> _Node:
        node = _Node(
            len(all_nodes),
            slots[slot],
            nodes_dir / f"node-{len(all_nodes)}",
            nodes_dir / f"node-{len(all_nodes)}.log",
        )
        all_nodes.append(node)
        return node

    primary, standby = new_node(0), new_node(1)
    primary_slot = 0
    books = [_ClientBook(f"C{i}") for i in range(1, clients_n + 1)]
    clients = [
        FailoverClient(
            [("127.0.0.1", slots[0][0]), ("127.0.0.1", slots[1][0])],
            b.name,
            "HFTSIM",
            on_message=b.on_message,
        )
        for b in books
    ]
    rows = []
    stop = asyncio.Event()
    load_task = None
    try:
        primary.start(config, fence, timeout_ms, None)
        await _wait_for(lambda: primary.status().get("role") == "primary", 30, "first primary up")
        standby.start(config, fence, timeout_ms, primary.repl_port)
        await _wait_for(lambda: standby.status().get("is_sync"), 30, "first standby synchronous")
        for c in clients:
            c.start()
        for c in clients:
            if not await c.wait_connected(10):
                raise TimeoutError("failover drill: clients did not log on")
        say(
            f"primary node-{primary.index} (pid {primary.proc.pid}), standby node-{standby.index}; "
            f"{clients_n} clients at {rate:g} orders/s each"
        )
        load_task = asyncio.get_running_loop().create_task(_load(clients, books, rng, rate, stop))
        for k in range(1, kills + 1):
            delay = float(rng.uniform(0.3, 1.0))
            await asyncio.sleep(delay)
            conns = [c.connections for c in clients]
            last_ack = max((t for b in books for t, _ in b.acks.values()), default=0.0)
            old_epoch = primary.status().get("epoch", 0)
            t_kill = time.monotonic()
            primary.kill()
            say(
                f"kill {k}: SIGKILL node-{primary.index} (pid {primary.proc.pid}, epoch {old_epoch}) "
                f"after {delay:.3f} s"
            )
            primary.wait(10)
            await _wait_for(lambda: standby.status().get("role") == "primary", 15, f"takeover {k}")

            def first_new_ack() -> float | None:
                times = [
                    t
                    for b, n0 in zip(books, conns)
                    for t, conn in b.acks.values()
                    if conn > n0 and t > t_kill
                ]
                return min(times) if times else None

            await _wait_for(lambda: first_new_ack() is not None, 15, f"first ack after kill {k}")
            st = standby.status()
            takeover_ms = (first_new_ack() - t_kill) * 1e3
            row = {
                "kill": k,
                "delay_s": round(delay, 3),
                "killed_node": primary.index,
                "new_primary_node": standby.index,
                "old_epoch": old_epoch,
                "new_epoch": st.get("epoch"),
                "takeover_ms": round(takeover_ms, 1),
                "last_ack_to_new_ack_ms": round((first_new_ack() - last_ack) * 1e3, 1) if last_ack else "",
                "node_takeover_ms": st.get("takeover_ms"),
                "seq_at_takeover": st.get("took_over_at_seq"),
                "takeover_digest": st.get("takeover_digest"),
                "standby_digest_checks": st.get("digest_checks"),
                "standby_digest_mismatches": st.get("digest_mismatches"),
                "acked_before_kill": sum(1 for b in books for t, _ in b.acks.values() if t <= t_kill),
                "_t_kill": t_kill,
            }
            rows.append(row)
            say(
                f"kill {k}: node-{standby.index} primary with epoch {row['new_epoch']} at seq "
                f"{row['seq_at_takeover']}; first ack {takeover_ms:.1f} ms after the kill"
            )
            primary, primary_slot = standby, 1 - primary_slot
            standby = new_node(1 - primary_slot)
            standby.start(config, fence, timeout_ms, primary.repl_port)
            await _wait_for(
                lambda: standby.status().get("is_sync"), 60, f"new standby synchronous after kill {k}"
            )
            say(
                f"kill {k}: new standby node-{standby.index} synchronous at seq "
                f"{standby.status().get('last_seq')}"
            )
        await asyncio.sleep(0.3)
        stop.set()
        await load_task
        load_task = None

        def all_answered() -> bool:
            return all(set(b.sent) <= b.answered for b in books)

        try:
            await _wait_for(all_answered, 15, "answers to every order")
        except TimeoutError as e:
            say(f"WARNING: {e}")
        final_status = primary.status()
        # fills caused by other clients' orders travel with those answers; wait for quiet
        seen = [-1]
        quiet_since = [time.monotonic()]

        def is_quiet() -> bool:
            total = sum(len(b.executions) for b in books)
            if total != seen[0]:
                seen[0], quiet_since[0] = total, time.monotonic()
            return time.monotonic() - quiet_since[0] >= 0.3

        await _wait_for(is_quiet, 10, "quiet clients", 0.05)
        for c in clients:
            await c.close()
    finally:
        stop.set()
        if load_task is not None:
            load_task.cancel()
        for c in clients:
            if c._task is not None:
                c._task.cancel()
        standby.kill(signal.SIGTERM)
        standby.wait(10)
        primary.kill(signal.SIGTERM)
        primary.wait(10)
        for node in all_nodes:
            node.kill()
            node.wait(5)
    return _verify(out_dir, rows, books, primary, final_status, clients_n, say)


def _verify(
    out_dir: Path,
    rows: list[dict],
    books: list[_ClientBook],
    primary: _Node,
    final_status: dict,
    clients_n: int,
    say,
) -> dict:
    records, journaled = _journal_facts(primary.directory, clients_n)
    final_seq = int(records["seq"][-1]) if records.shape[0] else 0
    seqs = [int(r["seq_at_takeover"] or 0) for r in rows] + [final_seq]
    replays = _replay(records, seqs, clients_n)
    duplicates = sum(b.duplicates for b in books)
    boundaries = [r["_t_kill"] for r in rows] + [float("inf")]
    lost_per = [0] * (len(rows) + 1)
    for i, b in enumerate(books):
        for cl, (t, _) in b.acks.items():
            if cl not in journaled[i]:
                lost_per[next(j for j, tb in enumerate(boundaries) if t <= tb)] += 1
    mismatches = 0
    max_pnl = 0
    for j, row in enumerate(rows):
        digest, cash, pos = replays[j]
        row["digest_ok"] = digest == row["takeover_digest"]
        mismatches += 0 if row["digest_ok"] else 1
        deltas = []
        for i, b in enumerate(books):
            c_cash, c_pos = b.fills_pnl(seqs[j])
            deltas.append(
                abs((c_cash + c_pos * _MARK_TICKS) - (int(cash[i + 1]) + int(pos[i + 1]) * _MARK_TICKS))
            )
        row["pnl_delta_ticks"] = max(deltas)
        max_pnl = max(max_pnl, row["pnl_delta_ticks"])
        row["acked_orders_lost"] = lost_per[j]
        row["duplicate_executions"] = duplicates if j == len(rows) - 1 else 0
    _, cash, pos = replays[-1]
    final_deltas = []
    for i, b in enumerate(books):
        c_cash, c_pos = b.fills_pnl(final_seq)
        final_deltas.append(
            abs((c_cash + c_pos * _MARK_TICKS) - (int(cash[i + 1]) + int(pos[i + 1]) * _MARK_TICKS))
        )
    max_pnl = max([max_pnl, *final_deltas])
    takeovers = [r["takeover_ms"] for r in rows]
    result = {
        "kills": len(rows),
        "takeover_p99_ms": round(float(np.percentile(takeovers, 99)), 1) if takeovers else None,
        "takeover_max_ms": round(max(takeovers), 1) if takeovers else None,
        "takeover_p50_ms": round(float(np.percentile(takeovers, 50)), 1) if takeovers else None,
        "acked_orders_lost": sum(lost_per),
        "duplicate_executions": duplicates,
        "digest_mismatches": mismatches + sum(int(r.get("standby_digest_mismatches") or 0) for r in rows),
        "max_abs_pnl_delta": max_pnl,
        "acked_orders": sum(len(b.acks) for b in books),
        "orders_sent": sum(len(b.sent) for b in books),
        "executions": sum(len(b.executions) for b in books),
        "journal_records": final_seq,
        "final_primary_last_seq": final_status.get("last_seq"),
    }
    with open(out_dir / "failover_summary.csv", "w", newline="") as f:
        fields = [k for k in rows[0] if not k.startswith("_")] if rows else ["kill"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    say("result " + json.dumps(result, sort_keys=True))
    return result


def run_drill(
    out_dir: str | os.PathLike[str],
    *,
    kills: int = 20,
    seed: int = 7,
    clients: int = 2,
    rate_per_client: float = 50.0,
    heartbeat_timeout_ms: float = 200.0,
) -> dict:
    """Run the drill; write ``failover_tests.log`` and ``failover_summary.csv`` into ``out_dir``.

    Returns:
        The summary: ``kills``, ``takeover_p99_ms``, ``acked_orders_lost``, ``duplicate_executions``,
        ``digest_mismatches``, ``max_abs_pnl_delta`` (and a few totals).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_file = open(out / "failover_tests.log", "w")

    def say(line: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime()) + f".{int(time.time() * 1000) % 1000:03d}"
        log_file.write(f"{stamp} {line}\n")
        log_file.flush()
        log.info(line)

    say(
        f"failover drill: kills={kills} seed={seed} clients={clients} rate={rate_per_client}/s "
        f"timeout={heartbeat_timeout_ms} ms"
    )
    try:
        return asyncio.run(_drill(out, kills, seed, clients, rate_per_client, heartbeat_timeout_ms, say))
    finally:
        log_file.close()
