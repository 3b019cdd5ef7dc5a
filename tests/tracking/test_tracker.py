from __future__ import annotations

import math
from collections.abc import Iterable

import pytest

from edge.domain import Box, CameraRole, Direction, PlateRead, VehicleRead
from edge.tracking import PlateTracker, TrackerConfig
from tests.tracking.helpers import frame, read


def run(tracker: PlateTracker, steps: Iterable[tuple[float, list[PlateRead]]]) -> list[VehicleRead]:
    out: list[VehicleRead] = []
    for at, reads in steps:
        out.extend(tracker.update(frame(at, tracker.camera), reads))
    return out


def approach(text: str, start: float, frames: int = 6, dt: float = 0.2, reverse: bool = False,
             **kwargs: object) -> list[tuple[float, list[PlateRead]]]:
    """A car coming toward a camera mounted above: the plate moves down and grows."""
    boxes = [(500.0, 100.0 + 40 * i, 80.0 + 12 * i) for i in range(frames)]
    if reverse:
        boxes.reverse()
    return [(start + i * dt, [read(text, cx, cy, w, **kwargs)]) for i, (cx, cy, w) in enumerate(boxes)]  # type: ignore[arg-type]


def test_early_decision_after_two_agreeing_reads_then_final_on_timeout() -> None:
    tracker = PlateTracker("gate", CameraRole.BOTH, entering_motion="down")
    assert tracker.update(frame(10.0), [read("B58DTK", 500, 100, 80)]) == []
    decided = tracker.update(frame(10.2), [read("B58DTK", 500, 140, 92)])
    assert len(decided) == 1 and not decided[0].final
    assert decided[0].text == "B58DTK" and decided[0].reads == 2 and decided[0].region == "RO"
    more = run(tracker, [(10.4, [read("B58DTK", 500, 180, 104)]), (10.6, [read("B58DTK", 500, 220, 116)])])
    assert more == []  # decided once only
    assert tracker.flush(11.5) == []  # not yet timed out
    final = tracker.flush(12.2)
    assert len(final) == 1 and final[0].final
    assert final[0].track_id == decided[0].track_id
    assert final[0].reads == 4 and final[0].direction == Direction.ENTERING
    assert final[0].first_seen == 10.0 and final[0].last_seen == pytest.approx(10.6)
    assert tracker.active == 0


def test_timeout_is_checked_on_every_update_and_on_empty_frames() -> None:
    tracker = PlateTracker("gate")
    run(tracker, [(0.0, [read("B58DTK")]), (0.2, [read("B58DTK")])])
    assert tracker.update(frame(1.0), []) == []
    ended = tracker.update(frame(2.0), [])
    assert [r.final for r in ended] == [True]


def test_approaching_car_enters_and_leaving_car_leaves() -> None:
    down = PlateTracker("gate", entering_motion="down")
    entering = run(down, approach("B58DTK", 0.0)) + down.close_all()
    # two reads moved less than min_motion: the decision does not know yet, the final does
    assert [(r.final, r.direction) for r in entering] == [(False, Direction.UNKNOWN), (True, Direction.ENTERING)]
    toward = PlateTracker("gate", entering_motion="toward")
    leaving = run(toward, approach("CJ01ABC", 0.0, reverse=True)) + toward.close_all()
    assert leaving[-1].final and leaving[-1].direction == Direction.LEAVING


def test_role_decides_the_direction_of_entry_and_exit_cameras() -> None:
    for role, expected in ((CameraRole.ENTRY, Direction.ENTERING), (CameraRole.EXIT, Direction.LEAVING)):
        tracker = PlateTracker("gate", role, entering_motion="down")
        out = run(tracker, approach("B58DTK", 0.0, reverse=True)) + tracker.close_all()
        assert {r.direction for r in out} == {expected}


def test_stationary_plate_has_unknown_direction() -> None:
    tracker = PlateTracker("gate", entering_motion="down")
    steps = [(i * 0.2, [read("B58DTK", 500 + (i % 2) * 3, 300 - (i % 3), 100 + (i % 2))]) for i in range(8)]
    out = run(tracker, steps) + tracker.close_all()
    assert [r.final for r in out] == [False, True]
    assert {r.direction for r in out} == {Direction.UNKNOWN}


