"""Degraded copies of real training crops: the camera effects on real plates, boxes kept, same pixels on
every rebuild, and longer motion streaks when asked for."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.training.degraded_crops import DEGRADED, SUFFIX, character_height, degrade, plate_area, write_degraded
from edge.training.render.plate_types import EffectConfig
from edge.vision.crop import crop_plate

IMAGES = Path(__file__).resolve().parents[1] / "images"


@pytest.fixture(scope="module")
def real_crop() -> np.ndarray:
    """The B58DTK plate cut from its test photo as the run time cuts it."""
    entry = next(json.loads(line) for line in (IMAGES / "labels.jsonl").read_text().splitlines()
                 if "ro-B58DTK" in line)
    frame = cv2.imread(str(IMAGES / Path(entry["image"]).name))
    return crop_plate(frame, tuple(entry["plates"][0]["box"])).pixels.copy()


def test_plate_area_is_the_box_inside_the_run_time_margins() -> None:
    mask = plate_area(130, 116)  # a 100 x 100 plate box grown by 8 % and 15 % on each side
    assert mask.shape == (130, 116) and mask.dtype == np.float32
    rows, cols = np.nonzero(mask)
    assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (15, 115, 8, 108)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 40)])
def test_plate_area_of_a_tiny_crop_is_never_empty(shape: tuple[int, int]) -> None:
    assert plate_area(*shape).sum() >= 1


def test_character_height_is_the_median_label_height() -> None:
    boxes = "0 0.2 0.5 0.1 0.50\n1 0.4 0.5 0.1 0.60\n2 0.6 0.5 0.1 0.55\nnot a box\n"
    assert character_height(boxes, 40) == pytest.approx(22.0)
    assert character_height("", 30) == pytest.approx(20.0)


def test_a_degraded_copy_keeps_the_size_and_changes_the_pixels(real_crop: np.ndarray) -> None:
    copies = [degrade(real_crop, 14.0, seed) for seed in range(6)]
    for copy in copies:
        assert copy.shape == real_crop.shape and copy.dtype == np.uint8
    assert all(np.abs(c.astype(int) - real_crop.astype(int)).mean() > 1.0 for c in copies)
    assert np.array_equal(degrade(real_crop, 14.0, 3), copies[3])
    assert not np.array_equal(copies[0], copies[1])


def _sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_longer_motion_streaks_blur_more(real_crop: np.ndarray) -> None:
    only_motion = replace(EffectConfig(), colour_cast=0, night=0, infrared=0, motion_blur=1.0, defocus=0,
                          low_res=0, noise=0, jpeg=0)
    short = [_sharpness(degrade(real_crop, 14.0, s, replace(only_motion, motion_blur_length=0.2))) for s in range(8)]
    long = [_sharpness(degrade(real_crop, 14.0, s, replace(only_motion, motion_blur_length=0.6))) for s in range(8)]
    assert np.mean(long) < 0.8 * np.mean(short)
    assert DEGRADED.motion_blur_length > EffectConfig().motion_blur_length


def _crop_set(folder: Path, crop: np.ndarray) -> list[Path]:
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    paths = []
    for name in ("a", "b"):
        cv2.imwrite(str(folder / "images" / f"{name}.jpg"), crop)
        (folder / "labels" / f"{name}.txt").write_text("11 0.3 0.5 0.1 0.6\n5 0.5 0.5 0.1 0.6\n")
        paths.append(folder / "images" / f"{name}.jpg")
    return paths


def test_write_degraded_writes_one_copy_per_crop_with_its_boxes(tmp_path: Path, real_crop: np.ndarray) -> None:
    images = _crop_set(tmp_path / "real", real_crop)
    written = write_degraded(images, tmp_path / "out")
    assert [p.name for p in written] == [f"a{SUFFIX}.jpg", f"b{SUFFIX}.jpg"]
    for image, copy in zip(images, written, strict=True):
        label = tmp_path / "out" / "labels" / f"{copy.stem}.txt"
        assert label.read_text() == (image.parent.parent / "labels" / f"{image.stem}.txt").read_text()
        pixels = cv2.imread(str(copy))
        assert pixels is not None and pixels.shape == real_crop.shape
    first = cv2.imread(str(written[0]))
    write_degraded(images, tmp_path / "again")
    assert np.array_equal(cv2.imread(str(tmp_path / "again" / "images" / written[0].name)), first)


def test_write_degraded_skips_what_it_cannot_use(tmp_path: Path, real_crop: np.ndarray,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    images = _crop_set(tmp_path / "real", real_crop)
    images[0].write_bytes(b"not a jpeg")
    (tmp_path / "real" / "labels" / "b.txt").unlink()
    with caplog.at_level(logging.WARNING):
        assert write_degraded([*images, tmp_path / "real" / "images" / "missing.jpg"], tmp_path / "out") == []
    assert caplog.text.count("skipping") == 3
