"""Checks of values read from TOML tables, with errors that name the field path. Cold path."""

from __future__ import annotations

import math
from typing import Any

from hftsim.core.errors import ConfigError

__all__ = ["check_int", "check_number", "show"]


def show(value: Any) -> str:
    """How a wrong value is shown in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return type(value).__name__ if not isinstance(value, dict) else "a table"
    return repr(value)


def check_int(value: Any, path: str, low: int) -> int:
    """Return ``value`` if it is an integer >= ``low`` (not a bool); else ConfigError naming ``path``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{path}: expected an integer >= {low}, got {show(value)}")
    return value


def check_number(value: Any, path: str, positive: bool) -> float:
    """Return ``value`` as a float if it is a finite number >= 0 (> 0 when ``positive``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        raise ConfigError(f"{path}: expected a number {'> 0' if positive else '>= 0'}, got {show(value)}")
    return float(value)
