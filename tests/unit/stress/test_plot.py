import numpy as np
import pytest

from hftsim.stress.outcome import PlotData
from hftsim.stress.plot import draw, draw_cdf_compare

pytestmark = pytest.mark.slow  # matplotlib


@pytest.mark.parametrize(
    "kind,series",
    [
        ("cdf", {"a": np.arange(1.0, 100.0)}),
        ("latency_over_time", {"p99": (np.arange(10.0), np.arange(1.0, 11.0))}),
        ("throughput", {"acked": ([5000, 10000], [5000, 9000])}),
        ("backlog", {"backlog": (np.arange(5.0), np.array([0, 3, 5, 2, 0]))}),
        ("series", {"rss": (np.arange(3.0), np.array([50.0, 51.0, 51.5]))}),
    ],
)
def test_draw_each_kind_writes_png(tmp_path, kind, series):
    path = draw(PlotData(f"p_{kind}", kind, kind, series), tmp_path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_draw_empty_samples_still_writes(tmp_path):
    assert draw(PlotData("empty", "cdf", "none", {"a": np.zeros(0)}), tmp_path).stat().st_size > 0


def test_draw_cdf_compare_writes_png(tmp_path):
    path = draw_cdf_compare("cmp", "t", np.arange(1.0, 50.0), np.arange(2.0, 60.0), "us", tmp_path)
    assert path.stat().st_size > 1000
