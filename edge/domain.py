"""Values that cross module borders: frozen dataclasses only, no behaviour beyond small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels of the original image."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def as_list(self, ndigits: int = 1) -> list[float]:
        return [round(self.x1, ndigits), round(self.y1, ndigits), round(self.x2, ndigits), round(self.y2, ndigits)]


@dataclass(frozen=True)
class Detection:
    """One object found by a YOLO model: box, confidence and class index."""

    box: Box
    confidence: float
    class_id: int


@dataclass(frozen=True)
class CharRead:
    """One character of a plate, with its confidence and box in original-image pixels."""

    char: str
    confidence: float
    box: Box
    row: int = 0


@dataclass(frozen=True)
class PlateRead:
    """One plate found and read in one image."""

    text: str
    confidence: float  # read confidence: that of the weakest character (0 when nothing was read)
    box: Box
    detector_confidence: float
    chars: tuple[CharRead, ...] = ()
    rows: int = 1
    region: str = ""  # the format rule the text matched, "" when none did
    raw_text: str = ""  # the text before format rules resolved confusions


@dataclass(frozen=True)
class ImageRead:
    """Everything read in one image, with the time each stage took."""

    plates: tuple[PlateRead, ...]
    width: int
    height: int
    timings_ms: dict[str, float] = field(default_factory=dict)
