"""Reading plates whose text is known: a check that the models compute, on this machine, what they
computed where they were measured.

An INT8 model can compute something else on another CPU (full-range weights saturate on x86 CPUs without
VNNI: models/README.md, "Tenth session"), and a models folder can hold other models than the ones
measured. Neither fails to load; both read fewer plates. The daemon at start and ``carwatch-edge doctor``
read the bundled sample photos (``BUNDLED_PLATES``, edge/samples/README.md) with the configured models and
warn when a known plate is not found or not read as labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.domain import Box
from edge.vision.errors import ImageError
from edge.vision.image import read_image
from edge.vision.postprocess import box_iou
from edge.vision.recognizer import PlateRecognizer

MIN_IOU = 0.5  # a detection this close to the known box is the known plate
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@dataclass(frozen=True)
class KnownPlate:
    """A plate in a photo, with its text and box (pixels) read by eye."""

    image: Path
    text: str
    box: Box


@dataclass(frozen=True)
class KnownPlateRead:
    """What the models made of a known plate: ``read`` is None when no detection matched its box."""

    plate: KnownPlate
    read: str | None

    @property
    def ok(self) -> bool:
        return self.read == self.plate.text

    @property
    def problem(self) -> str | None:
        """What went wrong, in one line naming the photo; None when the plate was read as labelled."""
        if self.ok:
            return None
        got = "found no plate" if self.read is None else f"read {self.read or 'nothing'}"
        return f"{self.plate.image.name}: expected {self.plate.text}, {got}"


# Held-out photos bundled with the package (MIT, edge/samples/README.md), their boxes and texts read by eye.
BUNDLED_PLATES = (
    KnownPlate(SAMPLES / "car.jpg", "B58DTK", Box(468.8, 390.2, 651.1, 440.4)),
    KnownPlate(SAMPLES / "ro-TR95XMI.jpg", "TR95XMI", Box(340.4, 499.4, 521.9, 540.0)),
)


def read_known_plates(recognizer: PlateRecognizer, plates: Sequence[KnownPlate]) -> list[KnownPlateRead]:
    """Read each photo and match the detection nearest each known box. A photo that is missing raises
    ``OSError``, one that is no usable image ``ImageError``; both name the photo."""
    results = []
    for plate in plates:
        try:
            image = read_image(plate.image)
        except ImageError as exc:
            raise ImageError(f"{plate.image}: {exc}") from exc
        found = recognizer.read(image).plates
        read = None
        if found:
            known = np.array([plate.box.x1, plate.box.y1, plate.box.x2, plate.box.y2])
            ious = box_iou(known, np.array([[p.box.x1, p.box.y1, p.box.x2, p.box.y2] for p in found]))
            best = int(ious.argmax())
            read = found[best].text if ious[best] >= MIN_IOU else None
        results.append(KnownPlateRead(plate, read))
    return results
