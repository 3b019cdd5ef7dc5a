"""Character boxes for real plate crops whose text is known, by label-guided segmentation.

Each labelled plate box of the shared real photos is cut exactly as at run time
(:func:`edge.vision.crop.crop_plate`), scaled to a working size and binarised some forty ways
(Otsu and adaptive mean/Gaussian thresholds with three block sizes, on the grey, CLAHE and
median-filtered crop, dark-on-light and light-on-dark). In each binarisation, connected components
of like height that line up are a character band (one per plate row, fitted with a slope for tilted
plates). The known text fixes the count: pieces of one broken glyph that overlap in x are merged,
components wider than a character are cut at column-projection minima where the characters' widths
put the joins, and components fused to the plate frame or to text below are freed by cutting them
down to the band. A candidate must then pass checks that tie it to the text: no hole where the
character has none and (all but one) holes where it has one, one ink colour, character widths and
gaps of plate text, every box inside the plate box. A crop is kept only when at least MIN_AGREE
binarisations give boxes that agree (IoU > AGREE_IOU per character) and no large set disagrees; the
boxes are their mean. A wrong box is worse than a missing one: anything doubtful gives None.

Symbols (hearts, emblems, seals) and small validity or year digits are not in the plate texts: they
fall out because they are shorter than the character band, or the count, hole or ink checks fail.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.training.reframe import CharBox, write_crop, write_reframed
from edge.training.set_folders import fresh_folders
from edge.training.sources import (
    PlateLabel,
    RealImage,
    crop_name,
    labelled_crops,
    load_real_images,
    reader_test_texts,
)
from edge.vision.charset import CHARSET
from edge.vision.crop import PAD_X, PAD_Y, crop_plate, padded_box

log = logging.getLogger(__name__)

SHEET_WIDTH = 1600  # pixels across a contact sheet
SHEET_GAP = 6  # grey pixels between tiles

Box = tuple[float, float, float, float]  # x1, y1, x2, y2
Image = npt.NDArray[Any]
Labels = npt.NDArray[np.int32]

ROW_HEIGHT = 120  # working height of the crop per plate row, in pixels
MIN_ASPECT = {1: 2.5, 2: 1.2}  # crops narrower than this (width / height) are widened: stretched photos
MIN_AGREE = 3  # binarisations that must give the same boxes
AGREE_IOU = 0.6  # per-character IoU for two binarisations to agree
NARROW = "1I"  # characters that may be much narrower than the others
MAX_FUSED = 3  # most characters one connected component may be split into
MAX_CUT_INK = 0.4  # most ink, as a share of the character height, in the column where fused characters are cut
HOLED = "0689BDOPQR"  # characters with an enclosed hole (4 and A may lose it in blur or by font)
OPEN = "12357CEFGHIJKLMNSTUVWXYZ"  # characters with none
MAX_GAP = 2.5  # widest gap between neighbouring characters of a row, in character heights
MAX_INK_SPREAD = 30.0  # farthest a character's ink chroma (BGR less its mean) may be from the characters' median
PLATE_SLACK = (0.045, 0.15)  # how far (share of plate width, height) characters may stick out of the plate box
MIN_CHAR_PIXELS = 7.0  # characters shorter than this in the crop are too small to box reliably
STRIP_MARGIN = 0.06  # rows kept above and below a character band when cutting components down to it


@dataclass(frozen=True)
class Blob:
    """A connected component, or several merged, as an integer box (x2, y2 exclusive)."""

    x1: int
    y1: int
    x2: int
    y2: int
    ids: tuple[int, ...]

    @property
    def w(self) -> int:
        return self.x2 - self.x1

    @property
    def h(self) -> int:
        return self.y2 - self.y1

    @property
    def cx(self) -> float:
        return (self.x1 + self.x2) / 2


@dataclass(frozen=True)
class Band:
    """One row of characters: top and bottom lines y = a + b * x."""

    top_a: float
    top_b: float
    bot_a: float
    bot_b: float

    def top(self, x: float) -> float:
        return self.top_a + self.top_b * x

    def bottom(self, x: float) -> float:
        return self.bot_a + self.bot_b * x

    def height(self, x: float) -> float:
        return self.bottom(x) - self.top(x)


# ---------------------------------------------------------------------------- binarisation


def _normalise(crop: Image, rows: int) -> tuple[Image, float, float]:
    """BGR crop scaled to ROW_HEIGHT pixels per plate row, widened to MIN_ASPECT if narrower; x and y scales."""
    colour = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR) if crop.ndim == 2 else crop[:, :, :3]
    height = ROW_HEIGHT * rows
    scale_y = height / colour.shape[0]
    width = max(1, round(colour.shape[1] * scale_y), round(MIN_ASPECT[rows] * height))
    scale_x = width / colour.shape[1]
    interp = cv2.INTER_CUBIC if scale_y > 1 else cv2.INTER_AREA
    return cv2.resize(colour, (width, height), interpolation=interp), scale_x, scale_y


def _binaries(grey: Image, rows: int) -> list[Image]:
    """Foreground masks (text = 255) from several thresholds, both polarities."""
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(2, 8)).apply(grey)
    row = ROW_HEIGHT
    out: list[Image] = []
    for blurred in (cv2.GaussianBlur(grey, (3, 3), 0), cv2.GaussianBlur(clahe, (3, 3), 0), cv2.medianBlur(grey, 5)):
        for inv in (cv2.THRESH_BINARY_INV, cv2.THRESH_BINARY):
            out.append(cv2.threshold(blurred, 0, 255, inv | cv2.THRESH_OTSU)[1])
            for block in (row // 4 | 1, row // 2 | 1, row | 1):
                for method in (cv2.ADAPTIVE_THRESH_MEAN_C, cv2.ADAPTIVE_THRESH_GAUSSIAN_C):
                    out.append(cv2.adaptiveThreshold(blurred, 255, method, inv, block, 6))
    return out


def _blobs(binary: Image) -> tuple[Labels, list[Blob]]:
    """Connected components that do not touch the crop border and are not specks."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=4)
    height, width = binary.shape
    min_area = (ROW_HEIGHT * 0.06) ** 2
    blobs = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < min_area or x == 0 or y == 0 or x + w >= width or y + h >= height:
            continue
        blobs.append(Blob(x, y, x + w, y + h, (i,)))
    return labels.astype(np.int32), blobs


