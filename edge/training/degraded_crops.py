"""Degraded copies of the real training crops: real plates seen at night, in infrared, blurred, small.

The renderer puts its camera effects (``render.camera_effects``) on rendered plates only, and mildly: a
motion streak of at most a fifth of a character's height. The real crops, which teach the reader what
plates really look like, were all daylight photos as taken. Measured with ``make eval-conditions``, the
reader lost most under simulated motion blur (113 of 154 held-out crops read -> 39) and at a third of the
resolution (-> 49). ``pipeline data --degraded`` writes each real training crop once more through the
same camera effects, with the effects more likely and motion streaks up to ``DEGRADED.motion_blur_length``
of a character's height, its character boxes unchanged (every effect keeps the picture's size). Against a
control fine-tuned the same way without them, the copies read as many clear plates and more under nearly
every simulated condition; both CPU fine-tunes read fewer clear plates than the shipped reader, and the
copies do not fit the GPU bundle yet, so they are off by default (models/README.md, "Eleventh session").
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from edge.simulated_conditions import seed_for
from edge.training.render.camera_effects import camera
from edge.training.render.pixels import Floats, Image8
from edge.training.render.plate_types import EffectConfig
from edge.vision.crop import PAD_X, PAD_Y

log = logging.getLogger(__name__)

DEGRADED = replace(EffectConfig(), colour_cast=0.2, night=0.2, motion_blur=0.4, motion_blur_length=0.45,
                   defocus=0.3, low_res=0.45, noise=0.6, jpeg=0.6)
SUFFIX = "__degraded"
JPEG_QUALITY = 95


def plate_area(height: int, width: int) -> Floats:
    """Where the plate is in a crop cut as at run time (the box grown by PAD_X and PAD_Y): 1 inside, else 0."""
    mask = np.zeros((height, width), np.float32)
    left, top = round(width * PAD_X / (1 + 2 * PAD_X)), round(height * PAD_Y / (1 + 2 * PAD_Y))
    mask[top:max(top + 1, height - top), left:max(left + 1, width - left)] = 1.0
    return mask


def character_height(boxes: str, crop_height: int) -> float:
    """The median character height in pixels from the text of a YOLO label file (class cx cy w h, normalised)."""
    heights = [float(parts[4]) * crop_height for line in boxes.splitlines() if len(parts := line.split()) == 5]
    return float(np.median(heights)) if heights else crop_height / 1.5


def degrade(crop: Image8, char_height: float, seed: int, effects: EffectConfig = DEGRADED) -> Image8:
    """``crop`` through the camera effects; the same seed gives the same pixels."""
    rng = np.random.default_rng(seed)
    return camera(rng, crop, plate_area(*crop.shape[:2]), char_height, effects)


def write_degraded(images: list[Path], out: Path) -> list[Path]:
    """One degraded copy of each crop in ``images`` (a ``labels`` folder beside their ``images``
    folder holds their boxes), written to ``out/images`` and ``out/labels``; returns the new images.

    Each copy's seed comes from its file name, so a rebuild writes the same pixels.
    """
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for image in images:
        label = image.parent.parent / "labels" / f"{image.stem}.txt"
        pixels = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if pixels is None or not label.exists():
            log.warning("skipping %s: unreadable or no label", image)
            continue
        crop: Image8 = pixels.astype(np.uint8, copy=False)
        boxes = label.read_text()
        copy = degrade(crop, character_height(boxes, crop.shape[0]), seed_for(image.name))
        target = out / "images" / f"{image.stem}{SUFFIX}.jpg"
        cv2.imwrite(str(target), copy, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        (out / "labels" / f"{target.stem}.txt").write_text(boxes)
        written.append(target)
    log.info("degraded copies: %d of %d crops in %s", len(written), len(images), out)
    return written
