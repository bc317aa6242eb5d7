"""The named stress scenarios: what each runs, its version, and what it needs from the build. Cold path.

A scenario is a function of a :class:`Context` returning one :class:`~hftsim.stress.outcome.Outcome`
per suite it measured. A scenario that needs a module this build does not have raises
:class:`SuiteUnavailable`; the run records it ("suite not available in this build") and writes no
rows for it. ``all`` runs every scenario in :data:`ALL_ORDER`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from hftsim.core.errors import ConfigError, HftsimError

__all__ = [
    "ALL_ORDER",
    "Context",
    "SCENARIOS",
    "Scenario",
    "SuiteUnavailable",
    "get_scenario",
    "require",
    "scenario_names",
]


class SuiteUnavailable(HftsimError):
    """A scenario needs a module that is not in this build (named in the message)."""


def require(module: str) -> ModuleType:
    """Import ``module`` or raise :class:`SuiteUnavailable` naming it.

    Only a missing module counts as unavailable: an error inside a module that exists propagates.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise SuiteUnavailable(f"{module} is not in this build") from e
        raise


@dataclass
class Context:
    """What a scenario gets: the mode, a seed, a scratch directory in the run, and the run's log."""

    quick: bool
    work_dir: Path
    log: logging.Logger
    seed: int = 20240601

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"


@dataclass(frozen=True)
class Scenario:
    """A named drill.

    Attributes:
        name: what ``hftsim stress NAME`` calls it.
        version: bumped when the workload changes, so old baselines are refused, not compared.
        summary: one line for ``--help`` and the index page.
        suites: the perf.csv suites it writes.
        module: where its ``run(ctx)`` lives.
    """

    name: str
    version: str
    summary: str
    suites: tuple[str, ...]
    module: str

    def runner(self) -> Callable:
        return importlib.import_module(self.module).run


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "flood",
            "2",
            "ramp offered FIX load 5k-150k msgs/s; saturation point",
            ("flood",),
            "hftsim.stress._flood",
        ),
        Scenario(
            "loss",
            "1",
            "ITCH/MoldUDP64 feed at 1/5/10% uniform and bursty loss",
            ("loss",),
            "hftsim.stress._feed",
        ),
        Scenario(
            "jitter",
            "1",
            "feed under jitter and reordering; FIX through a jittering proxy",
            ("jitter",),
            "hftsim.stress._jitter",
        ),
        Scenario(
            "oms",
            "1",
            "many OMS agents in a simulation; many FIX sessions at once",
            ("oms",),
            "hftsim.stress._oms",
        ),
        Scenario(
            "failover",
            "1",
            "the failover drill (hftsim.bench.failover)",
            ("failover",),
            "hftsim.stress._failover",
        ),
        Scenario(
            "soak",
            "1",
            "venue load held for a fixed time: RSS growth, latency drift",
            ("soak",),
            "hftsim.stress._soak",
        ),
        Scenario(
            "bench",
            "1",
            "engine and journal benchmarks (quick) for the target table",
            ("engine", "journal"),
            "hftsim.stress._bench",
        ),
        Scenario(
            "feed",
            "1",
            "the feed benchmark: 150k msgs/s, 1% and 5% bursty loss (hftsim.bench.feed)",
            ("feed",),
            "hftsim.stress._bench_feed",
        ),
    )
}

#: the order ``all`` runs them in (cheap and independent first)
ALL_ORDER: tuple[str, ...] = ("bench", "flood", "loss", "jitter", "oms", "soak", "feed", "failover")


def scenario_names() -> list[str]:
    """Return every scenario name and ``all``."""
    return [*SCENARIOS, "all"]


def get_scenario(name: str) -> list[Scenario]:
    """Return the scenarios ``name`` stands for (``all``: every one).

    Raises:
        ConfigError: an unknown name (the message lists the known ones).
    """
    if name == "all":
        return [SCENARIOS[n] for n in ALL_ORDER]
    if name not in SCENARIOS:
        raise ConfigError(f"unknown stress scenario {name!r}; expected one of {', '.join(scenario_names())}")
    return [SCENARIOS[name]]
