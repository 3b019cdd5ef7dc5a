"""Reader samples: a rendered plate cut out as the run-time reader cuts it, with its character boxes."""

from __future__ import annotations

import numpy as np

from edge.training.render.pixels import Floats, Image8, PixelBox, ReaderBox
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_rendering import clip_box, render_plate
from edge.training.render.plate_types import CharBox, EffectConfig
from edge.training.render.random_draws import Rng
from edge.vision.charset import CHARSET
from edge.vision.crop import crop_plate


def _detector_box(rng: Rng, quad: Floats, w: int, h: int) -> PixelBox:
    """The plate's bounding box as a detector would give it: off by a few per cent on each side."""
    x1, y1 = (float(v) for v in quad.min(axis=0))
    x2, y2 = (float(v) for v in quad.max(axis=0))
    bw, bh = x2 - x1, y2 - y1
    jx = np.clip(rng.normal(0, 0.025, 2), -0.06, 0.06) * bw
    jy = np.clip(rng.normal(0, 0.04, 2), -0.1, 0.1) * bh
    return (max(0.0, x1 + jx[0]), max(0.0, y1 + jy[0]), min(float(w), x2 + jx[1]), min(float(h), y2 + jy[1]))


def _kept_share(before: CharBox, after: CharBox) -> float:
    area = (before.x2 - before.x1) * (before.y2 - before.y1)
    return (after.x2 - after.x1) * (after.y2 - after.y1) / area if area > 0 else 0.0


def reader_sample(rng: np.random.Generator, background: Image8 | None, *, layout: str | None = None,
                  text: str | None = None, fonts: FontSet | None = None,
                  config: EffectConfig | None = None) -> tuple[Image8, list[ReaderBox]]:
    """A plate set into ``background`` (a photo, of which a random patch is used; None: a synthetic texture)
    and cut out as at run time: :func:`crop_plate` of a jittered plate box. Boxes are in crop pixels."""
    plate = render_plate(rng, layout, text, True, config=config, fonts=fonts, background=background)
    h, w = plate.image.shape[:2]
    for _ in range(8):
        cut = crop_plate(plate.image, _detector_box(rng, plate.plate_quad, w, h))
        ch, cw = cut.pixels.shape[:2]
        moved = [CharBox(b.char, b.x1 - cut.x0, b.y1 - cut.y0, b.x2 - cut.x0, b.y2 - cut.y0) for b in plate.char_boxes]
        clipped = [clip_box(b, cw, ch) for b in moved]
        if all(_kept_share(b, c) > 0.8 for b, c in zip(moved, clipped, strict=True)):
            break
    boxes = [(CHARSET.index(b.char), b.x1, b.y1, b.x2, b.y2) for b in clipped]
    return np.ascontiguousarray(cut.pixels), boxes
