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
    "backlog_p99_msgs": ("<=", 200),
    "metrics_overhead_pct": ("<=", 5),
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


def _start_venue(config_path: str, metrics: bool = True) -> tuple[subprocess.Popen, int, str, int | None]:
    extra = ["--dashboard-port", "0"] if metrics else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "hftsim.net.venue", "serve", "--config", config_path, "--no-feed", *extra],
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
    dashboard_port = None
    if metrics:
        while "dashboard on" not in line:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"venue dashboard did not start: {line.strip()}")
            line = proc.stderr.readline()
        dashboard_port = int(line.split("dashboard on http://")[1].split("/")[0].rsplit(":", 1)[1])
    return proc, port, loop_name, dashboard_port


def _scrape(dashboard_port: int, name: str) -> float:
    """One sample of the venue's Prometheus metrics (``name`` with its labels as exported)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(f"http://127.0.0.1:{dashboard_port}/metrics", timeout=5).read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            if (f"{sample.name}{{{labels}}}" if labels else sample.name) == name:
                return sample.value
    raise RuntimeError(f"the venue does not export {name}")


def _load_runs(config_path: str, rates, duration_s: float, metrics: bool) -> tuple[dict, str, int, dict]:
    """Start a venue, offer each rate in turn, stop it; return results, loop name, exit code, scrapes."""
    from hftsim.net.client.load import run_load
    from hftsim.net.venue.server import new_event_loop

    proc, port, loop_name, dashboard_port = _start_venue(config_path, metrics)
    loop = new_event_loop()
    results, scraped = {}, {}
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
        if dashboard_port is not None:
            scraped["backlog_p99_msgs"] = _scrape(
                dashboard_port, "hftsim_queue_backlog_p99_messages{queue=sequencer}"
            )
    finally:
        loop.close()
        exit_code = _stop_venue(proc)
    return results, loop_name, exit_code, scraped


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

        The venue runs with its metrics and dashboard on (``--dashboard-port 0``), as in production:
        ``backlog_p99_msgs`` is the 99th percentile of the sequencer's backlog at each drain over the
        whole run (all rates), scraped from its Prometheus endpoint. ``metrics_overhead_pct`` compares
        the acknowledged throughput at the highest offered rate (the venue saturated) with a second
        venue process that has no metrics: ``100 * (1 - acks_on / acks_off)``.
    """
    duration_s = 0.5 if quick else 3.0
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="hftsim-bench-venue-") as tmp:
        config_path = os.path.join(tmp, "venue.toml")
        with open(config_path, "w") as f:
            f.write(_CONFIG)
        results, loop_name, exit_code, scraped = _load_runs(config_path, rates, duration_s, metrics=True)
        top = max(rates)
        bare, _, _, _ = _load_runs(config_path, (top,), duration_s, metrics=False)
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
    acks_on, acks_off = results[top].ack_msgs_per_s, bare[top].ack_msgs_per_s
    ordered["backlog_p99_msgs"] = scraped.get("backlog_p99_msgs")
    ordered["metrics_overhead_pct"] = round(100 * (1 - acks_on / acks_off), 2) if acks_off else None
    ordered[f"ack_msgs_per_s_{top // 1000}k_no_metrics"] = acks_off
    ordered["event_loop"] = loop_name
    ordered["duration_s"] = duration_s
    ordered["venue_exit_code"] = exit_code
    return ordered
