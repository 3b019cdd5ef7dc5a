"""A contact sheet of rendered plates or reader crops with their character boxes drawn on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from edge.training.render.photo_backgrounds import plate_free_photo
from edge.training.render.pixels import Image8, PixelBox, u8
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_layouts import LAYOUTS
from edge.training.render.plate_rendering import render_plate
from edge.training.render.random_draws import pick
from edge.training.render.reader_samples import reader_sample
from edge.vision.charset import CHARSET


def _tile(image: Image8, boxes: Sequence[PixelBox], caption: str, size: tuple[int, int] = (300, 190)) -> Image8:
    tw, th = size
    s = min(tw / image.shape[1], (th - 16) / image.shape[0])
    scaled = u8(cv2.resize(image, (max(1, round(image.shape[1] * s)), max(1, round(image.shape[0] * s))),
                           interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR))
    tile = np.full((th, tw, 3), 60, np.uint8)
    tile[:scaled.shape[0], :scaled.shape[1]] = scaled
    for x1, y1, x2, y2 in boxes:
        corner = (int(np.ceil(x2 * s)) - 1, int(np.ceil(y2 * s)) - 1)
        cv2.rectangle(tile, (int(x1 * s), int(y1 * s)), corner, (0, 230, 0), 1)
    cv2.putText(tile, caption, (3, th - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 255, 255), 1, cv2.LINE_AA)
    return tile


def draw_sheet(out: Path, seed: int = 0, *, count: int = 48, effects: bool = True, reader: bool = False,
               backgrounds: Sequence[Path] = ()) -> None:
    """A contact sheet of rendered plates (or reader crops) with their character boxes, 8 to a row."""
    rng = np.random.default_rng(seed)
    fonts = FontSet.find()
    tiles = []
    for i in range(count):
        layout = LAYOUTS[i % len(LAYOUTS)]
        if reader:
            photo = plate_free_photo(rng, pick(rng, backgrounds)) if backgrounds else None
            crop, rboxes = reader_sample(rng, photo, layout=layout, fonts=fonts)
            text = "".join(CHARSET[c] for c, *_ in rboxes)
            tiles.append(_tile(crop, [b[1:] for b in rboxes], f"{layout} {text}"))
        else:
            plate = render_plate(rng, layout, effects=effects, fonts=fonts)
            boxes = [(b.x1, b.y1, b.x2, b.y2) for b in plate.char_boxes]
            tiles.append(_tile(plate.image, boxes, f"{layout} {plate.text}"))
    tiles += [np.full_like(tiles[0], 60)] * (-len(tiles) % 8)
    rows = [np.hstack(tiles[i:i + 8]) for i in range(0, len(tiles), 8)]
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), np.vstack(rows))
