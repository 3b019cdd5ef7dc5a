"""CharacterReader: the characters on one plate crop, in reading order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.domain import Detection
from edge.vision.errors import ModelError
from edge.vision.onnx_model import OnnxModel
from edge.vision.postprocess import decode
from edge.vision.preprocess import letterbox
from edge.vision.rows import reading_order


@dataclass(frozen=True)
class CropReading:
    """Characters found in one crop, rows top to bottom; boxes in crop pixels."""

    rows: tuple[tuple[Detection, ...], ...]

    @property
    def characters(self) -> tuple[Detection, ...]:
        return tuple(d for row in self.rows for d in row)


class CharacterReader:
    """Reads characters with a YOLO ONNX character detector; immutable, shareable between threads."""

    def __init__(self, model: OnnxModel, conf_threshold: float = 0.25, iou_threshold: float = 0.45) -> None:
        names = model.info.names
        if any(len(n) != 1 for n in names):
            raise ModelError(model.path, f"not a character model: class names must be single characters: {names[:5]}")
        self.model = model
        self.names = names
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold
        self._class_ids = {name: i for i, name in enumerate(names)}

    def read(self, crop: np.ndarray) -> CropReading:
        """The characters in ``crop`` (HxWx3 BGR), in reading order."""
        info = self.model.info
        blob, fit = letterbox(crop, *info.input_shape(*crop.shape[:2]))
        output = self.model.run(blob)
        height, width = crop.shape[:2]
        found = decode(output, fit, width, height, conf_threshold=self.conf_threshold,
                       iou_threshold=self.iou_threshold, max_detections=24, keep_class_scores=True)
        return CropReading(tuple(tuple(row) for row in reading_order(found)))

    def class_score(self, found: Detection, name: str | None) -> float:
        """The score the model gave class ``name`` for ``found`` (0 for no name or an unknown class)."""
        index = self._class_ids.get(name or "")
        if index is None or index >= len(found.class_scores):
            return 0.0
        return found.class_scores[index]

    def text(self, reading: CropReading) -> str:
        return "".join(self.names[d.class_id] for d in reading.characters)
