"""Effects on the flat plate's surface: dirt, shadow, glare and a small occlusion."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from edge.training.render.pixels import Floats, f32, u8
from edge.training.render.plate_types import CharBox, EffectConfig, FlatPlate
from edge.training.render.random_draws import Rng, chance, pick, uni


def _dirt(rng: Rng, bgr: Floats, s: float) -> Floats:
    h, w = bgr.shape[:2]
    cell = int(rng.integers(6, 20))
    cells = rng.random((max(2, h // cell), max(2, w // cell))).astype(np.float32)
    field = cv2.resize(cells, (w, h), interpolation=cv2.INTER_CUBIC)
    threshold = uni(rng, 0.35, 0.75)
    alpha = np.clip((field - threshold) / (1 - threshold), 0, 1) * min(0.85, uni(rng, 0.15, 0.5) * s)
    specks = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(0, 1 + int(h * w * 0.0015 * s)))):
        centre = (int(rng.integers(w)), int(rng.integers(h)))
        cv2.circle(specks, centre, int(rng.integers(1, 3)), float(uni(rng, 0.3, 0.8)), -1)
    alpha = np.maximum(alpha, specks)[..., None]
    colour = f32(pick(rng, ((50, 70, 90), (40, 45, 50), (90, 110, 125), (30, 55, 75), (150, 160, 165))))
    return f32(bgr * (1 - alpha) + colour * alpha)


def _shadow(rng: Rng, bgr: Floats, s: float) -> Floats:
    h, w = bgr.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = uni(rng, 0, np.pi)
    px, py = uni(rng, 0, w), uni(rng, 0, h)
    distance = (xs - px) * np.cos(angle) + (ys - py) * np.sin(angle)
    side = 1 / (1 + np.exp(-distance / max(1.0, uni(rng, 0.01, 0.15) * h)))
    darkness = min(0.75, uni(rng, 0.25, 0.6) * s)
    return f32(bgr * (1 - darkness * side)[..., None])


def _glare(rng: Rng, bgr: Floats, s: float) -> Floats:
    h, w = bgr.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = uni(rng, 0, w), uni(rng, 0, h)
    rx, ry = uni(rng, 0.08, 0.4) * w, uni(rng, 0.2, 0.9) * h
    spot = np.exp(-(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)) * min(0.9, uni(rng, 0.3, 0.8) * s)
    return f32(bgr + (255 - bgr) * spot[..., None])


def _occluder_mask(rng: Rng, h: int, w: int) -> Floats:
    mask = np.zeros((h, w), np.float32)
    kind = int(rng.integers(4))
    if kind == 0:  # a bar across the bottom or the top edge (tow bar, bumper edge, frame)
        depth = int(h * uni(rng, 0.05, 0.16))
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        rows = slice(h - depth, h) if chance(rng, 0.7) else slice(0, depth)
        mask[rows, x0:max(x1, x0 + w // 4)] = 1
    elif kind == 1:  # a blob over a corner
        cx, cy = pick(rng, (0, w)), pick(rng, (0, h))
        cv2.ellipse(mask, (cx, cy), (int(w * uni(rng, 0.05, 0.15)), int(h * uni(rng, 0.2, 0.45))), 0, 0, 360, 1.0, -1)
    elif kind == 2:  # a post or cable at the side
        width = int(w * uni(rng, 0.02, 0.06))
        x0 = 0 if chance(rng, 0.5) else w - width
        mask[:, x0:x0 + width] = 1
    else:  # a thin cable or stick across
        y0, y1 = int(rng.integers(h)), int(rng.integers(h))
        cv2.line(mask, (0, y0), (w, y1), 1.0, max(1, int(h * uni(rng, 0.015, 0.04))))
    return f32(cv2.GaussianBlur(mask, (0, 0), 1.0))


def _occlusion(rng: Rng, bgr: Floats, glyphs: Sequence[CharBox], s: float) -> Floats:
    """Cover a small part of the plate; never more than a fifth of any character."""
    h, w = bgr.shape[:2]
    for _ in range(6):
        mask = _occluder_mask(rng, h, w)
        covered = [float(mask[int(g.y1):int(g.y2), int(g.x1):int(g.x2)].mean()) for g in glyphs if g.x2 > g.x1]
        if max(covered, default=0.0) <= 0.2 * min(1.0, s):
            colour = f32(pick(rng, ((30, 30, 30), (60, 60, 70), (120, 120, 125), (40, 40, 140), (200, 200, 205))))
            shade = rng.normal(1.0, 0.08, (h, 1)).astype(np.float32)
            return bgr * (1 - mask[..., None]) + (colour * shade[..., None]) * mask[..., None]
    return bgr


def surface(rng: Rng, flat: FlatPlate, cfg: EffectConfig) -> FlatPlate:
    bgr = flat.bgr.astype(np.float32)
    s = cfg.strength
    if chance(rng, cfg.dirt):
        bgr = _dirt(rng, bgr, s)
    if chance(rng, cfg.shadow):
        bgr = _shadow(rng, bgr, s)
    if chance(rng, cfg.glare):
        bgr = _glare(rng, bgr, s)
    if chance(rng, cfg.occlusion):
        bgr = _occlusion(rng, bgr, flat.glyphs, s)
    return FlatPlate(u8(bgr), flat.alpha, flat.glyphs, flat.layout, flat.rows, flat.text)
