"""Fakes for tests: an in-memory market with a real matching engine and a fake clock, and test agents."""

from hftsim.testing.agents import ManualStrategy
from hftsim.testing.market import FakeContext, FakeMarket

__all__ = ["FakeContext", "FakeMarket", "ManualStrategy"]