# ---------------------------------------------------------------------------- rows of characters


def _fit_band(members: list[Blob]) -> Band:
    """Top and bottom lines through the members, with one least-squares slope (at most 0.2) for both."""
    xs = np.array([b.cx for b in members])
    tops = np.array([b.y1 for b in members], dtype=float)
    bots = np.array([b.y2 for b in members], dtype=float)
    slope = 0.0
    if len(members) >= 2 and float(np.ptp(xs)) >= 1.5 * float(np.median(bots - tops)):
        slope = float(np.clip(np.polyfit(xs, (tops + bots) / 2, 1)[0], -0.2, 0.2))
    return Band(float(np.median(tops - slope * xs)), slope, float(np.median(bots - slope * xs)), slope)


def _similar(a: Blob, b: Blob) -> bool:
    overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
    return abs(a.h - b.h) <= 0.2 * max(a.h, b.h) and overlap >= 0.6 * min(a.h, b.h)


def _candidate_bands(blobs: list[Blob], rows: int, n: int) -> list[Band]:
    """Bands of like-sized components, tallest first (the plate characters are the largest text)."""
    row = ROW_HEIGHT
    refs = [b for b in blobs if 0.18 * row <= b.h <= 0.95 * row and b.w <= b.h * 1.2 * n]
    bands: list[tuple[int, Band]] = []
    seen: list[frozenset[tuple[int, ...]]] = []
    for ref in sorted(refs, key=lambda b: -b.h):
        members = [b for b in refs if _similar(ref, b) and b.w <= 1.3 * b.h]
        if len(members) < min(2, n) and not (ref.w > 1.3 * ref.h):
            continue
        key = frozenset(m.ids for m in members) or frozenset([ref.ids])
        if key in seen:
            continue
        seen.append(key)
        bands.append((ref.h, _fit_band(members or [ref])))
    return [band for _, band in bands[: 3 * rows + 1]]