def test_two_cars_in_one_frame_are_two_tracks() -> None:
    tracker = PlateTracker("gate", entering_motion="down")
    steps = [(i * 0.2, [read("B58DTK", 300, 100 + 30 * i), read("CJ01ABC", 1200, 400 - 30 * i)]) for i in range(4)]
    out = run(tracker, steps) + tracker.close_all()
    decided = {r.text: r for r in out if not r.final}
    final = {r.text: r for r in out if r.final}
    assert set(decided) == set(final) == {"B58DTK", "CJ01ABC"}
    assert decided["B58DTK"].track_id != decided["CJ01ABC"].track_id
    assert final["B58DTK"].direction == Direction.ENTERING
    assert final["CJ01ABC"].direction == Direction.LEAVING


def test_noisy_reads_vote_to_the_plate() -> None:
    tracker = PlateTracker("gate", config=TrackerConfig(min_reads=9))
    texts = ["B58DTK", "858DTK", "B58DT", "B5BDTK", "B58DTK"]
    out = run(tracker, [(i * 0.2, [read(t, 500, 100 + 20 * i)]) for i, t in enumerate(texts)]) + tracker.close_all()
    assert len(out) == 1 and out[0].final  # never sure enough to decide early, still reported at the end
    assert out[0].text == "B58DTK"
    assert out[0].candidates[0].text == "B58DTK"


def test_misread_last_character_dropped_in_some_frames() -> None:
    tracker = PlateTracker("gate")
    texts = ["B58DT", "B58DTK", "B58DT", "B58DTK", "B58DTK"]
    out = run(tracker, [(i * 0.2, [read(t, 500, 300)]) for i, t in enumerate(texts)]) + tracker.close_all()
    assert out[-1].final and out[-1].text == "B58DTK"


def test_single_confident_formatted_read_decides_at_once() -> None:
    tracker = PlateTracker("gate")
    out = tracker.update(frame(0.0), [read("B58DTK", confidence=0.95)])
    assert len(out) == 1 and not out[0].final
    unformatted = PlateTracker("gate")
    assert unformatted.update(frame(0.0), [read("B58DTK", confidence=0.95, region="")]) == []


def test_listed_plate_decides_at_once() -> None:
    asked: list[str] = []

    def listed(text: str) -> bool:
        asked.append(text)
        return text == "B58DTK"

    tracker = PlateTracker("gate", is_listed=listed)
    out = tracker.update(frame(0.0), [read("B58DTK", confidence=0.5, region="")])
    assert [r.text for r in out] == ["B58DTK"]
    assert asked == ["B58DTK"]


def test_failing_predicate_does_not_stop_tracking() -> None:
    def broken(text: str) -> bool:
        raise RuntimeError("database gone")

    tracker = PlateTracker("gate", is_listed=broken)
    out = run(tracker, [(0.0, [read("B58DTK", region="")]), (0.2, [read("B58DTK", region="")])])
    assert len(out) == 1


def test_undecided_track_still_reports_its_final() -> None:
    tracker = PlateTracker("gate")
    out = run(tracker, [(0.0, [read("B58DTK", confidence=0.5, region="")])]) + tracker.flush(5.0)
    assert len(out) == 1 and out[0].final and out[0].reads == 1


def test_junk_tracks_emit_nothing() -> None:
    tracker = PlateTracker("gate")
    steps = [(i * 0.2, [read("B58DTK", confidence=0.1), read("AB", 1500, 300, confidence=0.99)]) for i in range(5)]
    assert run(tracker, steps) == []
    assert tracker.active == 2
    assert tracker.close_all() == []


def test_best_frame_and_plate_are_the_most_confident_read() -> None:
    tracker = PlateTracker("gate")
    confidences = [0.6, 0.8, 0.7]
    for i, c in enumerate(confidences):
        tracker.update(frame(i * 0.2, sequence=i + 1), [read("B58DTK", confidence=c, region="")])
    final = tracker.close_all()[0]
    assert final.best_plate is not None and final.best_plate.confidence == 0.8
    assert final.best_frame is not None and final.best_frame.sequence == 2


def test_plate_jumping_far_at_low_fps_stays_one_track() -> None:
    tracker = PlateTracker("gate")
    steps = [(i * 1.0, [read("B58DTK", 200 + 250 * i, 300, region="")]) for i in range(4)]
    out = run(tracker, steps) + tracker.close_all()
    assert len({r.track_id for r in out}) == 1
    assert out[-1].reads == 4


