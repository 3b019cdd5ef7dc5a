"""Prometheus metrics without a client library: counters, gauges and histograms, and the text format.

``MetricsRegistry`` is owned by the daemon and shared by its threads (every update takes one lock, a few
hundred nanoseconds). ``render()`` writes the text exposition format 0.0.4 that Prometheus scrapes.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_MS = (5, 10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000, 2000, 5000)

Labels = tuple[tuple[str, str], ...]


def _labels(values: Mapping[str, str] | None) -> Labels:
    return tuple(sorted((values or {}).items()))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _format_labels(labels: Labels, extra: Sequence[tuple[str, str]] = ()) -> str:
    pairs = [*labels, *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


@dataclass
class _Histogram:
    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        index = bisect_left(self.buckets, value)
        if index < len(self.counts):
            self.counts[index] += 1
        self.total += value
        self.count += 1


@dataclass(frozen=True)
class _Family:
    name: str
    kind: str  # counter, gauge, histogram
    help: str
    buckets: tuple[float, ...] = ()


class MetricsRegistry:
    """Named metric families with labelled series. Names follow Prometheus rules (``carwatch_*``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, _Family] = {}
        self._values: dict[str, dict[Labels, float]] = {}
        self._histograms: dict[str, dict[Labels, _Histogram]] = {}

    def counter(self, name: str, help_text: str) -> None:
        self._declare(_Family(name, "counter", help_text))

    def gauge(self, name: str, help_text: str) -> None:
        self._declare(_Family(name, "gauge", help_text))

    def histogram(self, name: str, help_text: str, buckets: Iterable[float] = LATENCY_BUCKETS_MS) -> None:
        ordered = tuple(sorted(float(b) for b in buckets))
        if not ordered:
            raise ValueError(f"histogram {name} needs buckets")
        self._declare(_Family(name, "histogram", help_text, ordered))

    def _declare(self, family: _Family) -> None:
        with self._lock:
            known = self._families.get(family.name)
            if known is not None and known != family:
                raise ValueError(f"metric {family.name} declared twice, differently")
            self._families[family.name] = family
            self._values.setdefault(family.name, {})
            self._histograms.setdefault(family.name, {})

    def inc(self, name: str, amount: float = 1.0, labels: Mapping[str, str] | None = None) -> None:
        self._check(name, "counter")
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = _labels(labels)
        with self._lock:
            series = self._values[name]
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """A gauge's value, or a counter kept elsewhere (e.g. a source's frame count), copied in."""
        family = self._family(name)
        if family.kind == "histogram":
            raise ValueError(f"{name} is a histogram")
        with self._lock:
            self._values[name][_labels(labels)] = float(value)

    def observe(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        family = self._check(name, "histogram")
        key = _labels(labels)
        with self._lock:
            series = self._histograms[name]
            if key not in series:
                series[key] = _Histogram(family.buckets)
            series[key].observe(value)

    def _family(self, name: str) -> _Family:
        family = self._families.get(name)
        if family is None:
            raise KeyError(f"metric {name} is not declared")
        return family

    def _check(self, name: str, kind: str) -> _Family:
        family = self._family(name)
        if family.kind != kind:
            raise ValueError(f"{name} is a {family.kind}, not a {kind}")
        return family

    def render(self) -> str:
        """The text exposition format: HELP and TYPE lines, then one line per series (histograms cumulative)."""
        lines: list[str] = []
        with self._lock:
            for name in sorted(self._families):
                family = self._families[name]
                lines.append(f"# HELP {name} {_escape(family.help)}")
                lines.append(f"# TYPE {name} {family.kind}")
                if family.kind == "histogram":
                    lines += _histogram_lines(name, family, self._histograms[name])
                else:
                    for labels, value in sorted(self._values[name].items()):
                        lines.append(f"{name}{_format_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


def _histogram_lines(name: str, family: _Family, series: Mapping[Labels, _Histogram]) -> list[str]:
    lines = []
    for labels, histogram in sorted(series.items()):
        running = 0
        for bound, count in zip(family.buckets, histogram.counts, strict=True):
            running += count
            lines.append(f"{name}_bucket{_format_labels(labels, [('le', _number(bound))])} {running}")
        lines.append(f"{name}_bucket{_format_labels(labels, [('le', '+Inf')])} {histogram.count}")
        lines.append(f"{name}_sum{_format_labels(labels)} {_number(histogram.total)}")
        lines.append(f"{name}_count{_format_labels(labels)} {histogram.count}")
    return lines