def _inside(blob: Blob, band: Band, tol: float) -> bool:
    hb = band.height(blob.cx)
    return blob.y1 >= band.top(blob.cx) - tol * hb and blob.y2 <= band.bottom(blob.cx) + tol * hb


def _full_height(blob: Blob, band: Band) -> bool:
    hb = band.height(blob.cx)
    return abs(blob.y1 - band.top(blob.cx)) <= 0.15 * hb and abs(blob.y2 - band.bottom(blob.cx)) <= 0.15 * hb


def _union(a: Blob, b: Blob) -> Blob:
    return Blob(min(a.x1, b.x1), min(a.y1, b.y1), max(a.x2, b.x2), max(a.y2, b.y2), a.ids + b.ids)


def _merge_pieces(blobs: list[Blob]) -> list[Blob]:
    """Merge components that overlap horizontally by half the narrower one (pieces of one glyph)."""
    merged: list[Blob] = []
    for blob in sorted(blobs, key=lambda b: b.x1):
        if merged:
            last = merged[-1]
            overlap = min(last.x2, blob.x2) - max(last.x1, blob.x1)
            if overlap >= 0.5 * min(last.w, blob.w):
                merged[-1] = _union(last, blob)
                continue
        merged.append(blob)
    return merged


def _row_blobs(blobs: list[Blob], band: Band) -> list[Blob]:
    """Character-height groups of the components inside the band, left to right."""
    inside = [b for b in blobs if _inside(b, band, 0.2)]
    groups = _merge_pieces(inside)
    return [g for g in groups if _full_height(g, band) and g.w >= 0.06 * band.height(g.cx)]


# ---------------------------------------------------------------------------- splitting fused characters


def _weight(char: str) -> float:
    """Width of a character relative to a typical one."""
    return 0.45 if char in NARROW else 1.0


def _typical_width(groups: list[Blob], band: Band) -> float | None:
    """Median width of the groups that are one ordinary character wide; None if fewer than two."""
    singles = [g.w for g in groups if 0.3 <= g.w / band.height(g.cx) <= 1.0]
    return float(np.median(singles)) if len(singles) >= 2 else None


def _allocate(groups: list[Blob], typical: list[float], text: str) -> list[str] | None:
    """The characters each group holds: the widest group per character takes one more, until all are placed."""
    parts = [1] * len(groups)
    while sum(parts) < len(text):
        i = max(range(len(groups)), key=lambda k: groups[k].w / typical[k] / parts[k])
        parts[i] += 1
    if max(parts) > MAX_FUSED or sum(p == 1 for p in parts) < 2:
        return None
    bounds = np.cumsum([0, *parts])
    chars = [text[a:b] for a, b in itertools.pairwise(bounds)]
    for g, t, cs in zip(groups, typical, chars, strict=True):
        expected = t * sum(_weight(c) for c in cs)
        if len(cs) > 1 and not 0.65 * expected <= g.w <= 1.4 * expected:
            return None
    return chars


def _cut_at(profile: npt.NDArray[np.float64], at: float, reach: float, height: int) -> int | None:
    """The column of least ink within ``reach`` of ``at``, if it is a clear valley."""
    lo, hi = max(1, round(at - reach)), min(len(profile) - 1, round(at + reach))
    if hi <= lo:
        return None
    col = lo + int(np.argmin(profile[lo:hi]))
    return col if profile[col] <= MAX_CUT_INK * height else None


