"""Pixel and box types, and conversion of arrays to uint8 and float32 pixels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Image8 = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]
RGB = tuple[int, int, int]
ReaderBox = tuple[int, float, float, float, float]  # class index into CHARSET, x1, y1, x2, y2 in crop pixels
PixelBox = tuple[float, float, float, float]  # x1, y1, x2, y2


def u8(a: object) -> Image8:
    return np.clip(np.asarray(a, dtype=np.float32), 0, 255).astype(np.uint8)


def f32(a: object) -> Floats:
    return np.asarray(a, dtype=np.float32)
