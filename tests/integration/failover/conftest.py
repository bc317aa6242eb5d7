"""Venue nodes as real processes (own process groups, killed in teardown) and FIX clients."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hftsim.net.ports import unused_port
from hftsim.net.standby.primary import status_of

CONFIG = """
[fix]
host = "127.0.0.1"
port = 0
[[fix.sessions]]
sender_comp_id = "C1"
target_comp_id = "HFTSIM"
[[fix.sessions]]
sender_comp_id = "C2"
target_comp_id = "HFTSIM"
[replication]
lag_warning_records = 50
[[instruments]]
symbol = "SIM"
tick_size = "0.01"
"""


def wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not within {timeout_s} s")
        time.sleep(0.02)


class Node:
    def __init__(self, base: Path, name: str) -> None:
        self.directory = base / name
        self.log = base / f"{name}.log"
        self.fix_port = unused_port()
        self.repl_port = unused_port()
        self.proc: subprocess.Popen | None = None

    def start(self, config: Path, fence: Path, *extra: str, standby_of: Node | None = None) -> Node:
        cmd = [
            sys.executable, "-m", "hftsim.net.venue", "serve", "--config", str(config), "--journal",
            str(self.directory), "--port", str(self.fix_port), "--repl-port", str(self.repl_port),
            "--fence", str(fence), *extra,
        ]  # fmt: skip
        if standby_of is not None:
            cmd += ["--standby-of", f"127.0.0.1:{standby_of.repl_port}"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def status(self) -> dict:
        return status_of(self.directory / "status.json") or {}

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


@pytest.fixture
def cluster(tmp_path):
    """Make nodes; every process group is killed at teardown."""
    config = tmp_path / "venue.toml"
    config.write_text(CONFIG)
    fence = tmp_path / "fence"
    nodes: list[Node] = []

    class Cluster:
        def __init__(self):
            self.config, self.fence, self.base = config, fence, tmp_path

        def node(self, name: str) -> Node:
            n = Node(tmp_path, name)
            nodes.append(n)
            return n

        def start(self, node: Node, *extra: str, standby_of: Node | None = None) -> Node:
            return node.start(config, fence, *extra, standby_of=standby_of)

    yield Cluster()
    for n in nodes:
        n.signal(signal.SIGCONT)
        n.signal(signal.SIGKILL)
    for n in nodes:
        if n.proc is not None:
            n.proc.wait(10)


def run(coro):
    return asyncio.run(coro)
