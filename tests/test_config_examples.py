"""Every shipped example configuration loads and is accepted by the settings models."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from edge.events.lists import load_plate_lists
from edge.settings.cameras import CameraSettings
from edge.settings.daemon import DaemonSettings, load_settings
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


def test_the_second_look_is_on_by_default_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert VisionSettings().recognizer_config().detector_zoom
    monkeypatch.setenv("CARWATCH_VISION__DETECTOR_ZOOM", "false")
    assert not VisionSettings().recognizer_config().detector_zoom


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="thread_count"):
        VisionSettings(thread_count=2)  # type: ignore[call-arg]


@pytest.mark.parametrize(("variable", "value"), [
    ("CARWATCH_VISION__DETECTOR_TILES", "0"), ("CARWATCH_VISION__DETECTOR_TILES", "9"),
    ("CARWATCH_VISION__DETECTOR_TILES", "two"), ("CARWATCH_VISION__TILE_CONFIDENCE", "1.5"),
    ("CARWATCH_VISION__MIN_TWIN_SCORE", "-0.1"), ("CARWATCH_VISION__MIN_TWIN_SCORE", "nan"),
    ("CARWATCH_VISION__REREAD_BELOW", "2"), ("CARWATCH_VISION__REREAD_BELOW", "1e400"),
    ("CARWATCH_VISION__DETECTOR_ZOOM", "maybe"), ("CARWATCH_VISION__DETECTOR_ZOOM", "2"),
])
def test_bad_reading_settings_are_refused_by_name(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable.removeprefix("CARWATCH_VISION__").lower()):
        VisionSettings()


# ---- the daemon's TOML example ----

def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(prefix + name)
        inner = field.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            keys |= _model_keys(inner, f"{prefix}{name}.")
    return keys


def _example_keys(text: str) -> set[str]:
    """Keys set or shown commented out in the example, with their table prefix."""
    keys: set[str] = set()
    table = ""
    for raw in text.splitlines():
        line = raw.strip()
        header = re.match(r"^\[\[?([a-z_.]+)\]\]?", line)
        if header:
            table = header.group(1)
            keys.add(table)
            continue
        match = re.match(r"^#?\s*([a-z_]+)\s*=", line)
        if match:
            keys.add(f"{table}.{match.group(1)}" if table else match.group(1))
    return keys


def test_toml_example_shows_every_daemon_setting() -> None:
    text = (CONFIG / "carwatch.example.toml").read_text()
    expected = _model_keys(DaemonSettings) | {f"cameras.{k}" for k in CameraSettings.model_fields}
    expected -= {"vision.formats"}  # a table of its own: [vision.formats]
    shown = _example_keys(text) | {"vision.formats"}
    assert expected - shown == set()


def test_toml_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("CARWATCH_")]:
        monkeypatch.delenv(key)
    text = (CONFIG / "carwatch.example.toml").read_text()
    config = tmp_path / "carwatch.toml"  # the example's snapshot folder must exist to be accepted
    config.write_text(text.replace("/srv/carwatch/snapshots/exit", str(tmp_path)))
    settings = load_settings(config)
    assert [c.name for c in settings.cameras] == ["entry", "exit"]
    assert settings.plate_lists.path == tmp_path / "plates.toml"
    assert "viewer:password" not in repr(settings)  # the camera URL holds credentials


def test_plate_list_example_loads() -> None:
    lists = load_plate_lists(CONFIG / "plates.example.toml", 1 << 20)
    assert len(lists) > 0
