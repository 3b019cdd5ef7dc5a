"""The canvas a flat plate is drawn on: labelled glyphs, separators, emblems and unlabelled clutter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from edge.training.render.pixels import RGB, f32, u8
from edge.training.render.plate_fonts import Font, FontSet, choose_style, glyph_mask, load_font
from edge.training.render.plate_types import CharBox, FlatPlate
from edge.training.render.random_draws import Rng, chance, jitter, pick, uni
from edge.training.render.text_rows import characters
from edge.vision.charset import CHARSET

EU_BLUE: RGB = (0, 51, 153)
EU_YELLOW: RGB = (255, 204, 0)


@dataclass(frozen=True)
class Spec:
    layout: str
    variant: str
    rows: tuple[str, ...]  # display rows, separators included


def star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.42)
    return [(cx + float(rr * np.cos(a)), cy - float(rr * np.sin(a))) for a, rr in zip(angles, radii, strict=True)]


class Plate:
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
        self.style = choose_style(rng, fonts, layout, emboss)
        self.glyphs: list[CharBox] = []
        self._cache: dict[int, Font] = {}

    def font(self, size: int) -> Font:
        if size not in self._cache:
            self._cache[size] = load_font(self.style.font, size)
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
            wanted = (fill * uni(self.rng, 0.92, 1.08) * (x1 - x0) / h - sum(units)) / (len(row) - 1)
            gap = float(np.clip(wanted, gap, gap + 0.22))
            total = sum(units) + gap * (len(row) - 1)
            h = min(h, (x1 - x0) / total)
        font = self.font(max(4, round(h / self.style.cap)))
        stroke = round(self.style.stroke * h)
        x = x0 + (x1 - x0 - total * h) * uni(self.rng, 0.4, 0.6)
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
        mask, rise = glyph_mask(font, c, stroke, self.style.squeeze)
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
            sticker = pick(rng, ((230, 120, 170), (90, 170, 80), (240, 150, 40), (70, 120, 200), (230, 210, 60)))
            for dy, fill, line in ((-0.24, sticker, (60, 60, 60)), (0.24, (235, 235, 235), (120, 40, 40))):
                y = cy + dy * h
                self.draw.ellipse((cx - r, y - r, cx + r, y + r), fill=fill, outline=line,
                                  width=max(1, round(r * 0.15)))
            self.draw.ellipse((cx - r * 0.45, cy + 0.24 * h - r * 0.45, cx + r * 0.45, cy + 0.24 * h + r * 0.45),
                              fill=(150, 40, 40))
            return
        colour = pick(rng, ((200, 30, 40), (30, 60, 160), (20, 120, 60), (220, 170, 30)))
        r = min(width * 0.45, h * 0.3)
        if chance(rng, 0.5):
            self.draw.polygon(star(cx, cy, r), fill=colour)
        else:
            self.draw.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 0.9), fill=colour)

    # -- unlabelled clutter --------------------------------------------------------------------

    def label(self, text: str, box: tuple[float, float, float, float], colour: RGB, decor: bool = True) -> None:
        """Clutter text (country code, state, slogan, city) fitted into ``box``; never labelled."""
        path = pick(self.rng, self.fonts.decor) if decor and self.fonts.decor else self.style.font
        x0, y0, x1, y1 = box
        left, top, right, bottom = load_font(path, 100).getbbox(text)
        if right <= left or bottom <= top or x1 <= x0 or y1 <= y0:
            return
        scale = min((x1 - x0) / (right - left), (y1 - y0) / (bottom - top))
        font = load_font(path, max(4, int(100 * scale)))
        self.draw.text(((x0 + x1) / 2, (y0 + y1) / 2), text, font=font, fill=colour, anchor="mm")

    def gradient(self, top: RGB, bottom: RGB, box: tuple[float, float, float, float] | None = None) -> None:
        x0, y0, x1, y1 = (round(v) for v in (box or (0, 0, self.w, self.h)))
        if x1 <= x0 or y1 <= y0:
            return
        t = np.linspace(0.0, 1.0, y1 - y0, dtype=np.float32)[:, None, None]
        rows = f32(top) * (1 - t) + f32(bottom) * t
        self.img.paste(Image.fromarray(u8(np.repeat(rows, x1 - x0, axis=1))), (x0, y0))

    def border(self, colour: RGB, width: float = 0.02, inset: float = 0.02, radius: float = 0.06) -> None:
        px, pw = self.h * inset, max(1, round(self.h * width))
        self.draw.rounded_rectangle((px, px, self.w - 1 - px, self.h - 1 - px), radius=max(1, round(self.h * radius)),
                                    outline=colour, width=pw)

    def eu_band(self, x0: float, x1: float, code: str, colour: RGB = EU_BLUE, stars: bool = True) -> None:
        """The blue band at the left of EU plates: a ring of stars over the country code."""
        self.draw.rectangle((x0, 0, x1, self.h), fill=jitter(self.rng, colour, 10))
        bw, cx = x1 - x0, (x0 + x1) / 2
        if stars:
            ring = min(bw * 0.3, self.h * 0.14)
            for k in range(12):
                a = k * np.pi / 6
                x, y = cx + ring * float(np.cos(a)), self.h * 0.3 + ring * float(np.sin(a))
                self.draw.polygon(star(x, y, ring * 0.2), fill=EU_YELLOW)
        self.label(code, (x0 + bw * 0.12, self.h * 0.56, x1 - bw * 0.12, self.h * 0.86), (250, 250, 250), decor=False)

    def top_band(self, y1: float, code: str) -> None:
        """EU band across the top of a square motorcycle plate."""
        self.draw.rectangle((0, 0, self.w, y1), fill=jitter(self.rng, EU_BLUE, 10))
        r = y1 * 0.32
        for k in range(12):
            a = k * np.pi / 6
            x, y = y1 * 0.7 + r * float(np.cos(a)), y1 / 2 + r * float(np.sin(a))
            self.draw.polygon(star(x, y, r * 0.2), fill=EU_YELLOW)
        self.label(code, (y1 * 1.4, y1 * 0.18, y1 * 2.6, y1 * 0.82), (250, 250, 250), decor=False)

    def screws(self, points: Sequence[tuple[float, float]], r: float) -> None:
        """Screw heads, left out where they would cover a character."""
        metal = pick(self.rng, ((190, 190, 195), (120, 120, 125), (60, 60, 60), self.bg))
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
        t = min(self.h * uni(self.rng, 0.03, 0.07), top_g - 2)
        b = min(self.h * uni(self.rng, 0.08, 0.15), self.h - bottom_g - 2)
        s = min(self.w * uni(self.rng, 0.015, 0.03), min(g.x1 for g in self.glyphs) - 2,
                self.w - max(g.x2 for g in self.glyphs) - 2)
        if min(t, b, s) < 1:
            return
        w, h = self.w, self.h
        for box in ((0, 0, w, t), (0, h - b, w, h), (0, 0, s, h), (w - s, 0, w, h)):
            self.draw.rectangle(box, fill=colour)
        self.label(text, (w * 0.25, h - b * 0.85, w * 0.75, h - b * 0.15), (225, 225, 225), decor=False)

    def finish(self, spec: Spec) -> FlatPlate:
        rgb = np.asarray(self.img, dtype=np.float32)
        shade = np.linspace(uni(self.rng, 0.9, 1.0), uni(self.rng, 0.95, 1.05), self.h, dtype=np.float32)
        rgb = rgb * shade[:, None, None] + self.rng.normal(0, 2.5, rgb.shape[:2]).astype(np.float32)[..., None]
        bgr = np.ascontiguousarray(u8(rgb)[:, :, ::-1])
        text = "".join(characters(r) for r in spec.rows)
        return FlatPlate(bgr, np.asarray(self.alpha).copy(), tuple(self.glyphs), spec.layout, len(spec.rows), text)
