"""PlateDetector: where the plates are in a frame."""

from __future__ import annotations

import numpy as np

from edge.domain import Box, Detection
from edge.vision.onnx_model import OnnxModel
from edge.vision.postprocess import decode, nms
from edge.vision.preprocess import letterbox
from edge.vision.tiles import cut_by_window, tile_windows
from edge.vision.zoom import INPUT_PX, confirm, needs_zoom, zoom_window

MAX_PLATES = 20
TILE_OVERLAP = 0.25
MERGE_IOU = 0.4  # a plate found both whole-frame and in a tile is one plate


class PlateDetector:
    """Finds plate boxes with a one-class YOLO ONNX model; immutable, shareable between threads.

    With ``tiles`` above 1 the detector also runs on a ``tiles`` x ``tiles`` grid of overlapping
    windows, for plates too small to find in the whole frame; a plate found only there must reach
    ``tile_confidence``, since zoomed-in textures give more false plates.

    With ``zoom`` a plate small in the detector's input is looked at again in a window around it
    (``edge.vision.zoom``): kept only when found there too, with the tighter box found there.
    """

    def __init__(self, model: OnnxModel, conf_threshold: float = 0.25, iou_threshold: float = 0.5,
                 tiles: int = 1, tile_confidence: float = 0.5, *, zoom: bool = True) -> None:
        if tiles < 1:
            raise ValueError(f"tiles must be at least 1: {tiles}")
        self.model = model
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold
        self.tiles = tiles
        self.tile_confidence = max(tile_confidence, conf_threshold)
        self.zoom = zoom

    def _detect_once(self, image: np.ndarray, conf_threshold: float,
                     size: int | None = None) -> tuple[list[Detection], float]:
        """Detections in ``image`` and the scale (input pixels per image pixel) they were found at."""
        height, width = image.shape[:2]
        blob, fit = letterbox(image, *self.model.info.input_shape(height, width, size))
        output = self.model.run(blob)
        found = decode(output, fit, width, height, conf_threshold=conf_threshold,
                       iou_threshold=self.iou_threshold, max_detections=MAX_PLATES)
        return found, fit.scale

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Plate detections in pixels of ``image``, best first."""
        found, scale = self._detect_once(image, self.conf_threshold)
        if self.tiles > 1:
            found = self._add_tiles(image, found)
        if self.zoom:  # two small candidates may have become one plate: merged as one look's are
            found = self._merge(self.second_look(image, found, scale), self.iou_threshold)
        return found

    def second_look(self, image: np.ndarray, found: list[Detection], scale: float) -> list[Detection]:
        """Small candidates confirmed (and re-boxed) by a zoomed look, or dropped; the others as they are."""
        height, width = image.shape[:2]
        kept = []
        for d in found:
            if not needs_zoom(d.box, scale):
                kept.append(d)
                continue
            window = zoom_window(d.box, width, height)
            zoomed, _ = self._detect_once(image[window.y1:window.y2, window.x1:window.x2], self.conf_threshold,
                                          INPUT_PX)
            confirmed = confirm(d, zoomed, window)
            if confirmed is not None:
                kept.append(confirmed)
        return kept

    def _add_tiles(self, image: np.ndarray, found: list[Detection]) -> list[Detection]:
        """``found`` and the plates found in a grid of windows, merged."""
        height, width = image.shape[:2]
        for window in tile_windows(width, height, self.tiles, TILE_OVERLAP):
            part = image[window.y1:window.y2, window.x1:window.x2]
            for d in self._detect_once(part, self.tile_confidence)[0]:
                if not cut_by_window(d.box, window, width, height):
                    b = d.box
                    found.append(Detection(Box(b.x1 + window.x1, b.y1 + window.y1, b.x2 + window.x1,
                                               b.y2 + window.y1), d.confidence, d.class_id))
        return self._merge(found, MERGE_IOU)

    @staticmethod
    def _merge(found: list[Detection], iou: float) -> list[Detection]:
        """One detection per plate (boxes overlapping more than ``iou`` are one), best first."""
        if not found:
            return []
        boxes = np.array([[d.box.x1, d.box.y1, d.box.x2, d.box.y2] for d in found])
        scores = np.array([d.confidence for d in found])
        return [found[i] for i in nms(boxes, scores, iou)[:MAX_PLATES]]
