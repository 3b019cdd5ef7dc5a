"""Every shipped example configuration loads and is accepted by the settings models."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings.vision import VisionSettings

CONFIG = Path(__file__).resolve().parents[1] / "config"


def _example_values(path: Path) -> dict[str, str]:
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip().removeprefix("#")
        if line.startswith("CARWATCH_") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def test_env_example_names_every_vision_setting() -> None:
    values = _example_values(CONFIG / "carwatch.env.example")
    named = {k.removeprefix("CARWATCH_VISION__").lower() for k in values if k.startswith("CARWATCH_VISION__")}
    assert named == set(VisionSettings.model_fields)


def test_env_example_values_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _example_values(CONFIG / "carwatch.env.example").items():
        monkeypatch.setenv(key, value)
    settings = VisionSettings()
    assert settings.formats["RO"][0] == "LDDLLL"


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="thread_count"):
        VisionSettings(thread_count=2)  # type: ignore[call-arg]
