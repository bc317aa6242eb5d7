"""Check that a baseline and a run can be compared, then compare them with ``hftsim regress``. Cold path.

``hftsim regress`` already refuses metrics present on one side only and suites whose scenario
versions differ *when both sides name one*. A stress baseline is held to more: both sides must be
finished runs (``run.json`` status ``complete`` when present), both must name the scenario version
of every suite they hold (``meta.json``), the versions must be equal, and the suites must be the
same. Anything else is a :class:`~hftsim.core.errors.ConfigError` naming what does not match.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from hftsim.bench.regress import Comparison, compare_dirs
from hftsim.core.errors import ConfigError

__all__ = ["DEFAULT_THRESHOLDS", "check_comparable", "compare_runs", "load_thresholds", "suite_versions"]

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")


def suite_versions(root: Path) -> dict[str, str]:
    """Return suite -> scenario version over every perf.csv of ``root``.

    Raises:
        ConfigError: ``root`` is missing, holds no perf.csv, a perf.csv has no meta.json beside it,
            a run is unfinished, or repeats of one suite mix versions.
    """
    role = str(root)
    if not root.exists():
        raise ConfigError(f"{role}: no such result directory")
    if not root.is_dir():
        raise ConfigError(f"{role}: not a directory of results")
    manifest = root / "run.json"
    if manifest.exists():
        status = json.loads(manifest.read_text()).get("status", "?")
        if status not in ("complete", "complete_with_errors"):
            raise ConfigError(f"{role}: a partial run (run.json status {status!r}); rerun it or pick another")
    files = sorted(root.rglob("perf.csv"))
    if not files:
        raise ConfigError(f"{role}: no perf.csv found (a partial or empty result directory?)")
    versions: dict[str, str] = {}
    for path in files:
        meta = path.parent / "meta.json"
        if not meta.exists():
            raise ConfigError(f"{path}: no meta.json beside it, so its scenario versions are unknown")
        for suite, version in json.loads(meta.read_text()).get("scenario_versions", {}).items():
            if versions.setdefault(suite, version) != version:
                raise ConfigError(
                    f"{role}: suite {suite!r} mixes scenario versions {versions[suite]!r} and {version!r}"
                )
    return versions


def check_comparable(baseline: Path, current: Path) -> dict[str, str]:
    """Raise ConfigError unless ``baseline`` and ``current`` hold the same suites at the same versions."""
    base, cur = suite_versions(baseline), suite_versions(current)
    only_base, only_cur = sorted(set(base) - set(cur)), sorted(set(cur) - set(base))
    if only_base or only_cur:
        raise ConfigError(
            f"baseline {baseline} and current {current} hold different suites: "
            + (f"only in baseline: {', '.join(only_base)}; " if only_base else "")
            + (f"only in current: {', '.join(only_cur)}" if only_cur else "")
        )
    differ = [f"{s} (baseline {base[s]!r}, current {cur[s]!r})" for s in sorted(base) if base[s] != cur[s]]
    if differ:
        raise ConfigError(f"scenario versions differ: {'; '.join(differ)}; record a new baseline for them")
    return base


def load_thresholds(path: Path | None) -> dict:
    """Return the ``[thresholds]`` table of ``path`` (the package's stress defaults when None)."""
    path = path or DEFAULT_THRESHOLDS
    try:
        return tomllib.loads(path.read_text()).get("thresholds", {})
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from e


def compare_runs(baseline: Path, current: Path, thresholds: dict | None = None) -> list[Comparison]:
    """Check the two directories line up, then compare every metric (medians of repeats)."""
    check_comparable(baseline, current)
    return compare_dirs(baseline, current, thresholds)
