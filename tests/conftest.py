"""Shared fixtures: the shipped models and the committed real test images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge.settings.vision import VisionSettings
from edge.vision.recognizer import PlateRecognizer

TESTS = Path(__file__).resolve().parent
IMAGES = TESTS / "images"


@pytest.fixture(scope="session")
def labelled_images() -> list[dict[str, Any]]:
    """The committed real photos with their plate boxes and texts (tests/images/labels.jsonl)."""
    lines = (IMAGES / "labels.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def recognizer() -> PlateRecognizer:
    """The shipped models, built once for the whole session, as the daemon does."""
    return PlateRecognizer.from_config(VisionSettings().recognizer_config())
