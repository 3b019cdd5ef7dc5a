"""Untrusted bytes: every bad image gets a clear ImageError, never a crash or a partial picture."""

import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.errors import ImageError
from edge.vision.image import decode_image, read_image

IMAGES = Path(__file__).resolve().parents[1] / "images"


def _jpeg() -> bytes:
    return (IMAGES / "ro-B58DTK.jpg").read_bytes()


def test_real_jpeg_decodes_to_bgr() -> None:
    image = decode_image(_jpeg())
    assert image.shape == (540, 960, 3) and image.dtype == np.uint8


def test_empty_bytes() -> None:
    with pytest.raises(ImageError, match="empty"):
        decode_image(b"")


def test_truncated_jpeg() -> None:
    data = _jpeg()
    with pytest.raises(ImageError, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_bytes_that_are_no_image() -> None:
    with pytest.raises(ImageError, match="not a readable image"):
        decode_image(b"GIF89a but really just text " * 50)


def test_png_with_alpha_becomes_three_channels() -> None:
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., 1] = 200
    rgba[..., 3] = 128
    ok, png = cv2.imencode(".png", rgba)
    assert ok
    image = decode_image(png.tobytes())
    assert image.shape == (40, 60, 3) and image[0, 0, 1] == 200


def test_grey_and_sixteen_bit_images_become_bgr() -> None:
    ok, grey = cv2.imencode(".png", np.full((30, 50), 77, np.uint8))
    assert ok
    assert decode_image(grey.tobytes()).shape == (30, 50, 3)
    ok, deep = cv2.imencode(".png", np.full((30, 50), 65535, np.uint16))
    assert ok
    image = decode_image(deep.tobytes())
    assert image.dtype == np.uint8 and image.max() == 255


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size: the check must refuse it before decoding anything."""
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + len(ihdr).to_bytes(4, "big") + chunk + zlib.crc32(chunk).to_bytes(4, "big")


def test_20000_by_20000_png_is_refused_before_decoding() -> None:
    with pytest.raises(ImageError, match="20000x20000"):
        decode_image(_png_header_only(20000, 20000) + b"\0" * 100)


def test_20000_by_20000_jpeg_is_refused_before_decoding() -> None:
    data = bytearray(_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (20000).to_bytes(2, "big") + (20000).to_bytes(2, "big")
    with pytest.raises(ImageError, match="20000x20000"):
        decode_image(bytes(data))


def test_real_large_image_over_the_pixel_limit() -> None:
    ok, png = cv2.imencode(".png", np.zeros((300, 400, 3), np.uint8))
    assert ok
    with pytest.raises(ImageError, match="too large"):
        decode_image(png.tobytes(), max_pixels=100_000)


def test_read_image_of_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_image(tmp_path / "nope.jpg")
