"""The plate renderer: known texts come out exactly, one box per character, boxes in place and in reading order."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.training.fonts import FONT_PACKAGES, find_plate_fonts
from edge.training.render import (
    LAYOUTS,
    EffectConfig,
    FontSet,
    RenderedPlate,
    reader_sample,
    render_plate,
    write_reader_set,
    write_scene_set,
)
from edge.training.sources import PlateLabel, RealImage
from edge.vision.charset import CHARSET

TEXTS = {"eu": "B 123 ABC", "uk": "AB12CDE", "us": "7XYZ123", "br_old": "ABC-1234", "mercosur": "ABC1D23",
         "two_row": "AB12|CDE", "moto": "AB123CD"}


@pytest.fixture(scope="module")
def fonts() -> FontSet:
    return FontSet.find()


def _check_boxes(plate: RenderedPlate, expected: str) -> None:
    h, w = plate.image.shape[:2]
    assert plate.text == expected
    assert "".join(b.char for b in plate.char_boxes) == expected
    for b in plate.char_boxes:
        assert 0 <= b.x1 < b.x2 <= w and 0 <= b.y1 < b.y2 <= h, b
        assert b.x2 - b.x1 >= 1 and b.y2 - b.y1 >= 1
    # Reading order: rows top to bottom; left to right within a row.
    centres = [((b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, b.y2 - b.y1) for b in plate.char_boxes]
    rows: list[list[tuple[float, float, float]]] = [[centres[0]]]
    for c in centres[1:]:
        prev = rows[-1][-1]
        if c[0] > prev[0]:
            rows[-1].append(c)
        else:
            assert c[1] > prev[1] + prev[2] * 0.4, "a new row must start below the previous one"
            rows.append([c])
    assert len(rows) == plate.rows


def test_layouts_known() -> None:
    assert set(TEXTS) == set(LAYOUTS)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("effects", [False, True])
def test_known_text_gets_one_box_per_character(layout: str, effects: bool, fonts: FontSet) -> None:
    expected = "".join(c for c in TEXTS[layout] if c in CHARSET)
    for seed in range(3):
        plate = render_plate(np.random.default_rng(seed), layout, TEXTS[layout], effects, fonts=fonts)
        assert plate.layout == layout
        assert plate.image.dtype == np.uint8 and plate.image.ndim == 3 and plate.image.shape[2] == 3
        assert plate.plate_quad.shape == (4, 2)
        _check_boxes(plate, expected)


@pytest.mark.parametrize("which", ["dejavu", "none"])
def test_renders_with_only_dejavu_or_no_font_at_all(which: str) -> None:
    dejavu = tuple(f for f in find_plate_fonts() if f.name.startswith("DejaVuSans"))
    fonts = FontSet(dejavu, dejavu) if which == "dejavu" else FontSet((), ())
    rng = np.random.default_rng(3)
    for layout in LAYOUTS:
        expected = "".join(c for c in TEXTS[layout] if c in CHARSET)
        _check_boxes(render_plate(rng, layout, TEXTS[layout], True, fonts=fonts), expected)


def test_rows_follow_the_layout(fonts: FontSet) -> None:
    rng = np.random.default_rng(5)
    assert render_plate(rng, "eu", "AB12|CDE", False, fonts=fonts).rows == 1
    assert render_plate(rng, "two_row", "AB12CDE", False, fonts=fonts).rows == 2
    assert render_plate(rng, "moto", "AB|12|CD", False, fonts=fonts).rows == 3


def test_clean_plate_boxes_hold_ink(fonts: FontSet) -> None:
    plate = render_plate(np.random.default_rng(1), "uk", "AB12CDE", False, fonts=fonts)
    grey = cv2.cvtColor(plate.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    for b in plate.char_boxes:
        patch = grey[int(b.y1):int(b.y2), int(b.x1):int(b.x2)]
        assert patch.min() < 100 < patch.max(), "a box must sit on a dark glyph on the light plate"


def test_random_plates_and_strong_effects(fonts: FontSet) -> None:
    rng = np.random.default_rng(7)
    strong = EffectConfig(strength=1.5, dirt=1, shadow=1, glare=1, occlusion=1, night=0.5, infrared=0.5,
                          motion_blur=0.5, low_res=1, noise=1, jpeg=1)
    for _ in range(10):
        plate = render_plate(rng, config=strong, fonts=fonts)
        assert plate.layout in LAYOUTS
        _check_boxes(plate, plate.text)
        assert set(plate.text) <= set(CHARSET) and plate.text


def test_bad_text_and_layout_are_refused(fonts: FontSet) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        render_plate(rng, "eu", "AB#12", fonts=fonts)
    with pytest.raises(ValueError):
        render_plate(rng, "eu", " - ", fonts=fonts)
    with pytest.raises(ValueError):
        render_plate(rng, "nowhere", "AB12", fonts=fonts)


@pytest.mark.parametrize("with_background", [False, True])
def test_reader_sample_boxes_stay_in_the_crop(with_background: bool, fonts: FontSet) -> None:
    rng = np.random.default_rng(11)
    background = rng.integers(0, 255, (300, 500, 3), dtype=np.uint8) if with_background else None
    for _ in range(12):
        crop, boxes = reader_sample(rng, background, fonts=fonts)
        h, w = crop.shape[:2]
        assert crop.dtype == np.uint8 and h > 4 and w > 4
        assert boxes
        for cls, x1, y1, x2, y2 in boxes:
            assert 0 <= cls < len(CHARSET)
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h


def test_write_reader_set_writes_yolo_files(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8))
    assert write_reader_set(tmp_path / "set", 5, 3, [photo]) == 5
    images = sorted((tmp_path / "set" / "images").glob("*.jpg"))
    assert len(images) == 5
    for image in images:
        assert cv2.imread(str(image)) is not None
        lines = (tmp_path / "set" / "labels" / f"{image.stem}.txt").read_text().splitlines()
        assert lines
        for line in lines:
            parts = line.split()
            assert len(parts) == 5
            assert 0 <= int(parts[0]) < len(CHARSET)
            cx, cy, bw, bh = map(float, parts[1:])
            assert 0 < bw <= 1 and 0 < bh <= 1
            assert cx - bw / 2 >= -1e-6 and cx + bw / 2 <= 1 + 1e-6
            assert cy - bh / 2 >= -1e-6 and cy + bh / 2 <= 1 + 1e-6


def test_fonts_are_found() -> None:
    assert "fonts-dejavu-core" in FONT_PACKAGES
    fonts = find_plate_fonts()
    assert fonts, "install fonts-dejavu-core at least"
    assert all(f.suffix.lower() in (".ttf", ".otf") for f in fonts)
    assert not [f for f in fonts if "oblique" in f.name.lower() or "italic" in f.name.lower()]


def test_dejavu_fallback_when_no_package_is_installed(tmp_path: Path) -> None:
    fonts = find_plate_fonts(packages=("no-such-fonts",), info_dir=tmp_path)
    assert fonts and all(f.name.startswith("DejaVuSans") for f in fonts)


def test_write_scene_set_keeps_real_plates_and_adds_rendered_ones(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    photo = tmp_path / "images" / "train" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    cv2.imwrite(str(photo), rng.integers(30, 220, (360, 640, 3), dtype=np.uint8))
    real = RealImage("test", photo, "g", "train", (PlateLabel((0.5, 0.8, 0.1, 0.05), "", 1, "", ""),))
    stale = tmp_path / "scenes" / "images" / "scene1_000099.jpg"  # a scene of an earlier, larger set
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert write_scene_set(tmp_path / "scenes", 6, 1, [real]) == 6
    names = sorted(p.name for p in (tmp_path / "scenes" / "images").iterdir())
    assert names == [f"test__scene1_{k:06d}.jpg" for k in range(6)]  # named after the photo's set; the old gone
    for label in sorted((tmp_path / "scenes" / "labels").glob("*.txt")):
        rows = [list(map(float, line.split())) for line in label.read_text().splitlines()]
        image = cv2.imread(str(label.parent.parent / "images" / f"{label.stem}.jpg"))
        assert image is not None
        if not rows:
            continue  # a plate-free crop
        assert [0.0, 0.5, 0.8, 0.1, 0.05] in [[round(v, 6) for v in r] for r in rows], "the photo's own plate stays"
        assert len(rows) >= 2
        for _, cx, cy, bw, bh in rows:
            assert 0 < bw <= 1 and 0 < bh <= 1 and 0 <= cx <= 1 and 0 <= cy <= 1


def test_romanian_letters_hold_a_narrow_i_after_the_first_but_never_start_with_i_or_o_or_hold_q() -> None:
    from edge.training.render.plate_texts import eu_text  # noqa: PLC0415
    from edge.training.render.random_draws import Rng  # noqa: PLC0415

    rng: Rng = np.random.default_rng(5)
    groups = [eu_text(rng, "RO")[0].split()[-1] for _ in range(2000)]
    letter_groups = [g for g in groups if g.isalpha()]  # temporary plates are digits only
    assert len(letter_groups) > 1500 and all(len(g) == 3 for g in letter_groups)
    assert not any(g[0] in "IOQ" or "Q" in g for g in letter_groups)
    assert any("I" in g[1:] for g in letter_groups) and any("O" in g[1:] for g in letter_groups)
