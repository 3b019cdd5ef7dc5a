"""Entering or leaving: by the camera's role, and by the plate's movement for a camera that watches both ways."""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from edge.storage.database import Database
from edge.storage.presence import PresenceRepository
from tests.daemon.conftest import ARRIVAL, PLATE, daemon_settings, file_camera, running, stored_events, wait_for


def finals(data: Path) -> dict[str, dict[str, Any]]:
    return {r["camera"]: r for r in stored_events(data) if r["stage"] == "final"}


def test_an_entry_camera_reports_entering_and_an_exit_camera_leaving(tmp_path: Path) -> None:
    cameras = [file_camera("entry-cam", ARRIVAL, "entry"), file_camera("exit-cam", ARRIVAL, "exit")]
    data = tmp_path / "data"
    with running(daemon_settings(data, cameras=cameras)):
        wait_for(lambda: len(finals(data)) == 2, timeout=30, what="a final event from each camera")
    rows = stored_events(data)
    assert sorted((r["camera"], r["plate_number"], r["status"]) for r in rows) == [
        ("entry-cam", PLATE, "entering"), ("exit-cam", PLATE, "leaving")]


def test_a_both_ways_camera_tells_arriving_from_leaving_and_records_presence(tmp_path: Path,
                                                                            leaving_clip: Path) -> None:
    """``entering_direction = "toward"``: a growing plate enters, a shrinking one leaves. Two daemons run side
    by side (two data dirs), so each one's anti-passback state shows what its own vehicle did."""
    clips = {"arriving": ARRIVAL, "leaving": leaving_clip}
    data = {name: tmp_path / name for name in clips}
    with ExitStack() as stack:
        for name, clip in clips.items():
            camera = file_camera("gate", clip, "both", entering_direction="toward")
            stack.enter_context(running(daemon_settings(data[name], cameras=[camera])))
        for folder in data.values():
            wait_for(partial(finals, folder), timeout=30, what=f"a final event in {folder.name}")
    assert [(r["plate_number"], r["status"]) for r in stored_events(data["arriving"])] == [(PLATE, "entering")]
    assert [(r["plate_number"], r["status"]) for r in stored_events(data["leaving"])] == [(PLATE, "leaving")]
    # The decision comes before the plate has moved much; the direction found later still reaches presence.
    assert inside(data["arriving"]) is True
    assert inside(data["leaving"]) is False


def inside(data: Path) -> bool | None:
    database = Database.from_url(f"sqlite:///{data / 'history.sqlite3'}")
    try:
        state = PresenceRepository(database).state("test-site", PLATE)
    finally:
        database.close()
    return None if state is None else state.inside
