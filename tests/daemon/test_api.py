"""The API served by the running daemon: a camera's event reaches the operator, with its pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.daemon.conftest import CAR, PLATE, cameras_up, daemon_settings, drop, folder_camera, running, wait_for


def _history(client: httpx.Client) -> list[dict[str, Any]]:
    answer = client.get("/api/history", params={"camera": "gate"})
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["data"]
    return rows


def test_an_operator_sees_the_cameras_event_and_its_pictures(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    settings = daemon_settings(tmp_path / "data", cameras=[folder_camera("gate", folder)],
                               api={"port": 0, "bcrypt_rounds": 4})
    with running(settings) as daemon:
        assert daemon._api is not None
        cameras_up(daemon)
        drop(folder, CAR)
        with httpx.Client(base_url=daemon._api.url, timeout=10) as client:
            assert client.get("/api/history").status_code == 401  # nothing without a session
            account = {"username": "operator", "password": "gate keeper 1"}
            assert client.post("/auth/register", json=account).status_code == 201
            login = client.post("/auth/login", json=account)
            assert login.status_code == 200 and login.json()["success"] is True
            rows = wait_for(lambda: [r for r in _history(client) if r["plate_number"] == PLATE] or None,
                            what="the camera's row in /api/history")
            row = rows[0]
            assert (row["status"], row["camera"], row["username"]) == ("entering", "gate", None)
            event = client.get(f"/api/events/{row['event_id']}")
            assert event.status_code == 200 and event.json()["data"]["plate_number"] == PLATE
            snapshot = wait_for(lambda: _ok(client.get(f"/api/events/{row['event_id']}/snapshot")),
                                what="the snapshot file")
            assert snapshot.headers["content-type"] == "image/jpeg" and snapshot.content[:2] == b"\xff\xd8"
            cameras = client.get("/api/cameras").json()["data"]
            assert [(c["name"], c["connected"]) for c in cameras] == [("gate", True)]
        with httpx.Client(base_url=daemon._api.url, timeout=10) as monitor:  # no session: loopback only
            health = monitor.get("/health").json()["data"]
            state = (health["status"], health["cameras"]["gate"]["connected"], health["mqtt"])
            assert state == ("ok", True, "disabled")
            assert set(health["models"]) == {"detector", "reader"} and "history" in health["outbox"]
            assert health["model_self_test"] == []  # the shipped models read the bundled sample plates
            metrics = monitor.get("/metrics").text
            assert 'carwatch_camera_up{camera="gate"} 1' in metrics
            assert 'carwatch_stage_latency_ms_count{camera="gate",stage="detector"}' in metrics
            assert "# TYPE carwatch_decision_latency_ms histogram" in metrics
            assert "carwatch_events_stored_total 2" in metrics  # decided and final of the one car


def _ok(answer: httpx.Response) -> httpx.Response | None:
    return answer if answer.status_code == 200 else None
