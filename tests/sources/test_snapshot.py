"""Snapshot checks before decoding: format, size from the header, completeness; hostile bytes."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from edge.sources.snapshot import SnapshotError, SnapshotIncomplete, decode_snapshot, inspect_snapshot


def encoded(suffix: str, width: int = 40, height: int = 30) -> bytes:
    ok, data = cv2.imencode(suffix, np.full((height, width, 3), 128, np.uint8))
    assert ok
    return data.tobytes()


def png_with_size(width: int, height: int) -> bytes:
    body = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(body)) + b"IHDR" + body + struct.pack(">I", zlib.crc32(b"IHDR" + body))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"\0\0\0\0IEND\xaeB`\x82"


def jpeg_with_size(width: int, height: int) -> bytes:
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + b"\xff\xe0\x00\x04ab" + frame + b"\xff\xd9"


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_real_pictures_decode_to_bgr_with_their_size(suffix: str) -> None:
    data = encoded(suffix, 40, 30)
    info = inspect_snapshot(data)
    assert (info.width, info.height, info.complete) == (40, 30, True)
    assert decode_snapshot(data, max_pixels=10_000).shape == (30, 40, 3)


def test_a_progressive_jpeg_size_is_read_too() -> None:
    ok, data = cv2.imencode(".jpg", np.zeros((33, 77, 3), np.uint8), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert ok
    assert (inspect_snapshot(data.tobytes()).width, inspect_snapshot(data.tobytes()).height) == (77, 33)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_half_written_file_is_incomplete(suffix: str) -> None:
    data = encoded(suffix, 200, 100)
    with pytest.raises(SnapshotIncomplete):
        decode_snapshot(data[: len(data) // 2], max_pixels=10**6)


@pytest.mark.parametrize("data", [png_with_size(100_000, 100_000), jpeg_with_size(65_535, 65_535),
                                  png_with_size(2**31, 3)])
def test_enormous_headers_are_refused_before_decoding(data: bytes) -> None:
    with pytest.raises(SnapshotError, match="over the limit"):
        decode_snapshot(data, max_pixels=40_000_000)


@pytest.mark.parametrize("data", [
    b"", b"GIF89a", b"\xff\xd8", b"\xff\xd8\x00\x00\x00", b"\xff\xd8\xff\xe0\x00\x01",
    b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDX" + b"\0" * 20,
    png_with_size(0, 10), b"\xff\xd8" + b"\xff\xe0\xff\xff" + b"\0" * 100,
    b"\xff\xd8\xff\xda\x00\x02\xff\xd9", bytes(range(256)) * 40,
])
def test_garbage_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(SnapshotError):
        decode_snapshot(data, max_pixels=10**6)


def test_a_well_formed_header_with_a_broken_body_is_refused() -> None:
    data = encoded(".jpg", 64, 48)
    broken = data[:200] + bytes(len(data) - 202) + b"\xff\xd9"
    with pytest.raises(SnapshotError, match="could not be decoded"):
        decode_snapshot(broken, max_pixels=10**6)
