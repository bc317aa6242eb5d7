"""Stylized facts of quotes and trades: statistics, tables, plots and the ``facts`` command. Cold path.

Plots import matplotlib lazily; ``hftsim.analytics.cli.add_parser`` registers ``hftsim facts``.
"""

from hftsim.analytics.report import Statistic, facts_table, statistics, summary, write_facts
from hftsim.analytics.stylized import (
    DEFAULT_INTERVALS_NS,
    Distribution,
    InterArrival,
    PowerLawFit,
    Signature,
    StylizedFacts,
    autocorrelation,
    compute_facts,
    depth_distribution,
    fit_power_law,
    interarrival,
    interval_label,
    mid_price,
    sample_returns,
    signature,
    spread_distribution,
)

__all__ = [
    "DEFAULT_INTERVALS_NS",
    "Distribution",
    "InterArrival",
    "PowerLawFit",
    "Signature",
    "Statistic",
    "StylizedFacts",
    "autocorrelation",
    "compute_facts",
    "depth_distribution",
    "facts_table",
    "fit_power_law",
    "interarrival",
    "interval_label",
    "mid_price",
    "sample_returns",
    "signature",
    "spread_distribution",
    "statistics",
    "summary",
    "write_facts",
]