def _piece(mask: npt.NDArray[np.bool_], blob: Blob, a: int, b: int) -> Blob | None:
    ys = np.flatnonzero(mask[:, a:b].any(axis=1))
    xs = np.flatnonzero(mask[:, a:b].any(axis=0))
    if ys.size == 0:
        return None
    x1, y1 = blob.x1 + a + int(xs[0]), blob.y1 + int(ys[0])
    return Blob(x1, y1, blob.x1 + a + int(xs[-1]) + 1, blob.y1 + int(ys[-1]) + 1, blob.ids)


def _split_blob(labels: Labels, blob: Blob, chars: str) -> list[Blob] | None:
    """Cut a group holding ``chars`` at the column-projection minima near where their widths put the joins."""
    if len(chars) == 1:
        return [blob]
    mask = np.isin(labels[blob.y1 : blob.y2, blob.x1 : blob.x2], blob.ids)
    profile = mask.sum(axis=0).astype(np.float64)
    weights = [_weight(c) for c in chars]
    unit = blob.w / sum(weights)
    cuts = [0]
    for k in range(1, len(chars)):
        reach = 0.35 * unit * min(weights[k - 1], weights[k])
        cut = _cut_at(profile, unit * sum(weights[:k]), max(reach, 2.0), blob.h)
        if cut is None or cut <= cuts[-1]:
            return None
        cuts.append(cut)
    cuts.append(blob.w)
    pieces = [_piece(mask, blob, a, b) for a, b in itertools.pairwise(cuts)]
    return [p for p in pieces if p is not None] if all(pieces) else None


def _split_to_count(labels: Labels, rows: list[tuple[Band, list[Blob]]], text: str) -> list[tuple[Band, Blob]] | None:
    """Characters of all rows in reading order, fused groups split so that there is one per character."""
    flat = [(band, g) for band, groups in rows for g in groups]
    if len(flat) > len(text) or not flat:
        return None
    if len(flat) == len(text):
        return flat
    widths = {id(band): _typical_width(groups, band) for band, groups in rows}
    typical = [widths[id(band)] for band, _ in flat]
    if any(t is None for t in typical):
        return None
    chars = _allocate([g for _, g in flat], [float(t or 0) for t in typical], text)
    if chars is None:
        return None
    out: list[tuple[Band, Blob]] = []
    for (band, g), cs in zip(flat, chars, strict=True):
        pieces = _split_blob(labels, g, cs)
        if pieces is None:
            return None
        out.extend((band, piece) for piece in pieces)
    return out


# ---------------------------------------------------------------------------- checks and agreement


def _width_ok(char: str, blob: Blob, band: Band, typical: float) -> bool:
    """Not wider than a character may be; not narrower unless it is 1 or I."""
    hb = band.height(blob.cx)
    if not 0.06 * hb <= blob.w <= 1.1 * hb or blob.w > 1.6 * typical:
        return False
    return char in NARROW or (blob.w >= 0.6 * typical and blob.w >= 0.25 * blob.h)


def _row_ok(chars: list[tuple[str, Blob]], band: Band) -> bool:
    """Heights, widths and gaps of one row of characters look like plate text."""
    if not chars:
        return False
    heights = np.array([b.h for _, b in chars], dtype=float)
    if np.any(np.abs(heights - np.median(heights)) > 0.2 * np.median(heights)):
        return False
    wide = [b.w for c, b in chars if c not in NARROW]
    typical = float(np.median(wide)) if wide else float(np.median(heights)) * 0.5
    if not all(_width_ok(c, b, band, typical) for c, b in chars):
        return False
    for (_, a), (_, b) in itertools.pairwise(chars):
        gap = b.x1 - a.x2
        if gap > MAX_GAP * band.height(a.cx) or gap < -0.3 * min(a.w, b.w):
            return False
    return True


def _hole_share(labels: Labels, blob: Blob) -> float:
    """Share of the box enclosed by the component but not part of it (the counters of 0, 8, B...)."""
    mask = np.pad(np.isin(labels[blob.y1 : blob.y2, blob.x1 : blob.x2], blob.ids).astype(np.uint8), 1)
    cv2.floodFill(mask, None, (0, 0), 1)
    return float(np.count_nonzero(mask == 0)) / max(1, blob.w * blob.h)


