"""Sprites scaled, tilted and turned in perspective, moved, and alpha-pasted into a canvas."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from edge.training.render.pixels import Floats, f32, u8
from edge.training.render.plate_types import CharBox, EffectConfig, Sprite
from edge.training.render.random_draws import Rng, chance


def _destination(rng: Rng, w: float, h: float, cfg: EffectConfig | None) -> Floats:
    """Where the four plate corners land, centred on 0, for a plate ``w`` by ``h`` pixels."""
    if cfg is None:
        return f32([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    s, tilt = cfg.strength, cfg.max_tilt
    yaw = pitch = shear = 0.0
    if chance(rng, cfg.perspective):
        yaw = float(np.clip(rng.normal(0, tilt * 0.4 * s), -tilt, tilt))
        pitch = float(np.clip(rng.normal(0, tilt * 0.2 * s), -tilt / 2, tilt / 2))
        shear = float(np.clip(rng.normal(0, 0.06 * s), -0.15, 0.15))
    hx, hy = w / 2 * (1 - abs(yaw) * 0.8), h / 2
    pts = np.array([[-hx * (1 + pitch), -hy * (1 + yaw)], [hx * (1 + pitch), -hy * (1 - yaw)],
                    [hx * (1 - pitch), hy * (1 - yaw)], [-hx * (1 - pitch), hy * (1 + yaw)]], np.float32)
    pts[:, 0] += shear * pts[:, 1]
    pts += rng.normal(0, 0.012 * h * s, pts.shape).astype(np.float32)
    angle = np.radians(float(np.clip(rng.normal(0, cfg.max_rotation * s / 2), -cfg.max_rotation, cfg.max_rotation)))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    return f32(pts @ rot.T)


def _transform(m: npt.NDArray[np.float64], pts: Floats) -> Floats:
    return f32(cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float32), m).reshape(-1, 2))


def _warp_box(m: npt.NDArray[np.float64], box: CharBox, scale: float) -> CharBox:
    corners = f32([[box.x1, box.y1], [box.x2, box.y1], [box.x2, box.y2], [box.x1, box.y2]]) * scale
    out = _transform(m, corners)
    lo, hi = out.min(axis=0), out.max(axis=0)
    return CharBox(box.char, float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def warp(rng: Rng, sprite: Sprite, scale: float, cfg: EffectConfig | None) -> Sprite:
    """Scale the sprite so that its plate is ``scale`` times as large, then tilt and turn it (``cfg``)."""
    bgr, alpha, pre = sprite.bgr, sprite.alpha, 1.0
    if scale < 0.7:  # shrink most of the way first, with area averaging, so that the warp does not alias
        pre = scale * 1.4
        size = (max(2, round(bgr.shape[1] * pre)), max(2, round(bgr.shape[0] * pre)))
        bgr = u8(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA))
        alpha = f32(cv2.resize(alpha, size, interpolation=cv2.INTER_AREA))
    q = sprite.quad
    pw, ph = float(np.linalg.norm(q[1] - q[0])), float(np.linalg.norm(q[3] - q[0]))
    m = np.asarray(cv2.getPerspectiveTransform(q * pre, _destination(rng, pw * scale, ph * scale, cfg)), np.float64)
    h, w = bgr.shape[:2]
    outline = _transform(m, f32([[0, 0], [w, 0], [w, h], [0, h]]))
    lo = np.floor(outline.min(axis=0)) - 1
    extent = np.ceil(outline.max(axis=0) - lo) + 1
    size = (int(extent[0]), int(extent[1]))
    m = np.array([[1, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]]) @ m
    out_bgr = cv2.warpPerspective(bgr, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out_alpha = cv2.warpPerspective(alpha, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=0)
    boxes = tuple(_warp_box(m, b, pre) for b in sprite.boxes)
    return Sprite(u8(out_bgr), f32(out_alpha), _transform(m, q * pre), boxes)


def shifted(sprite: Sprite, dx: float, dy: float) -> tuple[Floats, tuple[CharBox, ...]]:
    boxes = tuple(CharBox(b.char, b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy) for b in sprite.boxes)
    return sprite.quad + f32([dx, dy]), boxes


def paste(canvas: Floats, sprite: Sprite, x: int, y: int, gain: Floats | None = None) -> Floats:
    """Alpha-blend the sprite into ``canvas`` (in place) at x, y; returns its alpha over the canvas."""
    ch, cw = canvas.shape[:2]
    sh, sw = sprite.alpha.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(cw, x + sw), min(ch, y + sh)
    cover = np.zeros((ch, cw), np.float32)
    if x1 <= x0 or y1 <= y0:
        return cover
    a = sprite.alpha[y0 - y:y1 - y, x0 - x:x1 - x]
    fg = sprite.bgr[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)
    if gain is not None:
        fg = fg * gain
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - a[..., None]) + fg * a[..., None]
    cover[y0:y1, x0:x1] = a
    return cover