def test_crossing_plates_keep_their_texts() -> None:
    tracker = PlateTracker("gate")
    a = [read("B58DTK", 400 + 60 * i, 300) for i in range(4)]
    b = [read("CJ01ABC", 600 - 60 * i, 300) for i in range(4)]
    out = run(tracker, [(i * 0.5, [a[i], b[i]]) for i in range(4)]) + tracker.close_all()
    finals = [r for r in out if r.final]
    assert sorted(r.text for r in finals) == ["B58DTK", "CJ01ABC"]
    assert all(len(r.candidates) == 1 for r in finals)


def test_repeat_within_window_is_suppressed() -> None:
    tracker = PlateTracker("gate", entering_motion="down")
    first = run(tracker, approach("B58DTK", 0.0)) + tracker.flush(10.0)
    assert [r.final for r in first] == [False, True]
    stationary = [(20.0 + i * 0.2, [read("B58DTK", 500, 300)]) for i in range(5)]
    assert run(tracker, stationary) + tracker.flush(30.0) == []
    near = [(50.0 + i * 0.2, [read("B58DTX", 500, 300)]) for i in range(3)]  # edit distance 1
    assert run(tracker, near) + tracker.flush(60.0) == []
    # the car stood there until 50.4: the window counts from then
    assert run(tracker, [(100.0, [read("B58DTK", 500, 300)]), (100.2, [read("B58DTK", 500, 300)])]) == []
    later = run(tracker, approach("B58DTK", 200.0)) + tracker.close_all()
    assert [r.final for r in later] == [False, True]
    assert later[0].track_id != first[0].track_id


def test_opposite_direction_within_window_is_a_new_vehicle() -> None:
    tracker = PlateTracker("gate", entering_motion="down")
    entered = run(tracker, approach("B58DTK", 0.0)) + tracker.flush(5.0)
    left = run(tracker, approach("B58DTK", 20.0, reverse=True)) + tracker.flush(30.0)
    assert [r.direction for r in entered if r.final] == [Direction.ENTERING]
    assert [r.direction for r in left if r.final] == [Direction.LEAVING]
    assert {r.track_id for r in left}.isdisjoint({r.track_id for r in entered})


def test_other_plate_is_not_suppressed() -> None:
    tracker = PlateTracker("gate")
    run(tracker, approach("B58DTK", 0.0))
    tracker.flush(5.0)
    out = run(tracker, approach("CJ01ABC", 6.0)) + tracker.close_all()
    assert [r.text for r in out] == ["CJ01ABC", "CJ01ABC"]


def test_repeat_memory_is_bounded_and_expires() -> None:
    tracker = PlateTracker("gate", config=TrackerConfig(repeat_memory=16, repeat_window=60))
    for i in range(100):
        run(tracker, [(i * 3.0, [read(f"AB{i:03d}XY", confidence=0.95)])])
        tracker.flush(i * 3.0 + 2.0)
    assert len(tracker._memory) <= 16
    tracker.flush(10_000.0)
    assert len(tracker._memory) == 0


def test_bad_input() -> None:
    tracker = PlateTracker("gate")
    with pytest.raises(ValueError, match="camera 'other'"):
        tracker.update(frame(0.0, camera="other"), [])
    with pytest.raises(ValueError, match="capture time"):
        tracker.update(frame(math.nan), [])
    with pytest.raises(ValueError, match="entering_motion"):
        PlateTracker("gate", entering_motion="sideways")
    with pytest.raises(ValueError, match="decide_score"):
        TrackerConfig(decide_score=2.0)
    broken = [
        PlateRead("B58DTK", 0.9, Box(math.nan, 0, 10, 10), 0.9),
        PlateRead("B58DTK", 0.9, Box(10, 10, 10, 10), 0.9),
        PlateRead("B58DTK", 0.9, Box(20, 20, 0, 0), 0.9),
    ]
    assert tracker.update(frame(0.0), broken) == []
    assert tracker.active == 0


def test_flood_of_detections_stays_bounded() -> None:
    tracker = PlateTracker("gate")
    for step in range(5):
        reads = [read(f"AB{i:04d}", (i % 40) * 300.0, (i // 40) * 300.0 + step * 7, confidence=0.5)
                 for i in range(1000)]
        tracker.update(frame(step * 0.1), reads)
    assert tracker.active <= 64
    assert len(tracker.close_all()) <= 64
