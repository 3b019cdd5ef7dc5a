"""Region-of-interest cropping and a cheap motion gate, so the pipeline can skip frames where nothing moves."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.domain import Frame

Roi = tuple[float, float, float, float]  # x1, y1, x2, y2 as fractions 0..1 of the frame
MOTION_WIDTH = 160


def roi_pixels(width: int, height: int, roi: Roi | None) -> tuple[int, int, int, int]:
    """The region as pixel bounds (x1, y1, x2, y2) inside a width x height frame, at least one pixel each way."""
    if roi is None:
        return 0, 0, width, height
    fx1, fy1, fx2, fy2 = (min(1.0, max(0.0, v)) for v in roi)
    x1 = min(width - 1, round(fx1 * width))
    y1 = min(height - 1, round(fy1 * height))
    x2 = max(x1 + 1, min(width, round(fx2 * width)))
    y2 = max(y1 + 1, min(height, round(fy2 * height)))
    return x1, y1, x2, y2


def crop_roi(image: npt.NDArray[np.uint8], roi: Roi | None) -> npt.NDArray[np.uint8]:
    """The region of interest of ``image`` (a view, not a copy); the whole image when ``roi`` is None."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = roi_pixels(width, height, roi)
    return image[y1:y2, x1:x2]


def small_grey(image: npt.NDArray[np.uint8], width: int = MOTION_WIDTH) -> npt.NDArray[np.float32]:
    """A grey, lightly blurred copy at most ``width`` pixels wide, as float32."""
    step = max(1, image.shape[1] // (width * 2))  # skip pixels first: area-averaging a 1080p frame costs 3 ms
    small: npt.NDArray[np.integer[Any] | np.floating[Any]] = image[::step, ::step] if step > 1 else image
    height, full_width = small.shape[:2]
    if full_width > width:
        size = (width, max(1, round(height * width / full_width)))
        small = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
    if small.ndim == 3 and small.shape[2] == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    elif small.ndim == 3:
        small = small[:, :, 0]
    return cv2.GaussianBlur(small, (3, 3), 0).astype(np.float32)


class MotionGate:
    """Says whether a picture differs from a slowly adapting background.

    The background follows the scene (``adapt_rate`` per frame), so light changes and a parked car stop
    counting as motion after a while. After motion, ``hold_frames`` more frames still pass, so a vehicle
    that stops at the barrier is read a few more times. Not thread-safe: one gate per camera.
    """

    def __init__(
        self,
        threshold: float = 0.005,
        *,
        pixel_delta: float = 25.0,
        adapt_rate: float = 0.05,
        hold_frames: int = 2,
        width: int = MOTION_WIDTH,
    ) -> None:
        if not (0.0 <= threshold <= 1.0 and pixel_delta > 0 and 0.0 < adapt_rate <= 1.0):
            raise ValueError("need 0 <= threshold <= 1, pixel_delta > 0 and 0 < adapt_rate <= 1")
        if hold_frames < 0 or not 8 <= width <= MOTION_WIDTH:
            raise ValueError(f"need hold_frames >= 0 and 8 <= width <= {MOTION_WIDTH}")
        self.threshold = threshold
        self._pixel_delta = pixel_delta
        self._adapt_rate = adapt_rate
        self._hold_frames = hold_frames
        self._width = width
        self._background: npt.NDArray[np.float32] | None = None
        self._hold_left = 0
        self.last_fraction = 0.0  # share of pixels that changed in the last call

    def changed(self, frame: Frame | npt.NDArray[np.uint8]) -> bool:
        """True when the picture moved (always for the first picture, or after its size changed)."""
        image = frame.image if isinstance(frame, Frame) else frame
        small = small_grey(image, self._width)
        if self._background is None or self._background.shape != small.shape:
            self._background = small
            self._hold_left = self._hold_frames
            self.last_fraction = 1.0
            return True
        moved = cv2.absdiff(small, self._background) > self._pixel_delta
        self.last_fraction = float(np.count_nonzero(moved)) / moved.size
        cv2.accumulateWeighted(small, self._background, self._adapt_rate)
        if self.last_fraction > 0 and self.last_fraction >= self.threshold:
            self._hold_left = self._hold_frames
            return True
        if self._hold_left > 0:
            self._hold_left -= 1
            return True
        return False

    def reset(self) -> None:
        """Forget the background (after a reconnect, say): the next picture counts as motion."""
        self._background = None
        self._hold_left = 0
