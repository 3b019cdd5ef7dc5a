"""Label-guided character segmentation on synthetic plate crops (no data sets needed)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.training.real_chars import segment_characters
from edge.vision.crop import PAD_X, PAD_Y

FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE = 1.8
THICKNESS = 5
PLATE_W = 300
ROW_H = 70

Box = tuple[int, int, int, int]


def _glyph(char: str) -> np.ndarray:
    """The character alone on a canvas, cut to its ink: a boolean mask."""
    canvas = np.zeros((120, 120), np.uint8)
    cv2.putText(canvas, char, (10, 90), FONT, SCALE, 255, THICKNESS, cv2.LINE_AA)
    ys, xs = np.nonzero(canvas > 127)
    return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] > 127


def _render(rows: list[str], gap: int = 10, touch: int | None = None) -> tuple[np.ndarray, list[Box]]:
    """A white plate with black text inside a grey crop padded as crop_plate pads it.

    ``touch`` is the index (in the whole text) of a character drawn against the next one, so the two
    fuse into one connected component. Returns the BGR crop and the true box of every character.
    """
    plate_h = ROW_H * len(rows)
    pad_x, pad_y = round(PLATE_W * PAD_X), round(plate_h * PAD_Y)
    crop = np.full((plate_h + 2 * pad_y, PLATE_W + 2 * pad_x, 3), 90, np.uint8)
    crop[pad_y : pad_y + plate_h, pad_x : pad_x + PLATE_W] = 235
    boxes: list[Box] = []
    index = 0
    for r, text in enumerate(rows):
        glyphs = [_glyph(c) for c in text]
        spaces = [(-1 if index + i == touch else gap) for i in range(len(text))]
        width = sum(g.shape[1] for g in glyphs) + sum(spaces[:-1])
        x = pad_x + (PLATE_W - width) // 2
        for g, space in zip(glyphs, spaces, strict=True):
            y = pad_y + r * ROW_H + (ROW_H - g.shape[0]) // 2
            crop[y : y + g.shape[0], x : x + g.shape[1]][g] = 20
            boxes.append((x, y, x + g.shape[1], y + g.shape[0]))
            x += g.shape[1] + space
        index += len(text)
    return crop, boxes


def _iou(a: tuple[float, float, float, float], b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _check(found: list[tuple[str, float, float, float, float]] | None, text: str, truth: list[Box]) -> None:
    """One box per character, in reading order, each on its glyph."""
    assert found is not None
    assert "".join(c for c, *_ in found) == text
    for (_, *box), true in zip(found, truth, strict=True):
        x1, y1, x2, y2 = box
        assert _iou((x1, y1, x2, y2), true) > 0.7, (box, true)


def test_one_row_plate() -> None:
    crop, truth = _render(["AB12CD"])
    _check(segment_characters(crop, "AB12CD", 1), "AB12CD", truth)


def test_touching_characters_are_split() -> None:
    crop, truth = _render(["AB12CD"], touch=4)  # C drawn against D
    count, _ = cv2.connectedComponents((crop[:, :, 0] < 60).astype(np.uint8))
    assert count - 1 == 5  # C and D really are one component
    _check(segment_characters(crop, "AB12CD", 1), "AB12CD", truth)


def test_two_row_plate_reads_top_row_first() -> None:
    crop, truth = _render(["AB", "1234"], gap=14)
    found = segment_characters(crop, "AB1234", 2)
    _check(found, "AB1234", truth)
    assert found is not None
    top, bottom = found[:2], found[2:]
    assert max(b[4] for b in top) < min(b[2] for b in bottom)  # top row entirely above the bottom row


def test_grey_crop_is_accepted() -> None:
    crop, truth = _render(["AB12CD"])
    _check(segment_characters(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), "AB12CD", 1), "AB12CD", truth)


@pytest.mark.parametrize("text", ["AB12CDE", "AB12CDEF", "AB12C", "AB1"])
def test_wrong_character_count_gives_none(text: str) -> None:
    crop, _ = _render(["AB12CD"])
    assert segment_characters(crop, text, 1) is None


@pytest.mark.parametrize(("text", "rows"), [("", 1), ("AB-12", 1), ("ab12cd", 1), ("AB12CD", 3)])
def test_invalid_input_gives_none(text: str, rows: int) -> None:
    crop, _ = _render(["AB12CD"])
    assert segment_characters(crop, text, rows) is None


def test_blank_plate_gives_none() -> None:
    crop, _ = _render([""])
    assert segment_characters(crop, "AB12CD", 1) is None


def test_symbols_and_small_digits_are_left_out() -> None:
    crop, truth = _render(["AB12CD"], gap=16)
    between = (truth[1][2] + truth[2][0]) // 2, (truth[1][1] + truth[1][3]) // 2
    cv2.circle(crop, between, 5, (20, 20, 20), -1)  # an emblem between the groups
    cv2.putText(crop, "08", (truth[-1][2] + 2, truth[-1][1] + 12), FONT, 0.4, (20, 20, 20), 1, cv2.LINE_AA)
    _check(segment_characters(crop, "AB12CD", 1), "AB12CD", truth)


def test_light_text_on_dark_plate() -> None:
    crop, truth = _render(["AB12CD"])
    _check(segment_characters(255 - crop, "AB12CD", 1), "AB12CD", truth)
