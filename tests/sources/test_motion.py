"""MotionGate and ROI cropping on synthetic frames."""

from __future__ import annotations

import numpy as np
import pytest

from edge.domain import Frame
from edge.sources import MotionGate, crop_roi, roi_pixels
from edge.sources.motion import small_grey


def scene(width: int = 640, height: int = 360, level: int = 90) -> np.ndarray:
    rng = np.random.default_rng(1)
    base = np.full((height, width, 3), level, np.uint8)
    base[::40, :, :] = 200  # some structure
    noise = rng.integers(-3, 4, base.shape)
    return np.asarray(np.clip(base.astype(np.int16) + noise, 0, 255), dtype=np.uint8)


def with_car(image: np.ndarray, x: int, y: int = 150, size: tuple[int, int] = (120, 60)) -> np.ndarray:
    moved = image.copy()
    moved[y : y + size[1], x : x + size[0]] = (20, 30, 40)  # a dark car on a grey road
    return moved


def noisy(image: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(-6, 7, image.shape)
    return np.asarray(np.clip(image.astype(np.int16) + noise, 0, 255), dtype=np.uint8)


def test_the_first_frame_passes_then_a_still_scene_does_not() -> None:
    gate = MotionGate(hold_frames=0)
    background = scene()
    assert gate.changed(background)
    assert not any(gate.changed(noisy(background, seed)) for seed in range(10)), "sensor noise is not motion"


def test_a_moving_car_passes_and_a_parked_one_stops_passing() -> None:
    gate = MotionGate(hold_frames=0, adapt_rate=0.2)
    background = scene()
    gate.changed(background)
    assert all(gate.changed(with_car(background, x)) for x in (100, 160, 220, 280))
    parked = with_car(background, 280)
    results = [gate.changed(parked) for _ in range(40)]
    assert results[-1] is False, "the background adapts to a parked car"
    assert gate.changed(background), "and notices when it leaves"


def test_hold_frames_keep_the_gate_open_after_motion() -> None:
    gate = MotionGate(hold_frames=2)
    background = scene()
    gate.changed(background)
    for _ in range(5):
        gate.changed(background)
    gate.changed(with_car(background, 300))
    assert [gate.changed(with_car(background, 300)) for _ in range(3)][:2] == [True, True]


def test_the_threshold_is_a_fraction_of_the_pixels() -> None:
    background = scene()
    small_change = background.copy()
    small_change[100:110, 100:110] = 255  # 100 of 230 400 pixels: about 0.04 %
    assert not _changes(MotionGate(threshold=0.01, hold_frames=0), background, small_change)
    assert _changes(MotionGate(threshold=0.0001, hold_frames=0), background, small_change)


def _changes(gate: MotionGate, before: np.ndarray, after: np.ndarray) -> bool:
    gate.changed(before)
    return gate.changed(after)


def test_frames_grey_images_and_a_size_change_are_handled() -> None:
    gate = MotionGate()
    image = scene()
    frame = Frame("cam", image, captured_at=0.0, sequence=1)
    assert gate.changed(frame)
    assert gate.changed(scene(320, 200)), "a new size restarts the background"
    assert MotionGate().changed(np.zeros((50, 50), np.uint8))
    gate.reset()
    assert gate.changed(image)


def test_the_work_copy_is_small() -> None:
    assert small_grey(scene(1920, 1080)).shape == (90, 160)
    assert small_grey(scene(100, 40)).shape == (40, 100)
    assert small_grey(scene(4000, 1)).shape == (1, 160)


@pytest.mark.parametrize("kwargs", [{"threshold": -0.1}, {"threshold": 1.5}, {"pixel_delta": 0}, {"adapt_rate": 0},
                                    {"hold_frames": -1}, {"width": 4000}])
def test_nonsense_gates_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        MotionGate(**kwargs)  # type: ignore[arg-type]


def test_roi_pixels_and_crop() -> None:
    image = np.arange(100 * 200 * 3, dtype=np.uint32).reshape(100, 200, 3).astype(np.uint8)
    assert roi_pixels(200, 100, None) == (0, 0, 200, 100)
    assert roi_pixels(200, 100, (0.25, 0.5, 0.75, 1.0)) == (50, 50, 150, 100)
    crop = crop_roi(image, (0.25, 0.5, 0.75, 1.0))
    assert crop.shape == (50, 100, 3) and np.shares_memory(crop, image)
    assert crop_roi(image, None).shape == image.shape
    assert crop_roi(image, (0.999, 0.999, 1.0, 1.0)).shape == (1, 1, 3), "never empty"
    assert crop_roi(image, (1.0, 1.0, 1.0, 1.0)).shape == (1, 1, 3)
    assert crop_roi(image, (-5.0, -5.0, 5.0, 5.0)).shape == image.shape
