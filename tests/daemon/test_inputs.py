"""Hostile input while the daemon runs: broken snapshots, plate-list edits, a camera that is not there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tests.daemon.conftest import (
    CAR,
    PLATE,
    SharedBroker,
    cameras_up,
    daemon_settings,
    drop,
    folder_camera,
    running,
    stored_events,
    wait_for,
)
from tests.storage.factories import free_port


def test_corrupt_and_empty_snapshots_are_skipped_and_the_next_car_still_makes_an_event(tmp_path: Path) -> None:
    data, folder = tmp_path / "data", tmp_path / "gate"
    car = CAR.read_bytes()
    tiny = cv2.imencode(".jpg", np.zeros((1, 1, 3), np.uint8))[1].tobytes()
    with running(daemon_settings(data, cameras=[folder_camera("gate", folder)])) as daemon:
        cameras_up(daemon)
        (source,) = [p.source for p in daemon.pipelines()]
        drop(folder, car[: len(car) // 3], "truncated.jpg")  # a JPEG cut off mid-way
        drop(folder, b"", "empty.jpg")
        drop(folder, b"\xff\xd8\xff\xe0" + os.urandom(4096), "noise.jpg")  # a JPEG header, then garbage
        drop(folder, tiny, "one-pixel.jpg")  # decodes, but holds nothing to read
        wait_for(lambda: source.skipped >= 3, what="the broken snapshots skipped")
        drop(folder, CAR, "car.jpg")
        rows = wait_for(lambda: [r for r in stored_events(data) if r["stage"] == "final"], what="the car's event")
        status = daemon.status()["cameras"]["gate"]
        assert status["connected"] and status["failed"] == 0
    assert [(r["plate_number"], r["stage"]) for r in rows] == [(PLATE, "final")]


def test_plate_list_edits_take_effect_and_a_bad_edit_keeps_the_lists_in_force(
    tmp_path: Path, broker: SharedBroker
) -> None:
    data, folder, lists = tmp_path / "data", tmp_path / "gate", tmp_path / "plates.toml"
    lists.write_text('[[allow]]\nplate = "AAA111"\nname = \n')  # malformed from the start
    settings = daemon_settings(data, cameras=[folder_camera("gate", folder)], plate_lists=lists,
                               mqtt=broker.settings(), tracking={"repeat_window_s": 0})
    with running(settings) as daemon:
        assert "plates.toml" in (daemon.status()["plate_lists_error"] or "")
        cameras_up(daemon)

        replace_file(lists, '[[allow]]\nplate = "AAA111"\nname = "Visitor"\n')
        wait_for(lambda: daemon.matcher().is_listed("AAA111", "gate"), what="the fixed lists in force")
        assert daemon.status()["plate_lists_error"] is None

        lists.write_text('[[allow]]\nplate = "AAA111"\nhours = ["someday 25:00-26:00"]\n')  # edited in place, wrong
        wait_for(lambda: daemon.status()["plate_lists_error"], what="the bad edit reported")
        assert daemon.matcher().is_listed("AAA111", "gate")  # the previous lists stay

        drop(folder, CAR)  # not on the list yet
        first = wait_for(lambda: final_events(broker), what="the first vehicle's final event")[0]
        assert (first["plate"], first["reason"], first["open_barrier"]) == (PLATE, "unknown", False)

        replace_file(lists, f'[[allow]]\nplate = "AAA111"\n\n[[allow]]\nplate = "{PLATE}"\nname = "Ana"\n')
        wait_for(lambda: daemon.matcher().is_listed(PLATE, "gate"), what="the edit adding the car in force")
        assert daemon.status()["plate_lists_error"] is None

        drop(folder, CAR)  # the same car comes again: now allowed
        wait_for(lambda: len(final_events(broker)) == 2, what="the second vehicle's final event")
        barrier_topic = f"{broker.prefix}/test-site/gate/barrier"
        commands = wait_for(lambda: broker.subscriber.on(barrier_topic), what="a barrier command")
    second = final_events(broker)[1]
    assert second["event_id"] != first["event_id"]
    assert (second["plate"], second["reason"], second["open_barrier"]) == (PLATE, "allowed", True)
    assert second["match"]["list_name"] == "allow" and second["match"]["name"] == "Ana"
    assert [c.json()["event_id"] for c in commands] == [second["event_id"]]
    assert commands[0].json()["command"] == "open"


def final_events(broker: SharedBroker) -> list[dict[str, Any]]:
    return [e for e in broker.events() if e["stage"] == "final"]


def replace_file(path: Path, text: str) -> None:
    """Save the way most editors do: a temporary file renamed over the old one."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text)
    os.replace(temporary, path)


def test_a_camera_that_cannot_be_reached_is_reported_and_the_others_keep_working(tmp_path: Path) -> None:
    data, folder = tmp_path / "data", tmp_path / "gate"
    dead = {"name": "dead", "source": f"rtsp://admin:Secr3t-pw@127.0.0.1:{free_port()}/stream", "role": "exit",
            "reconnect_initial": 0.2, "reconnect_max": 1.0, "stall_timeout": 2.0}
    with running(daemon_settings(data, cameras=[dead, folder_camera("gate", folder)])) as daemon:
        wait_for(lambda: daemon.status()["cameras"]["dead"]["reconnects"] >= 1, what="the dead camera retried")
        wait_for(lambda: daemon.status()["cameras"]["gate"]["connected"], what="the live camera up")
        drop(folder, CAR)
        wait_for(lambda: [r for r in stored_events(data) if r["stage"] == "final"], what="the live camera's event")
        dead_status = daemon.status()["cameras"]["dead"]
    assert not dead_status["connected"] and dead_status["frames"] == 0 and dead_status["error"]
    assert "Secr3t" not in repr(dead_status)
    assert [(r["camera"], r["plate_number"]) for r in stored_events(data)] == [("gate", PLATE)]
