"""Open-loop FIX load generator: offered rate, bounded in count and time, order-to-ack round trips.
Edge (reads wall time and perf_counter).

The generator sends on a fixed schedule whatever the venue does (open loop): message ``i`` is due
at ``t0 + i / rate``. Each event-loop tick writes every message that has come due in one
``write``, so a sender that falls behind catches up in a burst and reports how far behind it was
(``max_send_lag_us``). Messages alternate NewOrderSingle and OrderCancelRequest for that order
(``cancel_every_order``), so the book stays small; the measured round trip is NewOrderSingle
written to the socket -> ExecutionReport ExecType=New read from it, both with ``perf_counter_ns``.

"Dropped" is reported three ways: orders never acknowledged by the end of the drain period
(``lost_orders``), orders rejected (``rejected_orders``), and messages the schedule offered that
were never sent because the time bound ran out first (``unsent_msgs``).
"""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

import msgspec
import numpy as np

from hftsim.net.client.initiator import FixInitiator
from hftsim.net.fix.codec import FixMessage, format_utc_timestamp
from hftsim.net.fix.session import SequenceStore

__all__ = ["LoadResult", "Sending", "run_load", "send_open_loop"]

_SPIN_BELOW_NS = 2_000_000  # closer than this to the next due message, yield instead of sleeping


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
) -> LoadResult:
    """Offer ``rate_msgs_per_s`` for ``duration_s`` (at most ``max_msgs``) and measure round trips.

    The first ``warmup_msgs`` messages are sent at the same rate but left out of the figures.
    """
    total = int(rate_msgs_per_s * duration_s)
    if max_msgs is not None:
        total = min(total, max_msgs)
    total += warmup_msgs
    step = 2 if cancel_every_order else 1
    n_orders = (total + step - 1) // step
    send_ns = np.zeros(n_orders, dtype=np.int64)
    ack_ns = np.zeros(n_orders, dtype=np.int64)
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
        on_message=on_message,
    )
    sending = await send_open_loop(
        client,
        prefix=prefix,
        rate_msgs_per_s=rate_msgs_per_s,
        total=total,
        time_limit_s=duration_s + warmup_msgs / rate_msgs_per_s,
        send_ns=send_ns,
        symbol=symbol,
        price=price,
        qty=qty,
        cancel_every_order=cancel_every_order,
    )
    t0, sent, max_lag_ns, last_send_ns = sending
    elapsed_s = (last_send_ns - t0) / 1e9
    sent_orders = (sent + step - 1) // step

    def all_answered() -> bool:
        return int(np.count_nonzero(ack_ns[:sent_orders])) + counts["rejected"] >= sent_orders

    await client.wait_until(all_answered, drain_timeout_s)
    await client.logout()
    return _summarise(
        rate_msgs_per_s,
        duration_s,
        total - warmup_msgs,
        sent,
        warmup_msgs // step,
        send_ns[:sent_orders],
        ack_ns[:sent_orders],
        counts,
        elapsed_s,
        max_lag_ns,
        last_send_ns,
        step,
    )


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
) -> LoadResult:
    acked = ack_ns > 0
    rtt_us = (ack_ns[warm_orders:][acked[warm_orders:]] - send_ns[warm_orders:][acked[warm_orders:]]) / 1e3
    pct = np.percentile(rtt_us, [50, 99, 99.9]) if rtt_us.size else np.array([np.nan] * 3)
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
        max_send_lag_us=round(max_lag_ns / 1e3, 1),
        drain_ms=round(drain_ms, 2),
        is_sustained=is_sustained,
    )
