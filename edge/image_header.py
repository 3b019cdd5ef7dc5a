"""Image format and size read from the first bytes, without decoding pixels (decompression bombs).

A leaf module (stdlib only), shared by everything that takes image bytes from outside: the plate
reader's decoder, the API's uploads and the snapshot-folder cameras.
"""

from __future__ import annotations

import struct

JPEG_START = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_STANDALONE = {0xD8, 0x01, *range(0xD0, 0xD8)}
_JPEG_FRAME_MARKERS = {m for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC)}


def sniff(data: bytes) -> str | None:
    """The format the bytes start like ("jpeg", "png", "bmp", "webp"), or None."""
    if data[:3] == JPEG_START:
        return "jpeg"
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:2] == b"BM" and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def header_size(kind: str, data: bytes) -> tuple[int, int] | None:
    """(width, height) from the file header of a ``sniff`` kind; None when the header is unreadable."""
    try:
        if kind == "jpeg":
            return jpeg_size(data)
        if kind == "png":
            return struct.unpack(">II", data[16:24]) if data[12:16] == b"IHDR" else None
        if kind == "bmp":
            return _bmp_size(data)
        if kind == "webp":
            return _webp_size(data)
    except struct.error:
        return None
    return None


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first start-of-frame segment; None for corrupt segments or no frame."""
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in _JPEG_STANDALONE:
            index += 2
            continue
        if marker in (0xDA, 0xD9):  # scan data or end: no frame header before it
            return None
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in _JPEG_FRAME_MARKERS:
            if index + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        if length < 2:
            return None
        index += 2 + length
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
