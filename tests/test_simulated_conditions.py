"""Simulated night, rain, fog...: each degrades the frame, keeps its size, and does so the same way
every time for the same seed."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.simulated_conditions import Condition, seed_for, simulate

IMAGES = Path(__file__).resolve().parent / "images"
# Conditions that draw random numbers (noise, streaks, haze, flare, blur length).
RANDOM = {Condition.NIGHT, Condition.INFRARED, Condition.RAIN, Condition.FOG, Condition.GLARE, Condition.MOTION}


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    image = cv2.imread(str(IMAGES / "ro-B58DTK.jpg"))
    assert image is not None
    return image


@pytest.mark.parametrize("condition", list(Condition))
def test_a_condition_degrades_the_frame_and_keeps_its_size(frame: np.ndarray, condition: Condition) -> None:
    before = frame.copy()
    out = simulate(frame, condition, seed=7)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(frame, before), "the input frame must not be changed"
    changed = np.abs(out.astype(np.int16) - frame.astype(np.int16)).mean()
    assert changed > 2.0, f"{condition} barely changed the frame (mean difference {changed:.2f})"


@pytest.mark.parametrize("condition", list(Condition))
def test_the_same_seed_gives_the_same_pixels(frame: np.ndarray, condition: Condition) -> None:
    assert np.array_equal(simulate(frame, condition, 3), simulate(frame, condition, 3))


@pytest.mark.parametrize("condition", sorted(RANDOM))
def test_another_seed_gives_other_pixels(frame: np.ndarray, condition: Condition) -> None:
    assert not np.array_equal(simulate(frame, condition, 3), simulate(frame, condition, 4))


def test_night_is_darker_and_glare_brighter(frame: np.ndarray) -> None:
    assert simulate(frame, Condition.NIGHT, 1).mean() < 0.6 * frame.mean()
    assert simulate(frame, Condition.GLARE, 1).mean() > 1.2 * frame.mean()


def test_infrared_is_monochrome(frame: np.ndarray) -> None:
    out = simulate(frame, Condition.INFRARED, 1)
    assert np.array_equal(out[:, :, 0], out[:, :, 1]) and np.array_equal(out[:, :, 1], out[:, :, 2])


def test_seed_for_is_stable_and_tells_names_apart() -> None:
    assert seed_for("a/b.jpg") == seed_for("a/b.jpg") == 1558253591  # CRC-32, the same on every machine
    assert seed_for("a/b.jpg") != seed_for("a/c.jpg")


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3, 3), (5, 1, 3), (1, 700, 3)])
@pytest.mark.parametrize("condition", list(Condition))
def test_tiny_frames_do_not_break_any_condition(condition: Condition, shape: tuple[int, int, int]) -> None:
    tiny = np.full(shape, 128, np.uint8)
    assert simulate(tiny, condition, 0).shape == shape


@pytest.mark.parametrize("bad", [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8),
                                 np.zeros((8, 8, 3), np.float32)])
def test_a_frame_that_is_not_bgr_bytes_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        simulate(bad, Condition.FOG, 0)
