"""Benchmark suites (``hftsim bench SUITE``), their workloads, and the regression gate.

Each suite is a module with ``run(quick: bool = False) -> dict`` and optionally ``TARGETS``; the
command-line table and CSV rows live in :mod:`hftsim.bench.cli`.
"""

__all__: list[str] = []
