"""Pure checks and decoding of a JPEG or PNG snapshot, refusing truncated files and absurd sizes before decoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

SNAPSHOT_SUFFIXES = (".jpg", ".jpeg", ".png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"
_JPEG_FRAME_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_TRAILING_PADDING = b"\x00\r\n\t "


class SnapshotError(ValueError):
    """Why a snapshot could not become a frame."""


class SnapshotIncomplete(SnapshotError):
    """The file has no end marker: it may still be being written."""


@dataclass(frozen=True)
class SnapshotInfo:
    kind: str  # "jpeg" or "png"
    width: int
    height: int
    complete: bool  # the end marker is there (a file still being written has none)


def inspect_snapshot(data: bytes) -> SnapshotInfo:
    """Format, size and completeness read from the header and tail only; SnapshotError when unusable."""
    if data.startswith(PNG_SIGNATURE):
        return _inspect_png(data)
    if data.startswith(JPEG_START):
        return _inspect_jpeg(data)
    raise SnapshotError("neither a JPEG nor a PNG image")


def decode_snapshot(data: bytes, max_pixels: int) -> npt.NDArray[np.uint8]:
    """The snapshot as BGR uint8. Refuses (SnapshotError) a truncated file, or one over ``max_pixels``."""
    info = inspect_snapshot(data)
    if info.width <= 0 or info.height <= 0:
        raise SnapshotError(f"{info.kind} header gives an empty size {info.width}x{info.height}")
    if info.width * info.height > max_pixels:
        raise SnapshotError(f"{info.kind} of {info.width}x{info.height} pixels is over the limit of {max_pixels}")
    if not info.complete:
        raise SnapshotIncomplete(f"{info.kind} is truncated (no end marker)")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.ndim != 3 or image.shape[2] != 3:
        raise SnapshotError(f"{info.kind} could not be decoded")
    return cast(npt.NDArray[np.uint8], image)


def _inspect_png(data: bytes) -> SnapshotInfo:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise SnapshotError("PNG without an IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    return SnapshotInfo("png", width, height, complete=b"IEND" in data[-32:])


def _inspect_jpeg(data: bytes) -> SnapshotInfo:
    width, height = _jpeg_size(data)
    complete = data.rstrip(_TRAILING_PADDING).endswith(JPEG_END)
    return SnapshotInfo("jpeg", width, height, complete)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the first start-of-frame segment."""
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            raise SnapshotError("JPEG segments are corrupt")
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in _JPEG_STANDALONE:
            index += 2
            continue
        if marker in (0xDA, 0xD9):
            break
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in _JPEG_FRAME_MARKERS:
            if index + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        if length < 2:
            raise SnapshotError("JPEG segments are corrupt")
        index += 2 + length
    raise SnapshotError("JPEG without a frame header")
