"""Synthetic licence plates with character boxes, for training the plate reader and the plate detector.

A plate is drawn flat (PIL) in one of the :data:`LAYOUTS`, with realistic random text, then goes
through surface effects (dirt, shadow, glare, small occlusion), a perspective warp and camera
effects (colour cast, night or infrared look, blur, low resolution, noise, JPEG). Only the
characters 0-9 and A-Z of the plate text carry a box; everything else on a plate (bands, country
codes, state names, slogans, dashes, seals, stickers, screws, frames) is unlabelled clutter.

* :func:`render_plate` draws one plate on a synthetic background.
* :func:`reader_sample` composites one onto a background and cuts it exactly as the run-time
  reader does (:func:`edge.vision.crop.crop_plate` on a detector-like, jittered plate box).
* :func:`write_reader_set` and :func:`write_scene_set` write YOLO training sets for the reader
  and for the detector (plates pasted into real train photos).

Only numpy, OpenCV and Pillow are imported. ``python -m edge.training.render --help`` for the CLI.
"""

from __future__ import annotations

import argparse
import colorsys
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from edge.training.fonts import find_decor_fonts, find_plate_fonts, is_preferred_face
from edge.training.sources import RealImage, load_real_images
from edge.vision.charset import CHARSET, DIGITS, LETTERS
from edge.vision.crop import crop_plate

log = logging.getLogger(__name__)

Image8 = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]
Rng = np.random.Generator
RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
T = TypeVar("T")
ReaderBox = tuple[int, float, float, float, float]  # class index into CHARSET, x1, y1, x2, y2 in crop pixels
PixelBox = tuple[float, float, float, float]  # x1, y1, x2, y2

SEPARATORS = " -.·@"  # drawn between characters, never labelled ("@": a seal or emblem)
ROW_BREAKS = "|\n"
BACKGROUND_REUSE = 8  # reader samples cut from one decoded background photo


# ---------------------------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------------------------


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
    defocus: float = 0.25
    low_res: float = 0.3
    noise: float = 0.5
    jpeg: float = 0.5


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


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _u8(a: object) -> Image8:
    return np.clip(np.asarray(a, dtype=np.float32), 0, 255).astype(np.uint8)


def _f32(a: object) -> Floats:
    return np.asarray(a, dtype=np.float32)