def _topology_ok(chars: list[tuple[str, Blob]], labels: Labels) -> bool:
    """No hole where a character has none (halo rings have a big one); holes where it has one, but for one.

    One holed character may have lost its counter to blur or a break in the binarisation.
    """
    shares = [(c, _hole_share(labels, b)) for c, b in chars]
    if any(share > 0.6 or (c in OPEN and share > 0.2) for c, share in shares):
        return False
    return sum(c in HOLED and share < 0.02 for c, share in shares) <= 1


def _ink_colour(labels: Labels, blob: Blob, colour: Image) -> npt.NDArray[np.float64]:
    """Chroma (BGR less its mean) of the inkiest third of a character's pixels, free of the background at its edges."""
    box = colour[blob.y1 : blob.y2, blob.x1 : blob.x2].astype(np.float64)
    mask = np.isin(labels[blob.y1 : blob.y2, blob.x1 : blob.x2], blob.ids)
    if not mask.any() or mask.all():
        return np.zeros(3)
    grey = box.mean(axis=2)
    ink = grey[mask]
    dark = ink.mean() < grey[~mask].mean()
    core = ink <= np.percentile(ink, 33) if dark else ink >= np.percentile(ink, 67)
    mean = box[mask][core].mean(axis=0)
    return np.asarray(mean - mean.mean(), dtype=np.float64)


def _ink_ok(chars: list[tuple[str, Blob]], labels: Labels, colour: Image) -> bool:
    """All characters are printed in one ink: no emblem, band or sticker of another colour among them."""
    chroma = np.array([_ink_colour(labels, b, colour) for _, b in chars])
    spread = np.linalg.norm(chroma - np.median(chroma, axis=0), axis=1)
    return float(spread.max()) <= MAX_INK_SPREAD


def _strip(binary: Image, combo: list[Band]) -> tuple[Labels, list[Blob]]:
    """Components of the binary cut down to the character bands, freeing characters fused to a frame or text."""
    height, width = binary.shape
    xs = np.arange(width, dtype=float)
    ys = np.arange(height, dtype=float)[:, None]
    keep = np.zeros(binary.shape, dtype=bool)
    for band in combo:
        top, bottom = band.top_a + band.top_b * xs, band.bot_a + band.bot_b * xs
        margin = STRIP_MARGIN * (bottom - top)
        keep |= (ys >= top - margin) & (ys <= bottom + margin)
    return _blobs(np.where(keep, binary, 0).astype(np.uint8))


def _band_combos(bands: list[Band], rows: int) -> list[list[Band]]:
    """One band per plate row, top row first, rows not overlapping."""
    if rows == 1:
        return [[b] for b in bands]
    pairs = [sorted((a, b), key=lambda band: band.top(0)) for i, a in enumerate(bands) for b in bands[i + 1 :]]
    return [p for p in pairs if p[0].bottom(0) <= p[1].top(0) + 0.1 * p[1].height(0)]


def _try_combo(labels: Labels, blobs: list[Blob], combo: list[Band], text: str, colour: Image) -> list[Box] | None:
    """Character boxes when the components in these bands give exactly the text, or None."""
    found = _split_to_count(labels, [(band, _row_blobs(blobs, band)) for band in combo], text)
    if found is None:
        return None
    chars = [(c, b) for c, (_, b) in zip(text, found, strict=True)]
    if not _topology_ok(chars, labels) or not _ink_ok(chars, labels, colour):
        return None
    for band in combo:
        if not _row_ok([ch for ch, (bd, _) in zip(chars, found, strict=True) if bd is band], band):
            return None
    return [(float(b.x1), float(b.y1), float(b.x2), float(b.y2)) for _, b in chars]


