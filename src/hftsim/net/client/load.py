"""Open-loop FIX load generator: offered rate, bounded in count and time, order-to-ack round trips.
Edge (reads wall time and perf_counter).

The generator sends on a fixed schedule whatever the venue does (open loop): message ``i`` is due
at ``t0 + i / rate``. Each event-loop tick writes every message that has come due in one
``write``, so a sender that falls behind catches up in a burst and reports how far behind it was
(``max_send_lag_us``). Messages alternate NewOrderSingle and OrderCancelRequest for that order
(``cancel_every_order``), so the book stays small; the measured round trip is NewOrderSingle
written to the socket -> ExecutionReport ExecType=New arrived. "Arrived" is the kernel's receive
stamp of the ack (``SO_TIMESTAMPNS``, compiled engine on Linux), else the moment this process read
it; both are CLOCK_MONOTONIC. The read stamps are reported too (``rtt_read_*``): they add this
process's own delays, such as its wake-up, to the venue's round trip. A read that returns several
acks stamps them all with the arrival of the last segment read, which can only lengthen a round trip.

"Dropped" is reported three ways: orders never acknowledged by the end of the drain period
(``lost_orders``), orders rejected (``rejected_orders``), and messages the schedule offered that
were never sent because the time bound ran out first (``unsent_msgs``).

Two engines run the same schedule and send the same bytes. ``"python"`` is :func:`send_open_loop` on
the event loop, with every ExecutionReport parsed by the session's framer: about 10 µs of client
time per message. ``"c"`` (the default when the extension is built) hands the logged-on socket to
``hftsim.net.client._loadgen.LoadRunner`` for the run; see :func:`run_compiled` for the hand-off.
Both stamp with CLOCK_MONOTONIC (``perf_counter_ns`` on Linux), so their figures compare.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import NamedTuple

import msgspec
import numpy as np

from hftsim.net.client.initiator import FixInitiator
from hftsim.net.fix.codec import FixMessage, format_utc_timestamp
from hftsim.net.fix.session import FixSession, SequenceStore

try:
    from hftsim.net.client import _loadgen
except ImportError:  # the extension is not built: the Python engine only
    _loadgen = None

__all__ = [
    "ENGINES",
    "LoadResult",
    "Sending",
    "check_engine",
    "default_engine",
    "run_compiled",
    "run_load",
    "send_open_loop",
]

#: load engines: the compiled runner and the pure-Python sender
ENGINES = ("c", "python")
_SPIN_BELOW_NS = 2_000_000  # closer than this to the next due message, yield instead of sleeping
#: The compiled runner sleeps in ppoll() until _C_SPIN_NS before the next message is due, then spins
#: (poll, sched_yield) to send on time: on the 2-vCPU bench VM a halted vCPU takes tens of µs to wake.
#: After an order it also spins until the order's ack arrives, for at most _C_ACK_SPIN_NS, so reading
#: the ack does not wait for a wake-up either. Above about 33k msgs/s (messages under 30 µs apart)
#: the next message is always due within that lead, and the runner keeps its vCPU. Below, it leaves
#: its vCPU between orders. Then the machine's own tasks run there rather than preempt a venue that
#: busy-polls the other vCPU.
#: Measured against the bench venue at 10k msgs/s (rtt_p99 from kernel receive stamps): spinning all
#: the time missed 100 µs in 13 of 30 3-s runs and 5 of 8 15-s runs; leaving the vCPU missed in 5 of
#: 30 and 0 of 8. The client's own read stamps then carry its own wake-ups (13 and 12 of 30 missed).
#: Rates from 33k up are unchanged. The drain after the last send sleeps.
_C_SPIN_NS = 30_000
_C_ACK_SPIN_NS = 500_000


class LoadResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one load run measured (times in µs unless named otherwise)."""

    offered_msgs_per_s: float
    duration_s: float
    offered_msgs: int
    sent_msgs: int
    unsent_msgs: int
    sent_orders: int
    acked_orders: int
    lost_orders: int
    rejected_orders: int
    canceled_orders: int
    achieved_msgs_per_s: float
    ack_msgs_per_s: float
    rtt_p50_us: float
    rtt_p99_us: float
    rtt_p999_us: float
    rtt_max_us: float
    max_send_lag_us: float
    drain_ms: float
    is_sustained: bool
    engine: str = "python"  # which engine sent and received: "c" or "python"
    #: the same round trips ended when this process read the ack. The rtt_* figures end when the ack
    #: reached this host's socket: the kernel's receive stamp (SO_TIMESTAMPNS, engine "c" on Linux),
    #: else this read stamp too. The difference is this process's own delay in reading.
    rtt_read_p50_us: float = float("nan")
    rtt_read_p99_us: float = float("nan")


