"""Autoscaler: scale up exactly after 3 batches over 200, down after an idle period, no flapping."""

import pytest

from hftsim.core.clock import SimClock
from hftsim.core.errors import ConfigError
from hftsim.monitor import AutoscalePolicy, Autoscaler, MetricsRegistry

SECOND = 1_000_000_000


def _drive(scaler, clock, backlogs, step_ns=100_000_000, queue="itch"):
    """Feed one backlog per batch, ``step_ns`` apart; return the consumer count after each batch."""
    out = []
    for backlog in backlogs:
        clock.advance_to(clock.now_ns() + step_ns)
        scaler.observe(queue, backlog)
        out.append(scaler.consumers(queue))
    return out


def _scaler(**policy):
    clock = SimClock()
    scaler = Autoscaler(AutoscalePolicy(**policy), clock, MetricsRegistry())
    scaler.track("itch")
    return scaler, clock


def test_autoscale_scales_up_exactly_after_three_batches_over_200():
    scaler, clock = _scaler()
    assert _drive(scaler, clock, [201, 201]) == [1, 1]
    assert _drive(scaler, clock, [201]) == [2]
    d = scaler.decisions[-1]
    assert (d.action, d.consumers_before, d.consumers_after, d.backlog) == ("add", 1, 2, 201)


def test_autoscale_exactly_200_is_not_over():
    scaler, clock = _scaler()
    assert _drive(scaler, clock, [200, 200, 200, 200, 200]) == [1] * 5


def test_autoscale_broken_streak_does_not_scale():
    scaler, clock = _scaler()
    assert _drive(scaler, clock, [500, 500, 150, 500, 500, 150, 500]) == [1] * 7
    assert scaler.decisions == []


def test_autoscale_each_further_consumer_needs_three_more_batches():
    scaler, clock = _scaler(max_consumers=3)
    assert _drive(scaler, clock, [999] * 10) == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]  # capped at max


def test_autoscale_scales_down_after_sustained_idle_period():
    scaler, clock = _scaler(idle_ns=2 * SECOND)
    _drive(scaler, clock, [300, 300, 300])
    assert scaler.consumers("itch") == 2
    # 0.1 s per batch: idle from the 1st zero batch; 2 s later (the 21st) one consumer goes
    counts = _drive(scaler, clock, [0] * 25)
    assert counts.index(1) == 20
    assert scaler.decisions[-1].action == "remove"
    assert _drive(scaler, clock, [0] * 50) == [1] * 50  # never below min_consumers


def test_autoscale_activity_in_hysteresis_band_restarts_idle_period():
    scaler, clock = _scaler(idle_ns=1 * SECOND)
    _drive(scaler, clock, [300, 300, 300])
    counts = _drive(scaler, clock, [0] * 8 + [100] + [0] * 8)  # 100 is above low_backlog (20)
    assert counts == [2] * 17


def test_autoscale_oscillating_backlog_does_not_flap():
    scaler, clock = _scaler(idle_ns=1 * SECOND)
    pattern = ([250] * 3 + [0] * 3) * 20  # bursts and pauses shorter than the idle period
    counts = _drive(scaler, clock, pattern)
    actions = [d.action for d in scaler.decisions]
    assert "remove" not in actions  # idle never lasted 1 s
    assert counts == sorted(counts)  # only ever up
    assert max(counts) == scaler.policy.max_consumers


def test_autoscale_decisions_recorded_in_registry_and_snapshot():
    reg = MetricsRegistry()
    clock = SimClock()
    scaler = Autoscaler(AutoscalePolicy(idle_ns=0, idle_batches=1), clock, reg)
    scaler.track("itch")
    for backlog in [300, 300, 300, 0]:
        clock.advance_to(clock.now_ns() + 1)
        scaler.observe("itch", backlog)
    counters = reg.snapshot()["counters"]
    assert counters['autoscale_decisions{action="add",queue="itch"}'] == 1
    assert counters['autoscale_decisions{action="remove",queue="itch"}'] == 1
    assert reg.snapshot()["gauges"]['queue_consumers{queue="itch"}'] == 1
    snap = scaler.snapshot()
    assert [d["action"] for d in snap["decisions"]] == ["remove", "add"]  # newest first
    assert snap["consumers"] == {"itch": 1}


def test_autoscale_is_deterministic():
    def run():
        scaler, clock = _scaler(idle_ns=SECOND)
        _drive(scaler, clock, [0, 300, 300, 300, 300, 300, 300] + [0] * 30 + [201] * 4)
        return scaler.decisions

    assert run() == run()


@pytest.mark.parametrize(
    "policy",
    [
        dict(low_backlog=300),
        dict(up_batches=0),
        dict(min_consumers=0),
        dict(min_consumers=5, max_consumers=2),
    ],
)
def test_autoscale_inconsistent_policy_raises_config_error(policy):
    with pytest.raises(ConfigError, match="autoscale"):
        Autoscaler(AutoscalePolicy(**policy), SimClock())


def test_autoscale_untracked_queue_raises_config_error():
    with pytest.raises(ConfigError, match="not tracked"):
        Autoscaler(clock=SimClock()).observe("nope", 1)