def _segment_binary(binary: Image, colour: Image, text: str, rows: int) -> list[Box] | None:
    """Character boxes in one binarisation, or None: whole components first, then cut down to the bands."""
    labels, blobs = _blobs(binary)
    for combo in _band_combos(_candidate_bands(blobs, rows, len(text)), rows):
        found = _try_combo(labels, blobs, combo, text, colour)
        if found is None:
            found = _try_combo(*_strip(binary, combo), combo, text, colour)
        if found is not None:
            return found
    return None


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _same(a: list[Box], b: list[Box]) -> bool:
    return all(_iou(p, q) > AGREE_IOU for p, q in zip(a, b, strict=True))


def _agree(results: list[list[Box]]) -> list[Box] | None:
    """Mean boxes of the largest agreeing set, when it has MIN_AGREE members and no strong rival."""
    if not results:
        return None
    support = [[r for r in results if _same(ref, r)] for ref in results]
    best = max(support, key=len)
    rivals = len(results) - len(best)
    if len(best) < MIN_AGREE or rivals * 2 > len(best):
        return None
    mean = np.mean(np.array(best, dtype=float), axis=0)
    return [(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in mean]


def _scaled(box: Box, scale_x: float, scale_y: float) -> Box:
    return box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y


def _default_plate(height: int, width: int) -> Box:
    """Where crop_plate put the plate box in a crop it did not clip at the frame edge."""
    inset_x, inset_y = width * PAD_X / (1 + 2 * PAD_X), height * PAD_Y / (1 + 2 * PAD_Y)
    return inset_x, inset_y, width - inset_x, height - inset_y


def _inside_plate(boxes: list[Box], plate: Box) -> bool:
    """Every box lies within the plate box, give or take PLATE_SLACK of its width and height."""
    slack_x = PLATE_SLACK[0] * (plate[2] - plate[0])
    slack_y = PLATE_SLACK[1] * (plate[3] - plate[1])
    return all(
        x1 >= plate[0] - slack_x and x2 <= plate[2] + slack_x and y1 >= plate[1] - slack_y and y2 <= plate[3] + slack_y
        for x1, y1, x2, y2 in boxes
    )


def segment_characters(crop: np.ndarray, text: str, rows: int, plate: Box | None = None) -> list[CharBox] | None:
    """One box per character of ``text`` in ``crop`` (crop pixels, reading order), or None if unsure.

    ``crop`` is a BGR or grey plate crop cut by :func:`edge.vision.crop.crop_plate`, ``text`` its
    characters (A-Z0-9, top row first) and ``rows`` 1 or 2. ``plate`` is the plate box inside the
    crop (x1, y1, x2, y2 in crop pixels) when the crop was clipped at the frame edge; by default the
    crop is taken to hold the box with crop_plate's padding on every side. Characters must lie in it.
    """
    if not text or rows not in (1, 2) or any(c not in CHARSET for c in text) or crop.size == 0:
        return None
    colour, scale_x, scale_y = _normalise(crop.astype(np.uint8), rows)
    results = []
    for binary in _binaries(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY), rows):
        found = _segment_binary(binary, colour, text, rows)
        if found is not None:
            results.append(found)
    boxes = _agree(results)
    h, w = crop.shape[:2]
    if plate is None:
        plate = _default_plate(h, w)
    if boxes is None or not _inside_plate(boxes, _scaled(plate, scale_x, scale_y)):
        return None
    if float(np.median([y2 - y1 for _, y1, _, y2 in boxes])) / scale_y < MIN_CHAR_PIXELS:
        return None
    return [
        (c, min(w, x1 / scale_x), min(h, y1 / scale_y), min(w, x2 / scale_x), min(h, y2 / scale_y))
        for c, (x1, y1, x2, y2) in zip(text, boxes, strict=True)
    ]


# ---------------------------------------------------------------------------- data set


