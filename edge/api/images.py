"""Uploaded images: recognised by their bytes (never by name or declared type), sized from the header before
anything is decoded (decompression bombs), then decoded by OpenCV into a BGR frame.

Accepted: JPEG, PNG, BMP and WebP up to ``MAX_PIXELS``. Alpha is dropped, grey becomes BGR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.image_header import header_size, sniff
from edge.storage.history import MAX_IMAGE_BYTES

MAX_PIXELS = 50_000_000  # 50 megapixels
FORMATS = "JPEG, PNG, BMP or WebP"


class ImageRejected(ValueError):
    """The bytes are not an image the API takes; ``status`` is the HTTP answer (400, 413 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, eq=False)
class DecodedImage:
    data: bytes  # as uploaded
    kind: str  # "jpeg", "png", "bmp" or "webp"
    pixels: npt.NDArray[np.uint8]  # H x W x 3, BGR

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def media_type(data: bytes) -> str:
    kind = sniff(data)
    return f"image/{kind}" if kind else "application/octet-stream"


def decode_upload(data: bytes, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Check and decode; ImageRejected names what is wrong."""
    if not data:
        raise ImageRejected(400, "the image file is empty")
    kind = sniff(data)
    if kind is None:
        raise ImageRejected(415, f"not an image: send a {FORMATS} file")
    size = header_size(kind, data)
    if size is None:
        raise ImageRejected(415, f"unreadable {kind.upper()} header")
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageRejected(415, f"the {kind.upper()} header gives no picture size")
    if width * height > max_pixels:
        raise ImageRejected(413, f"image too large: {width}x{height} pixels, at most {max_pixels // 1_000_000} MP")
    if kind == "jpeg" and b"\xff\xd9" not in data[-4096:]:
        raise ImageRejected(415, "truncated JPEG: the end-of-image marker is missing")
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None or pixels.size == 0 or pixels.ndim != 3:
        raise ImageRejected(415, f"the {kind.upper()} file cannot be decoded")
    if pixels.shape[0] * pixels.shape[1] > max_pixels:  # the header lied
        raise ImageRejected(413, "image too large")
    return DecodedImage(data, kind, np.ascontiguousarray(pixels, dtype=np.uint8))


def storable(image: DecodedImage, quality: int = 90) -> bytes:
    """What goes in the ``images`` table: the upload itself when it fits, else a JPEG of it (smaller each try)."""
    if len(image.data) <= MAX_IMAGE_BYTES:
        return image.data
    pixels: np.ndarray[Any, Any] = image.pixels
    while True:
        ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(encoded) <= MAX_IMAGE_BYTES:
            return encoded.tobytes()
        pixels = cv2.resize(pixels, (max(1, pixels.shape[1] // 2), max(1, pixels.shape[0] // 2)),
                            interpolation=cv2.INTER_AREA)
