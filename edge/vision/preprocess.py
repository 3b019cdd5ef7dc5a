"""Pure image preparation for YOLO models: letterbox into the model's input."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114  # the grey ultralytics pads with
STRIDE = 32  # the coarsest YOLOv8 feature map: a dynamic-shape input must be a multiple of it


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model input, to map boxes back."""

    scale: float
    pad_x: float
    pad_y: float


def letterbox(image: np.ndarray, height: int, width: int) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio, centre on grey; returns a 1x3xHxW RGB float32 blob in 0..1."""
    ih, iw = image.shape[:2]
    scale = min(height / ih, width / iw)
    nh, nw = max(1, round(ih * scale)), max(1, round(iw * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interpolation) if (nh, nw) != (ih, iw) else image
    pad_y, pad_x = (height - nh) / 2, (width - nw) / 2
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    canvas = np.full((height, width, 3), PAD_VALUE, np.uint8)
    canvas[top : top + nh, left : left + nw] = resized
    blob = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return np.ascontiguousarray(blob), Letterbox(scale, float(left), float(top))


def fit_shape(height: int, width: int, size: int, stride: int = STRIDE) -> tuple[int, int]:
    """The smallest input of a dynamic-shape model that holds an image scaled as into a ``size`` square.

    The image keeps the scale the square letterbox gives it (its long side becomes ``size``); only
    the padding on the short side shrinks, to the next multiple of ``stride``. A 1920x1080 frame
    into a 512 model becomes 512x288 (288 rows, 512 columns), a 4:1 plate crop into a 256 model 256x64.
    """
    if height < 1 or width < 1 or size < stride:
        raise ValueError(f"cannot fit {width}x{height} into {size} with stride {stride}")
    scale = size / max(height, width)
    rows, columns = max(1, round(height * scale)), max(1, round(width * scale))
    return -(-rows // stride) * stride, -(-columns // stride) * stride