def _test_entry(out: Path, img: RealImage, index: int, label: PlateLabel, frame: Image) -> dict[str, Any]:
    """Save a held-out crop and describe where its plate is inside it."""
    fh, fw = frame.shape[:2]
    plate = label.pixel_box(fw, fh)
    left, top, _, _ = padded_box(plate, fw, fh)
    path = out / "test_crops" / f"{crop_name(img, index)}.jpg"
    cv2.imwrite(str(path), crop_plate(frame, plate).pixels, [cv2.IMWRITE_JPEG_QUALITY, 95])
    box = [round(plate[0] - left, 2), round(plate[1] - top, 2), round(plate[2] - left, 2), round(plate[3] - top, 2)]
    plate_info = {"text": label.text, "box": box, "country": label.country, "source": img.source, "note": label.note}
    return {"image": str(path.resolve()), "plates": [plate_info]}


def _train_crop(out: Path, img: RealImage, index: int, label: PlateLabel, frame: Image) -> bool:
    """Segment one labelled crop and write it in YOLO layout, with its moved cuts (``reframe``); False when
    segmentation failed."""
    fh, fw = frame.shape[:2]
    plate = label.pixel_box(fw, fh)
    cut = crop_plate(frame, plate)
    crop = cut.pixels
    inside = (plate[0] - cut.x0, plate[1] - cut.y0, plate[2] - cut.x0, plate[3] - cut.y0)
    boxes = segment_characters(crop, label.text, label.rows, inside)
    if boxes is None:
        return False
    name = crop_name(img, index)
    write_crop(out, name, crop, boxes)
    write_reframed(out, name, frame, plate, boxes, origin=(cut.x0, cut.y0))
    return True


def _tally(counts: dict[str, Counter[str]], keys: tuple[str, str], ok: bool) -> None:
    for group, key in zip(("per_source", "per_country"), keys, strict=True):
        counts[group][f"{key}:tried"] += 1
        counts[group][f"{key}:segmented"] += int(ok)


def _nested(counter: Counter[str]) -> dict[str, dict[str, int]]:
    nested: dict[str, dict[str, int]] = {}
    for key, value in sorted(counter.items()):
        name, field = key.rsplit(":", 1)
        nested.setdefault(name, {"tried": 0, "segmented": 0})[field] = value
    return nested


def _summary(counts: dict[str, Counter[str]], test_crops: int, train_texts: int, start: float) -> dict[str, Any]:
    per_source = _nested(counts["per_source"])
    return {
        "tried": sum(v["tried"] for v in per_source.values()),
        "segmented": sum(v["segmented"] for v in per_source.values()),
        "test_crops": test_crops,
        "train_texts": train_texts,
        "per_source": per_source,
        "per_country": _nested(counts["per_country"]),
        "seconds": round(time.monotonic() - start, 1),
    }


def write_real_reader_set(shared: Path, out: Path) -> dict[str, Any]:
    """Write real character boxes (YOLO layout) and the held-out reader test crops; return counts.

    ``out/images`` and ``out/labels`` get every labelled crop whose text is not a reader test text
    and whose segmentation succeeded; ``out/test_crops`` and ``out/test_manifest.jsonl`` every crop
    whose text is one; ``out/train_texts.json`` the texts trained on; ``out/summary.json`` the counts.
    """
    start = time.monotonic()
    images = load_real_images(shared)
    held_out = reader_test_texts(images)
    fresh_folders(out, ("images", "labels", "test_crops"))
    counts: dict[str, Counter[str]] = {"per_source": Counter(), "per_country": Counter()}
    manifest, train_texts = [], set()
    for img, index, label in labelled_crops(images):
        frame = cv2.imread(str(img.image))
        if frame is None:
            log.warning("cannot read %s", img.image)
        elif label.text in held_out:
            manifest.append(_test_entry(out, img, index, label, frame))
        elif _train_crop(out, img, index, label, frame):
            _tally(counts, (img.source, label.country or "none"), True)
            train_texts.add(label.text)
        else:
            _tally(counts, (img.source, label.country or "none"), False)
    (out / "test_manifest.jsonl").write_text("".join(json.dumps(m) + "\n" for m in manifest))
    (out / "train_texts.json").write_text(json.dumps(sorted(train_texts), indent=0) + "\n")
    summary = _summary(counts, len(manifest), len(train_texts), start)
    summary["images"] = sum(1 for _ in (out / "labels").glob("*.txt"))  # with the moved cuts
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for source, n in summary["per_source"].items():
        log.info("%s: boxes for %d of %d labelled training crops", source, n["segmented"], n["tried"])
    log.info("segmented %d of %d labelled training crops", summary["segmented"], summary["tried"])
    return summary


