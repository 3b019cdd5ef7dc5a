"""Glyph swapping: real crops get new characters from other crops, boxes kept, classes following."""

import itertools
import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.training import glyph_swap
from edge.training.glyph_swap import GlyphBank, GlyphBox, match_look, paste_glyph, read_boxes, write_swapped_set
from edge.training.sources import reader_val_text
from edge.vision.charset import CHARSET

FONT = cv2.FONT_HERSHEY_SIMPLEX
CHAR_W, CHAR_H, GAP, TOP, LEFT = 26, 40, 8, 14, 12


def _glyph_mask(char: str, width: int = CHAR_W, height: int = CHAR_H) -> np.ndarray:
    """``char`` drawn in white on black, stretched to fill width x height."""
    canvas = np.zeros((80, 80), np.uint8)
    cv2.putText(canvas, char, (10, 65), FONT, 2.0, 255, 5, cv2.LINE_AA)
    ys, xs = np.nonzero(canvas > 127)
    ink = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA)


def _plate(text: str, ink: int = 20, paper: int = 225) -> tuple[np.ndarray, list[GlyphBox]]:
    """A plate crop with ``text`` in boxes of known place, ``ink`` on ``paper`` (grey levels)."""
    width = 2 * LEFT + len(text) * CHAR_W + (len(text) - 1) * GAP
    crop = np.full((CHAR_H + 2 * TOP, width, 3), paper, np.uint8)
    boxes = []
    for k, char in enumerate(text):
        x1 = LEFT + k * (CHAR_W + GAP)
        weight = _glyph_mask(char).astype(np.float64)[:, :, None] / 255
        patch = crop[TOP : TOP + CHAR_H, x1 : x1 + CHAR_W].astype(np.float64)
        crop[TOP : TOP + CHAR_H, x1 : x1 + CHAR_W] = (weight * ink + (1 - weight) * patch).astype(np.uint8)
        boxes.append(GlyphBox(CHARSET.index(char), x1, TOP, x1 + CHAR_W, TOP + CHAR_H))
    return crop, boxes


