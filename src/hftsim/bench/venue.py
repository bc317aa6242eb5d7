"""Benchmark of the live venue over FIX on 127.0.0.1: order-to-ack round trip under open-loop load.
Cold path (edge: starts processes, reads wall time).

The venue runs in a subprocess (``python -m hftsim.net.venue serve``, uvloop when installed) on a
free port with one trading session; this process is the client (:func:`hftsim.net.client.run_load`).
Each offered rate is a separate connection that logs on with ResetSeqNumFlag, sends
NewOrderSingle / OrderCancelRequest pairs on a fixed schedule for ``duration_s`` and measures
NewOrderSingle written -> ExecutionReport New read with ``perf_counter_ns``. Both processes are
Python, so on a 2-core machine the client's own cost is part of what is measured.

Budgets: ``rtt_p99_us_10k`` <= 100 µs; ``max_sustained_msgs_per_s`` >= 150,000 (nothing dropped,
the sender on schedule, the last ack within 50 ms of the last send).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

__all__ = ["RATES", "TARGETS", "run"]

#: offered loads (messages per second); the three named in the budget plus two between
RATES = (10_000, 25_000, 50_000, 100_000, 150_000)
TARGETS = {
    "rtt_p99_us_10k": ("<=", 100),
    "max_sustained_msgs_per_s": (">=", 150_000),
}
_CONFIG = """
[fix]
host = "127.0.0.1"
port = 0

[[fix.sessions]]
sender_comp_id = "LOAD1"
target_comp_id = "HFTSIM"

[[instruments]]
symbol = "SIM"
tick_size = "0.01"
"""


def _start_venue(config_path: str) -> tuple[subprocess.Popen, int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hftsim.net.venue", "serve", "--config", config_path, "--no-feed"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 30
    line = ""
    while "listening on" not in line:
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"venue did not start: {line.strip()}")
        line = proc.stderr.readline()
    port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
    loop_name = line.split("loop=")[1].split(",")[0]
    return proc, port, loop_name


def _stop_venue(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    proc.stderr.close()
    return code


def run(quick: bool = False, rates: tuple[int, ...] = RATES) -> dict:
    """Measure order-to-ack round trips at each offered rate.

    Args:
        quick: 0.5 s per rate instead of 3 s.
        rates: offered messages per second, one run each.

    Returns:
        ``rtt_p50_us_10k``, ``rtt_p99_us_10k``, ``rtt_p99_us_50k``, ``max_sustained_msgs_per_s``
        (highest offered rate with nothing dropped and acks keeping up; 0 if none), and per rate
        ``achieved_msgs_per_s_<k>``, ``ack_msgs_per_s_<k>``, ``rtt_p50_us_<k>``, ``rtt_p99_us_<k>``,
        ``rtt_max_us_<k>``, ``lost_orders_<k>``, ``unsent_msgs_<k>``, ``sustained_<k>``; plus
        ``event_loop`` (the venue's) and ``duration_s`` per rate.
    """
    from hftsim.net.client.load import run_load
    from hftsim.net.venue.server import new_event_loop

    duration_s = 0.5 if quick else 3.0
    figures: dict = {}
    results = {}
    with tempfile.TemporaryDirectory(prefix="hftsim-bench-venue-") as tmp:
        config_path = os.path.join(tmp, "venue.toml")
        with open(config_path, "w") as f:
            f.write(_CONFIG)
        proc, port, loop_name = _start_venue(config_path)
        loop = new_event_loop()
        try:
            for rate in rates:
                results[rate] = loop.run_until_complete(
                    run_load(
                        "127.0.0.1",
                        port,
                        sender_comp_id="LOAD1",
                        target_comp_id="HFTSIM",
                        rate_msgs_per_s=rate,
                        duration_s=duration_s,
                        drain_timeout_s=3.0,
                    )
                )
        finally:
            loop.close()
            exit_code = _stop_venue(proc)
    for rate, r in results.items():
        k = f"{rate // 1000}k"
        figures[f"rtt_p50_us_{k}"] = r.rtt_p50_us
        figures[f"rtt_p99_us_{k}"] = r.rtt_p99_us
    sustained = [rate for rate, r in results.items() if r.is_sustained]
    ordered = {
        key: figures.pop(key)
        for key in ("rtt_p50_us_10k", "rtt_p99_us_10k", "rtt_p99_us_50k")
        if key in figures
    }
    ordered["max_sustained_msgs_per_s"] = max(sustained, default=0)
    ordered.update(figures)
    for rate, r in results.items():
        k = f"{rate // 1000}k"
        ordered[f"achieved_msgs_per_s_{k}"] = r.achieved_msgs_per_s
        ordered[f"ack_msgs_per_s_{k}"] = r.ack_msgs_per_s
        ordered[f"rtt_max_us_{k}"] = r.rtt_max_us
        ordered[f"lost_orders_{k}"] = r.lost_orders
        ordered[f"unsent_msgs_{k}"] = r.unsent_msgs
        ordered[f"max_send_lag_us_{k}"] = r.max_send_lag_us
        ordered[f"sustained_{k}"] = r.is_sustained
    ordered["event_loop"] = loop_name
    ordered["duration_s"] = duration_s
    ordered["venue_exit_code"] = exit_code
    return ordered
