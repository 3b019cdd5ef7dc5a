"""The daemon reads the bundled sample plates at start and warns when its models misread them."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from edge import app
from edge.app import GateDaemon
from edge.settings.vision import VisionSettings
from edge.vision.recognizer import PlateRecognizer


def test_the_shipped_models_pass_and_blind_ones_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    shipped = PlateRecognizer.from_config(VisionSettings().recognizer_config())
    with caplog.at_level(logging.WARNING, logger="edge.app"):
        assert GateDaemon._test_models(shipped) == []
    assert "model self-test" not in caplog.text
    # Models that find nothing (as the INT8 detector with full-range weights missed TR95XMI on a CPU without VNNI)
    blind = PlateRecognizer.from_config(VisionSettings(detector_confidence=0.99).recognizer_config())
    with caplog.at_level(logging.WARNING, logger="edge.app"):
        problems = GateDaemon._test_models(blind)
    assert problems == ["car.jpg: expected B58DTK, found no plate", "ro-TR95XMI.jpg: expected TR95XMI, found no plate"]
    assert caplog.text.count("model self-test: ") == 2 and "Troubleshooting" in caplog.text


def test_missing_sample_photos_are_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "car.jpg").write_bytes(b"\xff\xd8 truncated")  # a damaged installation
    damaged = tuple(dataclasses.replace(p, image=tmp_path / p.image.name) for p in app.BUNDLED_PLATES)
    monkeypatch.setattr(app, "BUNDLED_PLATES", damaged)
    shipped = PlateRecognizer.from_config(VisionSettings().recognizer_config())
    with caplog.at_level(logging.WARNING, logger="edge.app"):
        (problem,) = GateDaemon._test_models(shipped)
    assert problem.startswith("sample photos unreadable:") and "car.jpg" in problem
    assert "model self-test: sample photos unreadable" in caplog.text