def _write(folder: Path, name: str, text: str, **look: int) -> Path:
    for sub in ("images", "labels"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    crop, boxes = _plate(text, **look)
    height, width = crop.shape[:2]
    cv2.imwrite(str(folder / "images" / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 98])
    (folder / "labels" / f"{name}.txt").write_text("".join(
        f"{b.cls} {(b.x1 + b.x2) / 2 / width} {(b.y1 + b.y2) / 2 / height} {(b.x2 - b.x1) / width} "
        f"{(b.y2 - b.y1) / height}\n" for b in boxes))
    return folder / "images" / f"{name}.jpg"


def _likeness(patch: np.ndarray, char: str) -> float:
    """Overlap (IoU) of the patch's dark pixels with ``char``'s drawn ink."""
    grey = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
    ink = grey < (int(grey.min()) + int(grey.max())) / 2
    drawn = _glyph_mask(char, patch.shape[1], patch.shape[0]) > 127
    return float((ink & drawn).sum() / max(1, (ink | drawn).sum()))


TEXTS = ["B08XHK", "H8K0BX", "X0HB8K", "KXB80H"]


def test_boxes_read_back_in_pixels(tmp_path: Path) -> None:
    image = _write(tmp_path, "ro-dashcam__train__a__0", "B08")
    _, boxes = _plate("B08")
    height, width = cv2.imread(str(image)).shape[:2]
    assert read_boxes(tmp_path / "labels" / f"{image.stem}.txt", width, height) == boxes


def test_swapped_crops_keep_every_box_and_carry_the_pasted_class(tmp_path: Path) -> None:
    crops = [_write(tmp_path / "real", f"ro-dashcam__train__p{k}__0", text) for k, text in enumerate(TEXTS)]
    stats = write_swapped_set(crops, tmp_path / "swapped", count=40, seed=5)
    assert stats["written"] >= 30 and stats["from_crops"] == len(crops)
    assert stats["glyphs"] == sum(len(t) for t in TEXTS)
    written = sorted((tmp_path / "swapped" / "labels").glob("*.txt"))
    assert len(written) == stats["written"]
    changed_total = 0
    for label in written:
        source = crops[[c.stem for c in crops].index(label.stem.split("__", 1)[1])]
        pixels = cv2.imread(str(tmp_path / "swapped" / "images" / f"{label.stem}.jpg"))
        old = read_boxes(tmp_path / "real" / "labels" / f"{source.stem}.txt", pixels.shape[1], pixels.shape[0])
        new = read_boxes(label, pixels.shape[1], pixels.shape[0])
        assert [(b.x1, b.y1, b.x2, b.y2) for b in new] == [(b.x1, b.y1, b.x2, b.y2) for b in old]
        changed = [(a, b) for a, b in zip(old, new, strict=True) if a.cls != b.cls]
        assert 1 <= len(changed) <= 3
        changed_total += len(changed)
        for was, now in changed:  # the box shows the new character, no longer the old one
            patch = pixels[now.y1 : now.y2, now.x1 : now.x2]
            assert _likeness(patch, CHARSET[now.cls]) > _likeness(patch, CHARSET[was.cls])
    assert changed_total == sum(stats["pasted"].values())


def test_light_ink_on_a_dark_plate_stays_light(tmp_path: Path) -> None:
    target, boxes = _plate("B0", ink=235, paper=30)
    donor, donor_boxes = _plate("X8", ink=20, paper=225)
    assert paste_glyph(target, boxes[0], donor, donor_boxes[0], random.Random(1))
    box = boxes[0]
    pasted = target[box.y1 : box.y2, box.x1 : box.x2]
    # light strokes in the shape of the X: its shape is found among the light pixels, not the dark ones
    assert _likeness(255 - pasted, "X") > 0.4
    assert _likeness(pasted, "X") < 0.2


def test_the_pasted_glyph_takes_the_target_colours() -> None:
    target, boxes = _plate("B0")
    target[:, :] = (target.astype(np.int32) * [0.2, 0.8, 1.0]).astype(np.uint8)  # a yellow plate, dark ink
    donor, donor_boxes = _plate("X8")
    donor[:, :, 0] = 250  # a blue-white plate
    before = target.copy()
    assert paste_glyph(target, boxes[1], donor, donor_boxes[0], random.Random(2))
    box = boxes[1]
    pasted = target[box.y1 : box.y2, box.x1 : box.x2].reshape(-1, 3).astype(np.float64)
    lo = before.reshape(-1, 3).min(axis=0).astype(np.float64) - 12
    hi = before.reshape(-1, 3).max(axis=0).astype(np.float64) + 12
    assert ((pasted >= lo) & (pasted <= hi)).all(axis=1).mean() > 0.97


def test_a_blank_glyph_is_not_pasted() -> None:
    target, boxes = _plate("B0")
    before = target.copy()
    blank = np.full((CHAR_H + 2 * TOP, 60, 3), 200, np.uint8)
    assert match_look(blank, target, random.Random(0)) is None
    assert not paste_glyph(target, boxes[0], blank, GlyphBox(5, 10, TOP, 10 + CHAR_W, TOP + CHAR_H), random.Random(0))
    assert np.array_equal(target, before)


def test_glyphs_of_the_same_source_come_first(tmp_path: Path) -> None:
    ro = _write(tmp_path / "real", "ro-dashcam__train__a__0", "B08XHK")
    us = _write(tmp_path / "real", "us-roboflow__train__b__0", "H8K0BX")
    bank = GlyphBank([ro, us])
    rng = random.Random(0)
    box = GlyphBox(CHARSET.index("B"), 0, 0, CHAR_W, CHAR_H)
    picks = [bank.pick("ro-dashcam", box, rng) for _ in range(50)]
    assert all(p is not None and p.source == "ro-dashcam" and CHARSET[p.box.cls] != "B" for p in picks)
    # a source with no glyphs of its own borrows from the others
    assert bank.pick("oid-plates-416", box, rng) is not None


def test_a_box_no_glyph_fits_is_left_alone(tmp_path: Path) -> None:
    bank = GlyphBank([_write(tmp_path / "real", "ro-dashcam__train__a__0", "B08")])
    very_wide = GlyphBox(CHARSET.index("B"), 0, 0, 200, CHAR_H)
    assert bank.pick("ro-dashcam", very_wide, random.Random(0)) is None


def test_no_count_or_no_crops_writes_nothing_and_clears_an_old_set(tmp_path: Path) -> None:
    out = tmp_path / "swapped"
    (out / "images").mkdir(parents=True)
    (out / "images" / "stale.jpg").write_bytes(b"old")
    assert write_swapped_set([], out, count=10)["written"] == 0
    assert not list((out / "images").iterdir())
    crops = [_write(tmp_path / "real", "ro-dashcam__train__a__0", "B08XHK")]
    assert write_swapped_set(crops, out, count=0)["written"] == 0


def test_a_malformed_label_line_is_named(tmp_path: Path) -> None:
    crop = _write(tmp_path / "real", "ro-dashcam__train__a__0", "B08")
    label = tmp_path / "real" / "labels" / f"{crop.stem}.txt"
    label.write_text("11 0.5 0.5 0.1 0.4\nB 0.5 0.5 0.1\n")
    with pytest.raises(ValueError, match=r"a__0\.txt:2: not a YOLO label line"):
        GlyphBank([crop])


def test_an_unreadable_crop_is_named(tmp_path: Path) -> None:
    crop = _write(tmp_path / "real", "ro-dashcam__train__a__0", "B08XHK")
    crop.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"cannot read .*ro-dashcam__train__a__0"):
        GlyphBank([crop])


def test_the_command_leaves_validation_plates_out(tmp_path: Path) -> None:
    val_text = next("".join(t) for t in itertools.product("B08XHK", repeat=6) if reader_val_text("".join(t)))
    train_texts = [t for t in TEXTS if not reader_val_text(t)]
    assert train_texts
    real = tmp_path / "real"
    _write(real, "ro-dashcam__val__v__0", val_text)
    for k, text in enumerate(train_texts):
        _write(real, f"ro-dashcam__train__p{k}__0", text)
    assert glyph_swap.main([str(real), "--out", str(tmp_path / "swapped"), "--count", "30", "--seed", "1"]) == 0
    names = [p.stem for p in (tmp_path / "swapped" / "images").glob("*.jpg")]
    assert names and not any("__v__" in n for n in names)