def default_engine() -> str:
    """Return ``"c"`` when the compiled runner is built, else ``"python"``."""
    return "c" if _loadgen is not None else "python"


def check_engine(engine: str | None) -> str:
    """Return ``engine`` (None: :func:`default_engine`) when this build can run it.

    Raises:
        ValueError: an unknown engine, or ``"c"`` when the extension is not built.
    """
    engine = engine or default_engine()
    if engine not in ENGINES or (engine == "c" and _loadgen is None):
        raise ValueError(
            f"engine must be one of {ENGINES} (c needs the extension: python setup.py build_ext --inplace), "
            f"got {engine!r}"
        )
    return engine


async def run_load(
    host: str,
    port: int,
    *,
    sender_comp_id: str,
    target_comp_id: str,
    rate_msgs_per_s: float,
    duration_s: float,
    max_msgs: int | None = None,
    symbol: str = "SIM",
    price: str = "100.00",
    qty: int = 100,
    cancel_every_order: bool = True,
    drain_timeout_s: float = 2.0,
    warmup_msgs: int = 200,
    engine: str | None = None,
) -> LoadResult:
    """Offer ``rate_msgs_per_s`` for ``duration_s`` (at most ``max_msgs``) and measure round trips.

    The first ``warmup_msgs`` messages are sent at the same rate but left out of the figures.

    Args:
        engine: ``"c"`` or ``"python"`` (None: :func:`default_engine`). The C engine blocks the event
            loop for the run (up to ``duration_s`` plus ``drain_timeout_s``) with the GIL released.

    Raises:
        ValueError: an unknown engine, or ``"c"`` when the extension is not built.
    """
    engine = check_engine(engine)
    total = int(rate_msgs_per_s * duration_s)
    if max_msgs is not None:
        total = min(total, max_msgs)
    total += warmup_msgs
    step = 2 if cancel_every_order else 1
    n_orders = (total + step - 1) // step
    send_ns = np.zeros(n_orders, dtype=np.int64)
    ack_ns = np.zeros(n_orders, dtype=np.int64)
    rx_ns = np.zeros(n_orders, dtype=np.int64)  # kernel receive stamps (compiled runner only)
    prefix = f"L{time.time_ns() % 10**12:x}-"
    plen = len(prefix)
    counts = {"rejected": 0, "canceled": 0}

    def on_message(msg: FixMessage, recv_ns: int) -> None:
        if msg.msg_type != "8":
            return
        exec_type = msg.get(150)
        if exec_type == b"0":
            ack_ns[int(msg.get(11)[plen:])] = recv_ns
        elif exec_type == b"4":
            counts["canceled"] += 1
        elif exec_type == b"8":
            counts["rejected"] += 1

    client = await FixInitiator.connect(
        host,
        port,
        sender_comp_id,
        target_comp_id,
        reset_seq_num=True,
        store=SequenceStore(max_stored=10_000),
        on_message=on_message if engine == "python" else None,
    )
    time_limit_s = duration_s + warmup_msgs / rate_msgs_per_s
    schedule = dict(
        prefix=prefix,
        rate_msgs_per_s=rate_msgs_per_s,
        total=total,
        time_limit_s=time_limit_s,
        send_ns=send_ns,
        symbol=symbol,
        price=price,
        qty=qty,
        cancel_every_order=cancel_every_order,
    )
    if engine == "c":
        runner, sending = await run_compiled(
            client, ack_ns=ack_ns, rx_ns=rx_ns, drain_timeout_s=drain_timeout_s, **schedule
        )
    else:
        sending = await send_open_loop(client, **schedule)
        sent_orders = (sending.sent_msgs + step - 1) // step

        def all_answered() -> bool:
            return int(np.count_nonzero(ack_ns[:sent_orders])) + counts["rejected"] >= sent_orders

        await client.wait_until(all_answered, drain_timeout_s)
    await client.logout()
    if engine == "c":
        counts = {"rejected": runner.rejected, "canceled": runner.canceled}
    t0, sent, max_lag_ns, last_send_ns = sending
    sent_orders = (sent + step - 1) // step
    has_rx = engine == "c" and bool(rx_ns[:sent_orders].any())
    result = _summarise(
        rate_msgs_per_s,
        duration_s,
        total - warmup_msgs,
        sent,
        warmup_msgs // step,
        send_ns[:sent_orders],
        ack_ns[:sent_orders],
        counts,
        (last_send_ns - t0) / 1e9,
        max_lag_ns,
        last_send_ns,
        step,
        arrival_ns=rx_ns[:sent_orders] if has_rx else None,
    )
    return msgspec.structs.replace(result, engine=engine)


