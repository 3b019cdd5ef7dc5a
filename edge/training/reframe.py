"""Real training crops for the reader, written as cut from the label and again from moved boxes.

At run time the reader sees the detector's box, not the person's: looser, tighter or off to one side,
and an unsure plate is read again from a wider and a tighter crop. A reader trained only on crops cut
from labelled boxes read 112 of 154 held-out crops alone but 106 end to end (models/README.md, "Sixth
session"). So each real crop whose characters are boxed is also written ``REFRAMES`` more times, cut
(as at run time, :func:`edge.vision.crop.crop_plate`) around the plate box with each edge moved at
random by up to ``SHIFT_X`` of the plate's width or ``SHIFT_Y`` of its height, with its character
boxes carried along. A cut that would clip a character by more than ``MAX_CLIPPED`` is not written.
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy.typing as npt

from edge.vision.charset import CHARSET
from edge.vision.crop import crop_plate

CharBox = tuple[str, float, float, float, float]  # character, x1, y1, x2, y2 in pixels
Box = tuple[float, float, float, float]  # x1, y1, x2, y2
Image = npt.NDArray[Any]

REFRAMES = 2  # moved cuts written beside each crop cut from its label
SHIFT_X = 0.08  # most a left or right edge moves, as a share of the plate's width (PAD_X)
SHIFT_Y = 0.15  # most a top or bottom edge moves, as a share of the plate's height (PAD_Y)
MAX_CLIPPED = 0.1  # share of a character's width or height a cut may clip before it is dropped
JPEG_QUALITY = 95


def moved_box(plate: Box, rng: random.Random, shift_x: float = SHIFT_X, shift_y: float = SHIFT_Y) -> Box:
    """``plate`` with each edge moved by a uniform share of its width (x) or height (y)."""
    x1, y1, x2, y2 = plate
    w, h = x2 - x1, y2 - y1
    return (x1 + rng.uniform(-shift_x, shift_x) * w, y1 + rng.uniform(-shift_y, shift_y) * h,
            x2 + rng.uniform(-shift_x, shift_x) * w, y2 + rng.uniform(-shift_y, shift_y) * h)


def _clipped(char: CharBox, width: int, height: int) -> CharBox | None:
    """The box clipped to the crop, or None when that cuts off more than MAX_CLIPPED of it."""
    c, x1, y1, x2, y2 = char
    cx1, cy1, cx2, cy2 = max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2)
    if cx2 - cx1 < (1 - MAX_CLIPPED) * (x2 - x1) or cy2 - cy1 < (1 - MAX_CLIPPED) * (y2 - y1):
        return None
    return c, cx1, cy1, cx2, cy2


def cut(frame: Image, plate: Box, chars: list[CharBox]) -> tuple[Image, list[CharBox]] | None:
    """The run-time crop around ``plate`` and ``chars`` (frame pixels) moved into it; None if one is clipped."""
    crop = crop_plate(frame, plate)
    height, width = crop.pixels.shape[:2]
    moved = [_clipped((c, x1 - crop.x0, y1 - crop.y0, x2 - crop.x0, y2 - crop.y0), width, height)
             for c, x1, y1, x2, y2 in chars]
    kept = [m for m in moved if m is not None]
    return (crop.pixels, kept) if len(kept) == len(chars) else None


def yolo_lines(chars: list[CharBox], width: int, height: int) -> str:
    """One ``class cx cy w h`` line per character box (normalised), classes from CHARSET."""
    lines = []
    for c, x1, y1, x2, y2 in chars:
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        lines.append(f"{CHARSET.index(c)} {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}\n")
    return "".join(lines)


def write_crop(out: Path, name: str, crop: Image, chars: list[CharBox]) -> None:
    """``out/images/<name>.jpg`` and its YOLO label ``out/labels/<name>.txt`` (boxes in crop pixels)."""
    cv2.imwrite(str(out / "images" / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    (out / "labels" / f"{name}.txt").write_text(yolo_lines(chars, crop.shape[1], crop.shape[0]))


def write_reframed(out: Path, name: str, frame: Image, plate: Box, chars: list[CharBox], *,
                   origin: tuple[int, int] = (0, 0), count: int = REFRAMES) -> int:
    """Write up to ``count`` moved cuts as ``<name>__r<k>``; returns how many.

    ``chars`` are in the pixels of a crop whose top left corner lies at ``origin`` in ``frame``. The moves
    are drawn from a generator seeded by ``name``, so a rebuilt set is the same set.
    """
    x0, y0 = origin
    in_frame = [(c, x1 + x0, y1 + y0, x2 + x0, y2 + y0) for c, x1, y1, x2, y2 in chars]
    rng = random.Random(zlib.crc32(name.encode()))
    written = 0
    for k in range(1, count + 1):
        result = cut(frame, moved_box(plate, rng), in_frame)
        if result is not None:
            write_crop(out, f"{name}__r{k}", *result)
            written += 1
    return written
