"""The in-process measurement of what the venue's metrics cost."""

from hftsim.bench import venue_metrics


def test_venue_metrics_overhead_measures_real_venue_work():
    figures = venue_metrics.run(quick=True)
    assert figures["messages_per_round"] == 20_000 and figures["rounds"] == 3
    # a venue message costs microseconds through receive, gateway, engine and reports: a figure of
    # nanoseconds would mean the stream was refused (no logon) and nothing was measured
    assert figures["ns_per_msg_no_metrics"] > 1_000 and figures["ns_per_msg_metrics"] > 1_000
    expected = (
        100
        * (figures["ns_per_msg_metrics"] - figures["ns_per_msg_no_metrics"])
        / figures["ns_per_msg_no_metrics"]
    )
    assert abs(figures["overhead_pct"] - expected) < 0.05
