"""The STATUS= line from the daemon's status mapping."""

from __future__ import annotations

from typing import Any

from edge.service.status import status_line


def camera(connected: bool) -> dict[str, Any]:
    return {"connected": connected, "frames": 10, "processed": 5}


def test_all_up() -> None:
    status = {"cameras": {"entry": camera(True), "exit": camera(True)}, "outbox": {"history": 0, "mqtt": 0},
              "events_stored": 14, "last_event_at": 988.0, "mqtt_connected": True}
    assert status_line(status, now=1000.0) == "2/2 cameras up, outbox 0, 14 events, last event 12 s ago"


def test_cameras_and_broker_down() -> None:
    status = {"cameras": {"entry": camera(True), "exit": camera(False)}, "outbox": {"history": 2, "mqtt": 40},
              "mqtt_connected": False}
    assert status_line(status) == "1/2 cameras up (exit down), outbox 42, MQTT down"


def test_many_down_are_counted() -> None:
    status = {"cameras": {f"c{i}": camera(False) for i in range(6)}}
    assert status_line(status) == "0/6 cameras up (c0, c1, c2 +3 down)"


def test_odd_or_missing_values_are_left_out() -> None:
    assert status_line({}) == "no cameras"
    status = {"cameras": {"a": "nonsense"}, "outbox": {"x": "many", "y": 3}, "events_stored": True,
              "last_event_at": "yesterday", "mqtt_connected": None}
    assert status_line(status) == "0/1 cameras up (a down), outbox 3"
    assert status_line({"cameras": [], "outbox": None}) == "no cameras"
    assert status_line({"last_event_at": 2000.0}, now=1000.0) == "no cameras, last event 0 s ago"