# ---------------------------------------------------------------------------- contact sheet


def _draw_tile(image_path: Path, label_path: Path, height: int) -> Image:
    """The crop scaled to ``height`` with its boxes, and each box's character written under it."""
    crop = cv2.imread(str(image_path))
    if crop is None:
        return np.full((height, height, 3), 255, np.uint8)
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    tile = np.full((height + height // 3, max(width, height), 3), 255, np.uint8)
    tile[:height, :width] = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)
    colours = ((0, 200, 0), (255, 80, 0), (0, 200, 255))  # neighbouring boxes in different colours
    for k, line in enumerate(label_path.read_text().splitlines()):
        cls, cx, cy, w, h = line.split()
        x1, x2 = round((float(cx) - float(w) / 2) * width), round((float(cx) + float(w) / 2) * width)
        y1, y2 = round((float(cy) - float(h) / 2) * height), round((float(cy) + float(h) / 2) * height)
        colour = colours[k % len(colours)]
        cv2.rectangle(tile, (x1, y1), (x2, y2), colour, 1)
        origin = (x1, height + height // 4)
        cv2.putText(tile, CHARSET[int(cls)], origin, cv2.FONT_HERSHEY_SIMPLEX, height / 160, colour, 2)
    return tile


def _pack(tiles: list[Image], width: int) -> Image:
    """One grey strip of the sheet with the tiles side by side."""
    row = np.full((max(t.shape[0] for t in tiles) + SHEET_GAP, width, 3), 128, np.uint8)
    x = 0
    for t in tiles:
        row[: t.shape[0], x : x + t.shape[1]] = t
        x += t.shape[1] + SHEET_GAP
    return row


def draw_sheet(out: Path, sheet: Path, count: int = 60, height: int = 72, *, seed: int = 0) -> int:
    """Draw ``count`` random accepted crops of ``out`` with their boxes into ``sheet``; returns how many."""
    names = sorted(p.stem for p in (out / "labels").glob("*.txt"))
    chosen = random.Random(seed).sample(names, min(count, len(names)))
    tiles = [
        _draw_tile(out / "images" / f"{n}.jpg", out / "labels" / f"{n}.txt", height)[:, :SHEET_WIDTH] for n in chosen
    ]
    strips: list[Image] = []
    line: list[Image] = []
    for tile in tiles:
        if line and sum(t.shape[1] + SHEET_GAP for t in line) + tile.shape[1] > SHEET_WIDTH:
            strips.append(_pack(line, SHEET_WIDTH))
            line = []
        line.append(tile)
    if line:
        strips.append(_pack(line, SHEET_WIDTH))
    if strips:
        cv2.imwrite(str(sheet), np.vstack(strips))
    return len(tiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output folder (YOLO layout)")
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/datasets"))
    parser.add_argument("--sheet", type=Path, help="write a contact sheet of random accepted crops here")
    parser.add_argument("--sheet-count", type=int, default=60)
    parser.add_argument("--sheet-height", type=int, default=72, help="crop height on the sheet, pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet-only", action="store_true", help="draw the sheet from an existing OUT")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.sheet_only:
        print(json.dumps(write_real_reader_set(args.shared, args.out), indent=2))
    if args.sheet is not None:
        shown = draw_sheet(args.out, args.sheet, args.sheet_count, args.sheet_height, seed=args.seed)
        print(f"sheet: {shown} crops in {args.sheet}")


if __name__ == "__main__":
    main()
