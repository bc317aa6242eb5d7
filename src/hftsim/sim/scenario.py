"""Scenario files: TOML describing a run, validated up front. Cold path.

Every field is checked before anything runs; a bad value raises :class:`ConfigError` naming its
path and the expected type or range (``flows[0].hawkes.baselines[1]: expected a number > 0, got
-0.3``). Unknown keys and unknown agent or flow types are errors. The format is documented field
by field in ``docs/simulation.md``. Shipped scenarios live in ``hftsim/scenarios/*.toml``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.flow.hawkes import HawkesParams
from hftsim.flow.hawkes_flow import ACTIONS, HawkesFlow
from hftsim.flow.replay import ReplayFlow, read_flow
from hftsim.flow.source import DepthDistribution, FlowSource, SizeDistribution
from hftsim.flow.zero_intelligence import ZeroIntelligenceFlow
from hftsim.sim._check import check_int as _int
from hftsim.sim._check import check_number as _num
from hftsim.sim._check import show as _show
from hftsim.sim.agent import Agent
from hftsim.sim.latency import LatencyProfile
from hftsim.sim.registry import agent_class, import_modules

__all__ = ["AgentSpec", "Scenario", "list_scenarios", "load_scenario", "parse_scenario"]

_TOP_KEYS = {
    "name",
    "description",
    "seed",
    "imports",
    "session",
    "venue",
    "instruments",
    "flows",
    "agents",
    "outputs",
}
_STP = {
    "none": StpMode.NONE,
    "cancel_resting": StpMode.CANCEL_RESTING,
    "cancel_incoming": StpMode.CANCEL_INCOMING,
    "decrement_both": StpMode.DECREMENT_BOTH,
}
_FLOW_KEYS = {
    "zero_intelligence": {
        "type",
        "name",
        "symbol_id",
        "population",
        "limit_rate",
        "market_rate",
        "cancel_rate",
        "size",
        "size_max",
        "placement",
        "initial_price_ticks",
    },
    "hawkes": {
        "type",
        "name",
        "symbol_id",
        "population",
        "hawkes",
        "actions",
        "size",
        "size_max",
        "depth",
        "initial_price_ticks",
    },
    "replay": {"type", "name", "symbol_id", "path", "format", "tick_size", "align_start"},
}


class AgentSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A validated ``[[agents]]`` entry."""

    type: str
    name: str
    subscriptions: tuple[int, ...]
    params: dict[str, Any]
    latency: LatencyProfile


class Scenario(msgspec.Struct, frozen=True, kw_only=True):
    """A validated scenario. Flows are kept as checked tables and built fresh for every run.

    Attributes:
        name: scenario name.
        description: one line.
        seed: default run seed.
        start_ns, end_ns: the session.
        block_ns: window of flow pre-generation.
        stp_mode: the venue's self-trade prevention.
        engine: ``"fast"`` or ``"reference"``.
        instruments: the symbols.
        flows: checked ``[[flows]]`` tables.
        agents: checked ``[[agents]]`` entries.
        outputs: which tables to write (``events``, ``l1``, ``trades``).
        source: the file it came from, or ``""``.
        raw: the parsed TOML document, as written into summary.json.
    """

    name: str
    description: str
    seed: int
    start_ns: int
    end_ns: int
    block_ns: int
    stp_mode: StpMode
    engine: str
    instruments: tuple[Instrument, ...]
    flows: tuple[dict[str, Any], ...]
    agents: tuple[AgentSpec, ...]
    outputs: dict[str, bool]
    source: str
    raw: dict[str, Any]

    def build_flows(self) -> list[FlowSource]:
        """Return new flow objects (a new run needs new objects)."""
        return [_build_flow(table, f"flows[{i}]", self.source) for i, table in enumerate(self.flows)]

    def build_agents(self) -> list[tuple[Agent, LatencyProfile]]:
        """Return new agents with their latency profiles."""
        built = []
        for i, spec in enumerate(self.agents):
            cls = agent_class(spec.type, f"agents[{i}].type")
            try:
                agent = cls(name=spec.name, subscriptions=spec.subscriptions, **spec.params)
            except TypeError as e:
                raise ConfigError(f"agents[{i}].params: {spec.type} rejected its parameters: {e}") from e
            built.append((agent, spec.latency))
        return built


