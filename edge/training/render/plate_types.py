"""Records passed between the stages: character boxes, effect settings, flat, warped and rendered plates."""

from __future__ import annotations

from dataclasses import dataclass

from edge.training.render.pixels import Floats, Image8


@dataclass(frozen=True)
class CharBox:
    """One labelled character and its axis-aligned box in image pixels."""

    char: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, eq=False)
class RenderedPlate:
    """A rendered plate on its background, with the boxes of its characters in reading order."""

    image: Image8  # HxWx3 BGR
    text: str  # characters only, top row left to right, then the next row
    layout: str
    rows: int
    char_boxes: tuple[CharBox, ...]
    plate_quad: Floats  # 4x2 corners of the plate (top-left, top-right, bottom-right, bottom-left)


@dataclass(frozen=True)
class EffectConfig:
    """Probabilities of the random effects, and one strength that scales all their magnitudes."""

    strength: float = 1.0
    dirt: float = 0.35
    shadow: float = 0.25
    glare: float = 0.15
    occlusion: float = 0.1
    perspective: float = 0.85
    max_rotation: float = 6.0  # degrees
    max_tilt: float = 0.25  # foreshortening of one side against the other
    colour_cast: float = 0.35
    night: float = 0.12
    infrared: float = 0.06
    motion_blur: float = 0.2
    motion_blur_length: float = 0.2  # longest streak, as a share of the character height (times strength)
    defocus: float = 0.25
    low_res: float = 0.3
    noise: float = 0.5
    jpeg: float = 0.5


@dataclass(frozen=True, eq=False)
class FlatPlate:
    """A plate drawn flat and front-on: BGR pixels, its outline as alpha, and its glyph boxes."""

    bgr: Image8
    alpha: Image8
    glyphs: tuple[CharBox, ...]
    layout: str
    rows: int
    text: str


@dataclass(frozen=True, eq=False)
class Sprite:
    """Pixels to paste (BGR and alpha 0..1), with where the plate corners and glyph boxes are in them."""

    bgr: Image8
    alpha: Floats
    quad: Floats
    boxes: tuple[CharBox, ...]