async def run_compiled(
    client: FixInitiator,
    *,
    prefix: str,
    rate_msgs_per_s: float,
    total: int,
    time_limit_s: float,
    drain_timeout_s: float,
    send_ns: np.ndarray,
    ack_ns: np.ndarray,
    rx_ns: np.ndarray | None,
    symbol: str = "SIM",
    price: str = "100.00",
    qty: int = 100,
    cancel_every_order: bool = True,
) -> tuple:
    """Run the schedule and the drain with the compiled runner; return it (its counters) and the Sending.

    The orders are :func:`send_open_loop`'s, with the same defaults.

    The hand-off: the initiator's output is flushed and its framer must hold no partial message; then
    the transport stops reading and the runner takes the socket's fd with the session's sequence
    numbers. Whatever frame the runner does not handle itself comes back here and goes through the
    session (:func:`_hand_back`), whose answers the runner writes in order; the runner then resumes the
    same schedule. At the end the runner's unwritten output goes to the transport, its unread input to
    the session, the session's ``next_out``/``next_in`` are set from it and the transport reads again,
    so the Logout that follows carries the right MsgSeqNum.

    The runner's messages are not in the session's resend store (``state.sent``): a ResendRequest for
    them is answered with a SequenceReset-GapFill (``FixSession._on_resend_request`` gap-fills every
    missing number), and the venue counts those orders as never received (lost).
    """
    transport = client._transport  # the initiator owns it; the runner borrows its fd for the run
    session = client.session
    await _quiesce(client, transport)
    state = session.state
    runner = _loadgen.LoadRunner(
        transport.get_extra_info("socket").fileno(),
        sender_comp_id=state.local_comp_id,
        target_comp_id=state.remote_comp_id,
        next_out_seq=state.next_out,
        next_in_seq=state.next_in,
        rate_msgs_per_s=rate_msgs_per_s,
        total_msgs=total,
        time_limit_ns=int(time_limit_s * 1e9),
        drain_timeout_ns=int(drain_timeout_s * 1e9),
        prefix=prefix,
        symbol=symbol,
        price=price,
        qty=qty,
        cancel_every_order=cancel_every_order,
        send_ns=send_ns,
        ack_ns=ack_ns,
        spin_ns=_C_SPIN_NS,
        ack_spin_ns=_C_ACK_SPIN_NS,
        rx_ns=rx_ns if sys.platform == "linux" else None,
    )
    client.on_message = lambda msg, recv_ns: _count_report(runner, msg, recv_ns)
    transport.pause_reading()
    unread = b""
    try:
        while session.is_active:
            reason, data = runner.run()
            if reason != "handback":
                unread = data
                break
            _hand_back(session, runner, data)
    finally:
        unwritten, rest = runner.finish()
        state.next_out, state.next_in = runner.next_out_seq, runner.next_in_seq
        if unwritten:
            transport.write(unwritten)
        for msg in session.receive(unread + rest, time.time_ns()):
            _count_report(runner, msg, runner.last_recv_ns)
        client.flush()
        transport.resume_reading()
    if runner.is_sending_done:
        return runner, Sending(runner.t0_ns, runner.sent, runner.max_lag_ns, runner.last_send_ns)
    stopped_ns = time.perf_counter_ns()  # stopped early (connection closed, garbled input): drain in Python
    answered = lambda: runner.acked + runner.rejected >= runner.sent_orders or not client.is_connected
    await client.wait_until(answered, drain_timeout_s)
    return runner, Sending(runner.t0_ns, runner.sent, runner.max_lag_ns, stopped_ns)


