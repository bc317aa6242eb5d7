"""Crash tests: a journaled venue in a subprocess, SIGKILLed at seeded points, then recovered.

After each kill the recovered digest must equal a straight replay of the journal's durable prefix,
every acknowledged command must be in the journal, and the journal must hold exactly the
workload's commands in order (nothing skipped, nothing invented). The child and its shadow
checkpointer share a process group, killed together like a host losing power to the process.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hftsim.bench.workload import bench_instruments, engine_workload
from hftsim.core.rng import rng_for
from hftsim.journal import JournalReader, list_checkpoints, recover
from hftsim.matching.engine import MatchingEngine

CHILD = Path(__file__).with_name("crash_child.py")
N_COMMANDS = 12_000
DEADLINE_S = 60.0
SEED = 23


def _run_and_kill(directory: Path, mode: str, checkpoint_every: int, kill_at: int) -> tuple[int, int, bool]:
    """Start the child, SIGKILL it once it reports progress >= kill_at; return (acked, shadow_pid, done).

    With a checkpointer, the kill also waits until a checkpoint file exists (the shadow starts
    later than the primary), so recovery goes through a checkpoint and the journal tail.
    """
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(directory), str(SEED), str(N_COMMANDS), mode, str(checkpoint_every)],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    acked, shadow_pid, is_done, buffer = 0, 0, False, b""
    deadline = time.monotonic() + DEADLINE_S
    try:
        while not is_done:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the crash child made no progress before the deadline"
            ready, _, _ = select.select([child.stdout], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                word, _, value = line.decode().partition(" ")
                if word == "start":
                    shadow_pid = int(value)
                elif word == "ack":
                    acked = int(value)
                elif word == "done":
                    is_done = True
                elif (
                    word == "progress"
                    and int(value) >= kill_at
                    and (not checkpoint_every or list_checkpoints(directory / "checkpoints"))
                ):
                    is_done = True
                    break
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(DEADLINE_S)
        child.stdout.close()
    _wait_gone(shadow_pid)
    return acked, shadow_pid, is_done


def _wait_gone(pid: int) -> None:
    if not pid:
        return
    deadline = time.monotonic() + DEADLINE_S
    while Path(f"/proc/{pid}").exists():
        state = (
            Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
        )
        if state in ("Z", "X"):
            return
        assert time.monotonic() < deadline, f"shadow checkpointer {pid} still alive after the kill"
        time.sleep(0.01)  # polling a condition with a deadline, not a fixed wait


_WORKLOAD: dict[int, np.ndarray] = {}


def _workload() -> np.ndarray:
    if N_COMMANDS not in _WORKLOAD:
        _WORKLOAD[N_COMMANDS] = engine_workload(N_COMMANDS, 3, SEED)
    return _WORKLOAD[N_COMMANDS]


def _check_recovery(directory: Path, acked: int) -> None:
    result = recover(directory)
    journal = JournalReader(directory / "journal").read_all()  # recover() truncated any torn tail
    last = int(journal["seq"][-1]) if journal.shape[0] else 0
    assert result.last_seq == last
    assert acked <= last, f"command {acked} was acknowledged but the journal ends at {last}"
    expected = _workload()[:last]
    assert np.array_equal(journal["seq"], np.arange(1, last + 1))
    for name in (
        "order_id",
        "client_order_id",
        "price_ticks",
        "qty",
        "owner_id",
        "symbol_id",
        "kind",
        "side",
    ):
        assert np.array_equal(journal[name], expected[name]), name
    straight = MatchingEngine(bench_instruments(3))
    straight.run_batch(journal)
    assert result.digest == straight.digest()
    if result.checkpoint_seq is not None:
        assert result.extra_state == {"fed": result.checkpoint_seq}
        assert recover(directory, use_checkpoints=False).digest == result.digest


CASES = [
    # (mode, checkpoint_every, number of kills)
    ("group", 1_000, 5),
    ("group", 0, 2),
    ("durable", 1_000, 3),
]


@pytest.mark.slow
@pytest.mark.parametrize("mode,checkpoint_every,kills", CASES)
def test_crash_sigkill_at_seeded_points_recovers_durable_prefix(tmp_path, mode, checkpoint_every, kills):
    rng = rng_for(SEED, f"tests.crash.{mode}.{checkpoint_every}")
    points = sorted(int(x) for x in rng.integers(200, N_COMMANDS, kills))
    used_checkpoint = False
    for number, kill_at in enumerate(points):
        directory = tmp_path / f"run{number}"
        acked, _, _ = _run_and_kill(directory, mode, checkpoint_every, kill_at)
        _check_recovery(directory, acked)
        used_checkpoint |= bool(list_checkpoints(directory / "checkpoints"))
    if checkpoint_every:
        assert used_checkpoint, "no run got far enough to write a checkpoint"


@pytest.mark.slow
def test_crash_restart_after_kill_continues_the_same_journal(tmp_path):
    directory = tmp_path / "venue"
    _run_and_kill(directory, "group", 1_000, 2_500)
    first = recover(directory).last_seq
    # A second life on the same directory: the child recovers, continues and is killed again.
    acked, _, _ = _run_and_kill(directory, "group", 1_000, 10**9)
    result = recover(directory)
    assert result.last_seq >= first and acked <= result.last_seq
