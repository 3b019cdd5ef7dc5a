"""Upload checks: formats known by their bytes, sizes read from headers before decoding, decoding to BGR."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.api.images import ImageRejected, decode_upload, header_size, media_type, sniff, storable
from edge.storage.history import MAX_IMAGE_BYTES
from tests.api.conftest import CAR


def encoded(ext: str, width: int = 64, height: int = 48, channels: int = 3) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (height, width, channels), np.uint8)
    ok, data = cv2.imencode(ext, pixels)
    assert ok
    return bytes(data.tobytes())


@pytest.mark.parametrize(("ext", "kind"), [(".jpg", "jpeg"), (".png", "png"), (".bmp", "bmp"), (".webp", "webp")])
def test_each_format_is_known_by_its_bytes_and_sized_from_its_header(ext: str, kind: str) -> None:
    data = encoded(ext, 64, 48)
    assert sniff(data) == kind and media_type(data) == f"image/{kind}"
    assert tuple(header_size(kind, data) or ()) == (64, 48)
    image = decode_upload(data)
    assert (image.kind, image.width, image.height, image.pixels.shape) == (kind, 64, 48, (48, 64, 3))


def test_lossless_webp_and_grey_and_alpha_become_bgr() -> None:
    lossless = cv2.imencode(".webp", np.zeros((30, 40, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101])[1].tobytes()
    assert header_size("webp", lossless) == (40, 30)
    assert decode_upload(encoded(".png", 20, 10, 1)).pixels.shape == (10, 20, 3)
    assert decode_upload(encoded(".png", 20, 10, 4)).pixels.shape == (10, 20, 3)


def test_a_header_beyond_50_megapixels_is_refused_before_decoding() -> None:
    data = bytearray(encoded(".png", 10, 10))
    data[16:24] = (20000).to_bytes(4, "big") * 2
    with pytest.raises(ImageRejected, match="20000x20000") as refused:
        decode_upload(bytes(data))
    assert refused.value.status == 413


def test_a_jpeg_header_beyond_the_limit() -> None:
    with pytest.raises(ImageRejected, match="too large"):
        decode_upload(CAR.read_bytes(), max_pixels=960 * 540 - 1)


@pytest.mark.parametrize("data", [b"GIF89a....", b"II*\x00tiff", b"%PDF-1.7", b"\x00" * 100, b"BM", b"RIFF\x00\x00"])
def test_other_bytes_are_not_images(data: bytes) -> None:
    with pytest.raises(ImageRejected) as refused:
        decode_upload(data)
    assert refused.value.status == 415


def test_storable_keeps_small_uploads_and_shrinks_huge_ones() -> None:
    small = decode_upload(CAR.read_bytes())
    assert storable(small) == CAR.read_bytes()
    noise = np.random.default_rng(2).integers(0, 255, (2500, 2500, 3), np.uint8)
    huge = decode_upload(cv2.imencode(".png", noise)[1].tobytes())
    assert len(huge.data) > MAX_IMAGE_BYTES
    kept = storable(huge)
    assert len(kept) <= MAX_IMAGE_BYTES and sniff(kept) == "jpeg"
