"""PlateDetector: where the plates are in a frame."""

from __future__ import annotations

import numpy as np

from edge.domain import Box, Detection
from edge.vision.onnx_model import OnnxModel
from edge.vision.postprocess import decode, nms
from edge.vision.preprocess import letterbox
from edge.vision.tiles import cut_by_window, tile_windows

MAX_PLATES = 20
TILE_OVERLAP = 0.25
MERGE_IOU = 0.4  # a plate found both whole-frame and in a tile is one plate


class PlateDetector:
    """Finds plate boxes with a one-class YOLO ONNX model; immutable, shareable between threads.

    With ``tiles`` above 1 the detector also runs on a ``tiles`` x ``tiles`` grid of overlapping
    windows, for plates too small to find in the whole frame; a plate found only there must reach
    ``tile_confidence``, since zoomed-in textures give more false plates.
    """

    def __init__(self, model: OnnxModel, conf_threshold: float = 0.25, iou_threshold: float = 0.5,
                 tiles: int = 1, tile_confidence: float = 0.5) -> None:
        if tiles < 1:
            raise ValueError(f"tiles must be at least 1: {tiles}")
        self.model = model
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold
        self.tiles = tiles
        self.tile_confidence = max(tile_confidence, conf_threshold)

    def _detect_once(self, image: np.ndarray, conf_threshold: float) -> list[Detection]:
        info = self.model.info
        blob, fit = letterbox(image, *info.input_shape(*image.shape[:2]))
        output = self.model.run(blob)
        height, width = image.shape[:2]
        return decode(output, fit, width, height, conf_threshold=conf_threshold,
                      iou_threshold=self.iou_threshold, max_detections=MAX_PLATES)

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Plate detections in pixels of ``image``, best first."""
        found = self._detect_once(image, self.conf_threshold)
        if self.tiles == 1:
            return found
        height, width = image.shape[:2]
        for window in tile_windows(width, height, self.tiles, TILE_OVERLAP):
            part = image[window.y1:window.y2, window.x1:window.x2]
            for d in self._detect_once(part, self.tile_confidence):
                if not cut_by_window(d.box, window, width, height):
                    b = d.box
                    found.append(Detection(Box(b.x1 + window.x1, b.y1 + window.y1, b.x2 + window.x1,
                                               b.y2 + window.y1), d.confidence, d.class_id))
        if not found:
            return []
        boxes = np.array([[d.box.x1, d.box.y1, d.box.x2, d.box.y2] for d in found])
        scores = np.array([d.confidence for d in found])
        return [found[i] for i in nms(boxes, scores, MERGE_IOU)[:MAX_PLATES]]
