"""Camera effects over a whole picture: colour cast, night, infrared, blur, low resolution, noise, JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from edge.training.render.pixels import Floats, Image8, f32, u8
from edge.training.render.plate_types import EffectConfig
from edge.training.render.random_draws import Rng, chance, pick, uni


def _colour_cast(rng: Rng, f: Floats, s: float) -> Floats:
    if chance(rng, 0.4):  # the magenta cast of the ro-dashcam frames
        gains = f32([uni(rng, 1.0, 1.15), uni(rng, 0.62, 0.85), uni(rng, 1.05, 1.25)])
    else:
        gains = f32(rng.uniform(1 - 0.2 * s, 1 + 0.2 * s, 3))
    return f * gains


def _bloom(f: Floats, sigma: float, amount: float) -> Floats:
    bright = np.clip(f - 170, 0, None)
    return f + cv2.GaussianBlur(bright, (0, 0), max(1.0, sigma)) * amount


def _night(rng: Rng, f: Floats, plate: Floats, char_h: float, s: float) -> Floats:
    dark, lit = uni(rng, 0.1, 0.35) / s, uni(rng, 0.45, 1.0)
    f = f * (dark + (lit - dark) * plate)[..., None]
    f = f32(255 * (np.clip(f, 0, 255) / 255) ** uni(rng, 1.0, 1.4))
    tint = f32(pick(rng, ([1.1, 0.95, 0.85], [0.7, 0.9, 1.15], [1.0, 1.0, 1.0])))
    return _bloom(f * tint, char_h * uni(rng, 0.1, 0.3), uni(rng, 0.3, 1.2))


def _infrared(rng: Rng, f: Floats, plate: Floats, char_h: float) -> Floats:
    """Grey IR camera look: bright retro-reflective plate, dark surroundings, hard contrast and bloom."""
    grey = f @ f32([0.114, 0.587, 0.299])
    grey = grey * (uni(rng, 0.15, 0.45) + uni(rng, 0.7, 1.1) * plate)
    lo, hi = uni(rng, 0, 40), uni(rng, 150, 230)
    grey = 255 * np.clip((grey - lo) / (hi - lo), 0, 1) ** uni(rng, 0.7, 1.3)
    grey = _bloom(grey, char_h * uni(rng, 0.1, 0.25), uni(rng, 0.2, 0.8))
    return np.repeat(grey[..., None], 3, axis=2)


def _motion_blur(rng: Rng, f: Floats, char_h: float, s: float, share: float) -> Floats:
    length = round(uni(rng, 2, max(2.5, char_h * share * s)))
    if length < 2:
        return f
    kernel = np.zeros((length, length), np.float32)
    angle = rng.normal(0, 0.4) if chance(rng, 0.7) else uni(rng, 0, np.pi)
    c, dx, dy = (length - 1) / 2, np.cos(angle) * (length - 1) / 2, np.sin(angle) * (length - 1) / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    return f32(cv2.filter2D(f, -1, kernel / max(1.0, float(kernel.sum()))))


def _defocus(rng: Rng, f: Floats, char_h: float, s: float) -> Floats:
    return f32(cv2.GaussianBlur(f, (0, 0), uni(rng, 0.5, max(0.7, char_h * 0.06 * s))))


def _low_res(rng: Rng, f: Floats, char_h: float) -> Floats:
    """Downscale so that characters are 7-22 px high, then back up: a far or cheap camera."""
    factor = uni(rng, 7, 22) / max(1.0, char_h)
    if factor > 0.85:
        return f
    h, w = f.shape[:2]
    small = cv2.resize(f, (max(2, round(w * factor)), max(2, round(h * factor))), interpolation=cv2.INTER_AREA)
    up = pick(rng, (cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST))
    return f32(cv2.resize(small, (w, h), interpolation=up))


def _noise(rng: Rng, f: Floats, s: float) -> Floats:
    f = f + rng.normal(0, uni(rng, 1.5, 9) * s, f.shape).astype(np.float32)
    if chance(rng, 0.1):  # salt and pepper, as in some augmented us-roboflow copies
        dots = rng.random(f.shape[:2])
        density = uni(rng, 0.002, 0.02) * s
        f[dots < density / 2] = 0
        f[dots > 1 - density / 2] = 255
    return f


def _jpeg(rng: Rng, image: Image8, s: float) -> Image8:
    quality = int(np.clip(uni(rng, 90 - 70 * s, 90), 8, 95))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return u8(cv2.imdecode(data, cv2.IMREAD_COLOR)) if ok else image


def camera(rng: Rng, image: Image8, plate: Floats, char_h: float, cfg: EffectConfig) -> Image8:
    """Photometric effects over the whole picture; ``plate`` is the plate's area (0..1) in it, ``char_h`` the
    height of its characters in pixels (blur and resolution are scaled to it)."""
    s = cfg.strength
    f = image.astype(np.float32)
    if chance(rng, cfg.colour_cast):
        f = _colour_cast(rng, f, s)
    roll = rng.random()
    if roll < cfg.night:
        f = _night(rng, f, plate, char_h, s)
    elif roll < cfg.night + cfg.infrared:
        f = _infrared(rng, f, plate, char_h)
    else:
        f = f * uni(rng, 1 - 0.3 * s, 1 + 0.2 * s) + uni(rng, -25, 25) * s
    blurred = False
    if chance(rng, cfg.motion_blur):
        f, blurred = _motion_blur(rng, f, char_h, s, cfg.motion_blur_length), True
    elif chance(rng, cfg.defocus):
        f, blurred = _defocus(rng, f, char_h, s), True
    if chance(rng, cfg.low_res * (0.5 if blurred else 1.0)):
        f = _low_res(rng, f, char_h)
    if chance(rng, cfg.noise):
        f = _noise(rng, f, s)
    out = u8(f)
    return _jpeg(rng, out, s) if chance(rng, cfg.jpeg) else out
