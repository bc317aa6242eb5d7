"""ConsumerPool: bounded queue, drops instead of blocking, scales with the autoscaler."""

import asyncio

from hftsim.core.clock import SimClock
from hftsim.monitor import AutoscalePolicy, Autoscaler, ConsumerPool, MetricsRegistry


async def _until(predicate, timeout_s=2.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.001)


def test_consumer_pool_full_queue_drops_and_never_blocks():
    async def main():
        reg = MetricsRegistry()
        gate = asyncio.Event()

        async def handler(_msg):
            await gate.wait()

        pool = ConsumerPool("itch", handler, Autoscaler(AutoscalePolicy(), SimClock(), reg), reg, maxsize=10)
        pool.start()
        pool.offer_batch(range(25))  # returns at once although nothing is consumed
        await asyncio.sleep(0)
        assert reg.snapshot()["counters"]['messages_dropped{queue="itch"}'] >= 14
        assert reg.snapshot()["gauges"]['queue_backlog_messages{queue="itch"}'] <= 10
        gate.set()
        await _until(lambda: pool.backlog == 0)
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_scales_up_on_backlog_and_down_when_idle():
    async def main():
        reg, clock = MetricsRegistry(), SimClock()
        scaler = Autoscaler(AutoscalePolicy(idle_ns=10, idle_batches=2, max_consumers=3), clock, reg)
        gate = asyncio.Event()
        handled = []

        async def handler(msg):
            await gate.wait()
            handled.append(msg)

        pool = ConsumerPool("itch", handler, scaler, reg, maxsize=5_000)
        pool.start()
        for batch in range(3):
            clock.advance_to(clock.now_ns() + 1)
            decision = pool.offer_batch(range(batch * 300, batch * 300 + 300))
        assert decision is not None and decision.action == "add"
        assert pool.consumers == 2
        gate.set()
        await _until(lambda: pool.backlog == 0 and len(handled) == 900)
        for _ in range(3):
            clock.advance_to(clock.now_ns() + 20)
            pool.offer_batch([])
        assert pool.consumers == 1
        assert [d.action for d in scaler.decisions] == ["add", "remove"]
        assert reg.snapshot()["counters"]['messages_handled{queue="itch"}'] == 900
        await pool.stop()

    asyncio.run(main())


def test_consumer_pool_sync_handler_is_called():
    async def main():
        reg = MetricsRegistry()
        seen = []
        pool = ConsumerPool("fix", seen.append, Autoscaler(clock=SimClock(), registry=reg), reg)
        pool.start()
        pool.offer_batch(["a", "b"])
        await _until(lambda: seen == ["a", "b"])
        await pool.stop()

    asyncio.run(main())
