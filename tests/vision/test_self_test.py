"""Reading the bundled sample plates with the shipped models: what ``carwatch-edge doctor`` checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from edge.domain import Box
from edge.settings.vision import VisionSettings
from edge.vision.errors import ImageError
from edge.vision.recognizer import PlateRecognizer
from edge.vision.self_test import BUNDLED_PLATES, KnownPlate, read_known_plates


@pytest.fixture(scope="module")
def recognizer() -> PlateRecognizer:
    return PlateRecognizer.from_config(VisionSettings().recognizer_config())


def test_the_shipped_models_read_every_sample_plate(recognizer: PlateRecognizer) -> None:
    results = read_known_plates(recognizer, BUNDLED_PLATES)
    assert [(r.plate.text, r.read) for r in results] == [(p.text, p.text) for p in BUNDLED_PLATES]
    assert all(r.ok and r.problem is None for r in results) and len(results) == 2


def test_a_wrong_text_or_a_box_with_no_plate_is_not_ok(recognizer: PlateRecognizer) -> None:
    sample = BUNDLED_PLATES[0]
    wrong_text = dataclasses.replace(sample, text="B58DTX")
    elsewhere = dataclasses.replace(sample, box=Box(0, 0, 60, 20))  # the sky: no detection there
    read, missed = read_known_plates(recognizer, [wrong_text, elsewhere])
    assert read.read == "B58DTK" and not read.ok and read.problem == "car.jpg: expected B58DTX, read B58DTK"
    assert missed.read is None and missed.problem == "car.jpg: expected B58DTK, found no plate"
    assert dataclasses.replace(read, read="").problem == "car.jpg: expected B58DTX, read nothing"


def test_a_photo_that_is_no_image_raises(recognizer: PlateRecognizer, tmp_path: Path) -> None:
    broken = tmp_path / "car.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(ImageError, match=r"car\.jpg: "):
        read_known_plates(recognizer, [KnownPlate(broken, "B58DTK", Box(0, 0, 10, 10))])
    with pytest.raises(OSError, match=r"missing\.jpg"):
        read_known_plates(recognizer, [KnownPlate(tmp_path / "missing.jpg", "B58DTK", Box(0, 0, 10, 10))])
