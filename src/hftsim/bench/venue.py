"""Benchmark of the live venue over FIX on 127.0.0.1: order-to-ack round trip under open-loop load.
Cold path (edge: starts processes, reads wall time).

The venue runs in a subprocess (``python -m hftsim.net.venue serve``, uvloop when installed) on a
free port with one trading session; this process is the client (:func:`hftsim.net.client.run_load`).
Each offered rate is a separate connection that logs on with ResetSeqNumFlag, sends
NewOrderSingle / OrderCancelRequest pairs on a fixed schedule for ``duration_s`` and measures
NewOrderSingle written (``perf_counter_ns``) -> ExecutionReport New arrived at the client's socket
(the kernel's receive stamp, ``SO_TIMESTAMPNS``, on the same clock), as a wire-to-wire measurement
would: the client's own scheduling is not the venue's latency. The client is the compiled
open-loop runner (:mod:`hftsim.net.client.load`, engine ``"c"``), about 1 µs per message, so on a
2-core machine it leaves the venue a core. It spins from 30 µs before each send until the order's
ack is in (a halted vCPU takes tens of µs to wake) and sleeps in between, so at 10k msgs/s this
VM's own tasks run on its vCPU rather than preempt the venue; from about 33k msgs/s on (messages
under 30 µs apart) it spins all the time.

The venue publishes its market-data feed, as in production: unicast to a UDP port on 127.0.0.1
that this process holds bound and never reads (the kernel discards what overflows its buffer).

Budgets: ``rtt_p99_us_10k`` <= 100 µs; ``max_sustained_msgs_per_s`` >= 150,000 (nothing dropped,
the sender on schedule, the last ack within 50 ms of the last send); ``backlog_p99_msgs`` <= 200;
``metrics_overhead_pct`` <= 5.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

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

[feed]
destinations = ["127.0.0.1:{feed_port}"]
"""
#: the consumer queues whose backlog ``backlog_p99_msgs`` covers (the sequencer's is reported apart)
CONSUMER_QUEUES = ("feed", "analytics")
#: the venue polls its sockets this long after each input (``--busy-poll-us``) in the rate ladder
BUSY_POLL_US = 1000
#: venue processes with and without metrics, flat out, for metrics_overhead_pct (medians of each)
OVERHEAD_PAIRS = 5
OVERHEAD_PAIRS_QUICK = 1
#: seconds of the lowest rate in the ladder (full mode), whose p99 is the budget: a 3 s window holds
#: about three of this VM's ~1/s scheduling hiccups, each worth 10-30 slow round trips against the
#: 150 that a p99 of 15,000 allows, so its p99 swings with how many happened to fall in it. A longer
#: window estimates the same percentile with less of that spread (measured, 3 s vs 15 s windows:
#: below)
LOW_RATE_DURATION_S = 10.0
#: offered rate of the capacity runs: above what one venue process acknowledges, so it runs flat out
OVERLOAD_MSGS_PER_S = 300_000


