"""Architecture seams: import direction, no wall clock or global RNG in the core, public __all__."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import hftsim

SRC = Path(hftsim.__file__).parent
#: packages that may touch the wall clock, the OS and the network
EDGES = {"net", "monitor", "bench", "stress", "journal", "cli.py", "demo.py"}
#: what each layer must never import (DESIGN.md: core <- book <- matching <- (sim, net, journal) <- ...)
FORBIDDEN = {
    "core": {
        "book",
        "matching",
        "flow",
        "sim",
        "trading",
        "net",
        "journal",
        "monitor",
        "data",
        "analytics",
        "bench",
        "cli",
        "demo",
        "testing",
    },
    "book": {"matching", "sim", "trading", "net", "journal", "monitor", "bench", "cli", "demo"},
    "matching": {"sim", "trading", "net", "journal", "monitor", "bench", "demo"},
    "flow": {"net", "monitor", "bench", "cli", "demo"},
    "sim": {"net", "monitor", "bench", "cli", "demo"},
    "trading": {"net", "monitor", "bench", "cli", "demo"},
}
BANNED_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("uuid", "uuid1"),
    ("uuid", "uuid4"),
    ("os", "urandom"),
    ("random", "random"),
    ("random", "randint"),
    ("random", "choice"),
    ("random", "seed"),
    ("random", "shuffle"),
}
BANNED_NP_RANDOM = {
    "seed",
    "rand",
    "randn",
    "randint",
    "random",
    "normal",
    "uniform",
    "exponential",
    "poisson",
    "choice",
    "shuffle",
    "permutation",
}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        yield rel, ast.parse(path.read_text(), filename=str(path))


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n.split(".")[1] for n in names if n.startswith("hftsim.") and n.count(".") >= 1}


def _dotted(node: ast.AST) -> list[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def test_seams_layers_import_only_downwards():
    bad = []
    for rel, tree in _modules():
        layer = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for target in _imported(tree) & FORBIDDEN.get(layer, set()):
            bad.append(f"{rel} imports hftsim.{target}")
    assert not bad, "\n".join(bad)


def test_seams_core_reads_no_wall_clock_and_no_global_rng():
    bad = []
    for rel, tree in _modules():
        if rel.parts[0] in EDGES or rel.name == "cli.py":  # command lines are edges: they report wall time
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            parts = _dotted(node.func)
            if len(parts) >= 2 and (parts[-2], parts[-1]) in BANNED_CALLS:
                bad.append(f"{rel}:{node.lineno} calls {'.'.join(parts)}")
            if len(parts) >= 3 and parts[-3:-1] == ["np", "random"] and parts[-1] in BANNED_NP_RANDOM:
                bad.append(f"{rel}:{node.lineno} calls the global numpy RNG {'.'.join(parts)}")
            if parts[-2:] == ["random", "default_rng"] and not node.args and not node.keywords:
                bad.append(f"{rel}:{node.lineno} makes an unseeded default_rng()")
    assert not bad, "\n".join(bad)


def _packages():
    for info in pkgutil.walk_packages([str(SRC)], prefix="hftsim."):
        if info.ispkg:
            yield info.name


@pytest.mark.parametrize("name", ["hftsim", *sorted(_packages())])
def test_seams_public_all_names_exist(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        pytest.skip(f"{name} declares no public API")
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"
    assert len(set(exported)) == len(exported)
