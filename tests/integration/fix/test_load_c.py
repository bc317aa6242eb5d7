"""The compiled load runner (run_load engine "c") against the real venue on 127.0.0.1.

Both engines must leave the venue's session exactly as a well-behaved client would: every order
acknowledged, no sequence error anywhere, and a Logout whose MsgSeqNum follows the last order.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from hftsim.net.client import run_load
from hftsim.net.client.load import default_engine

pytestmark = pytest.mark.skipif(default_engine() != "c", reason="hftsim.net.client._loadgen is not built")

SEQUENCE_TROUBLE = (
    "seq_too_low",
    "resend_requests_sent",
    "resend_requests_received",
    "session_rejects",
    "garbled",
    "comp_id_rejects",
    "duplicates_ignored",
)


def wait_for(condition, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


@pytest.mark.parametrize("engine", ["c", "python"])
def test_load_engine_every_order_acked_and_clean_logout(venue, engine):
    warmup = 20
    result = asyncio.run(
        run_load(
            "127.0.0.1",
            venue.port,
            sender_comp_id="C",
            target_comp_id="HFTSIM",
            rate_msgs_per_s=2_000,
            duration_s=0.25,
            warmup_msgs=warmup,
            drain_timeout_s=2.0,
            engine=engine,
        )
    )
    assert result.engine == engine
    assert result.lost_orders == 0 and result.rejected_orders == 0
    assert result.acked_orders == result.sent_orders > 0
    assert result.sent_msgs + result.unsent_msgs == result.offered_msgs == 500
    assert result.rtt_p50_us > 0 and result.rtt_max_us >= result.rtt_p99_us
    assert result.rtt_read_p50_us <= result.rtt_read_p99_us
    if engine == "c" and sys.platform == "linux":  # kernel receive stamps: after the send, before the read
        assert 0 < result.rtt_p50_us <= result.rtt_read_p50_us
        assert result.rtt_p99_us <= result.rtt_read_p99_us
        assert result.rtt_p50_us < result.rtt_read_p50_us or result.rtt_p99_us < result.rtt_read_p99_us
    else:  # no kernel stamps: both end at the read
        assert (result.rtt_p50_us, result.rtt_p99_us) == (result.rtt_read_p50_us, result.rtt_read_p99_us)

    state = venue.call(lambda: venue.server.store.get("HFTSIM", "C"))
    assert wait_for(lambda: venue.call(lambda: state.connection is None)), "the venue kept the session open"
    metrics = venue.call(lambda: dict(venue.server.metrics))
    assert {k: metrics.get(k, 0) for k in SEQUENCE_TROUBLE} == dict.fromkeys(SEQUENCE_TROUBLE, 0)
    orders = result.sent_orders + warmup // 2
    assert metrics["new_orders"] == orders
    # every cancel is applied, also one read together with the Logout (its report is then stored for
    # a resend, so the client may have counted fewer)
    assert metrics["cancels"] == orders
    assert orders - 2 <= result.canceled_orders <= orders
    sent_by_client = 1 + result.sent_msgs + warmup + 1  # Logon, the orders and cancels, Logout
    venue_sent = 1 + 2 * orders + 1  # Logon, New and Canceled per order, Logout
    assert venue.call(lambda: (state.next_in, state.next_out)) == (sent_by_client + 1, venue_sent + 1)


def test_load_engine_c_unknown_engine_is_refused(venue):
    with pytest.raises(ValueError, match="engine must be one of"):
        asyncio.run(
            run_load(
                "127.0.0.1",
                venue.port,
                sender_comp_id="C",
                target_comp_id="HFTSIM",
                rate_msgs_per_s=100,
                duration_s=0.01,
                engine="rust",
            )
        )
