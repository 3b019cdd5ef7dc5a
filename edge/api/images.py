"""Uploaded images: recognised by their bytes (never by name or declared type), sized from the header before
anything is decoded (decompression bombs), then decoded by OpenCV into a BGR frame.

Accepted: JPEG, PNG, BMP and WebP up to ``MAX_PIXELS``. Alpha is dropped, grey becomes BGR.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

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


def sniff(data: bytes) -> str | None:
    """The format the bytes start like, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:2] == b"BM" and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


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


def header_size(kind: str, data: bytes) -> tuple[int, int] | None:
    """(width, height) from the file header, without decoding pixels."""
    try:
        if kind == "jpeg":
            return _jpeg_size(data)
        if kind == "png":
            return struct.unpack(">II", data[16:24]) if data[12:16] == b"IHDR" else None
        if kind == "bmp":
            return _bmp_size(data)
        return _webp_size(data)
    except struct.error:
        return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        if length < 2:
            return None
        i += 2 + length
    return None


def _bmp_size(data: bytes) -> tuple[int, int]:
    header = struct.unpack("<I", data[14:18])[0]
    if header == 12:  # BITMAPCOREHEADER
        width, height = struct.unpack("<HH", data[18:22])
        return width, height
    width, height = struct.unpack("<ii", data[18:26])
    return abs(width), abs(height)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = struct.unpack("<I", data[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


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
