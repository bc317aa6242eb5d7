"""Discrete-event simulation: kernel, latency, scenarios and the agent API."""

from hftsim.sim.agent import Agent, AgentContext

__all__ = ["Agent", "AgentContext"]
