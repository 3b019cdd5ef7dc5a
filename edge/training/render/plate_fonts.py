"""Plate faces: the set of installed fonts, the lettering style of one plate, tight glyph masks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edge.training.fonts import find_decor_fonts, find_plate_fonts, is_preferred_face
from edge.training.render.random_draws import Rng, chance, pick, uni

log = logging.getLogger(__name__)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
# Faces drawn after the plate lettering of a layout are picked more often (fragments of file names).
FONT_HINTS = MappingProxyType({
    "eu": ("din", "narrow", "condensed"), "uk": ("narrow", "condensed"), "us": ("rg2014",), "br_old": ("din", "narrow"),
    "mercosur": ("din", "narrow"), "two_row": ("din", "narrow", "condensed"), "moto": ("din", "narrow", "condensed"),
})
# Width of a character as a share of its height, per layout (the chosen face is squeezed to it).
CHAR_ASPECT = MappingProxyType({
    "eu": (0.5, 0.64), "uk": (0.55, 0.66), "us": (0.42, 0.6), "br_old": (0.5, 0.62), "mercosur": (0.45, 0.58),
    "two_row": (0.52, 0.7), "moto": (0.52, 0.72),
})


@dataclass(frozen=True)
class FontSet:
    """Faces for the labelled characters and for the clutter around them."""

    plate: tuple[Path, ...]
    decor: tuple[Path, ...]

    @staticmethod
    def find() -> FontSet:
        plate = tuple(find_plate_fonts())
        if not plate:
            log.warning("no plate font installed (run `make fonts`): using Pillow's default face")
        return FontSet(plate, tuple(find_decor_fonts()) or plate)


def load_font(path: Path | None, size: int) -> Font:
    size = max(4, size)
    return ImageFont.truetype(str(path), size) if path is not None else ImageFont.load_default(size)


def _cap_ratio(font: Font, size: int) -> float:
    """Height of a capital H as a share of the font size."""
    box = font.getbbox("H", anchor="ls")
    return max(0.2, (box[3] - box[1]) / size)


@dataclass(frozen=True)
class _Style:
    font: Path | None
    cap: float  # height of a capital as a share of the font size
    squeeze: float  # horizontal scale of every glyph
    stroke: float  # extra outline, as a share of the character height
    spacing: float  # gap between characters, as a share of the character height
    space: float  # width of a space, as a share of the character height
    emboss: float  # offset of the embossing shadow, as a share of the character height (0: printed)


def _choose_font(rng: Rng, fonts: FontSet, layout: str) -> Path | None:
    if not fonts.plate:
        return None
    hinted = [f for f in fonts.plate if any(h in f.name.lower() for h in FONT_HINTS.get(layout, ()))]
    if hinted and chance(rng, 0.45):
        return pick(rng, hinted)
    weights = np.array([2.0 if is_preferred_face(f) else 1.0 for f in fonts.plate])
    return fonts.plate[int(rng.choice(len(fonts.plate), p=weights / weights.sum()))]


def choose_style(rng: Rng, fonts: FontSet, layout: str, emboss: float = 0.0) -> _Style:
    path = _choose_font(rng, fonts, layout)
    font = load_font(path, 100)
    cap = _cap_ratio(font, 100)
    widths = [font.getbbox(c, anchor="ls") for c in "0AHMN8"]
    natural = float(np.mean([(b[2] - b[0]) for b in widths])) / (cap * 100)
    lo, hi = CHAR_ASPECT.get(layout, (0.5, 0.65))
    squeeze = float(np.clip(uni(rng, lo, hi) / natural, 0.6, 1.15))
    stroke = 0.0 if chance(rng, 0.6) else uni(rng, 0.01, 0.035)
    return _Style(path, cap, squeeze, stroke, uni(rng, 0.05, 0.17), uni(rng, 0.25, 0.6), emboss)


def glyph_mask(font: Font, char: str, stroke: int, squeeze: float) -> tuple[Image.Image, float]:
    """Tight ink mask of one glyph, and how far its top is above the baseline."""
    left, top, right, bottom = (int(v) for v in font.getbbox(char, stroke_width=stroke, anchor="ls"))
    pad = 2 + stroke
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), char, font=font, fill=255, anchor="ls",
                                stroke_width=stroke, stroke_fill=255)
    ink = np.asarray(canvas) > 40
    ys, xs = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if ys.size == 0:
        return Image.new("L", (1, 1), 0), 0.0
    glyph = canvas.crop((int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1))
    if abs(squeeze - 1.0) > 0.01:
        glyph = glyph.resize((max(1, round(glyph.width * squeeze)), glyph.height), Image.Resampling.BILINEAR)
    return glyph, float(pad - top - ys[0])
