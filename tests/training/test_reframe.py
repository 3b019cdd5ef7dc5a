"""Real reader crops cut again from moved boxes keep their character boxes on the characters."""

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.training.reframe import SHIFT_X, SHIFT_Y, cut, moved_box, write_crop, write_reframed
from edge.vision.charset import CHARSET

PLATE = (200.0, 150.0, 440.0, 210.0)  # 240 x 60 pixels in a 640 x 360 frame
CHARS = [(c, 215.0 + 40 * k, 160.0, 245.0 + 40 * k, 200.0) for k, c in enumerate("AB12C")]


def _frame() -> np.ndarray:
    """Black, with each character box a white rectangle: white pixels show where the boxes really are."""
    frame = np.zeros((360, 640, 3), np.uint8)
    for _, x1, y1, x2, y2 in CHARS:
        cv2.rectangle(frame, (round(x1), round(y1)), (round(x2) - 1, round(y2) - 1), (255, 255, 255), -1)
    return frame


def _read_labels(path: Path, width: int, height: int) -> list[tuple[str, int, int, int, int]]:
    boxes = []
    for line in path.read_text().splitlines():
        cls, cx, cy, w, h = line.split()
        x1, x2 = (float(cx) - float(w) / 2) * width, (float(cx) + float(w) / 2) * width
        y1, y2 = (float(cy) - float(h) / 2) * height, (float(cy) + float(h) / 2) * height
        boxes.append((CHARSET[int(cls)], round(x1), round(y1), round(x2), round(y2)))
    return boxes


def test_moved_box_moves_each_edge_within_its_share() -> None:
    rng = random.Random(3)
    w, h = PLATE[2] - PLATE[0], PLATE[3] - PLATE[1]
    moved = [moved_box(PLATE, rng) for _ in range(200)]
    for box in moved:
        assert all(abs(a - b) <= SHIFT_X * w + 1e-9 for a, b in ((box[0], PLATE[0]), (box[2], PLATE[2])))
        assert all(abs(a - b) <= SHIFT_Y * h + 1e-9 for a, b in ((box[1], PLATE[1]), (box[3], PLATE[3])))
    assert len({round(b[0], 3) for b in moved}) > 100  # really moved, not the same box each time


def test_reframed_crops_carry_the_boxes_onto_the_characters(tmp_path: Path) -> None:
    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
    frame = _frame()
    whole = cut(frame, PLATE, CHARS)
    assert whole is not None
    crop, in_crop = whole
    write_crop(tmp_path, "plate", crop, in_crop)
    # the moved cuts are given the boxes in the crop's pixels plus where the crop lies
    origin = (round(CHARS[0][1] - in_crop[0][1]), round(CHARS[0][2] - in_crop[0][2]))
    assert write_reframed(tmp_path, "plate", frame, PLATE, in_crop, origin=origin, count=6) >= 4
    names = sorted(p.stem for p in (tmp_path / "labels").glob("*.txt"))
    assert names[0] == "plate" and all(n.startswith("plate__r") for n in names[1:])
    sizes = set()
    for name in names:
        image = cv2.imread(str(tmp_path / "images" / f"{name}.jpg"), cv2.IMREAD_GRAYSCALE)
        sizes.add(image.shape)
        boxes = _read_labels(tmp_path / "labels" / f"{name}.txt", image.shape[1], image.shape[0])
        assert "".join(b[0] for b in boxes) == "AB12C"
        for _, x1, y1, x2, y2 in boxes:
            assert image[y1 + 2 : y2 - 2, x1 + 2 : x2 - 2].mean() > 200  # the box lies on white
            assert image[y1 + 2 : y2 - 2, x2 + 3 : x2 + 6].mean() < 60  # and ends where the white ends
    assert len(sizes) > 1  # the moved cuts differ in framing


def test_a_cut_that_clips_a_character_is_dropped() -> None:
    tight = (PLATE[0] + 40, PLATE[1], PLATE[2], PLATE[3])  # the first character falls outside the crop
    assert cut(_frame(), tight, CHARS) is None


def test_the_same_name_gives_the_same_cuts(tmp_path: Path) -> None:
    frame = _frame()
    texts = []
    for run in ("a", "b"):
        out = tmp_path / run
        for sub in ("images", "labels"):
            (out / sub).mkdir(parents=True)
        write_reframed(out, "same", frame, PLATE, CHARS)
        texts.append(sorted(p.read_text() for p in (out / "labels").glob("*.txt")))
    assert texts[0] == texts[1] and texts[0]


@pytest.mark.parametrize("count", [0, 1])
def test_count_bounds_the_cuts(tmp_path: Path, count: int) -> None:
    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
    assert write_reframed(tmp_path, "n", _frame(), PLATE, CHARS, count=count) <= count
    assert len(list((tmp_path / "labels").glob("*.txt"))) <= count