def _pick(rng: Rng, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def _uni(rng: Rng, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _chance(rng: Rng, p: float) -> bool:
    return bool(rng.random() < p)


def _loguni(rng: Rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _jitter(rng: Rng, colour: RGB, amount: int = 12) -> RGB:
    r, g, b = (int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in colour)
    return r, g, b


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _letters(rng: Rng, n: int, alphabet: str = LETTERS) -> str:
    return "".join(_pick(rng, alphabet) for _ in range(n))


def _digits(rng: Rng, n: int, first_nonzero: bool = False) -> str:
    text = "".join(_pick(rng, DIGITS) for _ in range(n))
    return (_pick(rng, DIGITS[1:]) + text[1:]) if first_nonzero and n else text


def _load_font(path: Path | None, size: int) -> Font:
    size = max(4, size)
    return ImageFont.truetype(str(path), size) if path is not None else ImageFont.load_default(size)


def _cap_ratio(font: Font, size: int) -> float:
    """Height of a capital H as a share of the font size."""
    box = font.getbbox("H", anchor="ls")
    return max(0.2, (box[3] - box[1]) / size)


# ---------------------------------------------------------------------------------------------
# Plate texts: display rows with separators (" ", "-", "·", "@" for a seal or emblem)
# ---------------------------------------------------------------------------------------------

NO_IOQ = "ABCDEFGHJKLMNPRSTUVWXYZ"
NO_IOQU = "ABCDEFGHJKLMNPRSTVWXYZ"
CONSONANTS = "BCDFGHJKLMNPRSTVWXYZ"
DUTCH = "BDFGHJKLNPRSTVXZ"
DE_CITIES = ("B", "M", "HH", "K", "S", "F", "D", "DO", "E", "BN", "MZ", "KA", "HB", "H", "L", "DD", "N", "A", "WI",
             "AC", "BI", "MS", "OS", "KI", "LB", "ES", "RV", "HD", "FR", "GI", "ERZ", "LDS", "MYK", "SIG", "PAF")
RO_COUNTIES = ("AB", "AR", "AG", "B", "BC", "BH", "BN", "BT", "BV", "BR", "BZ", "CS", "CL", "CJ", "CT", "CV", "DB",
               "DJ", "GL", "GR", "GJ", "HR", "HD", "IL", "IS", "IF", "MM", "MH", "MS", "NT", "OT", "PH", "SM", "SJ",
               "SB", "SV", "TR", "TM", "TL", "VS", "VL", "VN")
PL_CITIES = ("WA", "WE", "WX", "KR", "KRA", "PO", "GD", "WR", "LU", "SK", "EL", "ZS", "DW", "PZ", "BI", "OP")
UK_AGES = tuple(f"{n:02d}" for n in (*range(2, 26), *range(51, 75)))


def _de_text(rng: Rng) -> str:
    city = _pick(rng, DE_CITIES)
    mid = _letters(rng, int(rng.integers(1, 3)), NO_IOQ)
    room = min(4, 8 - len(city) - len(mid))
    number = _digits(rng, int(rng.integers(1, room + 1)), True)
    suffix = _pick(rng, "EH") if _chance(rng, 0.05) and len(city + mid + number) < 8 else ""
    return f"{city}@{mid} {number}{suffix}"


def _ro_text(rng: Rng) -> str:
    county = _pick(rng, RO_COUNTIES)
    if _chance(rng, 0.08):  # temporary plate: digits only, red
        return f"{county} 0{_digits(rng, 5)}"
    n = int(rng.integers(2, 4)) if county == "B" else 2
    return f"{county} {_digits(rng, n)} {_letters(rng, 3, NO_IOQ)}"


def _nl_text(rng: Rng) -> str:
    d, ll = _digits, _letters
    return _pick(rng, (f"{d(rng, 2)}-{ll(rng, 3, DUTCH)}-{d(rng, 1)}", f"{d(rng, 1)}-{ll(rng, 3, DUTCH)}-{d(rng, 2)}",
                       f"{ll(rng, 2, DUTCH)}-{d(rng, 3)}-{ll(rng, 1, DUTCH)}",
                       f"{ll(rng, 2, DUTCH)}-{ll(rng, 2, DUTCH)}-{d(rng, 2)}",
                       f"{d(rng, 2)}-{ll(rng, 2, DUTCH)}-{ll(rng, 2, DUTCH)}"))


def _generic_text(rng: Rng) -> str:
    d, ll = _digits, _letters
    return _pick(rng, (f"{ll(rng, 3)} {d(rng, 3)}", f"{ll(rng, 2)} {d(rng, 4)}",
                       f"{ll(rng, 2)}-{d(rng, 3)}-{ll(rng, 2)}", f"{d(rng, 3)} {ll(rng, 3)}",
                       f"{ll(rng, 2)} {d(rng, 3)}{ll(rng, 2)}", f"{ll(rng, 3)}-{d(rng, 4)}",
                       f"{ll(rng, 1)}{d(rng, 3)} {ll(rng, 3)}", f"{d(rng, 4)} {ll(rng, 2)}"))


def _eu_text(rng: Rng, country: str) -> list[str]:
    d, ll = _digits, _letters
    makers: dict[str, Callable[[], str]] = {
        "D": lambda: _de_text(rng),
        "RO": lambda: _ro_text(rng),
        "E": lambda: f"{d(rng, 4)} {ll(rng, 3, CONSONANTS)}",
        "NL": lambda: _nl_text(rng),
        "I": lambda: f"{ll(rng, 2, NO_IOQU)} {d(rng, 3)}{_pick(rng, ('', ' '))}{ll(rng, 2, NO_IOQU)}",
        "F": lambda: f"{ll(rng, 2, NO_IOQU)}-{d(rng, 3)}-{ll(rng, 2, NO_IOQU)}",
        "PL": lambda: f"{_pick(rng, PL_CITIES)} {_pick(rng, (d(rng, 5), d(rng, 4) + ll(rng, 1, NO_IOQ)))}",
        "B": lambda: f"{d(rng, 1, True)}-{ll(rng, 3)}-{d(rng, 3)}",
        "CZ": lambda: f"{d(rng, 1, True)}{ll(rng, 1, NO_IOQ)}{_pick(rng, DIGITS + NO_IOQ)} {d(rng, 4)}",
        "S": lambda: f"{ll(rng, 3, NO_IOQ)} {d(rng, 2)}{_pick(rng, DIGITS + NO_IOQ)}",
        "A": lambda: f"{ll(rng, int(rng.integers(1, 3)))}@{d(rng, int(rng.integers(2, 5)), True)}{ll(rng, 1)}",
    }
    make = makers.get(country)
    return [make() if make is not None else _generic_text(rng)]


def _uk_text(rng: Rng, _variant: str) -> list[str]:
    roll = rng.random()
    if roll < 0.85:
        return [f"{_letters(rng, 2, NO_IOQ)}{_pick(rng, UK_AGES)} {_letters(rng, 3, NO_IOQ)}"]
    if roll < 0.93:
        return [f"{_letters(rng, 1, NO_IOQ)}{_digits(rng, int(rng.integers(1, 4)), True)} {_letters(rng, 3, NO_IOQ)}"]
    return [f"{_letters(rng, 3, NO_IOQ)} {_digits(rng, int(rng.integers(1, 4)), True)}{_letters(rng, 1, NO_IOQ)}"]


def _us_text(rng: Rng, _variant: str) -> list[str]:
    d, ll = _digits, _letters
    return [_pick(rng, (f"{ll(rng, 3)} {d(rng, 4)}", f"{ll(rng, 3)}-{d(rng, 4)}",
                        f"{d(rng, 1, True)}{ll(rng, 3)}{d(rng, 3)}",
                        f"{ll(rng, 3)}{d(rng, 4)}", f"{ll(rng, 3)} {d(rng, 3)}", f"{d(rng, 3)} {ll(rng, 3)}",
                        f"{d(rng, 3)}@{ll(rng, 3)}", f"{ll(rng, 3)}@{d(rng, 3)}",
                        f"{ll(rng, 2)}{d(rng, 1)} {d(rng, 1)}{ll(rng, 2)}", f"{d(rng, 3)}-{ll(rng, 3)}",
                        f"{ll(rng, 2)} {d(rng, 5)}", f"{d(rng, 1)}{ll(rng, 2)} {d(rng, 4)}",
                        f"{ll(rng, int(rng.integers(4, 8)))}"))]


def _br_old_text(rng: Rng, _variant: str) -> list[str]:
    return [f"{_letters(rng, 3)}{_pick(rng, ('-', '-', '-', ' ', '·'))}{_digits(rng, 4)}"]


def _mercosur_text(rng: Rng, country: str) -> list[str]:
    d, ll = _digits, _letters
    texts = {"BRASIL": f"{ll(rng, 3)}{d(rng, 1)}{ll(rng, 1)}{d(rng, 2)}",
             "ARGENTINA": f"{ll(rng, 2)} {d(rng, 3)} {ll(rng, 2)}",
             "URUGUAY": f"{ll(rng, 3)} {d(rng, 4)}", "PARAGUAY": f"{ll(rng, 4)} {d(rng, 3)}"}
    return [texts[country]]


def _two_row_text(rng: Rng, variant: str) -> list[str]:
    d, ll = _digits, _letters
    if variant == "uk":
        return [f"{ll(rng, 2, NO_IOQ)}{_pick(rng, UK_AGES)}", ll(rng, 3, NO_IOQ)]
    if variant == "asia":
        return _pick(rng, ([ll(rng, int(rng.integers(2, 4))), d(rng, int(rng.integers(2, 5)), True)],
                           [ll(rng, 3), f"{d(rng, 4, True)}{ll(rng, 1)}"], [ll(rng, 2), d(rng, 4, True)],
                           [f"{ll(rng, 2)} {d(rng, 2)}", f"{ll(rng, 2)} {d(rng, 4)}"]))
    city = _pick(rng, DE_CITIES)
    return _pick(rng, ([f"{city}@{ll(rng, 2, NO_IOQ)}", d(rng, int(rng.integers(2, 5)), True)],
                       [f"{ll(rng, 2)} {d(rng, 2)}", ll(rng, 3, NO_IOQ)], [f"{ll(rng, 2)}-{d(rng, 3)}", ll(rng, 2)],
                       [ll(rng, 3), d(rng, 3)]))


def _moto_text(rng: Rng, variant: str) -> list[str]:
    d, ll = _digits, _letters
    if variant == "three":
        return _pick(rng, ([ll(rng, int(rng.integers(1, 3))), d(rng, int(rng.integers(2, 4))), ll(rng, 3)],
                           [ll(rng, 2), d(rng, 3), ll(rng, 2)], [d(rng, 2), ll(rng, 2), d(rng, 3)]))
    return _pick(rng, ([ll(rng, 2), f"{d(rng, 3)} {ll(rng, 2)}"], [f"{ll(rng, 2)} {d(rng, 2)}", ll(rng, 3)],
                       [f"{_pick(rng, DE_CITIES)}@{ll(rng, 1)}", d(rng, 3, True)],
                       [f"{ll(rng, 2)}-{d(rng, 3)}", ll(rng, 2)],
                       [ll(rng, 3), d(rng, 3)], [f"{ll(rng, 2)}{d(rng, 1)}", f"{d(rng, 3)}{ll(rng, 1)}"]))


def _characters(row: str) -> str:
    return "".join(c for c in row if c in CHARSET)


def _parse_text(text: str) -> list[str]:
    """Rows of a caller's text: characters and separators, rows split at "|" or a new line."""
    breaks = f"[{re.escape(ROW_BREAKS)}]"
    rows = [re.sub(r"\s+", " ", r.replace(".", "·")).strip(SEPARATORS) for r in re.split(breaks, text.upper())]
    rows = [r for r in rows if _characters(r)]
    bad = {c for r in rows for c in r if c not in CHARSET and c not in SEPARATORS}
    if bad or not rows:
        raise ValueError(f"plate text {text!r}: use 0-9, A-Z, separators {SEPARATORS!r} and '|' between rows")
    return rows


def _cut_points(row: str) -> list[int]:
    """Where a row may be cut into rows: at separators, else between letters and digits, else anywhere."""
    inner = range(1, len(row))
    for rule in (lambda i: row[i] in SEPARATORS,
                 lambda i: row[i - 1] in CHARSET and row[i] in CHARSET and row[i - 1].isdigit() != row[i].isdigit(),
                 lambda i: row[i - 1] in CHARSET and row[i] in CHARSET):
        cuts = [i for i in inner if rule(i)]
        if cuts:
            return cuts
    return []


def _split_in_two(row: str) -> list[str]:
    """Cut one row in two at the cut point that balances the character counts best."""
    best, best_cost = [row], len(row) + 1
    for cut in _cut_points(row):
        parts = [row[:cut].strip(SEPARATORS), row[cut:].strip(SEPARATORS)]
        first, second = (len(_characters(p)) for p in parts)
        if first and second and abs(first - second) < best_cost:
            best, best_cost = parts, abs(first - second)
    return best


def _arrange(rows: list[str], wanted: int) -> list[str]:
    """The caller's rows made into ``wanted`` rows: joined, or cut where they are too few."""
    if wanted == 1:
        return [" ".join(rows)]
    while len(rows) > wanted:
        rows = [*rows[: wanted - 1], " ".join(rows[wanted - 1 :])]
    while len(rows) < wanted:
        longest = max(range(len(rows)), key=lambda i: len(_characters(rows[i])))
        if len(_characters(rows[longest])) < 2:
            break
        parts = _split_in_two(rows[longest])
        if len(parts) < 2:
            break
        rows = [*rows[:longest], *parts, *rows[longest + 1 :]]
    return rows


# ---------------------------------------------------------------------------------------------
# Drawing a flat plate
# ---------------------------------------------------------------------------------------------

EU_BLUE: RGB = (0, 51, 153)
EU_YELLOW: RGB = (255, 204, 0)
WHITE: RGB = (246, 246, 244)
BLACK: RGB = (18, 18, 20)
UK_YELLOW: RGB = (250, 200, 10)
INKS_US: tuple[RGB, ...] = ((20, 30, 110), (10, 60, 160), (20, 20, 25), (120, 20, 35), (0, 90, 45), (170, 25, 25),
                            (60, 60, 140))
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
class _Spec:
    layout: str
    variant: str
    rows: tuple[str, ...]  # display rows, separators included


@dataclass(frozen=True, eq=False)
class _Flat:
    """A plate drawn flat and front-on: BGR pixels, its outline as alpha, and its glyph boxes."""

    bgr: Image8
    alpha: Image8
    glyphs: tuple[CharBox, ...]
    layout: str
    rows: int
    text: str


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
    if hinted and _chance(rng, 0.45):
        return _pick(rng, hinted)
    weights = np.array([2.0 if is_preferred_face(f) else 1.0 for f in fonts.plate])
    return fonts.plate[int(rng.choice(len(fonts.plate), p=weights / weights.sum()))]


def _choose_style(rng: Rng, fonts: FontSet, layout: str, emboss: float = 0.0) -> _Style:
    path = _choose_font(rng, fonts, layout)
    font = _load_font(path, 100)
    cap = _cap_ratio(font, 100)
    widths = [font.getbbox(c, anchor="ls") for c in "0AHMN8"]
    natural = float(np.mean([(b[2] - b[0]) for b in widths])) / (cap * 100)
    lo, hi = CHAR_ASPECT.get(layout, (0.5, 0.65))
    squeeze = float(np.clip(_uni(rng, lo, hi) / natural, 0.6, 1.15))
    stroke = 0.0 if _chance(rng, 0.6) else _uni(rng, 0.01, 0.035)
    return _Style(path, cap, squeeze, stroke, _uni(rng, 0.05, 0.17), _uni(rng, 0.25, 0.6), emboss)


def _glyph_mask(font: Font, char: str, stroke: int, squeeze: float) -> tuple[Image.Image, float]:
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


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.42)
    return [(cx + float(rr * np.cos(a)), cy - float(rr * np.sin(a))) for a, rr in zip(angles, radii, strict=True)]


class _Plate:
    """A plate being drawn (a working object, local to one render): canvas, outline and glyph boxes."""

    def __init__(self, rng: Rng, fonts: FontSet, layout: str, size: tuple[float, float], bg: RGB, *,
                 radius: float = 0.05, emboss: float = 0.0) -> None:
        self.rng, self.fonts, self.bg = rng, fonts, bg
        self.w, self.h = max(8, round(size[0])), max(8, round(size[1]))
        self.img = Image.new("RGB", (self.w, self.h), bg)
        self.draw = ImageDraw.Draw(self.img)
        self.alpha = Image.new("L", (self.w, self.h), 0)
        corner = max(1, round(radius * self.h))
        ImageDraw.Draw(self.alpha).rounded_rectangle((0, 0, self.w - 1, self.h - 1), radius=corner, fill=255)
        self.style = _choose_style(rng, fonts, layout, emboss)
        self.glyphs: list[CharBox] = []
        self._cache: dict[int, Font] = {}

    def font(self, size: int) -> Font:
        if size not in self._cache:
            self._cache[size] = _load_font(self.style.font, size)
        return self._cache[size]

    # -- labelled text -------------------------------------------------------------------------

    def _unit(self, ref: Font, c: str) -> float:
        """Width of one token as a share of the character height."""
        if c in CHARSET:
            box = ref.getbbox(c, anchor="ls")
            return (box[2] - box[0]) / (self.style.cap * 100) * self.style.squeeze + 2 * self.style.stroke
        return {" ": self.style.space, "-": 0.34, "·": 0.2, "@": 0.52}.get(c, 0.3)

    def text_row(self, row: str, span: tuple[float, float], cy: float, char_h: float, ink: RGB, *,
                 emblem: str = "seal", fill: float = 0.8) -> None:
        """Draw one row of text centred on ``cy``, as large as ``char_h`` and no wider than ``span`` (x0, x1).

        A row that would cover less than about ``fill`` of the width is spaced out (as plates are).
        """
        x0, x1 = span
        units = [self._unit(self.font(100), c) for c in row]
        gap = self.style.spacing
        total = sum(units) + gap * (len(row) - 1)
        h = min(char_h, (x1 - x0) / total)
        if len(row) > 1 and total * h < fill * (x1 - x0):
            wanted = (fill * _uni(self.rng, 0.92, 1.08) * (x1 - x0) / h - sum(units)) / (len(row) - 1)
            gap = float(np.clip(wanted, gap, gap + 0.22))
            total = sum(units) + gap * (len(row) - 1)
            h = min(h, (x1 - x0) / total)
        font = self.font(max(4, round(h / self.style.cap)))
        stroke = round(self.style.stroke * h)
        x = x0 + (x1 - x0 - total * h) * _uni(self.rng, 0.4, 0.6)
        for c, unit in zip(row, units, strict=True):
            if c in CHARSET:
                x = self._glyph(font, c, (x, cy + h / 2), h=h, stroke=stroke, ink=ink)
            else:
                self._separator(c, (x, cy), unit * h, h=h, ink=ink, emblem=emblem)
                x += unit * h
            x += gap * h

    def _glyph(self, font: Font, c: str, at: tuple[float, float], *, h: float, stroke: int, ink: RGB) -> float:
        """Draw one labelled glyph with its left edge at ``at[0]`` on the baseline ``at[1]``; returns its right edge."""
        x, base = at
        mask, rise = _glyph_mask(font, c, stroke, self.style.squeeze)
        ix, iy = round(x), round(base - rise)
        if self.style.emboss > 0:
            d = max(1, round(self.style.emboss * h))
            faint = mask.point(lambda v: v * 0.55)
            dark = tuple(int(v * 0.5) for v in self.bg)
            light = tuple(min(255, int(v * 1.1 + 25)) for v in self.bg)
            self.img.paste(dark, (ix + d, iy + d, ix + d + mask.width, iy + d + mask.height), faint)
            self.img.paste(light, (ix - d, iy - d, ix - d + mask.width, iy - d + mask.height), faint)
        self.img.paste(ink, (ix, iy, ix + mask.width, iy + mask.height), mask)
        self.glyphs.append(CharBox(c, float(ix), float(iy), float(ix + mask.width), float(iy + mask.height)))
        return float(ix + mask.width)

    def _separator(self, c: str, at: tuple[float, float], width: float, *, h: float, ink: RGB, emblem: str) -> None:
        x, cy = at
        if c == "-":
            t = h * 0.055
            self.draw.rectangle((x + width * 0.12, cy - t, x + width * 0.88, cy + t), fill=ink)
        elif c == "·":
            r = h * 0.07
            self.draw.ellipse((x + width / 2 - r, cy - r, x + width / 2 + r, cy + r), fill=ink)
        elif c == "@":
            self._emblem(x + width / 2, cy, h, width, emblem)

    def _emblem(self, cx: float, cy: float, h: float, width: float, kind: str) -> None:
        rng = self.rng
        if kind == "seal":  # German and Austrian seals: inspection sticker above the state seal
            r = min(width * 0.45, h * 0.2)
            sticker = _pick(rng, ((230, 120, 170), (90, 170, 80), (240, 150, 40), (70, 120, 200), (230, 210, 60)))
            for dy, fill, line in ((-0.24, sticker, (60, 60, 60)), (0.24, (235, 235, 235), (120, 40, 40))):
                y = cy + dy * h
                self.draw.ellipse((cx - r, y - r, cx + r, y + r), fill=fill, outline=line,
                                  width=max(1, round(r * 0.15)))
            self.draw.ellipse((cx - r * 0.45, cy + 0.24 * h - r * 0.45, cx + r * 0.45, cy + 0.24 * h + r * 0.45),
                              fill=(150, 40, 40))
            return
        colour = _pick(rng, ((200, 30, 40), (30, 60, 160), (20, 120, 60), (220, 170, 30)))
        r = min(width * 0.45, h * 0.3)
        if _chance(rng, 0.5):
            self.draw.polygon(_star(cx, cy, r), fill=colour)
        else:
            self.draw.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 0.9), fill=colour)

    # -- unlabelled clutter --------------------------------------------------------------------

    def label(self, text: str, box: tuple[float, float, float, float], colour: RGB, decor: bool = True) -> None:
        """Clutter text (country code, state, slogan, city) fitted into ``box``; never labelled."""
        path = _pick(self.rng, self.fonts.decor) if decor and self.fonts.decor else self.style.font
        x0, y0, x1, y1 = box
        left, top, right, bottom = _load_font(path, 100).getbbox(text)
        if right <= left or bottom <= top or x1 <= x0 or y1 <= y0:
            return
        scale = min((x1 - x0) / (right - left), (y1 - y0) / (bottom - top))
        font = _load_font(path, max(4, int(100 * scale)))
        self.draw.text(((x0 + x1) / 2, (y0 + y1) / 2), text, font=font, fill=colour, anchor="mm")

    def gradient(self, top: RGB, bottom: RGB, box: tuple[float, float, float, float] | None = None) -> None:
        x0, y0, x1, y1 = (round(v) for v in (box or (0, 0, self.w, self.h)))
        if x1 <= x0 or y1 <= y0:
            return
        t = np.linspace(0.0, 1.0, y1 - y0, dtype=np.float32)[:, None, None]
        rows = _f32(top) * (1 - t) + _f32(bottom) * t
        self.img.paste(Image.fromarray(_u8(np.repeat(rows, x1 - x0, axis=1))), (x0, y0))

    def border(self, colour: RGB, width: float = 0.02, inset: float = 0.02, radius: float = 0.06) -> None:
        px, pw = self.h * inset, max(1, round(self.h * width))
        self.draw.rounded_rectangle((px, px, self.w - 1 - px, self.h - 1 - px), radius=max(1, round(self.h * radius)),
                                    outline=colour, width=pw)

    def eu_band(self, x0: float, x1: float, code: str, colour: RGB = EU_BLUE, stars: bool = True) -> None:
        """The blue band at the left of EU plates: a ring of stars over the country code."""
        self.draw.rectangle((x0, 0, x1, self.h), fill=_jitter(self.rng, colour, 10))
        bw, cx = x1 - x0, (x0 + x1) / 2
        if stars:
            ring = min(bw * 0.3, self.h * 0.14)
            for k in range(12):
                a = k * np.pi / 6
                x, y = cx + ring * float(np.cos(a)), self.h * 0.3 + ring * float(np.sin(a))
                self.draw.polygon(_star(x, y, ring * 0.2), fill=EU_YELLOW)
        self.label(code, (x0 + bw * 0.12, self.h * 0.56, x1 - bw * 0.12, self.h * 0.86), (250, 250, 250), decor=False)

    def top_band(self, y1: float, code: str) -> None:
        """EU band across the top of a square motorcycle plate."""
        self.draw.rectangle((0, 0, self.w, y1), fill=_jitter(self.rng, EU_BLUE, 10))
        r = y1 * 0.32
        for k in range(12):
            a = k * np.pi / 6
            x, y = y1 * 0.7 + r * float(np.cos(a)), y1 / 2 + r * float(np.sin(a))
            self.draw.polygon(_star(x, y, r * 0.2), fill=EU_YELLOW)
        self.label(code, (y1 * 1.4, y1 * 0.18, y1 * 2.6, y1 * 0.82), (250, 250, 250), decor=False)

    def screws(self, points: Sequence[tuple[float, float]], r: float) -> None:
        """Screw heads, left out where they would cover a character."""
        metal = _pick(self.rng, ((190, 190, 195), (120, 120, 125), (60, 60, 60), self.bg))
        for x, y in points:
            if any(g.x1 - r < x < g.x2 + r and g.y1 - r < y < g.y2 + r for g in self.glyphs):
                continue
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=metal, outline=(70, 70, 70))
            self.draw.line((x - r * 0.6, y, x + r * 0.6, y), fill=(50, 50, 50), width=max(1, round(r * 0.25)))

    def sticker(self, box: tuple[float, float, float, float], colour: RGB, text: str) -> None:
        if any(g.x1 < box[2] and box[0] < g.x2 and g.y1 < box[3] and box[1] < g.y2 for g in self.glyphs):
            return
        self.draw.rounded_rectangle(box, radius=max(1, round((box[3] - box[1]) * 0.15)), fill=colour)
        self.label(text, (box[0] + 2, box[1] + 2, box[2] - 2, box[3] - 2), (20, 20, 20), decor=False)

    def frame(self, colour: RGB, text: str) -> None:
        """A dealer frame over the plate edge, kept clear of the characters."""
        top_g = min(g.y1 for g in self.glyphs)
        bottom_g = max(g.y2 for g in self.glyphs)
        t = min(self.h * _uni(self.rng, 0.03, 0.07), top_g - 2)
        b = min(self.h * _uni(self.rng, 0.08, 0.15), self.h - bottom_g - 2)
        s = min(self.w * _uni(self.rng, 0.015, 0.03), min(g.x1 for g in self.glyphs) - 2,
                self.w - max(g.x2 for g in self.glyphs) - 2)
        if min(t, b, s) < 1:
            return
        w, h = self.w, self.h
        for box in ((0, 0, w, t), (0, h - b, w, h), (0, 0, s, h), (w - s, 0, w, h)):
            self.draw.rectangle(box, fill=colour)
        self.label(text, (w * 0.25, h - b * 0.85, w * 0.75, h - b * 0.15), (225, 225, 225), decor=False)

    def finish(self, spec: _Spec) -> _Flat:
        rgb = np.asarray(self.img, dtype=np.float32)
        shade = np.linspace(_uni(self.rng, 0.9, 1.0), _uni(self.rng, 0.95, 1.05), self.h, dtype=np.float32)
        rgb = rgb * shade[:, None, None] + self.rng.normal(0, 2.5, rgb.shape[:2]).astype(np.float32)[..., None]
        bgr = np.ascontiguousarray(_u8(rgb)[:, :, ::-1])
        text = "".join(_characters(r) for r in spec.rows)
        return _Flat(bgr, np.asarray(self.alpha).copy(), tuple(self.glyphs), spec.layout, len(spec.rows), text)


