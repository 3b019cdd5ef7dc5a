"""Synthetic plate reads and frames for the tracking tests."""

from __future__ import annotations

import numpy as np

from edge.domain import Box, CharRead, Frame, PlateRead

IMAGE = np.zeros((8, 8, 3), dtype=np.uint8)


def frame(at: float, camera: str = "gate", sequence: int = 1) -> Frame:
    return Frame(camera=camera, image=IMAGE, captured_at=at, sequence=sequence)


def plate_box(cx: float, cy: float, width: float = 100.0) -> Box:
    return Box(cx - width / 2, cy - width / 8, cx + width / 2, cy + width / 8)


def read(text: str, cx: float = 500.0, cy: float = 300.0, width: float = 100.0, *, confidence: float = 0.85,
         region: str = "RO", detector: float = 0.9, chars: list[float] | None = None) -> PlateRead:
    box = plate_box(cx, cy, width)
    confidences = chars if chars is not None else [confidence] * len(text)
    step = width / max(len(text), 1)
    char_reads = tuple(CharRead(c, p, Box(box.x1 + i * step, box.y1, box.x1 + (i + 1) * step, box.y2))
                       for i, (c, p) in enumerate(zip(text, confidences, strict=True)))
    return PlateRead(text=text, confidence=min(confidences, default=0.0), box=box, detector_confidence=detector,
                     chars=char_reads, region=region, raw_text=text)
