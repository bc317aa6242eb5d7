"""`hftsim bench metrics` runs and reports the figures docs/observability.md quotes."""

from hftsim.bench.metrics import TARGETS, run


def test_bench_metrics_small_run_reports_costs():
    figures = run(commands=2_000, repeats=1)
    for key in (
        "record_ns",
        "counter_inc_ns",
        "timer_ns",
        "metrics_overhead_pct",
        "record_overhead_pct",
        "buffered_overhead_pct",
        "bare_ns_per_command",
        "recorded_ns_per_command",
    ):
        assert isinstance(figures[key], float), key
    assert figures["samples"] == 2_000
    assert set(TARGETS) <= set(figures)
