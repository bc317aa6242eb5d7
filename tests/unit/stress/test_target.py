from hftsim.stress.outcome import Outcome
from hftsim.stress.target import Target, check_targets


def _rows():
    out = Outcome("flood", "1", "quick")
    out.add("rtt_p99_us", 80.0, offered_msgs_per_s=10000)
    out.add("rtt_p99_us", 900.0, offered_msgs_per_s=25000)
    out.add("max_sustained_msgs_per_s", 25000)
    return out.rows


def test_check_targets_where_selects_condition_and_judges():
    targets = (
        Target("flood", "rtt_p99_us", "<=", 100, ("offered_msgs_per_s=10000",)),
        Target("flood", "max_sustained_msgs_per_s", ">=", 150000),
    )
    checks = check_targets(_rows(), {"flood"}, {}, targets)
    assert [(c.metric, c.value, c.status) for c in checks] == [
        ("rtt_p99_us", 80.0, "met"),
        ("max_sustained_msgs_per_s", 25000.0, "NOT MET"),
    ]


def test_check_targets_unavailable_suite_is_shown_not_met():
    checks = check_targets(
        [],
        set(),
        {"failover": "hftsim.bench.failover is not in this build"},
        (Target("failover", "takeover_p99_ms", "<=", 1000),),
    )
    assert checks[0].status.startswith("not available") and not checks[0].is_met and checks[0].value is None


def test_check_targets_missing_metric_is_not_measured():
    checks = check_targets(_rows(), {"flood"}, {}, (Target("flood", "rtt_p50_us", "<=", 100),))
    assert checks[0].status == "not measured"


def test_check_targets_suite_not_run_is_left_out():
    assert check_targets(_rows(), {"flood"}, {}, (Target("loss", "unrecovered_msgs", "<=", 0),)) == []


def test_check_targets_equality_and_unknown_comparison():
    out = Outcome("failover", "1", "quick")
    out.add("acked_orders_lost", 0)
    checks = check_targets(
        out.rows,
        {"failover"},
        {},
        (Target("failover", "acked_orders_lost", "==", 0), Target("failover", "acked_orders_lost", "~", 0)),
    )
    assert [c.status for c in checks] == ["met", "unknown comparison '~'"]


def test_format_number_readable():
    from hftsim.stress.target import format_number

    assert [format_number(x) for x in (150000, 8645060.4, 2.0, 0.0240262, 130.7)] == [
        "150,000",
        "8,645,060",
        "2",
        "0.02403",
        "130.7",
    ]
