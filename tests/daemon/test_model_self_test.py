"""The daemon reads the bundled sample plates at start and warns when its models misread them."""

from __future__ import annotations

import logging

import pytest

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
