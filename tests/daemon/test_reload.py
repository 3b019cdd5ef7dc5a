"""Reloading the cameras while the daemon runs (what SIGHUP or saving the config file does)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.daemon.conftest import (
    CAR,
    OTHER_CAR,
    OTHER_PLATE,
    PLATE,
    cameras_up,
    daemon_settings,
    daemon_threads,
    drop,
    folder_camera,
    running,
    stored_events,
    wait_for,
)


def finals_by_camera(data: Path, cameras: int) -> dict[str, dict[str, Any]] | None:
    """The final events by camera once there are ``cameras`` of them."""
    finals = {r["camera"]: r for r in stored_events(data) if r["stage"] == "final"}
    return finals if len(finals) == cameras else None


def test_a_camera_added_by_reload_runs_beside_the_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    first = folder_camera("gate-a", tmp_path / "a")
    second = folder_camera("gate-b", tmp_path / "b", role="exit")
    with running(daemon_settings(data, cameras=[first])) as daemon:
        cameras_up(daemon)
        (kept,) = daemon.pipelines()
        daemon.reload(daemon_settings(data, cameras=[first, second]))
        assert sorted(daemon.status()["cameras"]) == ["gate-a", "gate-b"]
        assert kept in daemon.pipelines()  # an unchanged camera is not restarted
        cameras_up(daemon)
        drop(tmp_path / "b", CAR)
        drop(tmp_path / "a", OTHER_CAR)
        rows = wait_for(lambda: finals_by_camera(data, 2), what="an event from each camera")
        assert (rows["gate-a"]["plate_number"], rows["gate-a"]["status"]) == (OTHER_PLATE, "entering")
        assert (rows["gate-b"]["plate_number"], rows["gate-b"]["status"]) == (PLATE, "leaving")

        # A camera removed by the next reload stops (its threads end); one whose folder has gone meanwhile
        # is logged and skipped, the rest still start.
        third = folder_camera("gate-c", tmp_path / "c")
        settings = daemon_settings(data, cameras=[second, third])
        shutil.rmtree(tmp_path / "c")
        with caplog.at_level(logging.ERROR, logger="edge.app"):
            daemon.reload(settings)
        assert sorted(daemon.status()["cameras"]) == ["gate-b"]
        assert "camera gate-c not started" in caplog.text
        wait_for(lambda: not [t for t in daemon_threads() if "gate-a" in t], timeout=5, what="gate-a's threads ended")
