from __future__ import annotations

from collections.abc import Sequence

import pytest

from edge.domain import Direction
from edge.tracking.motion import MotionHistory
from tests.tracking.helpers import plate_box


def history(points: Sequence[tuple[float, float, float]]) -> MotionHistory:
    motion = MotionHistory(keep=4)
    for i, (cx, cy, width) in enumerate(points):
        motion.add(plate_box(cx, cy, width), float(i))
    return motion


APPROACH = [(500, 100 + 40 * i, 80 + 12 * i) for i in range(6)]  # moves down and grows


@pytest.mark.parametrize(("motion", "expected"), [
    ("down", Direction.ENTERING), ("up", Direction.LEAVING), ("toward", Direction.ENTERING),
    ("away", Direction.LEAVING), ("left", Direction.UNKNOWN), ("right", Direction.UNKNOWN),
])
def test_approaching_plate(motion: str, expected: Direction) -> None:
    assert history(APPROACH).direction(motion, 0.5, 0.15, 2) == expected


def test_leaving_plate_is_the_reverse() -> None:
    assert history(APPROACH[::-1]).direction("down", 0.5, 0.15, 2) == Direction.LEAVING
    assert history(APPROACH[::-1]).direction("toward", 0.5, 0.15, 2) == Direction.LEAVING


def test_sideways_travel() -> None:
    points = [(100 + 90 * i, 300, 100) for i in range(5)]
    assert history(points).direction("right", 0.5, 0.15, 2) == Direction.ENTERING
    assert history(points).direction("left", 0.5, 0.15, 2) == Direction.LEAVING


def test_stationary_or_too_few_reads_is_unknown() -> None:
    jitter = [(500 + d, 300 - d, 100 + d) for d in (0, 3, -2, 4, -1, 2)]
    for motion in ("up", "down", "left", "right", "toward", "away"):
        assert history(jitter).direction(motion, 0.5, 0.15, 2) == Direction.UNKNOWN
    assert history(APPROACH[:1]).direction("down", 0.5, 0.15, 2) == Direction.UNKNOWN
    assert history(APPROACH[:3]).direction("down", 0.5, 0.15, 4) == Direction.UNKNOWN


def test_long_track_keeps_bounded_history() -> None:
    motion = history([(500, 300, 100)] * 1000 + [(500, 300 + 10 * i, 100) for i in range(1, 40)])
    assert len(motion._first) == 4 and len(motion._recent) == 4
    assert motion.count == 1039
    assert motion.direction("down", 0.5, 0.15, 2) == Direction.ENTERING


def test_prediction_follows_the_last_velocity() -> None:
    motion = history([(100, 300, 100), (300, 300, 100)])
    assert motion.predicted(2.0).cx == pytest.approx(500)
    assert history([(100, 300, 100)]).predicted(5.0).cx == pytest.approx(100)
