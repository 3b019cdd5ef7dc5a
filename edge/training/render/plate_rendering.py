"""One plate rendered: drawn, weathered, mounted, warped, set in its surroundings and photographed."""

from __future__ import annotations

import cv2
import numpy as np

from edge.training.render.camera_effects import camera
from edge.training.render.photo_backgrounds import photo_patch, texture
from edge.training.render.pixels import Image8, u8
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_layouts import draw_plate
from edge.training.render.plate_mounting import flat_sprite, mounted
from edge.training.render.plate_types import CharBox, EffectConfig, FlatPlate, RenderedPlate
from edge.training.render.random_draws import Rng, loguni, uni
from edge.training.render.sprite_warping import paste, shifted, warp
from edge.training.render.surface_effects import surface


def clip_box(box: CharBox, w: int, h: int) -> CharBox:
    return CharBox(box.char, float(np.clip(box.x1, 0, w)), float(np.clip(box.y1, 0, h)), float(np.clip(box.x2, 0, w)),
                   float(np.clip(box.y2, 0, h)))


def _median_char_height(flat: FlatPlate) -> float:
    return float(np.median([g.y2 - g.y1 for g in flat.glyphs])) if flat.glyphs else float(flat.alpha.shape[0]) / 2


def _render(rng: Rng, flat: FlatPlate, cfg: EffectConfig | None, background: Image8 | None) -> RenderedPlate:
    """Warp the flat plate (``cfg`` None: as drawn), set it in its surroundings and photograph it."""
    sprite = mounted(rng, flat) if cfg is not None else flat_sprite(flat)
    scale = loguni(rng, 10, 64) / _median_char_height(flat) if cfg is not None else 1.0
    placed = warp(rng, sprite, min(scale, 1.3), cfg)
    lo, hi = placed.quad.min(axis=0), placed.quad.max(axis=0)
    qw, qh = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    mx, my = int(qw * uni(rng, 0.2, 0.45)) + 4, int(qh * uni(rng, 0.35, 0.8)) + 4
    w, h = int(np.ceil(qw)) + 2 * mx, int(np.ceil(qh)) + 2 * my
    surround = photo_patch(rng, background, h, w) if background is not None else texture(rng, h, w)
    canvas = surround.astype(np.float32)
    dx, dy = round(mx - float(lo[0])), round(my - float(lo[1]))
    paste(canvas, placed, dx, dy)
    quad, boxes = shifted(placed, dx, dy)
    plate_mask = np.zeros((h, w), np.float32)
    cv2.fillConvexPoly(plate_mask, np.round(quad).astype(np.int32), 1.0)
    char_h = float(np.median([b.y2 - b.y1 for b in boxes])) if boxes else qh / 2
    image = camera(rng, u8(canvas), plate_mask, char_h, cfg) if cfg is not None else u8(canvas)
    return RenderedPlate(image, flat.text, flat.layout, flat.rows, tuple(clip_box(b, w, h) for b in boxes), quad)


def render_plate(rng: np.random.Generator, layout: str | None = None, text: str | None = None, effects: bool = True,
                 *, config: EffectConfig | None = None, fonts: FontSet | None = None,
                 background: Image8 | None = None) -> RenderedPlate:
    """One random plate (or one reading ``text``) on a synthetic background, or on a patch of ``background``.

    ``text`` is drawn exactly: characters 0-9 and A-Z, optional separators (space, "-", ".", "@" for
    an emblem) and "|" between rows; it is split into rows as the layout needs. ``effects=False``
    gives the clean, front-on plate at its drawing size.
    """
    fonts = fonts or FontSet.find()
    cfg = (config or EffectConfig()) if effects else None
    flat = draw_plate(rng, layout, text, fonts)
    if cfg is not None:
        flat = surface(rng, flat, cfg)
    return _render(rng, flat, cfg, background)
