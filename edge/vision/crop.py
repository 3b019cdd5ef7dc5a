"""Cutting a plate out of a frame: the same geometry at run time and when building training crops."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Margin added around a detected plate box, as a share of its width and height. The character
# model is trained on crops cut the same way, so change both together.
PAD_X = 0.08
PAD_Y = 0.15


@dataclass(frozen=True)
class PlateCrop:
    """Pixels of one plate and where they came from in the frame."""

    pixels: np.ndarray  # HxWx3 BGR uint8
    x0: int  # left of the crop in frame pixels
    y0: int  # top of the crop in frame pixels


def padded_box(box: tuple[float, float, float, float], width: int, height: int,
               pad_x: float = PAD_X, pad_y: float = PAD_Y) -> tuple[int, int, int, int]:
    """The plate box grown by the margins and clipped to the frame, as integer x1, y1, x2, y2."""
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    left = max(0, int(np.floor(x1 - bw * pad_x)))
    top = max(0, int(np.floor(y1 - bh * pad_y)))
    right = min(width, int(np.ceil(x2 + bw * pad_x)))
    bottom = min(height, int(np.ceil(y2 + bh * pad_y)))
    return left, top, max(right, left + 1), max(bottom, top + 1)


def crop_plate(image: np.ndarray, box: tuple[float, float, float, float],
               pad_x: float = PAD_X, pad_y: float = PAD_Y) -> PlateCrop:
    """Cut the padded plate box out of ``image`` (a view, not a copy)."""
    h, w = image.shape[:2]
    left, top, right, bottom = padded_box(box, w, h, pad_x, pad_y)
    return PlateCrop(image[top:bottom, left:right], left, top)