def _start_venue(
    config_path: str, metrics: bool = True, busy_poll_us: int = 0
) -> tuple[subprocess.Popen, int, str, int | None]:
    extra = (["--dashboard-port", "0"] if metrics else []) + ["--busy-poll-us", str(busy_poll_us)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hftsim.net.venue", "serve", "--config", config_path, *extra],
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


def _scrape(dashboard_port: int, name: str) -> dict[str, float]:
    """One sample of the venue's Prometheus metrics: ``{labels as "k=v,...": value}`` of family ``name``."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(f"http://127.0.0.1:{dashboard_port}/metrics", timeout=5).read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))] = sample.value
    if not out:
        raise RuntimeError(f"the venue does not export {name}")
    return out


def _queue_figures(dashboard_port: int) -> dict:
    """The backlog and loss figures of the venue's queues, from its Prometheus endpoint."""
    p99 = _scrape(dashboard_port, "hftsim_queue_backlog_p99_messages")
    dropped = _scrape(dashboard_port, "hftsim_messages_dropped_total")
    inline = _scrape(dashboard_port, "hftsim_messages_handled_inline_total")
    decisions = _scrape(dashboard_port, "hftsim_autoscale_decisions_total")
    consumers = [p99[f"queue={q}"] for q in CONSUMER_QUEUES if f"queue={q}" in p99]
    out = {"backlog_p99_msgs": max(consumers) if consumers else None}
    out.update({f"backlog_p99_msgs_{key.split('=', 1)[1]}": value for key, value in sorted(p99.items())})
    out["consumer_messages_dropped"] = int(sum(dropped.values()))
    out["feed_messages_handled_inline"] = int(inline.get("queue=feed", 0))
    out["autoscale_decisions"] = int(sum(decisions.values()))
    return out


def _load_runs(
    config_path: str,
    rates,
    duration_s: float,
    metrics: bool,
    busy_poll_us: int = 0,
    durations: dict[int, float] | None = None,
) -> tuple[dict, str, int, dict]:
    """Start a venue, offer each rate in turn, stop it; return results, loop name, exit code, figures.

    Each rate runs ``duration_s``, or ``durations[rate]`` when given.

    The figures hold the queue figures (with metrics) and ``cpu_s_<rate>``: the venue process's CPU
    seconds from just before the rate's run until it is idle again after it.
    """
    from hftsim.net.client.load import run_load
    from hftsim.net.venue.server import new_event_loop

    proc, port, loop_name, dashboard_port = _start_venue(config_path, metrics, busy_poll_us)
    loop = new_event_loop()
    results, figures = {}, {}
    try:
        for rate in rates:
            cpu_before_s = _wait_idle(proc.pid)
            results[rate] = loop.run_until_complete(
                run_load(
                    "127.0.0.1",
                    port,
                    sender_comp_id="LOAD1",
                    target_comp_id="HFTSIM",
                    rate_msgs_per_s=rate,
                    duration_s=(durations or {}).get(rate, duration_s),
                    drain_timeout_s=3.0,
                )
            )
            figures[f"cpu_s_{rate}"] = _wait_idle(proc.pid) - cpu_before_s
        if dashboard_port is not None:
            figures.update(_queue_figures(dashboard_port))
    finally:
        loop.close()
        exit_code = _stop_venue(proc)
    return results, loop_name, exit_code, figures


def _wait_idle(pid: int, timeout_s: float = 30.0) -> float:
    """Wait until the venue's CPU time stops growing (its consumers caught up); return it, in seconds.

    Idle means no CPU tick (10 ms at the usual 100 Hz) in two consecutive 50 ms windows (the venue's
    own timers cost far less).
    """
    ticks_per_s = os.sysconf("SC_CLK_TCK")

    def cpu_s() -> float:  # utime + stime of /proc/<pid>/stat (fields 14 and 15), Linux
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks_per_s

    deadline = time.monotonic() + timeout_s
    last, quiet = cpu_s(), 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        now = cpu_s()
        quiet = quiet + 1 if now - last < 0.5 / ticks_per_s else 0
        last = now
    return last


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
        quick: 0.5 s per rate instead of 3 s (:data:`LOW_RATE_DURATION_S` for the lowest rate).
        rates: offered messages per second, one run each.

    Returns:
        ``rtt_p50_us_10k``, ``rtt_p99_us_10k``, ``rtt_p99_us_50k``, ``max_sustained_msgs_per_s``
        (highest offered rate with nothing dropped and acks keeping up; 0 if none), and per rate
        ``achieved_msgs_per_s_<k>``, ``ack_msgs_per_s_<k>``, ``rtt_p50_us_<k>``, ``rtt_p99_us_<k>``,
        ``rtt_max_us_<k>``, ``lost_orders_<k>``, ``unsent_msgs_<k>``, ``sustained_<k>``,
        ``rtt_read_p50_us_<k>`` and ``rtt_read_p99_us_<k>`` (the same round trips ended when the
        client read the ack, its own wake-ups included, where the ``rtt_*`` figures end when the
        ack reached the client's socket: the kernel's receive stamp); plus
        ``event_loop`` (the venue's), ``duration_s`` per rate and ``duration_s_<k>`` of the lowest.

        The venue runs with its metrics, dashboard and consumer queues on (``--dashboard-port 0``),
        its feed published and busy polling for :data:`BUSY_POLL_US` after each input
        (``--busy-poll-us``), as a low-latency production venue would; ``rtt_p50_us_10k_no_busy_poll``
        and ``rtt_p99_us_10k_no_busy_poll`` are the lowest rate again on a venue that sleeps when
        idle (on this VM an idle vCPU takes tens of µs to wake). ``backlog_p99_msgs`` is the largest, over the
        consumer queues (``feed``, ``analytics``), of each queue's 99th percentile of the messages
        waiting right after each batch (each drain of the sequencer) was enqueued, over the whole
        run (all rates), scraped from the venue's Prometheus endpoint
        (``hftsim_queue_backlog_p99_messages{queue}``); ``backlog_p99_msgs_<queue>`` gives each
        queue's, the sequencer's included (messages waiting at each drain).
        ``consumer_messages_dropped`` and ``feed_messages_handled_inline`` count what full queues
        shed or made the drain handle itself; ``autoscale_decisions`` counts the autoscaler's
        decisions.

        ``metrics_overhead_pct`` is the share of the venue's throughput that its metrics take,
        ``100 * (1 - capacity_acks_per_s / capacity_acks_per_s_no_metrics)``: each capacity is the
        median over :data:`OVERHEAD_PAIRS` venue processes (one with ``quick``) of the acknowledged
        messages per second when :data:`OVERLOAD_MSGS_PER_S` are offered, more than one venue
        process keeps up with, both venues publishing the feed through the same consumer queues and
        neither busy-polling. (The venue's CPU time per message at a rate it keeps up with says
        nothing here: from about 50k msgs/s on, its loop takes a core at any rate, in batches that
        grow with the rate.) ``metrics_overhead_pct_in_process`` and
        ``metrics_ns_per_msg_in_process`` measure the same in one process, without sockets or feed
        (:mod:`hftsim.bench.venue_metrics`).
    """
    duration_s = 0.5 if quick else 3.0
    figures: dict = {}
    with (
        tempfile.TemporaryDirectory(prefix="hftsim-bench-venue-") as tmp,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as feed_sink,
    ):
        feed_sink.bind(("127.0.0.1", 0))  # bound, never read: the feed's datagrams are discarded
        config_path = os.path.join(tmp, "venue.toml")
        with open(config_path, "w") as f:
            f.write(_CONFIG.format(feed_port=feed_sink.getsockname()[1]))
        low = min(rates)
        durations = {} if quick else {low: LOW_RATE_DURATION_S}
        results, loop_name, exit_code, scraped = _load_runs(
            config_path, rates, duration_s, metrics=True, busy_poll_us=BUSY_POLL_US, durations=durations
        )
        # the same venue at the lowest rate without busy polling: what an idle CPU's wake-up costs
        sleeping, _, _, _ = _load_runs(config_path, (low,), duration_s, metrics=True)
        # throughput flat out, with and without metrics, alternating venue processes that do not
        # busy-poll; the median of each side (two runs of the same venue differ by about 1%)
        over = OVERLOAD_MSGS_PER_S
        acks_on, acks_off = [], []
        for _ in range(OVERHEAD_PAIRS_QUICK if quick else OVERHEAD_PAIRS):
            bare, _, _, _ = _load_runs(config_path, (over,), duration_s, metrics=False)
            acks_off.append(bare[over].ack_msgs_per_s)
            again, _, _, _ = _load_runs(config_path, (over,), duration_s, metrics=True)
            acks_on.append(again[over].ack_msgs_per_s)
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
        ordered[f"rtt_read_p50_us_{k}"] = r.rtt_read_p50_us
        ordered[f"rtt_read_p99_us_{k}"] = r.rtt_read_p99_us
    lk = f"{low // 1000}k"
    ordered[f"rtt_p50_us_{lk}_no_busy_poll"] = sleeping[low].rtt_p50_us
    ordered[f"rtt_p99_us_{lk}_no_busy_poll"] = sleeping[low].rtt_p99_us
    capacity_on, capacity_off = float(np.median(acks_on)), float(np.median(acks_off))
    for rate in rates:
        scraped.pop(f"cpu_s_{rate}", None)
    ordered["backlog_p99_msgs"] = scraped.pop("backlog_p99_msgs", None)
    ordered.update(scraped)
    from hftsim.bench import venue_metrics

    overhead = 100 * (1 - capacity_on / capacity_off) if capacity_off else None
    ordered["metrics_overhead_pct"] = round(overhead, 2) if overhead is not None else None
    in_process = venue_metrics.run(quick=quick)
    ordered["metrics_overhead_pct_in_process"] = in_process["overhead_pct"]
    ordered["metrics_ns_per_msg_in_process"] = (
        in_process["ns_per_msg_metrics"] - in_process["ns_per_msg_no_metrics"]
    )
    ordered["capacity_acks_per_s"] = round(capacity_on)
    ordered["capacity_acks_per_s_no_metrics"] = round(capacity_off)
    ordered["event_loop"] = loop_name
    ordered["duration_s"] = duration_s
    ordered[f"duration_s_{lk}"] = durations.get(low, duration_s)
    ordered["venue_exit_code"] = exit_code
    return ordered
