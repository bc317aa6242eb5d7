"""Hot standby and failover with real processes killed by SIGKILL (bounded load, condition waits)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time

import pytest

from hftsim.net.client.initiator import new_order_body
from hftsim.net.ports import unused_port
from hftsim.net.standby.client import FailoverClient
from hftsim.net.standby.drill import _ClientBook, _journal_facts
from tests.prometheus_text import scrape

from .conftest import run, wait_for

pytestmark = pytest.mark.slow


async def _orders(addresses, n: int, prefix: str, books=None, between=None) -> list[_ClientBook]:
    """Send n crossing orders per client (C1 buys, C2 sells); wait until every one is answered."""
    books = books or [_ClientBook("C1"), _ClientBook("C2")]
    clients = [FailoverClient(addresses, b.name, "HFTSIM", on_message=b.on_message) for b in books]
    for c in clients:
        c.start()
    for c in clients:
        assert await c.wait_connected(10)
    for k in range(n):
        for side, (c, b) in zip((1, -1), zip(clients, books)):
            cl = f"{prefix}{b.name}-{k}"
            b.sent[cl] = time.monotonic()
            c.send_body("D", new_order_body(cl, "SIM", side, 10, "100.00", time.time_ns()))
        if between is not None and k == n // 2:
            await between()
        await asyncio.sleep(0.002)
    deadline = time.monotonic() + 15
    while not all(set(b.sent) <= b.answered for b in books) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    for c in clients:
        await c.close()
    return books


def test_standby_catches_up_from_empty_then_from_its_checkpoint(cluster):
    primary = cluster.start(cluster.node("p"))
    wait_for(lambda: primary.status().get("role") == "primary", 20, "primary up")
    addresses = [("127.0.0.1", primary.fix_port)]
    run(_orders(addresses, 150, "a"))
    standby = cluster.start(cluster.node("s"), "--checkpoint-every", "100", standby_of=primary)
    wait_for(lambda: standby.status().get("is_sync"), 20, "standby synchronous from an empty directory")
    assert standby.status()["last_seq"] == primary.status()["last_seq"] == 300
    wait_for(lambda: standby.status().get("digest_checks", 0) >= 1, 10, "a digest check")
    assert standby.status()["checkpoints_written"] >= 1  # catch-up came as one batch
    standby.kill()
    run(_orders(addresses, 50, "b"))
    cluster.start(standby, standby_of=primary)
    wait_for(
        lambda: standby.status().get("pid") == standby.proc.pid and standby.status().get("is_sync"),
        20,
        "restart",
    )
    st = standby.status()
    assert st["started_from_checkpoint_seq"] == 300
    assert st["last_seq"] == primary.status()["last_seq"] == 400
    wait_for(lambda: standby.status().get("digest_checks", 0) >= 1, 10, "a digest check after restart")
    assert standby.status()["digest_mismatches"] == 0


def test_takeover_clients_reconnect_no_acked_order_lost_then_stale_primary_fenced(cluster):
    primary = cluster.start(cluster.node("p"), "--durable")
    wait_for(lambda: primary.status().get("role") == "primary", 20, "primary up")
    standby = cluster.start(cluster.node("s"), "--durable", standby_of=primary)
    wait_for(lambda: standby.status().get("is_sync"), 20, "standby synchronous")
    addresses = [("127.0.0.1", primary.fix_port), ("127.0.0.1", standby.fix_port)]

    async def kill_primary():
        primary.kill()

    books = run(_orders(addresses, 200, "k", between=kill_primary))
    st = wait_for(
        lambda: standby.status() if standby.status().get("role") == "primary" else None, 10, "takeover"
    )
    assert st["epoch"] == 2
    for b in books:
        assert set(b.sent) <= b.answered and b.duplicates == 0
    acked = [set(b.acks) for b in books]
    assert sum(map(len, acked)) == 400
    standby.signal(signal.SIGTERM)
    standby.proc.wait(10)
    _, journaled = _journal_facts(standby.directory, 2)
    assert all(a <= j for a, j in zip(acked, journaled)), "an acknowledged order is missing from the journal"

    # the old primary comes back with its stale epoch: it must not serve
    cluster.start(primary, "--durable")
    assert primary.proc.wait(20) == 3
    assert primary.status()["role"] == "fenced"
    assert "fenced" in primary.log_text()


def test_primary_with_higher_fence_steps_down_without_acking(cluster):
    primary = cluster.start(cluster.node("p"))
    wait_for(lambda: primary.status().get("role") == "primary", 20, "primary up")
    cluster.fence.write_text("9\n")  # another node took over (simulated)
    books = [_ClientBook("C1"), _ClientBook("C2")]

    async def one_order():
        c = FailoverClient([("127.0.0.1", primary.fix_port)], "C1", "HFTSIM", on_message=books[0].on_message)
        c.start()
        await c.wait_connected(2)
        c.send_body("D", new_order_body("z1", "SIM", 1, 10, "100.00", time.time_ns()))
        await asyncio.sleep(0.5)
        await c.close()

    run(one_order())
    assert primary.proc.wait(10) == 3
    assert not books[0].acks
    assert "stepping down" in primary.log_text()


def test_standby_falling_behind_is_reported_then_catches_up(cluster):
    primary = cluster.start(
        cluster.node("p"), "--heartbeat-timeout-ms", "5000", "--heartbeat-interval-ms", "50"
    )
    wait_for(lambda: primary.status().get("role") == "primary", 20, "primary up")
    standby = cluster.start(
        cluster.node("s"),
        "--heartbeat-timeout-ms",
        "5000",
        "--heartbeat-interval-ms",
        "50",
        standby_of=primary,
    )
    wait_for(lambda: standby.status().get("is_sync"), 20, "standby synchronous")
    standby.signal(signal.SIGSTOP)
    try:
        run(_orders([("127.0.0.1", primary.fix_port)], 100, "L"))
        behind = wait_for(lambda: (primary.status().get("standby") or {}).get("is_behind"), 5, "lag reported")
        assert behind
        assert "is behind by" in wait_for(
            lambda: "is behind by" in primary.log_text() and primary.log_text(), 5, "log"
        )
    finally:
        standby.signal(signal.SIGCONT)
    wait_for(lambda: (primary.status().get("standby") or {}).get("lag_records") == 0, 10, "caught up")
    wait_for(lambda: "caught up" in primary.log_text(), 5, "caught-up log line")
    assert standby.status()["role"] == "standby"  # a stalled standby does not take over


def test_drill_three_kills_writes_log_csv_json_with_zero_losses(tmp_path):
    out = tmp_path / "drill"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hftsim.net.standby.cli",
            "failover",
            "drill",
            "--kills",
            "3",
            "--seed",
            "3",
            "--out",
            str(out),
            "--json",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["kills"] == 3
    for key in ("acked_orders_lost", "duplicate_executions", "digest_mismatches", "max_abs_pnl_delta"):
        assert result[key] == 0, key
    assert result["takeover_p99_ms"] <= 1000
    assert (out / "failover_tests.log").read_text().count("SIGKILL") == 3
    rows = (out / "failover_summary.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("kill,")


def test_journaled_primary_serves_metrics_with_its_replication_backlog(cluster):
    port = unused_port()
    primary = cluster.start(cluster.node("p"), "--dashboard-port", str(port))
    wait_for(lambda: primary.status().get("role") == "primary", 20, "primary up")
    standby = cluster.start(cluster.node("s"), standby_of=primary)
    wait_for(lambda: standby.status().get("is_sync"), 20, "standby synchronous")
    run(_orders([("127.0.0.1", primary.fix_port)], 20, "m"))
    wait_for(lambda: standby.status().get("last_seq") == 40, 20, "standby caught up")
    metrics = wait_for(
        lambda: (m := scrape(port)).get("hftsim_queue_backlog_messages{queue=replication}") == 0 and m,
        10,
        "the replication backlog drained on /metrics",
    )
    assert metrics["hftsim_queue_consumers{queue=analytics}"] >= 1
    assert metrics["hftsim_commands_total"] == 40
    assert metrics["hftsim_messages_handled_total{queue=analytics}"] == 40
    assert metrics["hftsim_journal_latency_seconds_count"] >= 1  # one per drain
    assert 1 <= metrics["hftsim_match_latency_seconds_count"] <= 40  # one per drain
