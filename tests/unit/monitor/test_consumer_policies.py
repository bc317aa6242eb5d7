"""ConsumerPool: FIFO across consumers, bounded turns, overflow handled inline, pause, idle ticks, errors."""

import asyncio

import pytest

from hftsim.core.clock import SimClock
from hftsim.core.errors import ConfigError
from hftsim.monitor import AutoscalePolicy, Autoscaler, ConsumerPool, MetricsRegistry


def _pool(handler, policy=None, clock=None, **kw):
    reg = MetricsRegistry()
    scaler = Autoscaler(policy or AutoscalePolicy(), clock or SimClock(), reg)
    return ConsumerPool("q", handler, scaler, reg, **kw), reg, scaler


async def _until(predicate, timeout_s=2.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.001)


def test_consumer_pool_plain_handler_keeps_fifo_order_across_consumers():
    async def main():
        seen = []
        pool, _, _ = _pool(seen.append, AutoscalePolicy(min_consumers=3), per_turn=7)
        pool.start()
        assert pool.consumers == 3
        for start in range(0, 500, 100):
            pool.offer_batch(range(start, start + 100))
            await asyncio.sleep(0)
        await _until(lambda: len(seen) == 500)
        assert seen == list(range(500))
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_consumer_yields_to_the_loop_after_per_turn_messages():
    async def main():
        pool, _, _ = _pool(lambda _m: None, per_turn=4)
        pool.start()
        await asyncio.sleep(0)  # the consumer waits for messages
        pool.offer_batch(range(10))
        observed = []
        while pool.backlog:
            await asyncio.sleep(0)  # one loop iteration: the consumer gets one turn
            observed.append(pool.handled.value)
        assert observed == [4, 8, 10]
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_full_queue_with_overflow_handle_loses_nothing_and_keeps_order():
    async def main():
        seen = []
        pool, reg, _ = _pool(seen.append, maxsize=5, overflow="handle")
        pool.start()
        pool.pause()
        pool.offer_batch(range(4))
        pool.offer_batch(range(4, 12))  # 7 do not fit: the producer handles 0..6 itself, in order
        assert seen == list(range(7)) and pool.backlog == 5
        pool.offer_batch(range(12, 30))  # larger than the queue: 7..11 and 12..24 inline
        assert seen == list(range(25)) and pool.backlog == 5
        pool.resume()
        await _until(lambda: len(seen) == 30)
        assert seen == list(range(30))
        counters = reg.snapshot()["counters"]
        assert counters['messages_handled_inline{queue="q"}'] == 25
        assert counters['messages_handled{queue="q"}'] == 30
        assert counters['messages_dropped{queue="q"}'] == 0
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_overflow_handle_with_coroutine_handler_raises_config_error():
    async def handler(_message):
        pass

    with pytest.raises(ConfigError, match="plain"):
        _pool(handler, overflow="handle")
    with pytest.raises(ConfigError, match="overflow"):
        _pool(lambda m: m, overflow="block")


def test_consumer_pool_tick_scales_an_idle_queue_down_without_batches():
    async def main():
        clock = SimClock(0)
        policy = AutoscalePolicy(idle_ns=100, idle_batches=2, max_consumers=3)
        pool, reg, scaler = _pool(lambda _m: None, policy, clock)
        pool.start()
        pool.pause()
        for _ in range(3):
            clock.advance_to(clock.now_ns() + 1)
            pool.offer_batch(range(250))  # backlog 250, 500, 750
        assert pool.consumers == 2
        pool.resume()
        await _until(lambda: pool.backlog == 0)
        for _ in range(3):  # no traffic: only ticks, 60 ns apart
            clock.advance_to(clock.now_ns() + 60)
            pool.tick()
        assert pool.consumers == 1
        assert [d.action for d in scaler.decisions] == ["add", "remove"]
        gauges = reg.snapshot()["gauges"]
        assert gauges['queue_consumers{queue="q"}'] == 1
        assert gauges['queue_backlog_p99_messages{queue="q"}'] == 750  # ticks record no sample
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_flush_handles_everything_queued_in_order():
    seen = []
    pool, _, _ = _pool(seen.append)
    pool.offer_batch(["a", "b", "c"])  # no consumer started
    assert pool.flush() == 3 and seen == ["a", "b", "c"] and pool.backlog == 0


def test_consumer_pool_handler_error_is_counted_and_consumption_continues():
    async def main():
        seen = []

        def handler(message):
            if message == 2:
                raise ValueError("bad message")
            seen.append(message)

        pool, reg, _ = _pool(handler)
        pool.start()
        pool.offer_batch(range(5))
        await _until(lambda: pool.handled.value == 5)
        assert seen == [0, 1, 3, 4]
        assert reg.snapshot()["counters"]['consumer_errors{queue="q"}'] == 1
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_list_handler_gets_each_turn_as_one_ordered_list():
    async def main():
        chunks = []
        pool, reg, _ = _pool(chunks.append, per_turn=4, maxsize=6, overflow="handle", is_list_handler=True)
        pool.start()
        pool.pause()
        pool.offer_batch(range(10))  # 4 do not fit: handled here as one list
        assert chunks == [[0, 1, 2, 3]]
        pool.resume()
        await _until(lambda: pool.backlog == 0)
        assert chunks == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        assert reg.snapshot()["counters"]['messages_handled{queue="q"}'] == 10
        pool.offer_batch(range(10, 15))
        assert pool.flush() == 5 and chunks[-2:] == [[10, 11, 12, 13], [14]]
        await pool.stop()

    asyncio.run(main())
