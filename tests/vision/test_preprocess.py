import numpy as np
import pytest

from edge.vision.preprocess import PAD_VALUE, fit_shape, letterbox


def test_letterbox_wide_image_is_centred_vertically() -> None:
    image = np.zeros((100, 400, 3), np.uint8)
    image[:, :, 2] = 255  # red in BGR
    blob, fit = letterbox(image, 320, 320)
    assert blob.shape == (1, 3, 320, 320)
    assert blob.dtype == np.float32
    assert fit.scale == 0.8
    assert fit.pad_x == 0 and fit.pad_y == 120
    # RGB order: channel 0 is red.
    assert blob[0, 0, 160, 160] == 1.0 and blob[0, 2, 160, 160] == 0.0
    assert np.isclose(blob[0, 0, 10, 160], PAD_VALUE / 255)


def test_letterbox_non_square_input_keeps_height_and_width_apart() -> None:
    image = np.zeros((300, 100, 3), np.uint8)
    blob, fit = letterbox(image, 96, 256)
    assert blob.shape == (1, 3, 96, 256)
    assert np.isclose(fit.scale, 96 / 300)
    assert fit.pad_y == 0 and fit.pad_x > 100


def test_letterbox_upscales_tiny_crops() -> None:
    blob, fit = letterbox(np.full((10, 40, 3), 200, np.uint8), 256, 256)
    assert fit.scale == 6.4
    assert blob.shape == (1, 3, 256, 256)


@pytest.mark.parametrize(("height", "width", "size", "expected"), [
    (1080, 1920, 512, (288, 512)),  # a 16:9 camera frame: 44 % fewer pixels than the square
    (1920, 1080, 512, (512, 288)),  # the same frame upright
    (1024, 1024, 512, (512, 512)),  # a square stays square
    (761, 1024, 512, (384, 512)),  # 380.5 rows round up to the stride
    (50, 200, 256, (64, 256)),  # a 4:1 plate crop
    (1, 5000, 512, (32, 512)),  # a sliver still gets one stride
    (10, 40, 256, (64, 256)),  # a tiny crop is scaled up as the square letterbox scales it
])
def test_fit_shape_keeps_the_square_scale_and_pads_to_the_stride(
        height: int, width: int, size: int, expected: tuple[int, int]) -> None:
    assert fit_shape(height, width, size) == expected
    rows, columns = expected
    assert rows % 32 == 0 and columns % 32 == 0
    _, fit = letterbox(np.zeros((height, width, 3), np.uint8), rows, columns)
    _, square = letterbox(np.zeros((height, width, 3), np.uint8), size, size)
    assert fit.scale == square.scale  # the model sees the picture at the size it would in the square


@pytest.mark.parametrize(("height", "width", "size"), [(0, 10, 512), (10, 0, 512), (10, 10, 16)])
def test_fit_shape_refuses_what_cannot_be_fitted(height: int, width: int, size: int) -> None:
    with pytest.raises(ValueError, match="cannot fit"):
        fit_shape(height, width, size)
