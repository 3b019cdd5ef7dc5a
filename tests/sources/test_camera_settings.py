"""CameraSettings (edge/settings/cameras.py): defaults, the source rules, and errors that never echo a password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from edge.domain import CameraRole
from edge.settings.cameras import AfterProcessing, CameraSettings, EnteringDirection
from edge.sources import SourceKind, SourceOptions

SECRET = "Pa55:w@rd"


class Daemon(BaseModel):
    """An enclosing model without hide_input_in_errors, as the lead's top-level settings might be."""

    cameras: list[CameraSettings] = []


def test_defaults_are_a_sensible_camera() -> None:
    camera = CameraSettings()
    assert camera.role is CameraRole.BOTH and camera.entering_direction is EnteringDirection.TOWARD
    assert (camera.fps, camera.roi, camera.motion_gate, camera.motion_threshold) == (5.0, None, True, 0.005)
    assert camera.after is AfterProcessing.KEEP and camera.loop and camera.enabled and not camera.process_existing
    assert camera.decode_threads == 1 and SourceOptions.from_settings(camera).decode_threads == 1
    assert camera.source_spec().kind is SourceKind.DEVICE


def test_every_field_has_a_description() -> None:
    schema = CameraSettings.model_json_schema()
    assert all("description" in field for field in schema["properties"].values())
    assert schema["properties"]["source"]["type"] == "string"


def test_a_full_camera_loads(tmp_path: Path) -> None:
    camera = CameraSettings.model_validate({
        "name": "north_gate-1", "source": f" rtsp://admin:{SECRET}@10.0.0.9:554/Streaming/101 ", "role": "entry",
        "entering_direction": "away", "fps": 12.5, "roi": [0.1, 0.2, 0.9, 1.0], "motion_gate": False,
        "motion_threshold": 0.02, "stall_timeout": 5, "reconnect_initial": 0.5, "reconnect_max": 10,
        "decode_threads": 0,
    })
    assert camera.source == f"rtsp://admin:{SECRET}@10.0.0.9:554/Streaming/101"
    assert camera.display_source == "rtsp://***@10.0.0.9:554/Streaming/101"
    assert camera.roi == (0.1, 0.2, 0.9, 1.0) and camera.role is CameraRole.ENTRY
    assert SECRET not in repr(camera) and SECRET not in str(camera)
    options = SourceOptions.from_settings(camera)
    assert (options.stall_timeout, options.backoff.initial, options.backoff.maximum) == (5, 0.5, 10)
    assert options.decode_threads == 0


def test_a_usb_index_may_be_a_number_and_folders_take_after(tmp_path: Path) -> None:
    assert CameraSettings(source=0).source == "0"  # type: ignore[arg-type]
    folder = CameraSettings(source=str(tmp_path), after="move", process_existing=True)  # type: ignore[arg-type]
    assert folder.source_spec().kind is SourceKind.FOLDER
    assert SourceOptions.from_settings(folder).after is AfterProcessing.MOVE


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("name", "", "at least 1"),
    ("name", "north gate", "pattern"),
    ("name", "gate/../../etc", "pattern"),
    ("name", "tür", "pattern"),
    ("name", "x" * 65, "at most 64"),
    ("source", "ftp://cam/x", "unknown scheme"),
    ("source", "/missing/clip.mp4", "no such file"),
    ("source", "rtsp://cam/" + "x" * 10_000, "too long"),
    ("source", True, "must be text"),
    ("role", "sideways", "entry"),
    ("entering_direction", "north", "toward"),
    ("fps", 0, "greater than 0"),
    ("fps", 31, "less than or equal to 30"),
    ("roi", [0.5, 0.1, 0.4, 0.9], "x1 < x2"),
    ("roi", [0.1, 0.9, 0.4, 0.2], "y1 < y2"),
    ("roi", [-0.1, 0, 1, 1], "between 0 and 1"),
    ("roi", [0, 0, 1.5, 1], "between 0 and 1"),
    ("roi", [0, 0, 1], "Field required"),
    ("roi", [0, 0, "nan", 1], "between 0 and 1"),
    ("motion_threshold", 2, "less than or equal to 1"),
    ("after", "shred", "keep"),
    ("reconnect_max", 0.1, "reconnect_max must not be below"),
    ("decode_threads", -1, "greater than or equal to 0"),
    ("decode_threads", 64, "less than or equal to 16"),
    ("decode_threads", "many", "valid integer"),
    ("colour", "blue", "Extra inputs are not permitted"),
])
def test_bad_settings_are_refused_naming_the_problem(field: str, value: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        CameraSettings.model_validate({"name": "gate", "source": "0", field: value})


@pytest.mark.parametrize("source", [
    f"ftp://admin:{SECRET}@cam/x",
    f"rtsp://admin:{SECRET}@cam:99999/x",
    f"rtsp://admin:{SECRET}@cam/x\nforged",
    f"rtsp://admin:{SECRET}@/x",
    f"rtsp://admin:{SECRET}@cam/" + "y" * 5000,
])
def test_a_bad_source_is_refused_without_showing_its_password_even_when_nested(source: str) -> None:
    for model, data in ((CameraSettings, {"source": source}), (Daemon, {"cameras": [{"source": source}]})):
        with pytest.raises(ValidationError) as caught:
            model.model_validate(data)
        shown = str(caught.value) + repr(caught.value) + json.dumps(caught.value.errors(include_url=False), default=str)
        assert SECRET not in shown and "admin" not in shown
