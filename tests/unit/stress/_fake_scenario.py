"""A stress scenario for tests: no sockets, no processes; behaviour set by module globals."""

import numpy as np

from hftsim.stress.outcome import Outcome, PlotData
from hftsim.stress.registry import SuiteUnavailable

#: multiply every latency by this (plant a regression)
SCALE = 1.0
#: "ok", "unavailable" or "boom"
MODE = "ok"
VERSION = "1"


def run(ctx):
    if MODE == "unavailable":
        raise SuiteUnavailable("hftsim.bench.nothing is not in this build")
    if MODE == "boom":
        raise RuntimeError("the drill broke")
    out = Outcome("fake", VERSION, ctx.mode)
    rtt = np.linspace(50.0, 150.0, 101) * SCALE
    out.add("rtt_p99_us", float(np.percentile(rtt, 99)), offered_msgs_per_s=1000)
    out.add("rtt_p50_us", float(np.percentile(rtt, 50)), offered_msgs_per_s=1000)
    out.add("lost_orders", 0, offered_msgs_per_s=1000)
    out.add("ack_msgs_per_s", 1000.0, offered_msgs_per_s=1000)
    out.samples["rtt_us"] = rtt
    out.plots.append(PlotData("fake_cdf", "cdf", "fake", {"fake": rtt}))
    out.tables["fake_steps"] = [{"offered": 1000, "p99": float(rtt[-2])}]
    out.targets = {"rtt_p99_us": ("<=", 100)}
    return [out]
