"""Discrete-event simulation: kernel, latency, scenarios, runs and the agent API.

See ``docs/simulation.md`` for how the parts fit together.
"""

from hftsim.sim.agent import Agent, AgentContext
from hftsim.sim.kernel import Kernel, KernelResult
from hftsim.sim.latency import (
    ConstantLatency,
    EmpiricalLatency,
    LatencyLeg,
    LatencyProfile,
    LognormalLatency,
)
from hftsim.sim.registry import register_agent, registered_agents
from hftsim.sim.run import RunResult, run_scenario
from hftsim.sim.scenario import Scenario, list_scenarios, load_scenario, parse_scenario

__all__ = [
    "Agent",
    "AgentContext",
    "ConstantLatency",
    "EmpiricalLatency",
    "Kernel",
    "KernelResult",
    "LatencyLeg",
    "LatencyProfile",
    "LognormalLatency",
    "RunResult",
    "Scenario",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "register_agent",
    "registered_agents",
    "run_scenario",
]