# ---------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EuCountry:
    bg: RGB
    ink: RGB
    right_band: str = ""  # "F": region logo and department; "I": year and province


EU_COUNTRIES = MappingProxyType({
    "D": _EuCountry(WHITE, BLACK), "RO": _EuCountry(WHITE, BLACK), "E": _EuCountry(WHITE, BLACK),
    "NL": _EuCountry((247, 196, 12), BLACK), "I": _EuCountry(WHITE, BLACK, "I"), "F": _EuCountry(WHITE, BLACK, "F"),
    "PL": _EuCountry(WHITE, BLACK), "B": _EuCountry(WHITE, (165, 20, 40)), "CZ": _EuCountry(WHITE, BLACK),
    "S": _EuCountry(WHITE, BLACK), "A": _EuCountry(WHITE, BLACK), "LT": _EuCountry(WHITE, BLACK),
    "LV": _EuCountry(WHITE, BLACK), "SK": _EuCountry(WHITE, BLACK), "P": _EuCountry(WHITE, BLACK),
    "BG": _EuCountry(WHITE, BLACK), "H": _EuCountry(WHITE, BLACK), "HR": _EuCountry(WHITE, BLACK),
})
EU_VARIANTS = ("D", "D", "RO", "RO", "RO", "E", "NL", "I", "F", "PL", "B", "CZ", "S", "A", "LT", "LV", "SK", "P", "BG",
               "H", "HR")
US_STATES = (("CALIFORNIA", "dmv.ca.gov"), ("TEXAS", "The Lone Star State"), ("FLORIDA", "Sunshine State"),
             ("NEW YORK", "Excelsior"), ("OHIO", "Birthplace of Aviation"), ("ILLINOIS", "Land of Lincoln"),
             ("MICHIGAN", "Pure Michigan"), ("ARIZONA", "Grand Canyon State"), ("NEVADA", "Home Means Nevada"),
             ("GEORGIA", "In God We Trust"), ("VIRGINIA", "Virginia is for Lovers"), ("NEW JERSEY", "Garden State"),
             ("PENNSYLVANIA", "visitPA.com"), ("COLORADO", ""), ("WASHINGTON", "Evergreen State"), ("OREGON", ""),
             ("UTAH", "Life Elevated"), ("MASSACHUSETTS", "The Spirit of America"), ("ONTARIO", "Yours to Discover"),
             ("Alabama", "Sweet Home Alabama"), ("Louisiana", "Sportsman's Paradise"),
             ("NORTH CAROLINA", "First in Flight"), ("Tennessee", "Volunteer State"), ("MARYLAND", "Treasure the Bay"),
             ("MINNESOTA", "10,000 Lakes"), ("IDAHO", "Famous Potatoes"), ("NEW HAMPSHIRE", "Live Free or Die"),
             ("Connecticut", "Constitution State"), ("WISCONSIN", "America's Dairyland"),
             ("ALASKA", "The Last Frontier"),
             ("Hawaii", "Aloha State"), ("MISSOURI", "Show-Me State"), ("Kentucky", "Unbridled Spirit"),
             ("INDIANA", "Crossroads of America"), ("QUÉBEC", "Je me souviens"), ("California", ""))
US_DEALERS = ("AUTONATION TOYOTA", "CARMAX", "HONDA OF DOWNEY", "FORD COUNTRY", "LEXUS OF ORLANDO", "CHEVY WORLD")
UK_DEALERS = ("ARNOLD CLARK", "EVANS HALSHAW", "LOOKERS", "SYTNER", "PENDRAGON", "JCT600 LEEDS")
BR_CITIES = ("SP - SAO PAULO", "RJ - RIO DE JANEIRO", "MG - BELO HORIZONTE", "PR - CURITIBA", "RS - PORTO ALEGRE",
             "SC - FLORIANOPOLIS", "BA - SALVADOR", "SP - CAMPINAS", "GO - GOIANIA", "DF - BRASILIA")
MERCOSUR_FLAGS = MappingProxyType({
    "BRASIL": ((0, 150, 60), (250, 210, 0), (20, 40, 130)),
    "ARGENTINA": ((120, 180, 225), (250, 250, 250), (120, 180, 225)),
    "URUGUAY": ((250, 250, 250), (40, 80, 170), (250, 250, 250)),
    "PARAGUAY": ((210, 30, 30), (250, 250, 250), (20, 50, 160)),
})


def _pastel(rng: Rng) -> RGB:
    return _hsv(_uni(rng, 0, 1), _uni(rng, 0.08, 0.35), _uni(rng, 0.85, 1.0))


