"""Generated scenes: frames of the sample car driving up to the gate, or of the empty road."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt

from edge.app import SAMPLE_CLIP
from edge.daemon_bench.errors import BenchError

Image = npt.NDArray[np.uint8]

SAMPLE_IMAGE = SAMPLE_CLIP.parent / "car.jpg"
PLATE_CENTRE = (560.0, 415.0)  # the plate's centre in car.jpg (as edge/training/sample_clip.py draws it)
APPROACH_S = 5.0  # generated arrival clip: the car drives up for 5 s, then the road is empty for 3 s
EMPTY_S = 3.0
NOISE_LEVEL = 3  # +-grey levels of sensor noise on generated clips, so a still scene is not a flat picture


def _sample_car() -> Image:
    car = cv2.imread(str(SAMPLE_IMAGE))
    if car is None:
        raise BenchError(f"{SAMPLE_IMAGE} is missing or unreadable")
    return np.asarray(car, dtype=np.uint8)


def _road(car: Image) -> Image:
    h, w = car.shape[:2]
    colour = cv2.blur(car, (w // 4 | 1, h // 4 | 1)).mean(axis=(0, 1)).astype(np.uint8)
    return np.broadcast_to(colour, car.shape).copy()


def _car_frame(car: Image, road: Image, t: float) -> Image:
    """The car scaled from far (t=0) to near (t=1), its plate moving down the picture (as sample_clip.py)."""
    h, w = car.shape[:2]
    px, py = PLATE_CENTRE[0] * w / 960, PLATE_CENTRE[1] * h / 540
    scale = 0.4 + 0.6 * t
    target = (w / 2 + (px - w / 2) * t, h * 0.45 + (py - h * 0.45) * t)
    matrix = np.array([[scale, 0, target[0] - px * scale], [0, scale, target[1] - py * scale]], np.float32)
    frame = cv2.warpAffine(car, matrix, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (w, h)) > 0
    frame[~mask] = road[~mask]
    return np.asarray(frame, dtype=np.uint8)


SCENES = ("arrival", "empty")


def check_scene(scene: str) -> None:
    """ValueError unless ``scene`` is one of SCENES."""
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene[:40]!r}: use {' or '.join(SCENES)}")


def scene_frames(size: tuple[int, int], fps: float, scene: str, seed: int = 0) -> Iterator[Image]:
    """Frames of ``scene``: "arrival" (the sample car drives up, then the road is empty) or "empty" (only
    the empty road), at ``size`` (width, height), with a little sensor noise on every frame."""
    check_scene(scene)
    car = np.asarray(cv2.resize(_sample_car(), size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    road = _road(car)
    approach = round(APPROACH_S * fps) if scene == "arrival" else 0
    empty = round(EMPTY_S * fps) if scene == "arrival" else round((APPROACH_S + EMPTY_S) * fps)
    rng = np.random.default_rng(seed)
    for i in range(approach + empty):
        clean = _car_frame(car, road, i / max(1, approach - 1)) if i < approach else road
        noise = rng.integers(-NOISE_LEVEL, NOISE_LEVEL + 1, size=clean.shape[:2], dtype=np.int16)
        yield np.clip(clean.astype(np.int16) + noise[:, :, None], 0, 255).astype(np.uint8)
