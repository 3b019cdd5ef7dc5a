"""Pure layout of character detections into reading order: rows top to bottom, left to right."""

from __future__ import annotations

import numpy as np

from edge.domain import Detection

MIN_ROW_HEIGHT_SHARE = 0.55  # a row of much smaller glyphs than the main row is a slogan or state name
MIN_CHAR_HEIGHT_SHARE = 0.5  # a glyph much smaller than its row is a sticker digit or a symbol


def _centre_y(d: Detection) -> float:
    return (d.box.y1 + d.box.y2) / 2


def _split_rows(chars: list[Detection]) -> list[list[Detection]]:
    """Split into rows at the largest vertical gap between character centres, if it is large."""
    if len(chars) < 2:
        return [chars]
    ordered = sorted(chars, key=_centre_y)
    centres = np.array([_centre_y(d) for d in ordered])
    gaps = np.diff(centres)
    k = int(gaps.argmax())
    median_height = float(np.median([d.box.height for d in chars]))
    if gaps[k] < 0.6 * median_height:
        return [ordered]
    return _split_rows(ordered[: k + 1]) + _split_rows(ordered[k + 1 :])


def _main_glyphs(row: list[Detection]) -> list[Detection]:
    median = float(np.median([d.box.height for d in row]))
    return [d for d in row if d.box.height >= MIN_CHAR_HEIGHT_SHARE * median]


def reading_order(chars: list[Detection]) -> list[list[Detection]]:
    """Rows of characters in reading order, with small clutter (slogans, sticker digits) removed."""
    if not chars:
        return []
    rows = [_main_glyphs(r) for r in _split_rows(chars)]
    tallest = max(float(np.median([d.box.height for d in r])) for r in rows)
    rows = [r for r in rows if float(np.median([d.box.height for d in r])) >= MIN_ROW_HEIGHT_SHARE * tallest]
    return [sorted(r, key=lambda d: d.box.x1 + d.box.x2) for r in rows]
