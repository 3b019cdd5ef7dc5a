"""Where a plate moved over a track, and which way of travel that means.

Direction compares the mean box of the first observations with that of the last ones: the centre's
displacement in plate widths, and the change of plate width (growing = coming toward the camera).
``entering_motion`` names the movement that means entering: "up", "down", "left" and "right" read the
centre's displacement along that axis, "toward" and "away" read the size change. A movement below
``min_motion`` plate widths (or a size change below ``min_growth``), or fewer than ``min_reads``
observations, gives UNKNOWN.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from edge.domain import Box, Direction

_AXES = {"up": ("y", -1.0), "down": ("y", 1.0), "left": ("x", -1.0), "right": ("x", 1.0)}


@dataclass(frozen=True)
class Observation:
    """One plate box of a track: centre and width in pixels, and when it was seen."""

    cx: float
    cy: float
    width: float
    at: float

    @classmethod
    def of(cls, box: Box, at: float) -> Observation:
        return cls((box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2, max(box.width, 1.0), at)


def _mean(observations: list[Observation]) -> Observation:
    n = len(observations)
    return Observation(sum(o.cx for o in observations) / n, sum(o.cy for o in observations) / n,
                       sum(o.width for o in observations) / n, sum(o.at for o in observations) / n)


class MotionHistory:
    """The first and the latest ``keep`` observations of a track (bounded however long it lives)."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.count = 0
        self._first: list[Observation] = []
        self._recent: deque[Observation] = deque(maxlen=keep)

    def add(self, box: Box, at: float) -> None:
        observation = Observation.of(box, at)
        self.count += 1
        if len(self._first) < self.keep:
            self._first.append(observation)
        self._recent.append(observation)

    @property
    def last(self) -> Observation:
        return self._recent[-1]

    def predicted(self, at: float) -> Observation:
        """Where the plate should be at ``at`` if it keeps its last velocity (the last box when unknown)."""
        last = self.last
        if len(self._recent) < 2:
            return last
        before = self._recent[-2]
        span = last.at - before.at
        if span <= 0:
            return last
        ahead = (at - last.at) / span
        return Observation(last.cx + (last.cx - before.cx) * ahead, last.cy + (last.cy - before.cy) * ahead,
                           last.width, at)

    def direction(self, entering_motion: str, min_motion: float, min_growth: float, min_reads: int) -> Direction:
        if self.count < max(min_reads, 2):
            return Direction.UNKNOWN
        n = max(1, min(3, self.count // 2))
        start, end = _mean(self._first[:n]), _mean(list(self._recent)[-n:])
        if entering_motion in _AXES:
            axis, sign = _AXES[entering_motion]
            moved = (end.cy - start.cy) if axis == "y" else (end.cx - start.cx)
            amount = sign * moved / ((start.width + end.width) / 2)
            threshold = min_motion
        elif entering_motion in ("toward", "away"):
            amount = math.log(end.width / start.width) * (1.0 if entering_motion == "toward" else -1.0)
            threshold = math.log1p(min_growth)
        else:
            raise ValueError(f"unknown entering_motion {entering_motion!r}")
        if amount >= threshold:
            return Direction.ENTERING
        if amount <= -threshold:
            return Direction.LEAVING
        return Direction.UNKNOWN
