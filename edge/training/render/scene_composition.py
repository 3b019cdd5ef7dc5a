"""Detector scenes: rendered plates pasted into a real photo with its light, colour cast and noise."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from edge.training.render.photo_backgrounds import overlaps
from edge.training.render.pixels import Floats, Image8, PixelBox, f32, u8
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_layouts import draw_plate
from edge.training.render.plate_mounting import mounted
from edge.training.render.plate_types import EffectConfig, Sprite
from edge.training.render.random_draws import Rng, chance, loguni, pick, uni
from edge.training.render.sprite_warping import paste, warp
from edge.training.render.surface_effects import surface
from edge.training.sources import RealImage


def photo_boxes(real: RealImage, w: int, h: int) -> list[PixelBox]:
    return [((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h) for cx, cy, bw, bh in
            (p.box for p in real.plates)]


def _scene_sprite(rng: Rng, fonts: FontSet, cfg: EffectConfig, frame_w: int) -> Sprite:
    """A plate (often on a patch of car body) sized and tilted for a frame ``frame_w`` pixels wide."""
    flat = surface(rng, draw_plate(rng, None, None, fonts), cfg)
    share = loguni(rng, 0.015, 0.12) if chance(rng, 0.85) else uni(rng, 0.12, 0.3)
    target = max(10.0, share * frame_w)
    sprite = warp(rng, mounted(rng, flat, 0.5), target / flat.alpha.shape[1], cfg)
    sigma = uni(rng, 0.0, 0.9)
    if sigma < 0.3:
        return sprite
    bgr = u8(cv2.GaussianBlur(sprite.bgr, (0, 0), sigma))
    return Sprite(bgr, f32(cv2.GaussianBlur(sprite.alpha, (0, 0), sigma)), sprite.quad, sprite.boxes)


def _free_spot(rng: Rng, sprite: Sprite, taken: list[PixelBox], void: npt.NDArray[np.bool_]) -> tuple[int, int] | None:
    """Where the sprite can go with its whole plate in the frame, nothing over a plate already there, and not
    in ``void`` (the black corners of rotated photos)."""
    h, w = void.shape
    sh, sw = sprite.alpha.shape
    (qx0, qy0), (qx1, qy1) = sprite.quad.min(axis=0), sprite.quad.max(axis=0)
    x_lo, x_hi = int(np.ceil(-qx0)), int(np.floor(w - qx1))
    y_lo, y_hi = int(np.ceil(-qy0)), int(np.floor(h - qy1))
    if x_hi <= x_lo or y_hi <= y_lo:
        return None
    lower = int(np.clip(h * 0.3 - qy0, y_lo, y_hi - 1))  # mostly in the lower part of the frame, as cars are
    for _ in range(30):
        x = int(rng.integers(x_lo, x_hi))
        y = int(rng.integers(lower if chance(rng, 0.8) else y_lo, y_hi))
        footprint = (float(x), float(y), float(x + sw), float(y + sh))
        if any(overlaps(footprint, t, 0.1) for t in taken):
            continue
        if float(void[max(0, y):y + sh, max(0, x):x + sw].mean()) < 0.1:
            return x, y
    return None


def _photo_noise(photo: Image8) -> tuple[float, float]:
    """Gaussian noise level and share of salt-and-pepper pixels of a photo, so pasted plates can match it."""
    grey = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    diff = np.abs(grey.astype(np.int16) - cv2.medianBlur(grey, 3).astype(np.int16))
    return float(np.median(diff)) * 1.4826, float((diff > 80).mean())


def _match_noise(rng: Rng, f: Floats, cover: Floats, noise: tuple[float, float]) -> Floats:
    """Give the pasted pixels (``cover`` > 0) the photo's own noise."""
    sigma, impulse = noise
    f = f + rng.normal(0, max(0.5, sigma), f.shape[:2]).astype(np.float32)[..., None] * cover[..., None]
    if impulse > 0.002:
        dots = (rng.random(cover.shape) < impulse) & (cover > 0.5)
        f[dots] = f32(rng.choice([0.0, 255.0], size=(int(dots.sum()), 1)))
    return f


def _paste_plate(rng: Rng, f: Floats, sprite: Sprite, spot: tuple[int, int], cast: Floats, *, night: bool) -> Floats:
    """Paste the sprite at ``spot`` with the light and colour cast of the photo; returns where it covers."""
    x, y = spot
    sh, sw = sprite.alpha.shape
    local = float(f[max(0, y):y + sh, max(0, x):x + sw].mean()) if sh and sw else 128.0
    bright = float(np.clip((local + 30) / 140, 0.3, 1.25) ** 0.7) * uni(rng, 0.85, 1.15)
    return paste(f, sprite, x, y, f32(cast * bright * (uni(rng, 0.8, 1.6) if night else 1.0)))


def compose_scene(rng: Rng, photo: Image8, boxes: list[PixelBox], fonts: FontSet,
                  cfg: EffectConfig) -> tuple[Image8, list[PixelBox]] | None:
    h, w = photo.shape[:2]
    f = photo.astype(np.float32)
    night = chance(rng, 0.12)
    if night:
        f = f32(255 * (f / 255) ** uni(rng, 1.2, 1.8) * uni(rng, 0.3, 0.6))
    mean = f.reshape(-1, 3).mean(axis=0) + 1
    cast = f32(np.clip(mean / mean.mean(), 0.6, 1.6) ** 0.8)
    taken, labels = list(boxes), list(boxes)
    cover = np.zeros((h, w), np.float32)
    void = photo.max(axis=2) < 4
    for _ in range(pick(rng, (1, 1, 1, 2, 2, 3))):
        sprite = _scene_sprite(rng, fonts, cfg, w)
        spot = _free_spot(rng, sprite, taken, void)
        if spot is None:
            continue
        cover = np.maximum(cover, _paste_plate(rng, f, sprite, spot, cast, night=night))
        quad = sprite.quad + f32(spot)
        (x1, y1), (x2, y2) = quad.min(axis=0), quad.max(axis=0)
        labels.append((max(0.0, float(x1)), max(0.0, float(y1)), min(float(w), float(x2)), min(float(h), float(y2))))
        sh, sw = sprite.alpha.shape
        taken.append((float(spot[0]), float(spot[1]), float(spot[0] + sw), float(spot[1] + sh)))
    if len(labels) == len(boxes):
        return None
    f = _match_noise(rng, f, cover, _photo_noise(photo))
    if night:
        f = f + rng.normal(0, uni(rng, 1.0, 5.0), f.shape).astype(np.float32)
    return u8(f), labels
