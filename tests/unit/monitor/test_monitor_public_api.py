"""The public API of hftsim.monitor is pinned."""

import hftsim.monitor
import hftsim.monitor.dashboard


def test_monitor_public_api_pinned():
    assert sorted(hftsim.monitor.__all__) == sorted(
        [
            "RELATIVE_ERROR",
            "STAGES",
            "AutoscalePolicy",
            "Autoscaler",
            "ConsumerPool",
            "Counter",
            "Gauge",
            "HistogramSnapshot",
            "LatencyHistogram",
            "MetricsRegistry",
            "ScaleDecision",
            "VenueMetrics",
            "load_metrics_file",
            "watch_book",
        ]
    )
    assert sorted(hftsim.monitor.dashboard.__all__) == sorted(
        ["Dashboard", "RunReplay", "SnapshotBuilder", "check_run_dir", "engine_book"]
    )
