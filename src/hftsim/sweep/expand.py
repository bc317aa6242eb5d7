"""Expand a sweep into simulation tasks, and validate every point up front. Cold path.

Seeding. A point's parameters are written as canonical JSON (keys sorted, no spaces); the run seed
of seed index ``i`` at that point is

    SeedSequence(sweep_seed, spawn_key=(w0, w1, w2, w3, i)).generate_state(1, uint64) & (2**63 - 1)

with ``w0..w3`` the four little-endian 32-bit words of the 16-byte BLAKE2b of that JSON. It depends
on nothing but the sweep seed, the parameters and ``i``: not on the grid order, the number of
workers or which worker runs the task. The task id is the 16-hex-digit BLAKE2b of the same JSON and
``i``; ``OUT/tasks/<task_id>/`` holds the task's outputs.

Random search points are drawn from ``SeedSequence(sweep_seed, spawn_key=(crc32("sweep.random"),))``
in the order the parameters are written, point after point.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import struct
import tomllib
import zlib
from typing import Any

import msgspec
import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.sim.scenario import parse_scenario
from hftsim.sweep.param import set_param
from hftsim.sweep.spec import SweepSpec

__all__ = [
    "Plan",
    "SimTask",
    "base_document",
    "canonical_json",
    "expand_points",
    "plan",
    "point_document",
    "task_id",
    "task_seed",
]


class SimTask(msgspec.Struct, frozen=True, kw_only=True):
    """One simulation of a sweep: a parameter point and a seed index.

    Attributes:
        task_id: stable hash of the parameters and the seed index.
        point: index of the parameter point in the expansion.
        seed_index: 0..seeds-1.
        seed: the run seed.
        params: ``{path: value}`` of the point.
        params_json: canonical JSON of ``params``.
        scenario: the point's scenario document (base, overrides and parameters applied).
        scenario_source: the base scenario file (relative paths inside it resolve from there).
        scenario_name: default scenario name.
        keep_runs: keep the run's Parquet outputs.
        attempt: 1 for the first run, 2 for the retry, ...
    """

    task_id: str
    point: int
    seed_index: int
    seed: int
    params: dict[str, Any]
    params_json: str
    scenario: dict[str, Any]
    scenario_source: str
    scenario_name: str
    keep_runs: bool
    attempt: int = 1


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """A validated, expanded sweep.

    Attributes:
        spec: the sweep.
        points: the parameter points, in expansion order.
        tasks: ``len(points) * spec.seeds`` tasks, point-major.
        fingerprint: canonical JSON of what makes results comparable across resumed runs (base
            scenario document after overrides, sweep seed).
    """

    spec: SweepSpec
    points: list[dict[str, Any]]
    tasks: list[SimTask]
    fingerprint: str


def canonical_json(params: dict[str, Any]) -> str:
    """Return the canonical JSON of a parameter point (sorted keys, no spaces, no NaN)."""
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except ValueError as e:
        raise ConfigError(f"parameters {params!r}: not representable as JSON: {e}") from e


def task_seed(sweep_seed: int, params_json: str, seed_index: int) -> int:
    """Return the run seed of ``seed_index`` at the point ``params_json`` (see the module docstring)."""
    words = struct.unpack("<4I", hashlib.blake2b(params_json.encode(), digest_size=16).digest())
    sequence = np.random.SeedSequence(int(sweep_seed), spawn_key=(*words, int(seed_index)))
    return int(sequence.generate_state(1, np.uint64)[0]) & (2**63 - 1)


def task_id(params_json: str, seed_index: int) -> str:
    """Return the stable id of a task: 16 hex digits of BLAKE2b over the parameters and seed index."""
    return hashlib.blake2b(f"{params_json}#{seed_index}".encode(), digest_size=8).hexdigest()


def expand_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Return the parameter points: the grid's cartesian product (last parameter fastest) or the draws.

    Raises:
        ConfigError: a random distribution cannot be sampled.
    """
    if spec.grid is not None:
        paths = list(spec.grid)
        return [dict(zip(paths, values)) for values in itertools.product(*spec.grid.values())]
    assert spec.random is not None
    key = zlib.crc32(b"sweep.random")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(key,))))
    paths = [p for p in spec.random if p != "n"]
    return [{p: _draw(rng, spec.random[p]) for p in paths} for _ in range(spec.random["n"])]


def _draw(rng: np.random.Generator, table: dict[str, Any]) -> Any:
    dist = table["dist"]
    if dist == "uniform":
        return float(rng.uniform(table["low"], table["high"]))
    if dist == "loguniform":
        return float(math.exp(rng.uniform(math.log(table["low"]), math.log(table["high"]))))
    if dist == "integer":
        return int(rng.integers(table["low"], table["high"], endpoint=True))
    if dist == "normal":
        return float(rng.normal(table["mean"], table["std"]))
    return copy.deepcopy(table["values"][int(rng.integers(len(table["values"])))])


def base_document(spec: SweepSpec) -> dict[str, Any]:
    """Return the base scenario document with the sweep's overrides (session length) applied.

    Raises:
        ConfigError: the base scenario cannot be read.
    """
    try:
        with open(spec.scenario_path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"scenario {spec.scenario_path}: cannot read: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"scenario {spec.scenario_path}: not valid TOML: {e}") from e
    if spec.duration_s is not None:
        set_param(doc, "session.duration_s", spec.duration_s)
    return doc


def point_document(base: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``base`` with every parameter of the point set."""
    doc = copy.deepcopy(base)
    for path, value in params.items():
        set_param(doc, path, copy.deepcopy(value))
    return doc


def plan(spec: SweepSpec) -> Plan:
    """Expand the sweep and validate the scenario of every point; nothing runs.

    Raises:
        ConfigError: a parameter path does not exist or gives an invalid scenario; the message
            names the point, the parameter and the scenario field.
    """
    base = base_document(spec)
    name = str(base.get("name", spec.scenario_path.rsplit("/", 1)[-1].removesuffix(".toml")))
    _validate(base, spec, name, "the base scenario")
    points = expand_points(spec)
    tasks = []
    for index, params in enumerate(points):
        doc = point_document(base, params)
        shown = ", ".join(f"{p} = {json.dumps(v)}" for p, v in params.items())
        _validate(doc, spec, name, f"point {index} ({shown})")
        params_json = canonical_json(params)
        for i in range(spec.seeds):
            tasks.append(
                SimTask(
                    task_id=task_id(params_json, i),
                    point=index,
                    seed_index=i,
                    seed=task_seed(spec.seed, params_json, i),
                    params=params,
                    params_json=params_json,
                    scenario=doc,
                    scenario_source=spec.scenario_path,
                    scenario_name=name,
                    keep_runs=spec.keep_runs,
                )
            )
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ConfigError("grid: two parameter points are identical; list every value once")
    fingerprint = canonical_json({"scenario": base, "sweep_seed": spec.seed})
    return Plan(spec=spec, points=points, tasks=tasks, fingerprint=fingerprint)


def _validate(doc: dict[str, Any], spec: SweepSpec, name: str, what: str) -> None:
    try:
        scenario = parse_scenario(copy.deepcopy(doc), source=spec.scenario_path, default_name=name)
        scenario.build_agents()
    except ConfigError as e:
        raise ConfigError(f"{what}: {e}") from e
