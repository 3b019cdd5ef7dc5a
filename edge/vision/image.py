"""Turning untrusted bytes into a BGR frame, with a clear error for anything unusable."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.image_header import header_size, sniff
from edge.vision.errors import ImageError

MAX_PIXELS = 50_000_000  # 50 megapixels: larger than any camera frame, far below a decompression bomb
MAX_BYTES = 64 * 1024 * 1024


def _check_header(data: bytes, max_pixels: int) -> None:
    kind = sniff(data)
    if kind == "jpeg" and b"\xff\xd9" not in data[-4096:]:
        raise ImageError("truncated JPEG: the end-of-image marker is missing")
    size = header_size(kind, data) if kind is not None else None
    if size is not None and size[0] * size[1] > max_pixels:
        raise ImageError(f"image too large: {size[0]}x{size[1]} pixels, the limit is {max_pixels}")


def _to_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        scale = 255.0 / max(1.0, float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0)
        image = np.clip(image.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    return image


def decode_image(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode JPEG, PNG, BMP, WebP or TIFF bytes into an HxWx3 BGR uint8 array.

    Raises ``ImageError`` with a reason a person can act on; never returns a partial picture.
    """
    if not data:
        raise ImageError("empty file")
    if len(data) > MAX_BYTES:
        raise ImageError(f"file too large: {len(data)} bytes, the limit is {MAX_BYTES}")
    _check_header(data, max_pixels)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError("not a readable image (JPEG, PNG, BMP, WebP or TIFF expected)")
    if image.shape[0] * image.shape[1] > max_pixels:
        raise ImageError(f"image too large: {image.shape[1]}x{image.shape[0]} pixels, the limit is {max_pixels}")
    return _to_bgr(image)


def read_image(path: Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read and decode an image file; ``ImageError`` when it cannot be used, ``OSError`` when unreadable."""
    if path.stat().st_size > MAX_BYTES:
        raise ImageError(f"file too large: {path.stat().st_size} bytes, the limit is {MAX_BYTES}")
    return decode_image(path.read_bytes(), max_pixels)
