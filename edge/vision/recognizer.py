"""PlateRecognizer: detector, crop, deskew, character reader and format rules, for one frame."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from edge.domain import Box, CharRead, Detection, ImageRead, PlateRead
from edge.vision.crop import PAD_X, PAD_Y, PlateCrop, crop_plate
from edge.vision.detector import PlateDetector
from edge.vision.formats import PlateFormat, apply_formats, default_formats, twin_of
from edge.vision.onnx_model import OnnxModel
from edge.vision.reader import CharacterReader, CropReading

MIN_SKEW_DEGREES = 4.0
# Margins (share of the plate box's width, height) of the crops read again when the first read is
# unsure: a wider one for a box that clips the last character, a tighter one for a box with clutter.
REREAD_MARGINS = ((0.14, 0.25), (0.04, 0.08))
MIN_CHARS_TO_REREAD = 3  # fewer characters is most often no plate at all: not worth two more reads


@dataclass(frozen=True)
class RecognizerConfig:
    """Settings of the vision stage."""

    detector_path: Path
    reader_path: Path
    threads: int = 1
    detector_confidence: float = 0.25
    detector_tiles: int = 1  # above 1: also a tiles x tiles grid of windows, for small plates
    tile_confidence: float = 0.5
    detector_zoom: bool = True  # a small plate must also be found in a zoomed look around it
    reader_confidence: float = 0.2
    formats: tuple[PlateFormat, ...] = field(default_factory=default_formats)
    max_substitutions: int = 2
    min_twin_score: float = 0.1  # a format rule swaps a character only where the reader scored its twin this high
    reread_below: float = 0.6  # a plate whose weakest character is below this is read again with other margins


def _row_angle(reading: CropReading) -> float:
    """Slope of the longest row of characters, in degrees (0 when it cannot tell)."""
    row = max(reading.rows, key=len, default=())
    if len(row) < 3:
        return 0.0
    xs = np.array([(d.box.x1 + d.box.x2) / 2 for d in row])
    ys = np.array([(d.box.y1 + d.box.y2) / 2 for d in row])
    if np.ptp(xs) < 1:
        return 0.0
    slope = float(np.polyfit(xs, ys, 1)[0])
    return math.degrees(math.atan(slope))


def _mean_confidence(reading: CropReading) -> float:
    chars = reading.characters
    return sum(d.confidence for d in chars) / len(chars) if chars else 0.0


def _map_box(box: Box, matrix: np.ndarray, dx: float, dy: float) -> Box:
    """Map a box through a 2x3 affine ``matrix`` and shift it, taking the bounding box of its corners."""
    corners = np.array([[box.x1, box.y1, 1], [box.x2, box.y1, 1], [box.x1, box.y2, 1], [box.x2, box.y2, 1]])
    pts = corners @ matrix.T
    return Box(float(pts[:, 0].min()) + dx, float(pts[:, 1].min()) + dy,
               float(pts[:, 0].max()) + dx, float(pts[:, 1].max()) + dy)


class PlateRecognizer:
    """Reads every plate in a frame. Built once; ``read`` may be called from many threads."""

    def __init__(self, detector: PlateDetector, reader: CharacterReader, config: RecognizerConfig) -> None:
        self.detector = detector
        self.reader = reader
        self.config = config

    @classmethod
    def from_config(cls, config: RecognizerConfig) -> PlateRecognizer:
        detector = PlateDetector(OnnxModel(config.detector_path, config.threads), config.detector_confidence,
                                 tiles=config.detector_tiles, tile_confidence=config.tile_confidence,
                                 zoom=config.detector_zoom)
        reader = CharacterReader(OnnxModel(config.reader_path, config.threads), config.reader_confidence)
        return cls(detector, reader, config)

    @property
    def model_versions(self) -> dict[str, str]:
        return {"detector": self.detector.model.info.version, "reader": self.reader.model.info.version}

    def _read_crop(self, pixels: np.ndarray) -> tuple[CropReading, np.ndarray]:
        """Read a crop, straightening it first when its characters run at a slant.

        Returns the reading and the affine matrix from the read picture back to the crop.
        """
        identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        first = self.reader.read(pixels)
        angle = _row_angle(first)
        if abs(angle) < MIN_SKEW_DEGREES:
            return first, identity
        h, w = pixels.shape[:2]
        rotate = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        straight = cv2.warpAffine(pixels, rotate, (w, h), borderMode=cv2.BORDER_REPLICATE)
        second = self.reader.read(straight)
        if len(second.characters) >= len(first.characters) and _mean_confidence(second) > _mean_confidence(first):
            return second, cv2.invertAffineTransform(rotate)
        return first, identity

    def _best_crop_reading(self, image: np.ndarray, box: Box) -> tuple[CropReading, np.ndarray, PlateCrop]:
        """Read the plate's crop; when its weakest character is unsure, also crops with other margins.

        Of those readings the one with the highest mean character confidence wins. A crop with fewer
        than ``MIN_CHARS_TO_REREAD`` characters is not read again: it is most often not a plate.
        """
        corners = (box.x1, box.y1, box.x2, box.y2)
        crop = crop_plate(image, corners, PAD_X, PAD_Y)
        reading, back = self._read_crop(crop.pixels)
        chars = reading.characters
        if len(chars) < MIN_CHARS_TO_REREAD or min(d.confidence for d in chars) >= self.config.reread_below:
            return reading, back, crop
        best = (reading, back, crop)
        for pad_x, pad_y in REREAD_MARGINS:
            other = crop_plate(image, corners, pad_x, pad_y)
            other_reading, other_back = self._read_crop(other.pixels)
            if _mean_confidence(other_reading) > _mean_confidence(best[0]):
                best = (other_reading, other_back, other)
        return best

    def read_plate(self, image: np.ndarray, found: Detection) -> PlateRead:
        """Read the plate at ``found`` in ``image``."""
        box = found.box
        reading, back, crop = self._best_crop_reading(image, found.first_look or box)
        chars = tuple(
            CharRead(self.reader.names[d.class_id], d.confidence, _map_box(d.box, back, crop.x0, crop.y0), row)
            for row, line in enumerate(reading.rows)
            for d in line
        )
        raw = "".join(c.char for c in chars)
        twins = [self.reader.class_score(d, twin_of(self.reader.names[d.class_id])) for d in reading.characters]
        match = apply_formats(raw, self.config.formats, self.config.max_substitutions, twins,
                              self.config.min_twin_score)
        if match.text != raw:
            chars = tuple(CharRead(t, c.confidence, c.box, c.row) for t, c in zip(match.text, chars, strict=True))
        confidence = min((c.confidence for c in chars), default=0.0)
        return PlateRead(match.text, confidence, box, found.confidence, chars, max(1, len(reading.rows)),
                         match.region, raw)

    def read(self, image: np.ndarray) -> ImageRead:
        """Every plate in a BGR frame, with per-stage timings in milliseconds."""
        start = time.perf_counter()
        found = self.detector.detect(image)
        detected = time.perf_counter()
        plates = tuple(self.read_plate(image, d) for d in found)
        done = time.perf_counter()
        timings = {"detector": (detected - start) * 1000, "reader": (done - detected) * 1000,
                   "total": (done - start) * 1000}
        return ImageRead(plates, image.shape[1], image.shape[0], timings)
