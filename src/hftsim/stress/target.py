"""Targets of the stress and benchmark metrics, and the met / NOT MET table. Cold path.

Each target names a suite, a metric, a comparison and a bound, optionally only for rows whose
conditions contain given ``key=value`` pairs, and where the bound comes from. A target whose suite
did not run in this build is shown as such, never as met.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TARGETS", "Target", "TargetCheck", "check_targets", "format_number"]


@dataclass(frozen=True)
class Target:
    """``metric op bound`` for rows of ``suite`` (only those whose conditions hold every ``where`` pair)."""

    suite: str
    metric: str
    op: str
    bound: float
    where: tuple[str, ...] = ()
    source: str = ""

    def matches(self, row: dict) -> bool:
        parts = set(str(row["conditions"]).split(";"))
        return row["suite"] == self.suite and row["metric"] == self.metric and set(self.where) <= parts


#: the budgets named in the issues (engine, venue, feed, failover, OMS) and the stress defaults
TARGETS: tuple[Target, ...] = (
    Target("engine", "p99_ns", "<=", 1_000, source="engine budget"),
    Target("engine", "p999_ns", "<=", 2_000, source="engine budget"),
    Target("engine", "msgs_per_s", ">=", 2_000_000, source="engine budget"),
    Target("journal", "append_records_per_s", ">=", 1_000_000, source="journal budget"),
    Target("journal", "recover_1m_s", "<=", 2.0, source="journal budget"),
    Target("flood", "rtt_p99_us", "<=", 100, ("offered_msgs_per_s=10000",), "venue budget rtt_p99_us_10k"),
    Target("flood", "max_sustained_msgs_per_s", ">=", 150_000, source="venue budget"),
    Target("loss", "unrecovered_msgs", "<=", 0, source="feed budget (feed_unrecovered_*)"),
    Target("loss", "gap_fill_p99_ms", "<=", 10, ("loss=0.01",), "feed budget gap_fill_p99_ms"),
    Target("loss", "gap_fill_p99_ms", "<=", 10, ("loss=0.05",), "feed budget gap_fill_p99_ms"),
    Target("loss", "book_mismatch", "<=", 0, source="feed: rebuilt book equals the engine's"),
    Target("feed", "feed_unrecovered_1pct", "<=", 0, source="feed budget"),
    Target("feed", "feed_unrecovered_5pct", "<=", 0, source="feed budget"),
    Target("feed", "gap_fill_p99_ms", "<=", 10, source="feed budget"),
    Target("jitter", "unrecovered_msgs", "<=", 0, source="feed budget"),
    Target("jitter", "lost_orders", "<=", 0, source="venue: every order acknowledged"),
    Target("oms", "backlog_p99_orders", "<=", 200, source="week-8 review: backlog > 200 breaches"),
    Target("oms", "lost_orders", "<=", 0, source="venue: every order acknowledged"),
    Target("oms", "decision_overhead_us", "<=", 5.0, source="OMS budget (bench oms)"),
    Target("failover", "takeover_p99_ms", "<=", 1000, source="failover budget"),
    Target("failover", "acked_orders_lost", "<=", 0, source="failover budget"),
    Target("failover", "duplicate_executions", "<=", 0, source="failover budget"),
    Target("failover", "digest_mismatches", "<=", 0, source="failover budget"),
    Target("failover", "max_abs_pnl_delta", "==", 0, source="failover budget (state continuity)"),
    Target("soak", "rss_growth_mb", "<=", 20, source="stress default: no leak over the soak"),
    Target("soak", "lost_orders", "<=", 0, source="venue: every order acknowledged"),
)

_OPS = {
    "<=": lambda v, b: v <= b,
    ">=": lambda v, b: v >= b,
    "<": lambda v, b: v < b,
    ">": lambda v, b: v > b,
    "==": lambda v, b: v == b,
}


def format_number(x: float) -> str:
    """Return ``x`` for people: thousands separated, at most 4 significant decimals, no exponent."""
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}" if abs(x) >= 1e-4 else f"{x:.3g}"


@dataclass(frozen=True)
class TargetCheck:
    """One line of the final table."""

    suite: str
    metric: str
    conditions: str
    value: float | None
    target: str
    status: str  # "met", "NOT MET", "not available: <why>", "not measured"
    source: str

    @property
    def is_met(self) -> bool:
        return self.status == "met"


def check_targets(
    rows: list[dict], ran: set[str], unavailable: dict[str, str], targets: tuple[Target, ...] = TARGETS
) -> list[TargetCheck]:
    """Check every target against the rows of suites that ran, and list the suites that could not.

    Args:
        rows: perf rows of this run (medians when repeated).
        ran: suites that ran.
        unavailable: suite -> reason it could not run in this build.
        targets: the targets to check.
    """
    out: list[TargetCheck] = []
    for t in targets:
        shown = f"{t.op} {format_number(t.bound)}"
        if t.suite in unavailable:
            out.append(
                TargetCheck(
                    t.suite, t.metric, "", None, shown, f"not available: {unavailable[t.suite]}", t.source
                )
            )
            continue
        if t.suite not in ran:
            continue
        matched = [r for r in rows if t.matches(r)]
        if not matched:
            out.append(
                TargetCheck(t.suite, t.metric, ";".join(t.where), None, shown, "not measured", t.source)
            )
        for r in matched:
            value = float(r["value"])
            if t.op not in _OPS:
                status = f"unknown comparison {t.op!r}"
            else:
                status = "met" if _OPS[t.op](value, t.bound) else "NOT MET"
            out.append(TargetCheck(t.suite, t.metric, r["conditions"], value, shown, status, t.source))
    return out
