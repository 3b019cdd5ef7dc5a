"""The flat plate mounted as a sprite: alone, in a holder or on a patch of car body."""

from __future__ import annotations

import cv2
import numpy as np

from edge.training.render.pixels import RGB, Floats, f32, u8
from edge.training.render.plate_types import CharBox, FlatPlate, Sprite
from edge.training.render.random_draws import Rng, chance, jitter, pick, uni

CAR_PAINTS: tuple[RGB, ...] = ((235, 235, 235), (20, 20, 22), (160, 162, 165), (95, 95, 100), (30, 30, 140),
                               (140, 30, 20), (40, 60, 30), (200, 190, 170), (60, 90, 150))


def flat_sprite(flat: FlatPlate) -> Sprite:
    h, w = flat.alpha.shape
    quad = f32([[0, 0], [w, 0], [w, h], [0, h]])
    return Sprite(flat.bgr, f32(flat.alpha / 255), quad, flat.glyphs)


def _car_body(rng: Rng, h: int, w: int, plate: tuple[int, int, int, int]) -> Floats:
    """Painted, shaded car body around a darker plate recess, sometimes with tail lights."""
    mx, my, pw, ph = plate
    paint = f32(jitter(rng, pick(rng, CAR_PAINTS), 15))[::-1]
    shade = np.linspace(uni(rng, 0.7, 1.15), uni(rng, 0.6, 1.0), h, dtype=np.float32)[:, None, None]
    body = np.broadcast_to(paint * shade, (h, w, 3)).copy()
    recess = (int(mx - pw * 0.04), int(my - ph * 0.12), int(mx + pw * 1.04), int(my + ph * 1.12))
    cv2.rectangle(body, recess[:2], recess[2:], (paint * uni(rng, 0.4, 0.8)).tolist(), -1)
    if w > 2.5 * pw and chance(rng, 0.5):
        for x in (int(w * 0.04), int(w * 0.96)):
            cv2.ellipse(body, (x, int(h * 0.3)), (int(pw * 0.25), int(ph * 0.4)), 0, 0, 360, (30, 30, 190), -1)
    return f32(cv2.GaussianBlur(body, (0, 0), max(0.6, ph * 0.01)))


def _feathered(h: int, w: int, edge: float) -> Floats:
    """Alpha that is 1 inside and falls to 0 over ``edge`` pixels at the border."""
    rows = np.minimum(np.arange(h), np.arange(h)[::-1])
    cols = np.minimum(np.arange(w), np.arange(w)[::-1])
    return f32(np.clip(np.minimum.outer(rows, cols) / max(1.0, edge), 0, 1))


def mounted(rng: Rng, flat: FlatPlate, size: float = 1.0) -> Sprite:
    """The plate on a patch of car body, in a dark plastic holder, or alone; ``size`` scales the patch."""
    h, w = flat.alpha.shape
    roll = rng.random()
    if roll < 0.3:
        return flat_sprite(flat)
    if roll < 0.45:  # holder: a dark rim a few per cent of the plate height wide
        mx = my = max(1, int(h * uni(rng, 0.03, 0.08)))
        big_h, big_w = h + 2 * my, w + 2 * mx
        body = np.full((big_h, big_w, 3), uni(rng, 10, 60), np.float32)
        alpha = _feathered(big_h, big_w, 1.5)
    else:
        mx, my = int(w * uni(rng, 0.05, 0.9) * size), int(h * uni(rng, 0.3, 1.2) * size)
        big_h, big_w = h + 2 * my, w + 2 * mx
        body = _car_body(rng, big_h, big_w, (mx, my, w, h))
        alpha = _feathered(big_h, big_w, min(big_h, big_w) * uni(rng, 0.08, 0.3))
    a = f32(flat.alpha / 255)[..., None]
    body[my:my + h, mx:mx + w] = body[my:my + h, mx:mx + w] * (1 - a) + flat.bgr * a
    quad = f32([[mx, my], [mx + w, my], [mx + w, my + h], [mx, my + h]])
    boxes = tuple(CharBox(b.char, b.x1 + mx, b.y1 + my, b.x2 + mx, b.y2 + my) for b in flat.glyphs)
    return Sprite(u8(body), alpha, quad, boxes)