async def _quiesce(client: FixInitiator, transport, timeout_s: float = 1.0) -> None:
    """Flush the initiator and wait until nothing is buffered on either side of the session.

    Raises:
        ConnectionError: output still queued in the transport or a partial message in the session's
            framer after ``timeout_s``.
    """
    client.flush()
    framer = client.session._framer  # a partial message there would be split between two framers
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while transport.get_write_buffer_size() or framer.buffered:
        if loop.time() > deadline or not client.is_connected:
            raise ConnectionError("the FIX connection did not go quiet before the load run")
        await asyncio.sleep(0.001)


def _hand_back(session: FixSession, runner, frame: bytes) -> None:
    """Let the session handle a frame the runner did not, and queue its answers on the runner."""
    state = session.state
    state.next_out, state.next_in = runner.next_out_seq, runner.next_in_seq
    for msg in session.receive(frame, time.time_ns()):
        _count_report(runner, msg, runner.last_recv_ns)
    runner.next_out_seq, runner.next_in_seq = state.next_out, state.next_in
    out = session.take_output()
    if out:
        runner.queue_output(out)


def _count_report(runner, msg: FixMessage, recv_ns: int) -> None:
    if msg.msg_type == "8":
        runner.count_report(msg.get(150), msg.get(11), recv_ns)


class Sending(NamedTuple):
    """How an open-loop send went (``perf_counter_ns`` times)."""

    t0_ns: int
    sent_msgs: int
    max_lag_ns: int
    last_send_ns: int


async def send_open_loop(
    client: FixInitiator,
    *,
    prefix: str,
    rate_msgs_per_s: float,
    total: int,
    time_limit_s: float,
    send_ns: np.ndarray,
    symbol: str = "SIM",
    price: str = "100.00",
    qty: int = 100,
    cancel_every_order: bool = True,
) -> Sending:
    """Send up to ``total`` messages on the schedule ``t0 + i / rate``, within ``time_limit_s``.

    Orders are NewOrderSingle with ClOrdID ``<prefix><k>`` (buy ``qty`` at ``price``); with
    ``cancel_every_order`` every second message cancels the order before it (ClOrdID
    ``<prefix>c<k>``). Each tick writes every message that has come due in one flush and stamps
    ``send_ns[k]`` of its orders with the time of that flush.
    """
    send_body = client.session.send_body
    step = 2 if cancel_every_order else 1
    interval_ns = 1e9 / rate_msgs_per_s
    t0 = time.perf_counter_ns()
    end_ns = t0 + int(time_limit_s * 1e9)
    sent = 0
    max_lag_ns = 0
    while sent < total:
        now = time.perf_counter_ns()
        if now >= end_ns:
            break
        due = min(total, int((now - t0) / interval_ns) + 1)
        if due > sent:
            max_lag_ns = max(max_lag_ns, now - (t0 + int(sent * interval_ns)))
            wall_ns = time.time_ns()
            ts = format_utc_timestamp(wall_ns)
            first_order = last_order = -1
            for i in range(sent, due):
                k = i // step
                if step == 1 or i % 2 == 0:
                    if first_order < 0:
                        first_order = k
                    send_body(
                        "D",
                        f"11={prefix}{k}\x0155={symbol}\x0154=1\x0160={ts}\x0138={qty}"
                        f"\x0140=2\x0144={price}\x0159=0\x01",
                        wall_ns,
                    )
                    last_order = k
                else:
                    send_body(
                        "F",
                        f"41={prefix}{k}\x0111={prefix}c{k}\x0155={symbol}\x0154=1"
                        f"\x0160={ts}\x0138={qty}\x01",
                        wall_ns,
                    )
            stamp = time.perf_counter_ns()
            client.flush()
            if first_order >= 0:
                send_ns[first_order : last_order + 1] = stamp
            sent = due
        wait_ns = t0 + int(sent * interval_ns) - time.perf_counter_ns()
        await asyncio.sleep((wait_ns - 1_000_000) / 1e9 if wait_ns > _SPIN_BELOW_NS else 0)
    return Sending(t0, sent, max_lag_ns, time.perf_counter_ns())