def _draw_eu(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    country = EU_COUNTRIES.get(spec.variant, EU_COUNTRIES["LT"])
    h = _uni(rng, 100, 130)
    w = h * (_uni(rng, 4.2, 4.9) if _chance(rng, 0.88) else _uni(rng, 3.3, 3.9))
    p = _Plate(rng, fonts, "eu", (w, h), _jitter(rng, country.bg, 8), radius=_uni(rng, 0.03, 0.09))
    left = h * _uni(rng, 0.34, 0.44) if _chance(rng, 0.9) else h * 0.07
    if left > h * 0.2:
        p.eu_band(0, left, spec.variant)
    right = h * 0.07
    if country.right_band:
        right = h * _uni(rng, 0.34, 0.42)
        p.draw.rectangle((p.w - right, 0, p.w, p.h), fill=_jitter(rng, EU_BLUE, 10))
        if country.right_band == "F":
            p.draw.rectangle((p.w - right * 0.8, h * 0.12, p.w - right * 0.2, h * 0.5), fill=_pastel(rng))
            p.label(_digits(rng, 2), (p.w - right * 0.85, h * 0.58, p.w - right * 0.15, h * 0.88), WHITE, decor=False)
        else:
            r = right * 0.22
            cx = p.w - right / 2
            p.draw.ellipse((cx - r, h * 0.25 - r, cx + r, h * 0.25 + r), outline=EU_YELLOW, width=2)
            p.label(_letters(rng, 2), (p.w - right * 0.8, h * 0.62, p.w - right * 0.2, h * 0.86), WHITE, decor=False)
    if _chance(rng, 0.6):
        p.border(BLACK, _uni(rng, 0.012, 0.03), _uni(rng, 0.01, 0.03))
    ink = (180, 20, 30) if re.fullmatch(r"[A-Z]{1,2} 0\d{5}", spec.rows[0]) else country.ink
    p.text_row(spec.rows[0], (left + h * 0.05, p.w - right - h * 0.05), h * _uni(rng, 0.48, 0.53),
               h * _uni(rng, 0.6, 0.72), _jitter(rng, ink, 10))
    if _chance(rng, 0.2):
        p.screws(((p.w * 0.22, h * 0.1), (p.w * 0.78, h * 0.1)), h * 0.045)
    return p.finish(spec)


def _draw_uk(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    h = _uni(rng, 100, 125)
    rear = _chance(rng, 0.5)
    p = _Plate(rng, fonts, "uk", (h * _uni(rng, 4.4, 4.8), h), _jitter(rng, UK_YELLOW if rear else WHITE, 8),
               radius=_uni(rng, 0.02, 0.08))
    left, roll = h * 0.06, rng.random()
    if roll < 0.35:
        left = h * _uni(rng, 0.32, 0.4)
        p.eu_band(0, left, _pick(rng, ("GB", "UK", "GB", "CYM", "SCO")), stars=_chance(rng, 0.4))
    elif roll < 0.43:
        left = h * 0.14
        p.draw.rectangle((0, 0, left, h), fill=(0, 150, 70))
    if _chance(rng, 0.3):
        p.border(BLACK, _uni(rng, 0.012, 0.025), 0.02)
    p.text_row(spec.rows[0], (left + h * 0.05, p.w - h * 0.06), h * _uni(rng, 0.46, 0.52), h * _uni(rng, 0.64, 0.72),
               _jitter(rng, BLACK, 8))
    if _chance(rng, 0.35):
        p.label(_pick(rng, UK_DEALERS), (p.w * 0.35, h * 0.885, p.w * 0.65, h * 0.965), (60, 60, 60), decor=False)
    if _chance(rng, 0.2):
        p.label("BS AU 145e", (p.w * 0.84, h * 0.89, p.w * 0.96, h * 0.96), (60, 60, 60), decor=False)
    return p.finish(spec)


def _us_background(p: _Plate, rng: Rng) -> None:
    kind = int(rng.integers(5))
    if kind == 1:
        p.gradient(_pastel(rng), _jitter(rng, WHITE, 6))
    elif kind == 2:
        p.draw.rectangle((0, 0, p.w, p.h * 0.22), fill=_pastel(rng))
        p.draw.rectangle((0, p.h * 0.8, p.w, p.h), fill=_pastel(rng))
    elif kind == 3:
        p.gradient(_pastel(rng), _jitter(rng, WHITE, 6))
        xs = np.linspace(0, p.w, int(rng.integers(4, 9)))
        ridge = [(float(x), float(p.h * _uni(rng, 0.45, 0.8))) for x in xs]
        p.draw.polygon([(0.0, float(p.h)), *ridge, (float(p.w), float(p.h))], fill=_pastel(rng))
    elif kind == 4:
        r = p.h * _uni(rng, 0.2, 0.4)
        cx, cy = p.w * _uni(rng, 0.2, 0.8), p.h * _uni(rng, 0.3, 0.7)
        p.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_hsv(_uni(rng, 0.05, 0.15), _uni(rng, 0.2, 0.5), 1.0))
        for k in range(int(rng.integers(1, 4))):
            y = p.h * (0.75 + 0.06 * k)
            p.draw.line((0, y, p.w, y + _uni(rng, -5, 5)), fill=_pastel(rng), width=max(1, round(p.h * 0.03)))


def _draw_us(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    h = _uni(rng, 140, 170)
    p = _Plate(rng, fonts, "us", (h * _uni(rng, 1.9, 2.08), h), _jitter(rng, WHITE, 6), radius=_uni(rng, 0.04, 0.1),
               emboss=_uni(rng, 0.008, 0.02) if _chance(rng, 0.6) else 0.0)
    _us_background(p, rng)
    state, slogan = _pick(rng, US_STATES)
    accent, ink = _pick(rng, INKS_US), _pick(rng, INKS_US)
    top = h * _uni(rng, 0.03, 0.06)
    p.label(state, (p.w * 0.2, top, p.w * 0.8, top + h * _uni(rng, 0.12, 0.19)), accent)
    if slogan and _chance(rng, 0.85):
        p.label(slogan, (p.w * 0.22, h * 0.83, p.w * 0.78, h * _uni(rng, 0.91, 0.95)), _pick(rng, INKS_US))
    p.text_row(spec.rows[0], (p.w * 0.07, p.w * 0.93), h * _uni(rng, 0.52, 0.56), h * _uni(rng, 0.4, 0.5), ink,
               emblem="blob")
    holes = [(p.w / 2 + sx * p.w * 0.29, h * sy) for sx in (-1, 1) for sy in (0.11, 0.89)]
    p.screws(holes if _chance(rng, 0.6) else holes[::2], h * 0.035)
    if _chance(rng, 0.6):
        x = p.w * (0.03 if _chance(rng, 0.5) else 0.79)
        p.sticker((x, h * 0.04, x + p.w * 0.16, h * 0.2), _hsv(_uni(rng, 0, 1), 0.6, 0.95),
                  _pick(rng, ("JUL", "25", "MAR", "24", "26", "OCT")))
    if _chance(rng, 0.3):
        p.border(accent, 0.025, 0.02)
    if _chance(rng, 0.35):
        p.frame(_pick(rng, ((20, 20, 20), (160, 160, 165), (90, 20, 20))), _pick(rng, US_DEALERS))
    return p.finish(spec)


def _draw_br_old(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    h = _uni(rng, 105, 125)
    red = _chance(rng, 0.12)
    grey = int(rng.integers(150, 205))
    bg = (180, 30, 35) if red else _jitter(rng, (grey, grey, grey + 4), 6)
    ink = (240, 240, 240) if red else _jitter(rng, BLACK, 8)
    p = _Plate(rng, fonts, "br_old", (h * _uni(rng, 3.0, 3.15), h), bg, radius=_uni(rng, 0.03, 0.07))
    p.gradient(_jitter(rng, bg, 4), tuple(int(v * 0.85) for v in bg))  # type: ignore[arg-type]
    p.border(ink, _uni(rng, 0.015, 0.03), 0.02)
    strip = h * _uni(rng, 0.18, 0.23)
    p.label(_pick(rng, BR_CITIES), (p.w * 0.2, h * 0.05, p.w * 0.8, h * 0.05 + strip * 0.8), ink, decor=False)
    if _chance(rng, 0.5):
        y = h * 0.07 + strip
        p.draw.line((p.w * 0.03, y, p.w * 0.97, y), fill=ink, width=max(1, round(h * 0.012)))
    p.text_row(spec.rows[0], (p.w * 0.05, p.w * 0.95), h * _uni(rng, 0.6, 0.64), h * _uni(rng, 0.5, 0.56), ink)
    p.screws(((p.w * 0.09, h * 0.15), (p.w * 0.91, h * 0.15)), h * 0.04)
    return p.finish(spec)


def _draw_mercosur(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    h = _uni(rng, 105, 125)
    p = _Plate(rng, fonts, "mercosur", (h * _uni(rng, 3.0, 3.15), h), _jitter(rng, WHITE, 6),
               radius=_uni(rng, 0.03, 0.07))
    if _chance(rng, 0.5):  # faint security pattern
        for k in range(int(rng.integers(4, 10))):
            y = h * (0.3 + 0.07 * k)
            p.draw.arc((-p.w * 0.2, y, p.w * 1.2, y + h * 0.6), 190, 350, fill=(228, 230, 236), width=1)
    band = h * _uni(rng, 0.2, 0.26)
    p.gradient((0, 45, 145), (0, 70, 175), (0, 0, p.w, band))
    p.label(spec.variant, (p.w * 0.32, band * 0.18, p.w * 0.68, band * 0.82), WHITE, decor=False)
    for k in range(4):  # the Mercosur emblem: stars under an arc
        p.draw.polygon(_star(p.w * (0.05 + 0.02 * k), band * 0.62, band * 0.1), fill=WHITE)
    p.draw.arc((p.w * 0.035, band * 0.15, p.w * 0.125, band * 0.75), 200, 340, fill=WHITE,
               width=max(1, round(band * 0.06)))
    top, mid, bottom = MERCOSUR_FLAGS[spec.variant]
    fx, fy, fw, fh = p.w * 0.88, band * 0.2, p.w * 0.08, band * 0.6
    for k, colour in enumerate((top, mid, bottom)):
        p.draw.rectangle((fx, fy + fh * k / 3, fx + fw, fy + fh * (k + 1) / 3), fill=colour)
    code = {"BRASIL": "BR", "ARGENTINA": "RA", "URUGUAY": "UY", "PARAGUAY": "PY"}[spec.variant]
    p.label(code, (p.w * 0.015, h * 0.4, p.w * 0.06, h * 0.52), BLACK, decor=False)
    qr = np.kron(rng.integers(0, 2, (5, 5)), np.ones((3, 3)))
    qx, qy, qs = p.w * 0.015, h * 0.58, h * 0.16 / 15
    for y, x in zip(*np.nonzero(qr), strict=True):
        p.draw.rectangle((qx + x * qs, qy + y * qs, qx + (x + 1) * qs, qy + (y + 1) * qs), fill=BLACK)
    p.border(BLACK, _uni(rng, 0.012, 0.025), 0.015)
    ink = BLACK if _chance(rng, 0.8) else _pick(rng, ((190, 20, 30), (20, 50, 160), (0, 110, 50), (120, 100, 40)))
    cy = band + (h - band) * _uni(rng, 0.48, 0.52)
    p.text_row(spec.rows[0], (p.w * 0.09, p.w * 0.97), cy, h * _uni(rng, 0.48, 0.56), ink)
    return p.finish(spec)


def _draw_rows(p: _Plate, rows: Sequence[str], area: tuple[float, float, float, float], share: float, ink: RGB) -> None:
    """Rows of text stacked evenly in ``area``, each ``share`` of its row pitch high."""
    x0, y0, x1, y1 = area
    pitch = (y1 - y0) / len(rows)
    for k, row in enumerate(rows):
        cy = y0 + pitch * (k + 0.5) + _uni(p.rng, -0.03, 0.03) * pitch
        p.text_row(row, (x0, x1), cy, pitch * share, ink, fill=0.45)


def _draw_two_row(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    h = _uni(rng, 150, 190)
    aspect = {"uk": (1.3, 1.42), "asia": (1.4, 1.9)}.get(spec.variant, (1.5, 1.8))
    dark = spec.variant == "asia" and _chance(rng, 0.4)
    bg = _jitter(rng, BLACK, 6) if dark else _jitter(rng, UK_YELLOW if _chance(rng, 0.35) else WHITE, 8)
    ink = _jitter(rng, (235, 235, 235), 10) if dark else _jitter(rng, BLACK, 8)
    p = _Plate(rng, fonts, "two_row", (h * _uni(rng, *aspect), h), bg, radius=_uni(rng, 0.03, 0.08))
    left = h * 0.05
    if spec.variant == "eu" and _chance(rng, 0.8):
        left = h * _uni(rng, 0.2, 0.26)
        p.eu_band(0, left, _pick(rng, ("D", "RO", "A", "PL", "NL", "I", "CZ")))
    if _chance(rng, 0.6):
        p.border(ink, _uni(rng, 0.01, 0.02), 0.02)
    _draw_rows(p, spec.rows, (left + h * 0.04, h * 0.05, p.w - h * 0.05, h * 0.97), _uni(rng, 0.72, 0.84), ink)
    return p.finish(spec)


def _draw_moto(rng: Rng, spec: _Spec, fonts: FontSet) -> _Flat:
    h = _uni(rng, 150, 190)
    n = len(spec.rows)
    p = _Plate(rng, fonts, "moto", (h * _uni(rng, 0.95, 1.35 if n == 3 else 1.6), h),
               _jitter(rng, UK_YELLOW if _chance(rng, 0.25) else WHITE, 8), radius=_uni(rng, 0.04, 0.1))
    left, top, roll = h * 0.05, h * 0.04, rng.random()
    code = _pick(rng, ("D", "RO", "F", "I", "NL", "E", "A", "CZ"))
    if roll < 0.4:
        top = h * _uni(rng, 0.14, 0.18)
        p.top_band(top, code)
    elif roll < 0.7:
        left = h * _uni(rng, 0.18, 0.24)
        p.eu_band(0, left, code)
    if _chance(rng, 0.6):
        p.border(BLACK, _uni(rng, 0.01, 0.02), 0.02)
    _draw_rows(p, spec.rows, (left + h * 0.04, top + h * 0.02, p.w - h * 0.05, h * 0.97), _uni(rng, 0.72, 0.84),
               _jitter(rng, BLACK, 8))
    return p.finish(spec)


@dataclass(frozen=True)
class _Layout:
    variants: tuple[str, ...]
    rows: tuple[int, ...]  # how many rows a caller's text is arranged in (picked at random)
    weight: float  # share of randomly chosen layouts
    generate: Callable[[Rng, str], list[str]]
    draw: Callable[[Rng, _Spec, FontSet], _Flat]


def _generate_eu(rng: Rng, variant: str) -> list[str]:
    return _eu_text(rng, variant)


_LAYOUTS = MappingProxyType({
    "eu": _Layout(EU_VARIANTS, (1,), 0.3, _generate_eu, _draw_eu),
    "uk": _Layout(("uk",), (1,), 0.13, _uk_text, _draw_uk),
    "us": _Layout(("us",), (1,), 0.2, _us_text, _draw_us),
    "br_old": _Layout(("br",), (1,), 0.06, _br_old_text, _draw_br_old),
    "mercosur": _Layout(("BRASIL", "BRASIL", "BRASIL", "ARGENTINA", "URUGUAY", "PARAGUAY"), (1,), 0.09, _mercosur_text,
                        _draw_mercosur),
    "two_row": _Layout(("eu", "uk", "asia"), (2,), 0.12, _two_row_text, _draw_two_row),
    "moto": _Layout(("two", "three"), (2, 3), 0.1, _moto_text, _draw_moto),
})
LAYOUTS: tuple[str, ...] = tuple(_LAYOUTS)


def _pick_layout(rng: Rng) -> str:
    weights = np.array([spec.weight for spec in _LAYOUTS.values()])
    return LAYOUTS[int(rng.choice(len(LAYOUTS), p=weights / weights.sum()))]


def _draw_plate(rng: Rng, layout: str | None, text: str | None, fonts: FontSet) -> _Flat:
    name = layout or _pick_layout(rng)
    if name not in _LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; choose from {', '.join(LAYOUTS)}")
    spec = _LAYOUTS[name]
    variant = _pick(rng, spec.variants)
    if text is None:
        rows = spec.generate(rng, variant)
    else:
        given = _parse_text(text)
        wanted = len(given) if len(given) in spec.rows else _pick(rng, spec.rows)
        rows = _arrange(given, wanted)
        if name == "moto":
            variant = "three" if len(rows) == 3 else "two"
    return spec.draw(rng, _Spec(name, variant, tuple(rows)), fonts)


# ---------------------------------------------------------------------------------------------
# Surface effects (on the flat plate)
# ---------------------------------------------------------------------------------------------


def _dirt(rng: Rng, bgr: Floats, s: float) -> Floats:
    h, w = bgr.shape[:2]
    cell = int(rng.integers(6, 20))
    cells = rng.random((max(2, h // cell), max(2, w // cell))).astype(np.float32)
    field = cv2.resize(cells, (w, h), interpolation=cv2.INTER_CUBIC)
    threshold = _uni(rng, 0.35, 0.75)
    alpha = np.clip((field - threshold) / (1 - threshold), 0, 1) * min(0.85, _uni(rng, 0.15, 0.5) * s)
    specks = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(0, 1 + int(h * w * 0.0015 * s)))):
        centre = (int(rng.integers(w)), int(rng.integers(h)))
        cv2.circle(specks, centre, int(rng.integers(1, 3)), float(_uni(rng, 0.3, 0.8)), -1)
    alpha = np.maximum(alpha, specks)[..., None]
    colour = _f32(_pick(rng, ((50, 70, 90), (40, 45, 50), (90, 110, 125), (30, 55, 75), (150, 160, 165))))
    return _f32(bgr * (1 - alpha) + colour * alpha)


def _shadow(rng: Rng, bgr: Floats, s: float) -> Floats:
    h, w = bgr.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = _uni(rng, 0, np.pi)
    px, py = _uni(rng, 0, w), _uni(rng, 0, h)
    distance = (xs - px) * np.cos(angle) + (ys - py) * np.sin(angle)
    side = 1 / (1 + np.exp(-distance / max(1.0, _uni(rng, 0.01, 0.15) * h)))
    darkness = min(0.75, _uni(rng, 0.25, 0.6) * s)
    return _f32(bgr * (1 - darkness * side)[..., None])


def _glare(rng: Rng, bgr: Floats, s: float) -> Floats:
    h, w = bgr.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = _uni(rng, 0, w), _uni(rng, 0, h)
    rx, ry = _uni(rng, 0.08, 0.4) * w, _uni(rng, 0.2, 0.9) * h
    spot = np.exp(-(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)) * min(0.9, _uni(rng, 0.3, 0.8) * s)
    return _f32(bgr + (255 - bgr) * spot[..., None])


def _occluder_mask(rng: Rng, h: int, w: int) -> Floats:
    mask = np.zeros((h, w), np.float32)
    kind = int(rng.integers(4))
    if kind == 0:  # a bar across the bottom or the top edge (tow bar, bumper edge, frame)
        depth = int(h * _uni(rng, 0.05, 0.16))
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        rows = slice(h - depth, h) if _chance(rng, 0.7) else slice(0, depth)
        mask[rows, x0:max(x1, x0 + w // 4)] = 1
    elif kind == 1:  # a blob over a corner
        cx, cy = _pick(rng, (0, w)), _pick(rng, (0, h))
        cv2.ellipse(mask, (cx, cy), (int(w * _uni(rng, 0.05, 0.15)), int(h * _uni(rng, 0.2, 0.45))), 0, 0, 360, 1.0, -1)
    elif kind == 2:  # a post or cable at the side
        width = int(w * _uni(rng, 0.02, 0.06))
        x0 = 0 if _chance(rng, 0.5) else w - width
        mask[:, x0:x0 + width] = 1
    else:  # a thin cable or stick across
        y0, y1 = int(rng.integers(h)), int(rng.integers(h))
        cv2.line(mask, (0, y0), (w, y1), 1.0, max(1, int(h * _uni(rng, 0.015, 0.04))))
    return _f32(cv2.GaussianBlur(mask, (0, 0), 1.0))


def _occlusion(rng: Rng, bgr: Floats, glyphs: Sequence[CharBox], s: float) -> Floats:
    """Cover a small part of the plate; never more than a fifth of any character."""
    h, w = bgr.shape[:2]
    for _ in range(6):
        mask = _occluder_mask(rng, h, w)
        covered = [float(mask[int(g.y1):int(g.y2), int(g.x1):int(g.x2)].mean()) for g in glyphs if g.x2 > g.x1]
        if max(covered, default=0.0) <= 0.2 * min(1.0, s):
            colour = _f32(_pick(rng, ((30, 30, 30), (60, 60, 70), (120, 120, 125), (40, 40, 140), (200, 200, 205))))
            shade = rng.normal(1.0, 0.08, (h, 1)).astype(np.float32)
            return bgr * (1 - mask[..., None]) + (colour * shade[..., None]) * mask[..., None]
    return bgr


def _surface(rng: Rng, flat: _Flat, cfg: EffectConfig) -> _Flat:
    bgr = flat.bgr.astype(np.float32)
    s = cfg.strength
    if _chance(rng, cfg.dirt):
        bgr = _dirt(rng, bgr, s)
    if _chance(rng, cfg.shadow):
        bgr = _shadow(rng, bgr, s)
    if _chance(rng, cfg.glare):
        bgr = _glare(rng, bgr, s)
    if _chance(rng, cfg.occlusion):
        bgr = _occlusion(rng, bgr, flat.glyphs, s)
    return _Flat(_u8(bgr), flat.alpha, flat.glyphs, flat.layout, flat.rows, flat.text)


# ---------------------------------------------------------------------------------------------
# Mounting and warping
# ---------------------------------------------------------------------------------------------

CAR_PAINTS: tuple[RGB, ...] = ((235, 235, 235), (20, 20, 22), (160, 162, 165), (95, 95, 100), (30, 30, 140),
                               (140, 30, 20), (40, 60, 30), (200, 190, 170), (60, 90, 150))


@dataclass(frozen=True, eq=False)
class _Sprite:
    """Pixels to paste (BGR and alpha 0..1), with where the plate corners and glyph boxes are in them."""

    bgr: Image8
    alpha: Floats
    quad: Floats
    boxes: tuple[CharBox, ...]


def _flat_sprite(flat: _Flat) -> _Sprite:
    h, w = flat.alpha.shape
    quad = _f32([[0, 0], [w, 0], [w, h], [0, h]])
    return _Sprite(flat.bgr, _f32(flat.alpha / 255), quad, flat.glyphs)


def _car_body(rng: Rng, h: int, w: int, plate: tuple[int, int, int, int]) -> Floats:
    """Painted, shaded car body around a darker plate recess, sometimes with tail lights."""
    mx, my, pw, ph = plate
    paint = _f32(_jitter(rng, _pick(rng, CAR_PAINTS), 15))[::-1]
    shade = np.linspace(_uni(rng, 0.7, 1.15), _uni(rng, 0.6, 1.0), h, dtype=np.float32)[:, None, None]
    body = np.broadcast_to(paint * shade, (h, w, 3)).copy()
    recess = (int(mx - pw * 0.04), int(my - ph * 0.12), int(mx + pw * 1.04), int(my + ph * 1.12))
    cv2.rectangle(body, recess[:2], recess[2:], (paint * _uni(rng, 0.4, 0.8)).tolist(), -1)
    if w > 2.5 * pw and _chance(rng, 0.5):
        for x in (int(w * 0.04), int(w * 0.96)):
            cv2.ellipse(body, (x, int(h * 0.3)), (int(pw * 0.25), int(ph * 0.4)), 0, 0, 360, (30, 30, 190), -1)
    return _f32(cv2.GaussianBlur(body, (0, 0), max(0.6, ph * 0.01)))


def _feathered(h: int, w: int, edge: float) -> Floats:
    """Alpha that is 1 inside and falls to 0 over ``edge`` pixels at the border."""
    rows = np.minimum(np.arange(h), np.arange(h)[::-1])
    cols = np.minimum(np.arange(w), np.arange(w)[::-1])
    return _f32(np.clip(np.minimum.outer(rows, cols) / max(1.0, edge), 0, 1))


def _mounted(rng: Rng, flat: _Flat, size: float = 1.0) -> _Sprite:
    """The plate on a patch of car body, in a dark plastic holder, or alone; ``size`` scales the patch."""
    h, w = flat.alpha.shape
    roll = rng.random()
    if roll < 0.3:
        return _flat_sprite(flat)
    if roll < 0.45:  # holder: a dark rim a few per cent of the plate height wide
        mx = my = max(1, int(h * _uni(rng, 0.03, 0.08)))
        big_h, big_w = h + 2 * my, w + 2 * mx
        body = np.full((big_h, big_w, 3), _uni(rng, 10, 60), np.float32)
        alpha = _feathered(big_h, big_w, 1.5)
    else:
        mx, my = int(w * _uni(rng, 0.05, 0.9) * size), int(h * _uni(rng, 0.3, 1.2) * size)
        big_h, big_w = h + 2 * my, w + 2 * mx
        body = _car_body(rng, big_h, big_w, (mx, my, w, h))
        alpha = _feathered(big_h, big_w, min(big_h, big_w) * _uni(rng, 0.08, 0.3))
    a = _f32(flat.alpha / 255)[..., None]
    body[my:my + h, mx:mx + w] = body[my:my + h, mx:mx + w] * (1 - a) + flat.bgr * a
    quad = _f32([[mx, my], [mx + w, my], [mx + w, my + h], [mx, my + h]])
    boxes = tuple(CharBox(b.char, b.x1 + mx, b.y1 + my, b.x2 + mx, b.y2 + my) for b in flat.glyphs)
    return _Sprite(_u8(body), alpha, quad, boxes)


def _destination(rng: Rng, w: float, h: float, cfg: EffectConfig | None) -> Floats:
    """Where the four plate corners land, centred on 0, for a plate ``w`` by ``h`` pixels."""
    if cfg is None:
        return _f32([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    s, tilt = cfg.strength, cfg.max_tilt
    yaw = pitch = shear = 0.0
    if _chance(rng, cfg.perspective):
        yaw = float(np.clip(rng.normal(0, tilt * 0.4 * s), -tilt, tilt))
        pitch = float(np.clip(rng.normal(0, tilt * 0.2 * s), -tilt / 2, tilt / 2))
        shear = float(np.clip(rng.normal(0, 0.06 * s), -0.15, 0.15))
    hx, hy = w / 2 * (1 - abs(yaw) * 0.8), h / 2
    pts = np.array([[-hx * (1 + pitch), -hy * (1 + yaw)], [hx * (1 + pitch), -hy * (1 - yaw)],
                    [hx * (1 - pitch), hy * (1 - yaw)], [-hx * (1 - pitch), hy * (1 + yaw)]], np.float32)
    pts[:, 0] += shear * pts[:, 1]
    pts += rng.normal(0, 0.012 * h * s, pts.shape).astype(np.float32)
    angle = np.radians(float(np.clip(rng.normal(0, cfg.max_rotation * s / 2), -cfg.max_rotation, cfg.max_rotation)))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    return _f32(pts @ rot.T)


def _transform(m: npt.NDArray[np.float64], pts: Floats) -> Floats:
    return _f32(cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float32), m).reshape(-1, 2))


def _warp_box(m: npt.NDArray[np.float64], box: CharBox, scale: float) -> CharBox:
    corners = _f32([[box.x1, box.y1], [box.x2, box.y1], [box.x2, box.y2], [box.x1, box.y2]]) * scale
    out = _transform(m, corners)
    lo, hi = out.min(axis=0), out.max(axis=0)
    return CharBox(box.char, float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _warp(rng: Rng, sprite: _Sprite, scale: float, cfg: EffectConfig | None) -> _Sprite:
    """Scale the sprite so that its plate is ``scale`` times as large, then tilt and turn it (``cfg``)."""
    bgr, alpha, pre = sprite.bgr, sprite.alpha, 1.0
    if scale < 0.7:  # shrink most of the way first, with area averaging, so that the warp does not alias
        pre = scale * 1.4
        size = (max(2, round(bgr.shape[1] * pre)), max(2, round(bgr.shape[0] * pre)))
        bgr = _u8(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA))
        alpha = _f32(cv2.resize(alpha, size, interpolation=cv2.INTER_AREA))
    q = sprite.quad
    pw, ph = float(np.linalg.norm(q[1] - q[0])), float(np.linalg.norm(q[3] - q[0]))
    m = np.asarray(cv2.getPerspectiveTransform(q * pre, _destination(rng, pw * scale, ph * scale, cfg)), np.float64)
    h, w = bgr.shape[:2]
    outline = _transform(m, _f32([[0, 0], [w, 0], [w, h], [0, h]]))
    lo = np.floor(outline.min(axis=0)) - 1
    extent = np.ceil(outline.max(axis=0) - lo) + 1
    size = (int(extent[0]), int(extent[1]))
    m = np.array([[1, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]]) @ m
    out_bgr = cv2.warpPerspective(bgr, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out_alpha = cv2.warpPerspective(alpha, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=0)
    boxes = tuple(_warp_box(m, b, pre) for b in sprite.boxes)
    return _Sprite(_u8(out_bgr), _f32(out_alpha), _transform(m, q * pre), boxes)


def _shifted(sprite: _Sprite, dx: float, dy: float) -> tuple[Floats, tuple[CharBox, ...]]:
    boxes = tuple(CharBox(b.char, b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy) for b in sprite.boxes)
    return sprite.quad + _f32([dx, dy]), boxes


def _paste(canvas: Floats, sprite: _Sprite, x: int, y: int, gain: Floats | None = None) -> Floats:
    """Alpha-blend the sprite into ``canvas`` (in place) at x, y; returns its alpha over the canvas."""
    ch, cw = canvas.shape[:2]
    sh, sw = sprite.alpha.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(cw, x + sw), min(ch, y + sh)
    cover = np.zeros((ch, cw), np.float32)
    if x1 <= x0 or y1 <= y0:
        return cover
    a = sprite.alpha[y0 - y:y1 - y, x0 - x:x1 - x]
    fg = sprite.bgr[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)
    if gain is not None:
        fg = fg * gain
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - a[..., None]) + fg * a[..., None]
    cover[y0:y1, x0:x1] = a
    return cover


# ---------------------------------------------------------------------------------------------
# Camera effects (on the plate with its surroundings)
# ---------------------------------------------------------------------------------------------


def _colour_cast(rng: Rng, f: Floats, s: float) -> Floats:
    if _chance(rng, 0.4):  # the magenta cast of the ro-dashcam frames
        gains = _f32([_uni(rng, 1.0, 1.15), _uni(rng, 0.62, 0.85), _uni(rng, 1.05, 1.25)])
    else:
        gains = _f32(rng.uniform(1 - 0.2 * s, 1 + 0.2 * s, 3))
    return f * gains


def _bloom(f: Floats, sigma: float, amount: float) -> Floats:
    bright = np.clip(f - 170, 0, None)
    return f + cv2.GaussianBlur(bright, (0, 0), max(1.0, sigma)) * amount


def _night(rng: Rng, f: Floats, plate: Floats, char_h: float, s: float) -> Floats:
    dark, lit = _uni(rng, 0.1, 0.35) / s, _uni(rng, 0.45, 1.0)
    f = f * (dark + (lit - dark) * plate)[..., None]
    f = _f32(255 * (np.clip(f, 0, 255) / 255) ** _uni(rng, 1.0, 1.4))
    tint = _f32(_pick(rng, ([1.1, 0.95, 0.85], [0.7, 0.9, 1.15], [1.0, 1.0, 1.0])))
    return _bloom(f * tint, char_h * _uni(rng, 0.1, 0.3), _uni(rng, 0.3, 1.2))


def _infrared(rng: Rng, f: Floats, plate: Floats, char_h: float) -> Floats:
    """Grey IR camera look: bright retro-reflective plate, dark surroundings, hard contrast and bloom."""
    grey = f @ _f32([0.114, 0.587, 0.299])
    grey = grey * (_uni(rng, 0.15, 0.45) + _uni(rng, 0.7, 1.1) * plate)
    lo, hi = _uni(rng, 0, 40), _uni(rng, 150, 230)
    grey = 255 * np.clip((grey - lo) / (hi - lo), 0, 1) ** _uni(rng, 0.7, 1.3)
    grey = _bloom(grey, char_h * _uni(rng, 0.1, 0.25), _uni(rng, 0.2, 0.8))
    return np.repeat(grey[..., None], 3, axis=2)


def _motion_blur(rng: Rng, f: Floats, char_h: float, s: float) -> Floats:
    length = round(_uni(rng, 2, max(2.5, char_h * 0.2 * s)))
    if length < 2:
        return f
    kernel = np.zeros((length, length), np.float32)
    angle = rng.normal(0, 0.4) if _chance(rng, 0.7) else _uni(rng, 0, np.pi)
    c, dx, dy = (length - 1) / 2, np.cos(angle) * (length - 1) / 2, np.sin(angle) * (length - 1) / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    return _f32(cv2.filter2D(f, -1, kernel / max(1.0, float(kernel.sum()))))


def _defocus(rng: Rng, f: Floats, char_h: float, s: float) -> Floats:
    return _f32(cv2.GaussianBlur(f, (0, 0), _uni(rng, 0.5, max(0.7, char_h * 0.06 * s))))


def _low_res(rng: Rng, f: Floats, char_h: float) -> Floats:
    """Downscale so that characters are 7-22 px high, then back up: a far or cheap camera."""
    factor = _uni(rng, 7, 22) / max(1.0, char_h)
    if factor > 0.85:
        return f
    h, w = f.shape[:2]
    small = cv2.resize(f, (max(2, round(w * factor)), max(2, round(h * factor))), interpolation=cv2.INTER_AREA)
    up = _pick(rng, (cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST))
    return _f32(cv2.resize(small, (w, h), interpolation=up))


def _noise(rng: Rng, f: Floats, s: float) -> Floats:
    f = f + rng.normal(0, _uni(rng, 1.5, 9) * s, f.shape).astype(np.float32)
    if _chance(rng, 0.1):  # salt and pepper, as in some augmented us-roboflow copies
        dots = rng.random(f.shape[:2])
        density = _uni(rng, 0.002, 0.02) * s
        f[dots < density / 2] = 0
        f[dots > 1 - density / 2] = 255
    return f


def _jpeg(rng: Rng, image: Image8, s: float) -> Image8:
    quality = int(np.clip(_uni(rng, 90 - 70 * s, 90), 8, 95))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return _u8(cv2.imdecode(data, cv2.IMREAD_COLOR)) if ok else image


def _camera(rng: Rng, image: Image8, plate: Floats, char_h: float, cfg: EffectConfig) -> Image8:
    """Photometric effects over the whole picture; ``plate`` is the plate's area (0..1) in it, ``char_h`` the
    height of its characters in pixels (blur and resolution are scaled to it)."""
    s = cfg.strength
    f = image.astype(np.float32)
    if _chance(rng, cfg.colour_cast):
        f = _colour_cast(rng, f, s)
    roll = rng.random()
    if roll < cfg.night:
        f = _night(rng, f, plate, char_h, s)
    elif roll < cfg.night + cfg.infrared:
        f = _infrared(rng, f, plate, char_h)
    else:
        f = f * _uni(rng, 1 - 0.3 * s, 1 + 0.2 * s) + _uni(rng, -25, 25) * s
    blurred = False
    if _chance(rng, cfg.motion_blur):
        f, blurred = _motion_blur(rng, f, char_h, s), True
    elif _chance(rng, cfg.defocus):
        f, blurred = _defocus(rng, f, char_h, s), True
    if _chance(rng, cfg.low_res * (0.5 if blurred else 1.0)):
        f = _low_res(rng, f, char_h)
    if _chance(rng, cfg.noise):
        f = _noise(rng, f, s)
    out = _u8(f)
    return _jpeg(rng, out, s) if _chance(rng, cfg.jpeg) else out


# ---------------------------------------------------------------------------------------------
# Backgrounds
# ---------------------------------------------------------------------------------------------


def _texture(rng: Rng, h: int, w: int) -> Image8:
    """A synthetic surrounding: car paint, blotchy clutter or a grille."""
    kind = int(rng.integers(3))
    base = _f32(_jitter(rng, _pick(rng, CAR_PAINTS), 20))
    if kind == 0:
        shade = np.linspace(_uni(rng, 0.6, 1.2), _uni(rng, 0.5, 1.1), h, dtype=np.float32)[:, None, None]
        f = np.broadcast_to(base * shade, (h, w, 3)).copy()
    elif kind == 1:
        grey = np.zeros((h, w), np.float32)
        for cell in (3, 12, 40):
            noise = rng.random((max(2, h // cell), max(2, w // cell))).astype(np.float32)
            grey += cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC) * _uni(rng, 0.2, 0.6)
        f = grey[..., None] * base * _uni(rng, 0.6, 1.0) + _f32(rng.uniform(0, 30, 3))
    else:
        f = np.broadcast_to(base * 0.4, (h, w, 3)).copy()
        step = max(3, int(rng.integers(4, 16)))
        f[::step] = base
        f[1::step] = base * 0.8
    return _u8(f + rng.normal(0, 4, f.shape[:2])[..., None])


def _photo_patch(rng: Rng, photo: Image8, h: int, w: int) -> Image8:
    """A random crop of ``photo`` at a random scale, resized to h by w."""
    ph, pw = photo.shape[:2]
    scale = _uni(rng, 0.5, 2.0)
    cw = int(np.clip(w / scale, 8, pw))
    ch = int(np.clip(cw * h / w, 8, ph))
    cw = int(np.clip(ch * w / h, 8, pw))
    x, y = int(rng.integers(0, pw - cw + 1)), int(rng.integers(0, ph - ch + 1))
    patch = photo[y:y + ch, x:x + cw]
    if _chance(rng, 0.5):
        patch = patch[:, ::-1]
    return _u8(cv2.resize(np.ascontiguousarray(patch), (w, h), interpolation=cv2.INTER_LINEAR))


def _read_photo(path: Path) -> Image8 | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None or float(image.mean()) < 8:  # unreadable, or one of the all-black frames
        return None
    return _u8(image)


def _label_boxes(image: Path, w: int, h: int) -> list[PixelBox]:
    """Plate boxes of a photo from its YOLO label file (``.../images/x/a.jpg`` -> ``.../labels/x/a.txt``)."""
    parts = list(image.parts)
    if "images" not in parts:
        return []
    k = len(parts) - 1 - parts[::-1].index("images")
    label = Path(*parts[:k], "labels", *parts[k + 1:]).with_suffix(".txt")
    boxes: list[PixelBox] = []
    if label.exists():
        for line in label.read_text().splitlines():
            values = line.split()
            if len(values) == 5:
                cx, cy, bw, bh = (float(v) for v in values[1:])
                boxes.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
    return boxes


def _plate_free_photo(rng: Rng, path: Path) -> Image8 | None:
    """A background photo, cut to a region without any of its labelled plates."""
    photo = _read_photo(path)
    if photo is None:
        return None
    boxes = _label_boxes(path, photo.shape[1], photo.shape[0])
    if not boxes:
        return photo
    free = _plate_free(rng, photo, boxes)
    return free[0] if free is not None else None


# ---------------------------------------------------------------------------------------------
# Public API: one plate, one reader sample
# ---------------------------------------------------------------------------------------------



def _clip_box(box: CharBox, w: int, h: int) -> CharBox:
    return CharBox(box.char, float(np.clip(box.x1, 0, w)), float(np.clip(box.y1, 0, h)), float(np.clip(box.x2, 0, w)),
                   float(np.clip(box.y2, 0, h)))


def _median_char_height(flat: _Flat) -> float:
    return float(np.median([g.y2 - g.y1 for g in flat.glyphs])) if flat.glyphs else float(flat.alpha.shape[0]) / 2


def _render(rng: Rng, flat: _Flat, cfg: EffectConfig | None, background: Image8 | None) -> RenderedPlate:
    """Warp the flat plate (``cfg`` None: as drawn), set it in its surroundings and photograph it."""
    sprite = _mounted(rng, flat) if cfg is not None else _flat_sprite(flat)
    scale = _loguni(rng, 10, 64) / _median_char_height(flat) if cfg is not None else 1.0
    placed = _warp(rng, sprite, min(scale, 1.3), cfg)
    lo, hi = placed.quad.min(axis=0), placed.quad.max(axis=0)
    qw, qh = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    mx, my = int(qw * _uni(rng, 0.2, 0.45)) + 4, int(qh * _uni(rng, 0.35, 0.8)) + 4
    w, h = int(np.ceil(qw)) + 2 * mx, int(np.ceil(qh)) + 2 * my
    surround = _photo_patch(rng, background, h, w) if background is not None else _texture(rng, h, w)
    canvas = surround.astype(np.float32)
    dx, dy = round(mx - float(lo[0])), round(my - float(lo[1]))
    _paste(canvas, placed, dx, dy)
    quad, boxes = _shifted(placed, dx, dy)
    plate_mask = np.zeros((h, w), np.float32)
    cv2.fillConvexPoly(plate_mask, np.round(quad).astype(np.int32), 1.0)
    char_h = float(np.median([b.y2 - b.y1 for b in boxes])) if boxes else qh / 2
    image = _camera(rng, _u8(canvas), plate_mask, char_h, cfg) if cfg is not None else _u8(canvas)
    return RenderedPlate(image, flat.text, flat.layout, flat.rows, tuple(_clip_box(b, w, h) for b in boxes), quad)


def render_plate(rng: np.random.Generator, layout: str | None = None, text: str | None = None, effects: bool = True,
                 *, config: EffectConfig | None = None, fonts: FontSet | None = None,
                 background: Image8 | None = None) -> RenderedPlate:
    """One random plate (or one reading ``text``) on a synthetic background, or on a patch of ``background``.

    ``text`` is drawn exactly: characters 0-9 and A-Z, optional separators (space, "-", ".", "@" for
    an emblem) and "|" between rows; it is split into rows as the layout needs. ``effects=False``
    gives the clean, front-on plate at its drawing size.
    """
    fonts = fonts or FontSet.find()
    cfg = (config or EffectConfig()) if effects else None
    flat = _draw_plate(rng, layout, text, fonts)
    if cfg is not None:
        flat = _surface(rng, flat, cfg)
    return _render(rng, flat, cfg, background)


def _detector_box(rng: Rng, quad: Floats, w: int, h: int) -> PixelBox:
    """The plate's bounding box as a detector would give it: off by a few per cent on each side."""
    x1, y1 = (float(v) for v in quad.min(axis=0))
    x2, y2 = (float(v) for v in quad.max(axis=0))
    bw, bh = x2 - x1, y2 - y1
    jx = np.clip(rng.normal(0, 0.025, 2), -0.06, 0.06) * bw
    jy = np.clip(rng.normal(0, 0.04, 2), -0.1, 0.1) * bh
    return (max(0.0, x1 + jx[0]), max(0.0, y1 + jy[0]), min(float(w), x2 + jx[1]), min(float(h), y2 + jy[1]))


def _kept_share(before: CharBox, after: CharBox) -> float:
    area = (before.x2 - before.x1) * (before.y2 - before.y1)
    return (after.x2 - after.x1) * (after.y2 - after.y1) / area if area > 0 else 0.0


def reader_sample(rng: np.random.Generator, background: Image8 | None, *, layout: str | None = None,
                  text: str | None = None, fonts: FontSet | None = None,
                  config: EffectConfig | None = None) -> tuple[Image8, list[ReaderBox]]:
    """A plate set into ``background`` (a photo, of which a random patch is used; None: a synthetic texture)
    and cut out as at run time: :func:`crop_plate` of a jittered plate box. Boxes are in crop pixels."""
    plate = render_plate(rng, layout, text, True, config=config, fonts=fonts, background=background)
    h, w = plate.image.shape[:2]
    for _ in range(8):
        cut = crop_plate(plate.image, _detector_box(rng, plate.plate_quad, w, h))
        ch, cw = cut.pixels.shape[:2]
        moved = [CharBox(b.char, b.x1 - cut.x0, b.y1 - cut.y0, b.x2 - cut.x0, b.y2 - cut.y0) for b in plate.char_boxes]
        clipped = [_clip_box(b, cw, ch) for b in moved]
        if all(_kept_share(b, c) > 0.8 for b, c in zip(moved, clipped, strict=True)):
            break
    boxes = [(CHARSET.index(b.char), b.x1, b.y1, b.x2, b.y2) for b in clipped]
    return np.ascontiguousarray(cut.pixels), boxes


def _yolo_line(cls: int, box: PixelBox, w: int, h: int) -> str:
    x1, y1, x2, y2 = box
    return f"{cls} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}\n"


def _prepare(out: Path) -> tuple[Path, Path]:
    images, labels = out / "images", out / "labels"
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    return images, labels


def write_reader_set(out: Path, count: int, seed: int, backgrounds: list[Path],
                     config: EffectConfig | None = None) -> int:
    """Write ``count`` reader crops in YOLO layout (``out/images/*.jpg``, ``out/labels/*.txt``, classes
    index CHARSET). Most are set into patches of the ``backgrounds`` photos, the rest into textures."""
    rng = np.random.default_rng(seed)
    fonts = FontSet.find()
    images, labels = _prepare(out)
    photo: Image8 | None = None
    start = time.monotonic()
    for i in range(count):
        if backgrounds and i % BACKGROUND_REUSE == 0:
            photo = _plate_free_photo(rng, _pick(rng, backgrounds))
        crop, boxes = reader_sample(rng, photo if _chance(rng, 0.85) else None, fonts=fonts, config=config)
        name = f"render{seed}_{i:06d}"
        cv2.imwrite(str(images / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
        h, w = crop.shape[:2]
        (labels / f"{name}.txt").write_text("".join(_yolo_line(c, (x1, y1, x2, y2), w, h)
                                                    for c, x1, y1, x2, y2 in boxes))
    log.info("reader set %s: %d crops in %.1f s", out, count, time.monotonic() - start)
    return count


# ---------------------------------------------------------------------------------------------
# Detector scenes: rendered plates pasted into real train photos
# ---------------------------------------------------------------------------------------------


def _photo_boxes(real: RealImage, w: int, h: int) -> list[PixelBox]:
    return [((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h) for cx, cy, bw, bh in
            (p.box for p in real.plates)]


def _overlaps(a: PixelBox, b: PixelBox, margin: float = 0.0) -> bool:
    mx, my = (b[2] - b[0]) * margin, (b[3] - b[1]) * margin
    return a[0] < b[2] + mx and b[0] - mx < a[2] and a[1] < b[3] + my and b[1] - my < a[3]


def _scene_sprite(rng: Rng, fonts: FontSet, cfg: EffectConfig, frame_w: int) -> _Sprite:
    """A plate (often on a patch of car body) sized and tilted for a frame ``frame_w`` pixels wide."""
    flat = _surface(rng, _draw_plate(rng, None, None, fonts), cfg)
    share = _loguni(rng, 0.015, 0.12) if _chance(rng, 0.85) else _uni(rng, 0.12, 0.3)
    target = max(10.0, share * frame_w)
    sprite = _warp(rng, _mounted(rng, flat, 0.5), target / flat.alpha.shape[1], cfg)
    sigma = _uni(rng, 0.0, 0.9)
    if sigma < 0.3:
        return sprite
    bgr = _u8(cv2.GaussianBlur(sprite.bgr, (0, 0), sigma))
    return _Sprite(bgr, _f32(cv2.GaussianBlur(sprite.alpha, (0, 0), sigma)), sprite.quad, sprite.boxes)


def _free_spot(rng: Rng, sprite: _Sprite, taken: list[PixelBox], void: npt.NDArray[np.bool_]) -> tuple[int, int] | None:
    """Where the sprite can go with its whole plate in the frame, nothing over a plate already there, and not
    in ``void`` (the black corners of rotated photos)."""
    h, w = void.shape
    sh, sw = sprite.alpha.shape
    (qx0, qy0), (qx1, qy1) = sprite.quad.min(axis=0), sprite.quad.max(axis=0)
    x_lo, x_hi = int(np.ceil(-qx0)), int(np.floor(w - qx1))
    y_lo, y_hi = int(np.ceil(-qy0)), int(np.floor(h - qy1))
    if x_hi <= x_lo or y_hi <= y_lo:
        return None
    lower = int(np.clip(h * 0.3 - qy0, y_lo, y_hi - 1))  # mostly in the lower part of the frame, as cars are
    for _ in range(30):
        x = int(rng.integers(x_lo, x_hi))
        y = int(rng.integers(lower if _chance(rng, 0.8) else y_lo, y_hi))
        footprint = (float(x), float(y), float(x + sw), float(y + sh))
        if any(_overlaps(footprint, t, 0.1) for t in taken):
            continue
        if float(void[max(0, y):y + sh, max(0, x):x + sw].mean()) < 0.1:
            return x, y
    return None


def _photo_noise(photo: Image8) -> tuple[float, float]:
    """Gaussian noise level and share of salt-and-pepper pixels of a photo, so pasted plates can match it."""
    grey = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    diff = np.abs(grey.astype(np.int16) - cv2.medianBlur(grey, 3).astype(np.int16))
    return float(np.median(diff)) * 1.4826, float((diff > 80).mean())


def _match_noise(rng: Rng, f: Floats, cover: Floats, noise: tuple[float, float]) -> Floats:
    """Give the pasted pixels (``cover`` > 0) the photo's own noise."""
    sigma, impulse = noise
    f = f + rng.normal(0, max(0.5, sigma), f.shape[:2]).astype(np.float32)[..., None] * cover[..., None]
    if impulse > 0.002:
        dots = (rng.random(cover.shape) < impulse) & (cover > 0.5)
        f[dots] = _f32(rng.choice([0.0, 255.0], size=(int(dots.sum()), 1)))
    return f


def _paste_plate(rng: Rng, f: Floats, sprite: _Sprite, spot: tuple[int, int], cast: Floats, *, night: bool) -> Floats:
    """Paste the sprite at ``spot`` with the light and colour cast of the photo; returns where it covers."""
    x, y = spot
    sh, sw = sprite.alpha.shape
    local = float(f[max(0, y):y + sh, max(0, x):x + sw].mean()) if sh and sw else 128.0
    bright = float(np.clip((local + 30) / 140, 0.3, 1.25) ** 0.7) * _uni(rng, 0.85, 1.15)
    return _paste(f, sprite, x, y, _f32(cast * bright * (_uni(rng, 0.8, 1.6) if night else 1.0)))


def _scene(rng: Rng, photo: Image8, boxes: list[PixelBox], fonts: FontSet,
           cfg: EffectConfig) -> tuple[Image8, list[PixelBox]] | None:
    h, w = photo.shape[:2]
    f = photo.astype(np.float32)
    night = _chance(rng, 0.12)
    if night:
        f = _f32(255 * (f / 255) ** _uni(rng, 1.2, 1.8) * _uni(rng, 0.3, 0.6))
    mean = f.reshape(-1, 3).mean(axis=0) + 1
    cast = _f32(np.clip(mean / mean.mean(), 0.6, 1.6) ** 0.8)
    taken, labels = list(boxes), list(boxes)
    cover = np.zeros((h, w), np.float32)
    void = photo.max(axis=2) < 4
    for _ in range(_pick(rng, (1, 1, 1, 2, 2, 3))):
        sprite = _scene_sprite(rng, fonts, cfg, w)
        spot = _free_spot(rng, sprite, taken, void)
        if spot is None:
            continue
        cover = np.maximum(cover, _paste_plate(rng, f, sprite, spot, cast, night=night))
        quad = sprite.quad + _f32(spot)
        (x1, y1), (x2, y2) = quad.min(axis=0), quad.max(axis=0)
        labels.append((max(0.0, float(x1)), max(0.0, float(y1)), min(float(w), float(x2)), min(float(h), float(y2))))
        sh, sw = sprite.alpha.shape
        taken.append((float(spot[0]), float(spot[1]), float(spot[0] + sw), float(spot[1] + sh)))
    if len(labels) == len(boxes):
        return None
    f = _match_noise(rng, f, cover, _photo_noise(photo))
    if night:
        f = f + rng.normal(0, _uni(rng, 1.0, 5.0), f.shape).astype(np.float32)
    return _u8(f), labels


def _plate_free(rng: Rng, photo: Image8, boxes: list[PixelBox]) -> tuple[Image8, list[PixelBox]] | None:
    """A crop of the photo that holds none of its plate boxes: a negative for the detector."""
    h, w = photo.shape[:2]
    for _ in range(30):
        cw, ch = int(w * _uni(rng, 0.3, 0.7)), int(h * _uni(rng, 0.3, 0.7))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        if not any(_overlaps((x, y, x + cw, y + ch), b, 0.05) for b in boxes):
            return np.ascontiguousarray(photo[y:y + ch, x:x + cw]), []
    return None


def write_scene_set(out: Path, count: int, seed: int, backgrounds: list[RealImage],
                    config: EffectConfig | None = None) -> int:
    """Write ``count`` detector scenes in YOLO layout (class 0 = plate): train photos with 1-3 rendered
    plates pasted in, their own plates kept as labels, and about a tenth plate-free crops."""
    photos = [b for b in backgrounds if b.split == "train"]
    if not photos:
        raise ValueError("no train photos to paste plates into")
    rng = np.random.default_rng(seed)
    fonts, cfg = FontSet.find(), config or EffectConfig()
    images, labels = _prepare(out)
    written, start = 0, time.monotonic()
    for _ in range(count * 5):
        if written >= count:
            break
        real = _pick(rng, photos)
        photo = _read_photo(real.image)
        if photo is None:
            continue
        boxes = _photo_boxes(real, photo.shape[1], photo.shape[0])
        result = _plate_free(rng, photo, boxes) if _chance(rng, 0.1) else _scene(rng, photo, boxes, fonts, cfg)
        if result is None:
            continue
        scene, plates = result
        name = f"scene{seed}_{written:06d}"
        cv2.imwrite(str(images / f"{name}.jpg"), scene, [cv2.IMWRITE_JPEG_QUALITY, 92])
        sh, sw = scene.shape[:2]
        (labels / f"{name}.txt").write_text("".join(_yolo_line(0, b, sw, sh) for b in plates))
        written += 1
    log.info("scene set %s: %d scenes in %.1f s", out, written, time.monotonic() - start)
    return written


# ---------------------------------------------------------------------------------------------
# Contact sheet and command line
# ---------------------------------------------------------------------------------------------


def _tile(image: Image8, boxes: Sequence[PixelBox], caption: str, size: tuple[int, int] = (300, 190)) -> Image8:
    tw, th = size
    s = min(tw / image.shape[1], (th - 16) / image.shape[0])
    scaled = _u8(cv2.resize(image, (max(1, round(image.shape[1] * s)), max(1, round(image.shape[0] * s))),
                            interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR))
    tile = np.full((th, tw, 3), 60, np.uint8)
    tile[:scaled.shape[0], :scaled.shape[1]] = scaled
    for x1, y1, x2, y2 in boxes:
        corner = (int(np.ceil(x2 * s)) - 1, int(np.ceil(y2 * s)) - 1)
        cv2.rectangle(tile, (int(x1 * s), int(y1 * s)), corner, (0, 230, 0), 1)
    cv2.putText(tile, caption, (3, th - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 255, 255), 1, cv2.LINE_AA)
    return tile


def draw_sheet(out: Path, seed: int = 0, *, count: int = 48, effects: bool = True, reader: bool = False,
               backgrounds: Sequence[Path] = ()) -> None:
    """A contact sheet of rendered plates (or reader crops) with their character boxes, 8 to a row."""
    rng = np.random.default_rng(seed)
    fonts = FontSet.find()
    tiles = []
    for i in range(count):
        layout = LAYOUTS[i % len(LAYOUTS)]
        if reader:
            photo = _plate_free_photo(rng, _pick(rng, backgrounds)) if backgrounds else None
            crop, rboxes = reader_sample(rng, photo, layout=layout, fonts=fonts)
            text = "".join(CHARSET[c] for c, *_ in rboxes)
            tiles.append(_tile(crop, [b[1:] for b in rboxes], f"{layout} {text}"))
        else:
            plate = render_plate(rng, layout, effects=effects, fonts=fonts)
            boxes = [(b.x1, b.y1, b.x2, b.y2) for b in plate.char_boxes]
            tiles.append(_tile(plate.image, boxes, f"{layout} {plate.text}"))
    tiles += [np.full_like(tiles[0], 60)] * (-len(tiles) % 8)
    rows = [np.hstack(tiles[i:i + 8]) for i in range(0, len(tiles), 8)]
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), np.vstack(rows))


def _train_photos(shared: Path) -> list[RealImage]:
    return [i for i in load_real_images(shared) if i.split == "train"] if shared.is_dir() else []


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m edge.training.render", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("reader", "reader crops (YOLO, classes = CHARSET)"), ("scenes", "detector scenes (YOLO)")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("out", type=Path)
        p.add_argument("--count", type=int, default=1000)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--shared", type=Path, default=Path("../shared/datasets"), help="the real photo sets")
    p = sub.add_parser("sheet", help="contact sheet of rendered plates with their character boxes")
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=48)
    p.add_argument("--clean", action="store_true", help="no effects")
    p.add_argument("--reader", action="store_true", help="reader crops instead of plates")
    p.add_argument("--shared", type=Path, default=Path("../shared/datasets"), help="backgrounds for --reader")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start = time.monotonic()
    if args.command == "reader":
        n = write_reader_set(args.out, args.count, args.seed, [i.image for i in _train_photos(args.shared)])
        print(f"{n} reader crops in {args.out} ({time.monotonic() - start:.1f} s)")
    elif args.command == "scenes":
        n = write_scene_set(args.out, args.count, args.seed, _train_photos(args.shared))
        print(f"{n} scenes in {args.out} ({time.monotonic() - start:.1f} s)")
    else:
        photos = [i.image for i in _train_photos(args.shared)] if args.reader else []
        draw_sheet(args.out, args.seed, count=args.count, effects=not args.clean, reader=args.reader,
                   backgrounds=photos)
        print(f"sheet {args.out} ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    main()
