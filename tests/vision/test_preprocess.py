import numpy as np

from edge.vision.preprocess import PAD_VALUE, letterbox


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