def list_shipped(folder: str) -> dict[str, str]:
    """The TOML files shipped in ``hftsim/<folder>`` as ``{name: description}``, sorted by name."""
    out = {}
    for path in sorted(Path(str(resources.files("hftsim") / folder)).glob("*.toml")):
        try:
            with path.open("rb") as f:
                out[path.stem] = str(tomllib.load(f).get("description", ""))
        except tomllib.TOMLDecodeError:
            out[path.stem] = "(unreadable)"
    return out


def read_shipped_toml(name_or_path: str | Path, folder: str, what: str) -> tuple[Path, dict[str, Any]]:
    """Read a TOML file by path, or one shipped in ``hftsim/<folder>`` by name.

    Raises:
        ConfigError: no such file or shipped name (the message lists the shipped ones), the file
            cannot be read, or it is not valid TOML.
    """
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = Path(str(resources.files("hftsim") / folder)) / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(list_shipped(folder)) or "none"
            raise ConfigError(
                f"{what} {str(name_or_path)!r}: no such shipped {what} or file; shipped: {known}"
            )
    try:
        with path.open("rb") as f:
            return path, tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"{what} {path}: cannot read: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{what} {path}: not valid TOML: {e}") from e


def list_scenarios() -> dict[str, str]:
    """Return the shipped scenarios as ``{name: one-line description}``, sorted by name."""
    return list_shipped("scenarios")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name, or a TOML file by path, and validate it.

    Raises:
        ConfigError: unknown name, unreadable file, or an invalid field (named by its path).
    """
    path, doc = read_shipped_toml(name_or_path, "scenarios", "scenario")
    return parse_scenario(doc, source=str(path), default_name=path.stem)


def parse_scenario(doc: dict[str, Any], source: str = "", default_name: str = "scenario") -> Scenario:
    """Validate a parsed scenario document.

    Raises:
        ConfigError: the first invalid field, named by its path.
    """
    _keys(doc, _TOP_KEYS, "")
    imports = _list(doc.get("imports", []), "imports")
    import_modules([_str(m, f"imports[{i}]") for i, m in enumerate(imports)])
    session = _table(doc.get("session", {}), "session")
    _keys(session, {"start_ns", "duration_s", "block_s"}, "session")
    start_ns = _int(session.get("start_ns", 0), "session.start_ns", 0)
    duration_s = _num(session.get("duration_s", 3600), "session.duration_s", positive=True)
    block_s = _num(session.get("block_s", 10), "session.block_s", positive=True)
    venue = _table(doc.get("venue", {}), "venue")
    _keys(venue, {"stp", "engine"}, "venue")
    stp = venue.get("stp", "cancel_resting")
    if stp not in _STP:
        raise ConfigError(f"venue.stp: expected one of {sorted(_STP)}, got {stp!r}")
    engine = venue.get("engine", "fast")
    if engine not in ("fast", "reference"):
        raise ConfigError(f"venue.engine: expected 'fast' or 'reference', got {engine!r}")
    instruments = _instruments(doc.get("instruments"))
    n_sym = len(instruments)
    flows = tuple(
        _check_flow(t, f"flows[{i}]", n_sym, source)
        for i, t in enumerate(_list(doc.get("flows", []), "flows"))
    )
    agents = tuple(
        _check_agent(t, f"agents[{i}]", n_sym) for i, t in enumerate(_list(doc.get("agents", []), "agents"))
    )
    names = [f["name"] for f in flows] + [a.name for a in agents]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"flows/agents: name {name!r} is used twice; names must be unique")
    outputs = _table(doc.get("outputs", {}), "outputs")
    _keys(outputs, {"events", "l1", "trades"}, "outputs")
    outs = {k: _bool(outputs.get(k, True), f"outputs.{k}") for k in ("events", "l1", "trades")}
    return Scenario(
        name=_str(doc.get("name", default_name), "name"),
        description=_str(doc.get("description", ""), "description"),
        seed=_int(doc.get("seed", 0), "seed", 0),
        start_ns=start_ns,
        end_ns=start_ns + round(duration_s * 1e9),
        block_ns=max(1, round(block_s * 1e9)),
        stp_mode=_STP[stp],
        engine=engine,
        instruments=instruments,
        flows=flows,
        agents=agents,
        outputs=outs,
        source=source,
        raw=doc,
    )


# ---------------------------------------------------------------- sections


def _instruments(value: Any) -> tuple[Instrument, ...]:
    items = _list(value if value is not None else [], "instruments")
    if not items:
        raise ConfigError("instruments: expected at least one [[instruments]] table")
    fields = {
        "symbol",
        "tick_size",
        "lot_size",
        "price_step_ticks",
        "band_low_ticks",
        "band_high_ticks",
        "max_order_qty",
    }
    out = []
    for i, t in enumerate(items):
        path = f"instruments[{i}]"
        t = _table(t, path)
        _keys(t, fields, path)
        if "symbol" not in t:
            raise ConfigError(f"{path}.symbol: required (1 to 8 ASCII characters)")
        kwargs: dict[str, Any] = {"symbol": _str(t["symbol"], f"{path}.symbol"), "symbol_id": i}
        if "tick_size" in t:
            kwargs["tick_size"] = _str(t["tick_size"], f"{path}.tick_size")
        for k in ("lot_size", "price_step_ticks", "band_low_ticks", "band_high_ticks", "max_order_qty"):
            if k in t:
                kwargs[k] = _int(t[k], f"{path}.{k}", 1)
        try:
            out.append(Instrument(**kwargs))
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from e
    return tuple(out)


def _check_flow(value: Any, path: str, n_sym: int, source: str) -> dict[str, Any]:
    t = dict(_table(value, path))
    kind = t.get("type")
    if kind not in _FLOW_KEYS:
        raise ConfigError(f"{path}.type: unknown flow type {kind!r}; expected one of {sorted(_FLOW_KEYS)}")
    _keys(t, _FLOW_KEYS[kind], path)
    t["name"] = _str(t.get("name", kind), f"{path}.name")
    t["symbol_id"] = _int(t.get("symbol_id", 0), f"{path}.symbol_id", 0)
    if t["symbol_id"] >= n_sym:
        raise ConfigError(f"{path}.symbol_id: expected an integer in [0, {n_sym - 1}], got {t['symbol_id']}")
    if kind == "replay":
        if "path" not in t:
            raise ConfigError(f"{path}.path: required (a FLOW_SCHEMA Parquet file or a LOBSTER message file)")
        file = Path(_str(t["path"], f"{path}.path"))
        if not file.is_absolute() and source:
            file = Path(source).parent / file
        if not file.is_file():
            raise ConfigError(f"{path}.path: no such file {str(file)!r}")
        fmt = t.get("format", "flow")
        if fmt not in ("flow", "lobster"):
            raise ConfigError(f"{path}.format: expected 'flow' or 'lobster', got {fmt!r}")
        if fmt == "lobster":
            _int(t.get("tick_size"), f"{path}.tick_size", 1)
        _bool(t.get("align_start", True), f"{path}.align_start")
        return t
    t["population"] = _int(t.get("population", 1), f"{path}.population", 1)
    _int(t.get("size", 100), f"{path}.size", 1)
    if "size_max" in t:
        _int(t["size_max"], f"{path}.size_max", t.get("size", 100))
    _int(t.get("initial_price_ticks", 10_000), f"{path}.initial_price_ticks", 2)
    if kind == "zero_intelligence":
        for k in ("limit_rate", "market_rate", "cancel_rate"):
            _num(t.get(k, 0.0), f"{path}.{k}", positive=False)
        if _num(t.get("limit_rate", 0.0), f"{path}.limit_rate", False) + t.get("market_rate", 0.0) <= 0:
            raise ConfigError(f"{path}: limit_rate + market_rate must be > 0")
        DepthDistribution.from_mapping(
            _table(t.get("placement", {}), f"{path}.placement"), f"{path}.placement", 1
        )
        return t
    hawkes = _table(t.get("hawkes"), f"{path}.hawkes")
    _keys(hawkes, {"baselines", "norms", "decays"}, f"{path}.hawkes")
    baselines = _numbers(hawkes.get("baselines"), f"{path}.hawkes.baselines", positive=True)
    decays = _numbers(hawkes.get("decays"), f"{path}.hawkes.decays", positive=True)
    norms = _list(hawkes.get("norms"), f"{path}.hawkes.norms")
    for i, row in enumerate(norms):
        for j, x in enumerate(_list(row, f"{path}.hawkes.norms[{i}]")):
            cells = x if isinstance(x, list) else [x]
            for u, v in enumerate(cells):
                _num(v, f"{path}.hawkes.norms[{i}][{j}]" + (f"[{u}]" if isinstance(x, list) else ""), False)
    actions = _list(t.get("actions"), f"{path}.actions")
    for i, a in enumerate(actions):
        if a not in ACTIONS:
            raise ConfigError(f"{path}.actions[{i}]: expected one of {list(ACTIONS)}, got {a!r}")
    if len(actions) != len(baselines):
        raise ConfigError(
            f"{path}.actions: expected one action per Hawkes dimension ({len(baselines)}), got {len(actions)}"
        )
    t["_params"] = HawkesParams.create(baselines, norms, decays, source=f"{path}.hawkes")
    DepthDistribution.from_mapping(_table(t.get("depth", {}), f"{path}.depth"), f"{path}.depth", 0)
    return t


def _build_flow(t: dict[str, Any], path: str, source: str) -> FlowSource:
    kind = t["type"]
    if kind == "replay":
        file = Path(t["path"])
        if not file.is_absolute() and source:
            file = Path(source).parent / file
        table = read_flow(file, t.get("tick_size") if t.get("format") == "lobster" else None, t["symbol_id"])
        return ReplayFlow(t["name"], t["symbol_id"], table, align_start=t.get("align_start", True))
    sizes = SizeDistribution(t.get("size", 100), t.get("size_max"))
    price = t.get("initial_price_ticks", 10_000)
    if kind == "zero_intelligence":
        placement = DepthDistribution.from_mapping(t.get("placement", {}), f"{path}.placement", 1)
        return ZeroIntelligenceFlow(
            t["name"],
            t["symbol_id"],
            t["population"],
            float(t.get("limit_rate", 0.0)),
            float(t.get("market_rate", 0.0)),
            float(t.get("cancel_rate", 0.0)),
            placement,
            sizes,
            price,
        )
    depth = DepthDistribution.from_mapping(t.get("depth", {}), f"{path}.depth", 0)
    return HawkesFlow(
        t["name"], t["symbol_id"], t["population"], t["_params"], tuple(t["actions"]), depth, sizes, price
    )


def _check_agent(value: Any, path: str, n_sym: int) -> AgentSpec:
    t = _table(value, path)
    _keys(t, {"type", "name", "subscriptions", "params", "latency"}, path)
    kind = _str(t.get("type"), f"{path}.type")
    agent_class(kind, f"{path}.type")
    subs = tuple(
        _int(s, f"{path}.subscriptions[{i}]", 0)
        for i, s in enumerate(_list(t.get("subscriptions", [0]), f"{path}.subscriptions"))
    )
    for i, s in enumerate(subs):
        if s >= n_sym:
            raise ConfigError(f"{path}.subscriptions[{i}]: expected a symbol id in [0, {n_sym - 1}], got {s}")
    latency = LatencyProfile.from_mapping(_table(t.get("latency", {}), f"{path}.latency"), f"{path}.latency")
    return AgentSpec(
        type=kind,
        name=_str(t.get("name", kind), f"{path}.name"),
        subscriptions=subs,
        params=dict(_table(t.get("params", {}), f"{path}.params")),
        latency=latency,
    )


# ---------------------------------------------------------------- checks


def _keys(t: dict[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise ConfigError(f"{where}: unknown key; expected one of {sorted(allowed)}")


def _table(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected a table, got {_show(value)}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{path}: expected a list, got {_show(value)}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{path}: expected a string, got {_show(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: expected true or false, got {_show(value)}")
    return value


def _numbers(value: Any, path: str, positive: bool) -> list[float]:
    items = _list(value, path)
    if not items:
        raise ConfigError(f"{path}: expected a non-empty list of numbers")
    return [_num(v, f"{path}[{i}]", positive) for i, v in enumerate(items)]
