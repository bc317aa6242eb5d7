"""Counters, gauges, latency histograms and the registry components register them in. Hot path (inc, set).

Recording never goes through an exporter: a component keeps the :class:`Counter`, :class:`Gauge` or
:class:`~hftsim.monitor.histogram.LatencyHistogram` the registry handed it and updates it in place
(an attribute add, or a histogram's list increment). Exporters (Prometheus, the dashboard) read the
registry on their own schedule. Values that are cheap to read but costly to push on every change
(book depth, queue backlog) are *callback gauges*: a function the registry calls at collection time.

Names are bare (``"match_latency"``, ``"commands"``); exporters add the ``hftsim_`` prefix, the
``_seconds`` suffix of histograms and the ``_total`` suffix of counters. A gauge's name carries its
unit (``"queue_backlog_messages"``, ``"book_spread_ticks"``). Every metric may carry constant labels
(``{"queue": "itch"}``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from hftsim.core.errors import ConfigError
from hftsim.monitor.histogram import HistogramSnapshot, LatencyHistogram

__all__ = [
    "STAGES",
    "Counter",
    "Gauge",
    "MetricsRegistry",
    "label_key",
    "load_metrics_file",
]

#: The venue's pipeline stages, each with a ``<stage>_latency`` histogram.
STAGES = ("gateway_in", "sequencer", "journal", "match", "publish", "end_to_end")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LABEL = re.compile(r"^[a-z_][a-z0-9_]*$")

Labels = tuple[tuple[str, str], ...]


def label_key(name: str, labels: Labels) -> str:
    """``("backlog", (("consumer", "itch"),)) -> 'backlog{consumer="itch"}'``: a stable display key."""
    if not labels:
        return name
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}"


class Counter:
    """A monotonically increasing count. Update with :meth:`inc`, or ``value +=`` in a hot loop."""

    __slots__ = ("name", "help", "labels", "value")

    def __init__(self, name: str, help: str, labels: Labels = ()) -> None:
        self.name, self.help, self.labels = name, help, labels
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        """Add ``amount`` (>= 0)."""
        self.value += amount


class Gauge:
    """A value that goes up and down: set directly, or read from ``fn`` at collection time."""

    __slots__ = ("name", "help", "labels", "value", "fn")

    def __init__(
        self, name: str, help: str, labels: Labels = (), fn: Callable[[], float] | None = None
    ) -> None:
        self.name, self.help, self.labels, self.fn = name, help, labels, fn
        self.value: float = 0.0

    def set(self, value: float) -> None:
        """Set the current value."""
        self.value = value

    def read(self) -> float:
        """The current value (calls the callback of a callback gauge; NaN if it raises)."""
        if self.fn is None:
            return self.value
        try:
            return float(self.fn())
        except Exception:  # noqa: BLE001 - a broken callback must not break an exporter (edge)
            return math.nan


def _labels(labels: Mapping[str, object] | None) -> Labels:
    if not labels:
        return ()
    for key in labels:
        if not _LABEL.match(key):
            raise ConfigError(f"label name {key!r} must match {_LABEL.pattern}")
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


class MetricsRegistry:
    """Where components register their metrics; exporters read it.

    ``counter``, ``gauge`` and ``histogram`` are get-or-create: the same name and labels return the
    same object, so two components may share a metric. A name is one kind only.
    """

    def __init__(self) -> None:
        self._metrics: dict[tuple[str, Labels], Counter | Gauge | LatencyHistogram] = {}
        self._kinds: dict[str, type] = {}
        self._help: dict[str, str] = {}
        self._units: dict[str, str] = {}

    def _get(self, kind: type, name: str, help: str, labels: Labels, make: Callable[[], Any]) -> Any:
        if not _NAME.match(name):
            raise ConfigError(f"metric name {name!r} must match {_NAME.pattern} (lower case, underscores)")
        known = self._kinds.setdefault(name, kind)
        if known is not kind:
            raise ConfigError(
                f"metric {name!r} is already a {known.__name__}, cannot register a {kind.__name__}"
            )
        metric = self._metrics.get((name, labels))
        if metric is None:
            metric = self._metrics[(name, labels)] = make()
            self._help.setdefault(name, help)
        return metric

    def counter(self, name: str, help: str = "", labels: Mapping[str, object] | None = None) -> Counter:
        """Return the counter ``name`` with ``labels``, creating it if needed (name without ``_total``)."""
        if name.endswith("_total"):
            raise ConfigError(f"counter {name!r}: leave out '_total'; the exporter adds it")
        key = _labels(labels)
        return self._get(Counter, name, help, key, lambda: Counter(name, help, key))

    def gauge(
        self,
        name: str,
        help: str = "",
        labels: Mapping[str, object] | None = None,
        fn: Callable[[], float] | None = None,
    ) -> Gauge:
        """Return the gauge ``name`` with ``labels``; with ``fn``, a callback gauge read at collection."""
        key = _labels(labels)
        gauge = self._get(Gauge, name, help, key, lambda: Gauge(name, help, labels=key, fn=fn))
        if fn is not None:
            gauge.fn = fn
        return gauge

    def histogram(
        self,
        name: str,
        help: str = "",
        labels: Mapping[str, object] | None = None,
        highest_ns: int = (1 << 36) - 1,
    ) -> LatencyHistogram:
        """Return the latency histogram ``name`` (values in ns) with ``labels``, creating it if needed."""
        key = _labels(labels)
        return self._get(LatencyHistogram, name, help, key, lambda: LatencyHistogram(name, highest_ns))

    def stage_histograms(self) -> dict[str, LatencyHistogram]:
        """Create (or return) one ``<stage>_latency`` histogram per stage of :data:`STAGES`."""
        return {
            stage: self.histogram(f"{stage}_latency", f"latency of the {stage.replace('_', ' ')} stage")
            for stage in STAGES
        }

    def unregister(self, name: str, labels: Mapping[str, object] | None = None) -> None:
        """Drop one metric (a consumer that went away); unknown ones are ignored."""
        self._metrics.pop((name, _labels(labels)), None)

    # ------------------------------------------------------------ reading (cold path)

    def help(self, name: str) -> str:
        """The help text registered with ``name``."""
        return self._help.get(name, "")

    def families(self) -> Iterator[tuple[str, type, list[tuple[Labels, Any]]]]:
        """Yield ``(name, kind, [(labels, metric), ...])`` per metric name, in name order."""
        by_name: dict[str, list[tuple[Labels, Any]]] = {}
        for (name, labels), metric in self._metrics.items():
            by_name.setdefault(name, []).append((labels, metric))
        for name in sorted(by_name):
            yield name, self._kinds[name], sorted(by_name[name], key=lambda item: item[0])

    def snapshot(self, percents: tuple[float, ...] = (50, 90, 99, 99.9)) -> dict[str, Any]:
        """Every metric's current value, JSON-friendly.

        Returns:
            ``{"counters": {key: int}, "gauges": {key: float}, "histograms": {key: summary}}`` where
            ``key`` is :func:`label_key` and a summary is :meth:`HistogramSnapshot.summary`.
        """
        out: dict[str, Any] = {"counters": {}, "gauges": {}, "histograms": {}}
        for name, kind, members in self.families():
            for labels, metric in members:
                key = label_key(name, labels)
                if kind is Counter:
                    out["counters"][key] = metric.value
                elif kind is Gauge:
                    out["gauges"][key] = metric.read()
                else:
                    out["histograms"][key] = metric.snapshot().summary(percents)
        return out

    def dump(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`snapshot` to ``path`` as JSON (a run's ``metrics.json``)."""
        target = Path(path)
        target.write_text(json.dumps(_finite(self.snapshot()), indent=2, sort_keys=True) + "\n")
        return target

    def histogram_snapshots(self) -> Iterator[tuple[str, Labels, HistogramSnapshot]]:
        """Yield ``(name, labels, cumulative snapshot)`` of every histogram."""
        for name, kind, members in self.families():
            if kind is LatencyHistogram:
                for labels, metric in members:
                    yield name, labels, metric.snapshot()


def _finite(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def load_metrics_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``metrics.json`` written by :meth:`MetricsRegistry.dump`.

    Raises:
        ConfigError: the file is not JSON or lacks the ``counters``/``gauges``/``histograms`` sections.
    """
    source = Path(path)
    try:
        data = json.loads(source.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{source}: not a readable metrics JSON file: {e}") from e
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), dict) for k in ("counters", "gauges", "histograms")
    ):
        raise ConfigError(
            f"{source}: expected an object with 'counters', 'gauges' and 'histograms' sections "
            "(as MetricsRegistry.dump writes)"
        )
    return data
