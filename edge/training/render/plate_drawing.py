"""How each layout's flat plate is drawn: sizes, colours, bands, lettering and clutter."""

from __future__ import annotations

import colorsys
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from edge.training.render.pixels import RGB
from edge.training.render.plate_canvas import EU_BLUE, EU_YELLOW, Plate, Spec, star
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_texts import digits, letters
from edge.training.render.plate_types import FlatPlate
from edge.training.render.random_draws import Rng, chance, jitter, pick, uni

WHITE: RGB = (246, 246, 244)
BLACK: RGB = (18, 18, 20)
UK_YELLOW: RGB = (250, 200, 10)
INKS_US: tuple[RGB, ...] = ((20, 30, 110), (10, 60, 160), (20, 20, 25), (120, 20, 35), (0, 90, 45), (170, 25, 25),
                            (60, 60, 140))


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


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
    return _hsv(uni(rng, 0, 1), uni(rng, 0.08, 0.35), uni(rng, 0.85, 1.0))


def draw_eu(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    country = EU_COUNTRIES.get(spec.variant, EU_COUNTRIES["LT"])
    h = uni(rng, 100, 130)
    w = h * (uni(rng, 4.2, 4.9) if chance(rng, 0.88) else uni(rng, 3.3, 3.9))
    p = Plate(rng, fonts, "eu", (w, h), jitter(rng, country.bg, 8), radius=uni(rng, 0.03, 0.09))
    left = h * uni(rng, 0.34, 0.44) if chance(rng, 0.9) else h * 0.07
    if left > h * 0.2:
        p.eu_band(0, left, spec.variant)
    right = h * 0.07
    if country.right_band:
        right = h * uni(rng, 0.34, 0.42)
        p.draw.rectangle((p.w - right, 0, p.w, p.h), fill=jitter(rng, EU_BLUE, 10))
        if country.right_band == "F":
            p.draw.rectangle((p.w - right * 0.8, h * 0.12, p.w - right * 0.2, h * 0.5), fill=_pastel(rng))
            p.label(digits(rng, 2), (p.w - right * 0.85, h * 0.58, p.w - right * 0.15, h * 0.88), WHITE, decor=False)
        else:
            r = right * 0.22
            cx = p.w - right / 2
            p.draw.ellipse((cx - r, h * 0.25 - r, cx + r, h * 0.25 + r), outline=EU_YELLOW, width=2)
            p.label(letters(rng, 2), (p.w - right * 0.8, h * 0.62, p.w - right * 0.2, h * 0.86), WHITE, decor=False)
    if chance(rng, 0.6):
        p.border(BLACK, uni(rng, 0.012, 0.03), uni(rng, 0.01, 0.03))
    ink = (180, 20, 30) if re.fullmatch(r"[A-Z]{1,2} 0\d{5}", spec.rows[0]) else country.ink
    p.text_row(spec.rows[0], (left + h * 0.05, p.w - right - h * 0.05), h * uni(rng, 0.48, 0.53),
               h * uni(rng, 0.6, 0.72), jitter(rng, ink, 10))
    if chance(rng, 0.2):
        p.screws(((p.w * 0.22, h * 0.1), (p.w * 0.78, h * 0.1)), h * 0.045)
    return p.finish(spec)


def draw_uk(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    h = uni(rng, 100, 125)
    rear = chance(rng, 0.5)
    p = Plate(rng, fonts, "uk", (h * uni(rng, 4.4, 4.8), h), jitter(rng, UK_YELLOW if rear else WHITE, 8),
              radius=uni(rng, 0.02, 0.08))
    left, roll = h * 0.06, rng.random()
    if roll < 0.35:
        left = h * uni(rng, 0.32, 0.4)
        p.eu_band(0, left, pick(rng, ("GB", "UK", "GB", "CYM", "SCO")), stars=chance(rng, 0.4))
    elif roll < 0.43:
        left = h * 0.14
        p.draw.rectangle((0, 0, left, h), fill=(0, 150, 70))
    if chance(rng, 0.3):
        p.border(BLACK, uni(rng, 0.012, 0.025), 0.02)
    p.text_row(spec.rows[0], (left + h * 0.05, p.w - h * 0.06), h * uni(rng, 0.46, 0.52), h * uni(rng, 0.64, 0.72),
               jitter(rng, BLACK, 8))
    if chance(rng, 0.35):
        p.label(pick(rng, UK_DEALERS), (p.w * 0.35, h * 0.885, p.w * 0.65, h * 0.965), (60, 60, 60), decor=False)
    if chance(rng, 0.2):
        p.label("BS AU 145e", (p.w * 0.84, h * 0.89, p.w * 0.96, h * 0.96), (60, 60, 60), decor=False)
    return p.finish(spec)


def _us_background(p: Plate, rng: Rng) -> None:
    kind = int(rng.integers(5))
    if kind == 1:
        p.gradient(_pastel(rng), jitter(rng, WHITE, 6))
    elif kind == 2:
        p.draw.rectangle((0, 0, p.w, p.h * 0.22), fill=_pastel(rng))
        p.draw.rectangle((0, p.h * 0.8, p.w, p.h), fill=_pastel(rng))
    elif kind == 3:
        p.gradient(_pastel(rng), jitter(rng, WHITE, 6))
        xs = np.linspace(0, p.w, int(rng.integers(4, 9)))
        ridge = [(float(x), float(p.h * uni(rng, 0.45, 0.8))) for x in xs]
        p.draw.polygon([(0.0, float(p.h)), *ridge, (float(p.w), float(p.h))], fill=_pastel(rng))
    elif kind == 4:
        r = p.h * uni(rng, 0.2, 0.4)
        cx, cy = p.w * uni(rng, 0.2, 0.8), p.h * uni(rng, 0.3, 0.7)
        p.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_hsv(uni(rng, 0.05, 0.15), uni(rng, 0.2, 0.5), 1.0))
        for k in range(int(rng.integers(1, 4))):
            y = p.h * (0.75 + 0.06 * k)
            p.draw.line((0, y, p.w, y + uni(rng, -5, 5)), fill=_pastel(rng), width=max(1, round(p.h * 0.03)))


def draw_us(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    h = uni(rng, 140, 170)
    p = Plate(rng, fonts, "us", (h * uni(rng, 1.9, 2.08), h), jitter(rng, WHITE, 6), radius=uni(rng, 0.04, 0.1),
              emboss=uni(rng, 0.008, 0.02) if chance(rng, 0.6) else 0.0)
    _us_background(p, rng)
    state, slogan = pick(rng, US_STATES)
    accent, ink = pick(rng, INKS_US), pick(rng, INKS_US)
    top = h * uni(rng, 0.03, 0.06)
    p.label(state, (p.w * 0.2, top, p.w * 0.8, top + h * uni(rng, 0.12, 0.19)), accent)
    if slogan and chance(rng, 0.85):
        p.label(slogan, (p.w * 0.22, h * 0.83, p.w * 0.78, h * uni(rng, 0.91, 0.95)), pick(rng, INKS_US))
    p.text_row(spec.rows[0], (p.w * 0.07, p.w * 0.93), h * uni(rng, 0.52, 0.56), h * uni(rng, 0.4, 0.5), ink,
               emblem="blob")
    holes = [(p.w / 2 + sx * p.w * 0.29, h * sy) for sx in (-1, 1) for sy in (0.11, 0.89)]
    p.screws(holes if chance(rng, 0.6) else holes[::2], h * 0.035)
    if chance(rng, 0.6):
        x = p.w * (0.03 if chance(rng, 0.5) else 0.79)
        p.sticker((x, h * 0.04, x + p.w * 0.16, h * 0.2), _hsv(uni(rng, 0, 1), 0.6, 0.95),
                  pick(rng, ("JUL", "25", "MAR", "24", "26", "OCT")))
    if chance(rng, 0.3):
        p.border(accent, 0.025, 0.02)
    if chance(rng, 0.35):
        p.frame(pick(rng, ((20, 20, 20), (160, 160, 165), (90, 20, 20))), pick(rng, US_DEALERS))
    return p.finish(spec)


def draw_br_old(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    h = uni(rng, 105, 125)
    red = chance(rng, 0.12)
    grey = int(rng.integers(150, 205))
    bg = (180, 30, 35) if red else jitter(rng, (grey, grey, grey + 4), 6)
    ink = (240, 240, 240) if red else jitter(rng, BLACK, 8)
    p = Plate(rng, fonts, "br_old", (h * uni(rng, 3.0, 3.15), h), bg, radius=uni(rng, 0.03, 0.07))
    p.gradient(jitter(rng, bg, 4), tuple(int(v * 0.85) for v in bg))  # type: ignore[arg-type]
    p.border(ink, uni(rng, 0.015, 0.03), 0.02)
    strip = h * uni(rng, 0.18, 0.23)
    p.label(pick(rng, BR_CITIES), (p.w * 0.2, h * 0.05, p.w * 0.8, h * 0.05 + strip * 0.8), ink, decor=False)
    if chance(rng, 0.5):
        y = h * 0.07 + strip
        p.draw.line((p.w * 0.03, y, p.w * 0.97, y), fill=ink, width=max(1, round(h * 0.012)))
    p.text_row(spec.rows[0], (p.w * 0.05, p.w * 0.95), h * uni(rng, 0.6, 0.64), h * uni(rng, 0.5, 0.56), ink)
    p.screws(((p.w * 0.09, h * 0.15), (p.w * 0.91, h * 0.15)), h * 0.04)
    return p.finish(spec)


def draw_mercosur(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    h = uni(rng, 105, 125)
    p = Plate(rng, fonts, "mercosur", (h * uni(rng, 3.0, 3.15), h), jitter(rng, WHITE, 6),
              radius=uni(rng, 0.03, 0.07))
    if chance(rng, 0.5):  # faint security pattern
        for k in range(int(rng.integers(4, 10))):
            y = h * (0.3 + 0.07 * k)
            p.draw.arc((-p.w * 0.2, y, p.w * 1.2, y + h * 0.6), 190, 350, fill=(228, 230, 236), width=1)
    band = h * uni(rng, 0.2, 0.26)
    p.gradient((0, 45, 145), (0, 70, 175), (0, 0, p.w, band))
    p.label(spec.variant, (p.w * 0.32, band * 0.18, p.w * 0.68, band * 0.82), WHITE, decor=False)
    for k in range(4):  # the Mercosur emblem: stars under an arc
        p.draw.polygon(star(p.w * (0.05 + 0.02 * k), band * 0.62, band * 0.1), fill=WHITE)
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
    p.border(BLACK, uni(rng, 0.012, 0.025), 0.015)
    ink = BLACK if chance(rng, 0.8) else pick(rng, ((190, 20, 30), (20, 50, 160), (0, 110, 50), (120, 100, 40)))
    cy = band + (h - band) * uni(rng, 0.48, 0.52)
    p.text_row(spec.rows[0], (p.w * 0.09, p.w * 0.97), cy, h * uni(rng, 0.48, 0.56), ink)
    return p.finish(spec)


def _draw_rows(p: Plate, rows: Sequence[str], area: tuple[float, float, float, float], share: float, ink: RGB) -> None:
    """Rows of text stacked evenly in ``area``, each ``share`` of its row pitch high."""
    x0, y0, x1, y1 = area
    pitch = (y1 - y0) / len(rows)
    for k, row in enumerate(rows):
        cy = y0 + pitch * (k + 0.5) + uni(p.rng, -0.03, 0.03) * pitch
        p.text_row(row, (x0, x1), cy, pitch * share, ink, fill=0.45)


def draw_two_row(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    h = uni(rng, 150, 190)
    aspect = {"uk": (1.3, 1.42), "asia": (1.4, 1.9)}.get(spec.variant, (1.5, 1.8))
    dark = spec.variant == "asia" and chance(rng, 0.4)
    bg = jitter(rng, BLACK, 6) if dark else jitter(rng, UK_YELLOW if chance(rng, 0.35) else WHITE, 8)
    ink = jitter(rng, (235, 235, 235), 10) if dark else jitter(rng, BLACK, 8)
    p = Plate(rng, fonts, "two_row", (h * uni(rng, *aspect), h), bg, radius=uni(rng, 0.03, 0.08))
    left = h * 0.05
    if spec.variant == "eu" and chance(rng, 0.8):
        left = h * uni(rng, 0.2, 0.26)
        p.eu_band(0, left, pick(rng, ("D", "RO", "A", "PL", "NL", "I", "CZ")))
    if chance(rng, 0.6):
        p.border(ink, uni(rng, 0.01, 0.02), 0.02)
    _draw_rows(p, spec.rows, (left + h * 0.04, h * 0.05, p.w - h * 0.05, h * 0.97), uni(rng, 0.72, 0.84), ink)
    return p.finish(spec)


def draw_moto(rng: Rng, spec: Spec, fonts: FontSet) -> FlatPlate:
    h = uni(rng, 150, 190)
    n = len(spec.rows)
    p = Plate(rng, fonts, "moto", (h * uni(rng, 0.95, 1.35 if n == 3 else 1.6), h),
              jitter(rng, UK_YELLOW if chance(rng, 0.25) else WHITE, 8), radius=uni(rng, 0.04, 0.1))
    left, top, roll = h * 0.05, h * 0.04, rng.random()
    code = pick(rng, ("D", "RO", "F", "I", "NL", "E", "A", "CZ"))
    if roll < 0.4:
        top = h * uni(rng, 0.14, 0.18)
        p.top_band(top, code)
    elif roll < 0.7:
        left = h * uni(rng, 0.18, 0.24)
        p.eu_band(0, left, code)
    if chance(rng, 0.6):
        p.border(BLACK, uni(rng, 0.01, 0.02), 0.02)
    _draw_rows(p, spec.rows, (left + h * 0.04, top + h * 0.02, p.w - h * 0.05, h * 0.97), uni(rng, 0.72, 0.84),
               jitter(rng, BLACK, 8))
    return p.finish(spec)
