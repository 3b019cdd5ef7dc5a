"""Geometry and decision of the detector's second look at small plates (pure: no model)."""

import pytest

from edge.domain import Box, Detection
from edge.vision.tiles import Window
from edge.vision.zoom import INPUT_PX, PLATE_PX, confirm, needs_zoom, zoom_window


def test_only_plates_narrower_than_the_zoomed_size_are_zoomed() -> None:
    box = Box(100, 100, 200, 130)  # 100 px wide in the frame
    assert needs_zoom(box, scale=0.5)  # 50 px in the input
    assert not needs_zoom(box, scale=PLATE_PX / 100)  # exactly as wide as a zoom would make it
    assert not needs_zoom(box, scale=1.0)


def test_the_window_is_centred_and_makes_the_plate_the_zoomed_width() -> None:
    box = Box(900, 500, 940, 512)  # 40 x 12 px in a 1920x1080 frame
    window = zoom_window(box, 1920, 1080)
    width = window.x2 - window.x1
    assert width == pytest.approx(INPUT_PX * box.width / PLATE_PX, abs=2)
    assert (window.x1 + window.x2) / 2 == pytest.approx(920, abs=1)
    assert (window.y1 + window.y2) / 2 == pytest.approx(506, abs=1)
    assert window.y2 - window.y1 < width  # wider than tall, as a frame around a plate


def test_a_tall_plate_gets_a_window_tall_enough() -> None:
    window = zoom_window(Box(500, 500, 530, 530), 1920, 1080)  # a square motorcycle plate
    assert window.y2 - window.y1 > 30 * 3


@pytest.mark.parametrize("box", [Box(0, 0, 20, 8), Box(1900, 1070, 1920, 1080), Box(5, 5, 5, 5)])
def test_the_window_stays_inside_the_frame_and_is_never_empty(box: Box) -> None:
    window = zoom_window(box, 1920, 1080)
    assert 0 <= window.x1 < window.x2 <= 1920 and 0 <= window.y1 < window.y2 <= 1080


def test_a_candidate_the_zoomed_look_does_not_find_is_dropped() -> None:
    candidate = Detection(Box(100, 100, 140, 112), 0.6, 0)
    window = Window(50, 80, 190, 164)
    assert confirm(candidate, [], window) is None
    elsewhere = [Detection(Box(0, 0, 30, 10), 0.9, 0)]  # a plate in the window, not this one
    assert confirm(candidate, elsewhere, window) is None


def test_a_confirmed_candidate_takes_the_zoomed_box_in_frame_pixels() -> None:
    candidate = Detection(Box(100, 100, 140, 112), 0.6, 0)
    window = Window(50, 80, 190, 164)
    zoomed = [Detection(Box(0, 0, 20, 8), 0.9, 0), Detection(Box(52, 21, 88, 31), 0.4, 0)]
    kept = confirm(candidate, zoomed, window)
    assert kept is not None
    assert kept.box == Box(102, 101, 138, 111)
    assert kept.confidence == 0.6  # the candidate's own
    assert kept.first_look == candidate.box  # the reader crops around the framing it was trained on