def _rtt_us(send_ns: np.ndarray, stamp_ns: np.ndarray, warm_orders: int) -> np.ndarray:
    """Round trips in µs of the orders after the warm-up that got a stamp (0: none)."""
    sent, stamped = send_ns[warm_orders:], stamp_ns[warm_orders:]
    answered = stamped > 0
    return (stamped[answered] - sent[answered]) / 1e3


def _summarise(
    rate: float,
    duration_s: float,
    offered: int,
    sent: int,
    warm_orders: int,
    send_ns: np.ndarray,
    ack_ns: np.ndarray,
    counts: dict,
    elapsed_s: float,
    max_lag_ns: int,
    last_send_ns: int,
    step: int,
    arrival_ns: np.ndarray | None = None,
) -> LoadResult:
    """Sum up a run; round trips end at ``arrival_ns`` (kernel receive stamps) when given, else at
    ``ack_ns`` (read stamps). Lost orders and the drain always go by the read stamps."""
    acked = ack_ns > 0
    read_us = _rtt_us(send_ns, ack_ns, warm_orders)
    rtt_us = read_us if arrival_ns is None else _rtt_us(send_ns, arrival_ns, warm_orders)
    pct = np.percentile(rtt_us, [50, 99, 99.9]) if rtt_us.size else np.array([np.nan] * 3)
    read_pct = np.percentile(read_us, [50, 99]) if read_us.size else np.array([np.nan] * 2)
    last_ack_ns = int(ack_ns.max()) if acked.any() else last_send_ns
    n_acked = int(acked.sum())
    lost = len(ack_ns) - n_acked - counts["rejected"]
    sent_measured = max(0, sent - warm_orders * step)
    unsent = max(0, offered - sent_measured)
    drain_ms = max(0.0, (last_ack_ns - last_send_ns) / 1e6)
    is_sustained = lost == 0 and counts["rejected"] == 0 and unsent <= offered * 0.01 and drain_ms <= 50.0
    return LoadResult(
        offered_msgs_per_s=rate,
        duration_s=round(elapsed_s, 3),
        offered_msgs=offered,
        sent_msgs=sent_measured,
        unsent_msgs=unsent,
        sent_orders=len(ack_ns) - warm_orders,
        acked_orders=n_acked - int(acked[:warm_orders].sum()),
        lost_orders=lost,
        rejected_orders=counts["rejected"],
        canceled_orders=counts["canceled"],
        achieved_msgs_per_s=round(sent / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        ack_msgs_per_s=round(
            n_acked * step / max(elapsed_s, (last_ack_ns - last_send_ns) / 1e9 + elapsed_s), 1
        ),
        rtt_p50_us=round(float(pct[0]), 1),
        rtt_p99_us=round(float(pct[1]), 1),
        rtt_p999_us=round(float(pct[2]), 1),
        rtt_max_us=round(float(rtt_us.max()), 1) if rtt_us.size else float("nan"),
        rtt_read_p50_us=round(float(read_pct[0]), 1),
        rtt_read_p99_us=round(float(read_pct[1]), 1),
        max_send_lag_us=round(max_lag_ns / 1e3, 1),
        drain_ms=round(drain_ms, 2),
        is_sustained=is_sustained,
    )
