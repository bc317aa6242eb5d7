"""Order flow: Hawkes processes, flow sources (Hawkes-driven, zero-intelligence, replay)."""

from hftsim.flow.hawkes_flow import HawkesFlow
from hftsim.flow.replay import ReplayFlow, flow_from_log, read_flow
from hftsim.flow.source import DepthDistribution, FlowSource, FlowVenue, SizeDistribution
from hftsim.flow.zero_intelligence import ZeroIntelligenceFlow

__all__ = [
    "DepthDistribution",
    "FlowSource",
    "FlowVenue",
    "HawkesFlow",
    "ReplayFlow",
    "SizeDistribution",
    "ZeroIntelligenceFlow",
    "flow_from_log",
    "read_flow",
]
