"""PNG plots of stylized facts."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import hftsim.analytics.plots as plots
from hftsim.analytics import compute_facts
from hftsim.analytics.plots import PLOT_FILES, plot_facts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plots_module_imports_matplotlib_only_inside_functions():
    tree = ast.parse(Path(plots.__file__).read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = [alias.name for node in top_level for alias in node.names] + [
        node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)
    ]
    assert not [name for name in names if name.startswith("matplotlib")]
    everywhere = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    imported = [alias.name for node in everywhere for alias in node.names] + [
        node.module or "" for node in everywhere if isinstance(node, ast.ImportFrom)
    ]
    assert "matplotlib.backends.backend_agg" in imported
    assert not [name for name in imported if "pyplot" in name]  # object API and Agg canvas only


@pytest.mark.slow
def test_plot_facts_writes_every_png(tmp_path, market):
    rng = np.random.default_rng(21)
    facts = compute_facts(
        market.random_walk_quotes(rng, 5_000, 10.0, bounce_ticks=1),
        market.trades_at(market.poisson_times_ns(rng, 2_000, 4.0), market.markov_signs(rng, 2_000, 0.6)),
    )
    paths = plot_facts(facts, tmp_path / "plots")
    assert [p.name for p in paths] == list(PLOT_FILES)
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000
    assert not list((tmp_path / "plots").glob(".*"))


@pytest.mark.slow
def test_plot_facts_too_little_data_still_writes_every_png(tmp_path, market):
    rng = np.random.default_rng(22)
    facts = compute_facts(
        market.random_walk_quotes(rng, 3, 10.0), market.trades_at(np.array([5]), np.array([1]))
    )
    paths = plot_facts(facts, tmp_path)
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in paths)
