"""Parameter checks shared by the trading models: each names the parameter and its value. Cold path."""

from __future__ import annotations

import math

import numpy as np

from hftsim.core.errors import ConfigError

__all__ = ["require_finite", "require_int_at_least", "require_non_negative", "require_positive"]


def require_finite(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ConfigError if it is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{name} must be a finite number, found {value!r}") from e
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, found {value!r}")
    return number


def require_positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ConfigError unless it is finite and > 0."""
    number = require_finite(name, value)
    if number <= 0.0:
        raise ConfigError(f"{name} must be > 0, found {name}={value!r}")
    return number


def require_non_negative(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ConfigError unless it is finite and >= 0."""
    number = require_finite(name, value)
    if number < 0.0:
        raise ConfigError(f"{name} must be >= 0, found {name}={value!r}")
    return number


def require_int_at_least(name: str, value: int, minimum: int) -> int:
    """Return ``value`` as an int, or raise ConfigError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer >= {minimum}, found {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, found {name}={value!r}")
    return int(value)
