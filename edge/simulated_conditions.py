"""Simulated weather, light and camera faults applied to whole frames, to measure reads under them.

The shared photos are nearly all daylight; no held-out photo is a night, rain or infrared one. These
degradations stand in for those until real footage is labelled: ``carwatch-edge eval --condition``
applies one to each image before the recognizer sees it, and ``make eval-conditions`` measures them all.
They are proxies, not footage: a real infrared frame shows a retro-reflective plate brighter than
anything around it, which a whole-frame filter that knows nothing of the plate cannot imitate.

Every effect is deterministic for a given ``seed`` (the evaluation derives it from the image's path),
so that two runs, or two models, see the same degraded pixels. Sizes scale with the frame, never with
the plate: the effect does not know where the plate is.
"""

from __future__ import annotations

import enum
import zlib

import cv2
import numpy as np

Image = np.ndarray  # HxWx3 BGR uint8


class Condition(enum.StrEnum):
    """What the camera is made to suffer, one at a time."""

    NIGHT = "night"  # dark, noisy, a warm street-lamp cast
    INFRARED = "infrared"  # monochrome, noisy, highlights blooming
    RAIN = "rain"  # streaks, lower contrast, a little blur
    FOG = "fog"  # a grey haze over everything
    GLARE = "glare"  # low sun: overexposed, washed out
    MOTION = "motion"  # horizontal motion blur of a moving car
    LOW_RES = "low-res"  # a third of the resolution, scaled back up
    JPEG = "jpeg"  # a camera stream compressed hard (quality 15)


def seed_for(name: str) -> int:
    """A stable seed from a name (an image's path), the same on every run and machine."""
    return zlib.crc32(name.encode("utf-8"))


def _floats(image: Image) -> np.ndarray:
    return image.astype(np.float32) / 255.0


def _bytes(f: np.ndarray) -> Image:
    return np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _noise(rng: np.random.Generator, f: np.ndarray, sigma: float) -> np.ndarray:
    """Sensor noise, stronger in brighter pixels (shot noise) plus a floor (read noise)."""
    scale = sigma * (0.35 + np.sqrt(np.clip(f, 0.0, 1.0)))
    noisy: np.ndarray = f + rng.standard_normal(f.shape, dtype=np.float32) * scale
    return noisy


def _odd(n: float) -> int:
    k = max(1, round(n))
    return k if k % 2 else k + 1


def _night(rng: np.random.Generator, image: Image) -> Image:
    f = 0.45 * np.power(_floats(image), 1.6)
    f *= np.array([0.65, 0.85, 1.0], dtype=np.float32)  # BGR: sodium-lamp orange
    return _bytes(_noise(rng, f, 0.035))


def _infrared(rng: np.random.Generator, image: Image) -> Image:
    red = _floats(image)[:, :, 2]  # near infrared looks most like the red channel
    grey = np.power(red, 1.3) * 0.8
    glow = cv2.GaussianBlur(np.clip(grey - 0.6, 0.0, 1.0), (0, 0), sigmaX=max(1.0, image.shape[1] / 300))
    grey = _noise(rng, grey + 1.5 * glow, 0.04)
    return cv2.cvtColor(_bytes(grey), cv2.COLOR_GRAY2BGR)


def _rain(rng: np.random.Generator, image: Image) -> Image:
    h, w = image.shape[:2]
    f = 0.75 * _floats(image) + 0.12
    streaks = np.zeros((h, w), np.float32)
    length = max(4, h // 25)
    for _ in range(max(50, h * w // 2500)):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        dx = int(length * 0.25 * rng.uniform(0.5, 1.0))
        cv2.line(streaks, (x, y), (x + dx, y + length), float(rng.uniform(0.15, 0.35)), 1, cv2.LINE_AA)
    f = f + streaks[:, :, None]
    return _bytes(cv2.GaussianBlur(f, (0, 0), sigmaX=max(0.6, w / 1500)))


def _fog(rng: np.random.Generator, image: Image) -> Image:
    h, w = image.shape[:2]
    thickness = cv2.resize(rng.uniform(0.45, 0.65, (4, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    f = _floats(image)
    return _bytes(f * (1.0 - thickness[:, :, None]) + 0.78 * thickness[:, :, None])


def _glare(rng: np.random.Generator, image: Image) -> Image:
    h, w = image.shape[:2]
    f = _floats(image) * 1.3 + 0.12
    cx, cy = rng.uniform(0, w), rng.uniform(0, h * 0.5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    flare = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.35 * max(w, h)) ** 2))
    return _bytes(f + 0.3 * flare[:, :, None])


def _motion(rng: np.random.Generator, image: Image) -> Image:
    length = _odd(image.shape[1] / 120 * rng.uniform(0.8, 1.2))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def _low_res(rng: np.random.Generator, image: Image) -> Image:
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // 3), max(1, h // 3)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _jpeg(rng: np.random.Generator, image: Image) -> Image:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 15])
    if not ok:
        raise ValueError("could not JPEG-encode the frame")
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("could not decode the JPEG-encoded frame")
    return decoded


_EFFECTS = {
    Condition.NIGHT: _night, Condition.INFRARED: _infrared, Condition.RAIN: _rain, Condition.FOG: _fog,
    Condition.GLARE: _glare, Condition.MOTION: _motion, Condition.LOW_RES: _low_res, Condition.JPEG: _jpeg,
}


def simulate(image: Image, condition: Condition, seed: int) -> Image:
    """``image`` (HxWx3 BGR uint8) as the camera would see it under ``condition``; same size, new array."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 image, got {image.dtype} {image.shape}")
    return _EFFECTS[condition](np.random.default_rng(seed), image)
