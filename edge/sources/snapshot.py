"""Pure checks and decoding of a JPEG or PNG snapshot, refusing truncated files and absurd sizes before decoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from edge.image_header import jpeg_size

SNAPSHOT_SUFFIXES = (".jpg", ".jpeg", ".png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"
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
    size = jpeg_size(data)
    if size is None:
        raise SnapshotError("JPEG segments are corrupt or hold no frame header")
    width, height = size
    complete = data.rstrip(_TRAILING_PADDING).endswith(JPEG_END)
    return SnapshotInfo("jpeg", width, height, complete)
