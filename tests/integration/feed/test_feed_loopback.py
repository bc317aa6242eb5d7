"""Publisher and handler over real loopback UDP: gap recovery, snapshots, itchfeed agreement, multicast."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from itch.messages import messages as itchfeed_classes

from hftsim.bench.workload import bench_instruments, engine_workload
from hftsim.matching import MatchingEngine
from hftsim.net.feed import REF_ORDER_MASK, FeedHandler, FeedPublisher
from hftsim.net.itch import decode
from hftsim.net.mold import decode_packet

ITCHFEED_NAMES = {
    "side": "buy_sell_indicator",
    "price_e4": "price",
    "execution_price_e4": "execution_price",
    "original_order_reference_number": "order_reference_number",
    "luld_reference_price_tier": "luld_ref",
    "timestamp_ns": "timestamp",
}


async def wait_until(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met before the deadline")
        await asyncio.sleep(0.005)


def engine_l3(engine, symbol_id, scale=100):
    return [
        (int(r["order_id"]), int(r["side"]), int(r["price_ticks"]) * scale, int(r["leaves_qty"]))
        for r in engine.l3(symbol_id)
    ]


def handler_l3(handler, symbol_id):
    return [(ref & REF_ORDER_MASK, side, px, q) for ref, side, px, q in handler.l3(symbol_id + 1)]


async def run_feed(n_commands: int, faults: dict | None, *, drop=None, publisher_kw=None, handler_kw=None):
    instruments = bench_instruments(2)
    commands = engine_workload(n_commands, n_symbols=2, seed=11)
    engine = MatchingEngine(instruments)
    handler = FeedHandler(b"TEST", ("127.0.0.1", 0), ("127.0.0.1", 1), **(handler_kw or {}))
    await handler.start()
    if drop is not None:  # a receive-side fault: packets whose first sequence number matches are lost
        real = handler.on_datagram
        handler.on_datagram = lambda data: None if drop(int.from_bytes(data[10:18], "big")) else real(data)
    publisher = FeedPublisher(
        instruments,
        b"TEST",
        [handler.feed_address],
        0,
        faults=faults,
        heartbeat_interval_s=0.02,
        **(publisher_kw or {}),
    )
    await publisher.start()
    handler.rerequest_address = publisher.rerequest_address
    for i in range(0, n_commands, 50):
        for j in range(i, min(i + 50, n_commands)):
            publisher.publish(engine.run_batch(commands[j : j + 1]))
        await asyncio.sleep(0)
    await wait_until(lambda: handler.next_seq == publisher.next_sequence_number and not handler.open_gaps)
    stats = publisher.stats()
    # End of Session is sequenced like any message and may be lost too: the publisher keeps serving
    # re-requests until the handler has everything up to it (as bench/feed.py and the stress drills do)
    complete = lambda: handler.is_end_of_session and not handler.open_gaps  # noqa: E731
    await publisher.stop(linger_s=10.0, linger_until=complete)
    await wait_until(complete)
    await handler.stop()
    for s in range(2):
        assert handler_l3(handler, s) == engine_l3(engine, s)
    return stats, handler.stats()


@pytest.mark.slow
@pytest.mark.parametrize("loss", [0.01, 0.05])
def test_feed_seeded_bursty_loss_reorder_duplicates_all_recovered(loss):
    faults = {"seed": 5, "loss": loss, "burst": 4, "reorder": 0.02, "duplicate": 0.02, "jitter_ms": 0.2}
    # generous retry limits: a loaded shared machine must not turn slow recovery into a snapshot
    pub, got = asyncio.run(
        run_feed(
            8000,
            faults,
            publisher_kw={"max_payload": 400},
            handler_kw={"max_retries": 100, "max_gap_age_ms": 8000},
        )
    )
    assert pub["faults_lost"] > 0 and pub["faults_duplicated"] > 0 and pub["faults_reordered"] > 0
    assert got["gaps"] > 0 and got["gaps_recovered"] == got["gaps"] and got["messages_unrecovered"] == 0
    assert got["duplicates"] > 0 and got["snapshots_applied"] == 0
    assert pub["rerequest_retransmitted_messages"] >= got["messages_missing"] - got["messages_recovered"] >= 0


@pytest.mark.slow
def test_feed_gap_older_than_store_falls_back_to_snapshot():
    pub, got = asyncio.run(
        run_feed(
            4000,
            None,
            drop=lambda seq: 200 <= seq < 2500,
            publisher_kw={"store_messages": 256},
            handler_kw={"retry_ms": 5, "max_retries": 2},
        )
    )
    assert got["snapshots_applied"] >= 1 and got["messages_unrecovered"] > 0
    assert pub["rerequest_requests_unavailable"] > 0 and pub["rerequest_snapshots"] >= 1


def test_feed_packets_decoded_by_itchfeed_agree():
    async def main():
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        sink.setblocking(False)
        instruments = bench_instruments(1)
        engine = MatchingEngine(instruments)
        publisher = FeedPublisher(instruments, b"AGREE", [sink.getsockname()], 0)
        await publisher.start()
        for c in engine_workload(300, n_symbols=1, seed=2):
            publisher.publish(engine.run_batch(c.reshape(1)))
        await publisher.stop(linger_s=0)
        packets = []
        while True:
            try:
                packets.append(sink.recv(2048))
            except BlockingIOError:
                break
        sink.close()
        return packets

    packets = asyncio.run(main())
    seen = set()
    for packet in packets:
        for message in decode_packet(packet).messages:
            ours, theirs = decode(message), itchfeed_classes[message[:1]](message)
            seen.add(message[:1])
            for field in ours.__struct_fields__:
                value, mine = getattr(theirs, ITCHFEED_NAMES.get(field, field)), getattr(ours, field)
                if isinstance(value, bytes):
                    value, mine = value.decode("ascii").rstrip(), mine.rstrip()
                assert value == mine, (field, value, mine)
    assert {b"S", b"R", b"A", b"E", b"D"} <= seen


def test_feed_multicast_loopback_delivers():
    async def main():
        group = ("239.1.2.3", 0)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        handler = FeedHandler(b"MC", (group[0], port), ("127.0.0.1", 1))
        try:
            await handler.start()
        except OSError as e:
            pytest.skip(f"multicast on loopback unavailable here: {e}")
        instruments = bench_instruments(1)
        publisher = FeedPublisher(instruments, b"MC", [(group[0], port)], 0, multicast_ttl=0)
        await publisher.start()
        handler.rerequest_address = publisher.rerequest_address
        try:
            await wait_until(lambda: handler.book.stocks, timeout_s=1.0)
        except TimeoutError:
            pytest.skip("multicast datagrams are not looped back on this host")
        finally:
            await publisher.stop(linger_s=0)
            await handler.stop()
        assert handler.book.stocks == {1: "SYM0"}

    asyncio.run(main())


def test_publisher_rejects_non_loopback_destination():
    from hftsim.core.errors import ConfigError

    with pytest.raises(ConfigError, match="loopback"):
        FeedPublisher([], b"X", [("10.0.0.1", 5000)], 0)


def test_publisher_idle_sends_heartbeats_with_next_sequence():
    async def main():
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        sink.setblocking(False)
        publisher = FeedPublisher(
            bench_instruments(1), b"HB", [sink.getsockname()], 0, heartbeat_interval_s=0.01
        )
        await publisher.start()
        loop = asyncio.get_running_loop()
        packets = []
        while len(packets) < 3:
            packets.append(decode_packet(await asyncio.wait_for(loop.sock_recv(sink, 2048), 2.0)))
        await publisher.stop(linger_s=0)
        sink.close()
        return packets

    first, *beats = asyncio.run(main())
    assert first.message_count == 2 and all(b.is_heartbeat and b.sequence_number == 3 for b in beats)
