import math

import numpy as np

from hftsim.stress.outcome import Outcome, format_conditions


def test_format_conditions_mode_first_then_sorted():
    assert format_conditions("quick", zeta=1, alpha="x") == "mode=quick;alpha=x;zeta=1"


def test_outcome_add_row_has_unit_and_direction():
    out = Outcome("flood", "1", "quick")
    out.add("rtt_p99_us", 12.5, offered_msgs_per_s=10000)
    out.add("ack_msgs_per_s", np.float64(9000.0), offered_msgs_per_s=10000)
    assert out.rows[0] == {
        "suite": "flood",
        "metric": "rtt_p99_us",
        "unit": "us",
        "value": 12.5,
        "conditions": "mode=quick;offered_msgs_per_s=10000",
        "better": "lower",
    }
    assert out.rows[1]["better"] == "higher" and out.rows[1]["unit"] == "1/s"
    assert isinstance(out.rows[1]["value"], float)


def test_outcome_add_nan_or_flag_is_a_note_not_a_row():
    out = Outcome("soak", "1", "full")
    out.add("rss_growth_mb", math.nan)
    out.add("is_sustained", True)
    assert out.rows == []
    assert len(out.notes) == 2 and "not measured" in out.notes[0]


def test_outcome_add_figures_skips_labels():
    out = Outcome("engine", "1.1", "quick")
    out.add_figures({"p99_ns": 500, "event_loop": "uvloop", "quick": True})
    assert [r["metric"] for r in out.rows] == ["p99_ns"]
    assert out.scenario_version == "1.1-quick"
