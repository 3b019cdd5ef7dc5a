"""PlateDetector: where the plates are in a frame."""

from __future__ import annotations

import numpy as np

from edge.domain import Detection
from edge.vision.onnx_model import OnnxModel
from edge.vision.postprocess import decode
from edge.vision.preprocess import letterbox


class PlateDetector:
    """Finds plate boxes with a one-class YOLO ONNX model; immutable, shareable between threads."""

    def __init__(self, model: OnnxModel, conf_threshold: float = 0.25, iou_threshold: float = 0.5) -> None:
        self.model = model
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Plate detections in pixels of ``image``, best first."""
        info = self.model.info
        blob, fit = letterbox(image, info.input_height, info.input_width)
        output = self.model.run(blob)
        height, width = image.shape[:2]
        return decode(output, fit, width, height, conf_threshold=self.conf_threshold,
                      iou_threshold=self.iou_threshold, max_detections=20)
