"""Open-loop FIX load that keeps every round-trip sample, for time series and CDFs. Edge.

:func:`hftsim.net.client.run_load` reports percentiles only; stress drills also need the samples
(latency over time, CDFs before/after, backlog over time), so this loop keeps the send and ack
timestamps of every order. The sender is run_load's own
(:func:`hftsim.net.client.load.send_open_loop`) or, with ``engine="c"``, its compiled runner
(:func:`hftsim.net.client.load.run_compiled`, which blocks the event loop for the run): message ``i``
is due at ``t0 + i / rate``, NewOrderSingle and OrderCancelRequest alternate, the round trip is
NewOrderSingle written -> ExecutionReport New arrived (``perf_counter_ns``; with the compiled runner
on Linux the kernel's receive stamp, else the read), and a step is *sustained* when no order is lost
or rejected, at most 1% of the schedule went unsent and the last ack came within 50 ms of the last
send.
Every loop is bounded in count (``rate * duration_s``) and time (``duration_s`` plus
``drain_timeout_s``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from hftsim.net.client.initiator import FixInitiator
from hftsim.net.client.load import check_engine, run_compiled, send_open_loop
from hftsim.net.fix.codec import FixMessage
from hftsim.net.fix.session import SequenceStore

__all__ = ["LoadSamples", "sampled_load", "sample_backlog"]


@dataclass
class LoadSamples:
    """Every order of one load run; times are ``perf_counter_ns``.

    ``ack_ns`` is when each order's ack arrived (0: never): the kernel's receive stamp when the
    compiled runner had one, else when this process read it; ``read_ns`` is always the read.
    """

    session: str
    offered_msgs_per_s: float
    duration_s: float
    t0_ns: int
    offered_msgs: int
    sent_msgs: int = 0
    send_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ack_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rejected: int = 0
    max_send_lag_us: float = 0.0
    last_send_ns: int = 0
    read_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    engine: str = "python"

    @property
    def sent_orders(self) -> int:
        return len(self.send_ns)

    @property
    def acked(self) -> np.ndarray:
        return self.ack_ns > 0

    @property
    def lost_orders(self) -> int:
        return int(self.sent_orders - np.count_nonzero(self.acked) - self.rejected)

    @property
    def unsent_msgs(self) -> int:
        return max(0, self.offered_msgs - self.sent_msgs)

    @property
    def rtt_us(self) -> np.ndarray:
        ok = self.acked
        return (self.ack_ns[ok] - self.send_ns[ok]) / 1e3

    @property
    def rtt_read_us(self) -> np.ndarray:
        """Round trips ended when this process read the ack (aligned with :attr:`rtt_us`)."""
        ok = self.acked
        return (self.read_ns[ok] - self.send_ns[ok]) / 1e3

    @property
    def ack_offset_s(self) -> np.ndarray:
        """Seconds from the start of the run to each ack (aligned with :attr:`rtt_us`)."""
        return (self.ack_ns[self.acked] - self.t0_ns) / 1e9

    @property
    def drain_ms(self) -> float:
        last_ack = int(self.ack_ns.max()) if self.acked.any() else self.last_send_ns
        return max(0.0, (last_ack - self.last_send_ns) / 1e6)

    @property
    def is_sustained(self) -> bool:
        return (
            self.lost_orders == 0
            and self.rejected == 0
            and self.unsent_msgs <= self.offered_msgs * 0.01
            and self.drain_ms <= 50.0
        )

    def answered(self) -> int:
        return int(np.count_nonzero(self.ack_ns)) + self.rejected


async def sampled_load(
    host: str,
    port: int,
    sender_comp_id: str,
    rate_msgs_per_s: float,
    duration_s: float,
    *,
    target_comp_id: str = "HFTSIM",
    drain_timeout_s: float = 2.0,
    tag: str = "",
    live: list | None = None,
    engine: str = "python",
) -> LoadSamples:
    """Offer ``rate_msgs_per_s`` for ``duration_s`` on one session and keep every sample.

    Args:
        live: when given, the samples object is appended before sending starts, so a backlog
            sampler can watch it while it runs (``engine="python"`` only: the compiled runner
            holds the event loop).
        engine: ``"python"`` (the event loop's sender) or ``"c"`` (the compiled runner; needs the
            extension).

    Raises:
        ValueError: an unknown engine, ``"c"`` without the extension, or ``live`` with ``"c"``.
    """
    engine = check_engine(engine)
    if engine == "c" and live is not None:
        raise ValueError("a live backlog sampler needs the python engine: the compiled runner holds the loop")
    total = max(2, int(rate_msgs_per_s * duration_s))
    n_orders = (total + 1) // 2
    out = LoadSamples(
        session=sender_comp_id,
        offered_msgs_per_s=rate_msgs_per_s,
        duration_s=duration_s,
        t0_ns=0,
        offered_msgs=total,
        send_ns=np.zeros(n_orders, np.int64),
        ack_ns=np.zeros(n_orders, np.int64),
        engine=engine,
    )
    prefix = f"S{tag}{time.time_ns() % 10**10:x}-"
    plen = len(prefix)
    ack_ns = out.ack_ns

    def on_message(msg: FixMessage, recv_ns: int) -> None:
        if msg.msg_type != "8":
            return
        exec_type = msg.get(150)
        if exec_type == b"0":
            ack_ns[int(msg.get(11)[plen:])] = recv_ns
        elif exec_type == b"8":
            out.rejected += 1

    client = await FixInitiator.connect(
        host,
        port,
        sender_comp_id,
        target_comp_id,
        reset_seq_num=True,
        store=SequenceStore(max_stored=10_000),
        on_message=on_message if engine == "python" else None,
    )
    if engine == "c":
        return await _compiled_run(client, out, prefix, total, duration_s, drain_timeout_s)
    if live is not None:
        live.append(out)
    out.t0_ns, sent, max_lag_ns, out.last_send_ns = await send_open_loop(
        client,
        prefix=prefix,
        rate_msgs_per_s=rate_msgs_per_s,
        total=total,
        time_limit_s=duration_s,
        send_ns=out.send_ns,
    )
    out.sent_msgs = sent
    n_sent_orders = (sent + 1) // 2
    out.send_ns = out.send_ns[:n_sent_orders]
    out.max_send_lag_us = round(max_lag_ns / 1e3, 1)
    await client.wait_until(lambda: out.answered() >= n_sent_orders, drain_timeout_s)
    out.ack_ns = out.ack_ns[:n_sent_orders].copy()
    out.read_ns = out.ack_ns
    await _logout(client)
    return out


async def _compiled_run(
    client: FixInitiator, out: LoadSamples, prefix: str, total: int, duration_s: float, drain_timeout_s: float
) -> LoadSamples:
    """Run ``out``'s schedule with the compiled runner on ``client``'s logged-on socket, drain included."""
    read_ns = out.ack_ns
    rx_ns = np.zeros_like(read_ns)
    runner, sending = await run_compiled(
        client,
        prefix=prefix,
        rate_msgs_per_s=out.offered_msgs_per_s,
        total=total,
        time_limit_s=duration_s,
        drain_timeout_s=drain_timeout_s,
        send_ns=out.send_ns,
        ack_ns=read_ns,
        rx_ns=rx_ns if sys.platform == "linux" else None,
    )
    out.t0_ns, out.sent_msgs, max_lag_ns, out.last_send_ns = sending
    n = (out.sent_msgs + 1) // 2
    out.send_ns = out.send_ns[:n]
    out.read_ns = read_ns[:n].copy()
    # an ack the runner handed back to the session has a read stamp only
    out.ack_ns = np.where(rx_ns[:n] > 0, rx_ns[:n], out.read_ns)
    out.rejected = runner.rejected
    out.max_send_lag_us = round(max_lag_ns / 1e3, 1)
    await _logout(client)
    return out


async def _logout(client: FixInitiator) -> None:
    try:
        await client.logout(timeout_s=1.0)
    except (ConnectionError, OSError):
        client.close()


async def sample_backlog(live: list, period_s: float, stop: asyncio.Event) -> tuple[list, list]:
    """Sample the orders sent and not yet answered, summed over ``live`` runs, every ``period_s``.

    Returns:
        (seconds since the first sample, backlog in orders) lists.
    """
    t_s: list[float] = []
    backlog: list[int] = []
    start = time.perf_counter_ns()
    while not stop.is_set():
        now = time.perf_counter_ns()
        waiting = 0
        for run in live:
            sent = int(np.count_nonzero(run.send_ns[: len(run.ack_ns)]))
            waiting += max(0, sent - run.answered())
        t_s.append((now - start) / 1e9)
        backlog.append(waiting)
        try:
            await asyncio.wait_for(stop.wait(), period_s)
        except TimeoutError:
            pass
    return t_s, backlog
