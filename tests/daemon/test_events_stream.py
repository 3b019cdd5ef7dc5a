"""The daemon's live events: a car dropped into a snapshot-folder camera reaches an open
``GET /api/events/stream`` as it is stored, with pictures to fetch; stopping the daemon ends the stream at once."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.daemon.conftest import CAR, PLATE, cameras_up, daemon_settings, drop, folder_camera, running, wait_for


class Reader:
    """Reads an event stream in a thread; keeps the ``event: plate`` payloads and whether it ended cleanly."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.events: list[dict[str, Any]] = []
        self.comments = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._read, name="test-daemon-sse", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        kind = ""
        try:
            for line in self.response.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind == "plate":
                    self.events.append(json.loads(line.removeprefix("data: ")))
                elif line.startswith(":"):
                    self.comments += 1
        except httpx.HTTPError as exc:
            self.error = exc


def test_a_cars_events_reach_an_open_stream_and_stopping_ends_it(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "drop"
    settings = daemon_settings(tmp_path / "data", cameras=[folder_camera("gate", folder)],
                               api={"port": 0, "bcrypt_rounds": 4}, tracking={"repeat_window_s": 0})
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    with running(settings) as daemon:
        assert daemon._api is not None
        cameras_up(daemon)
        client = httpx.Client(base_url=daemon._api.url, timeout=10)
        account = {"username": "operator", "password": "gate keeper 1"}
        assert client.post("/auth/register", json=account).status_code == 201
        assert client.post("/auth/login", json=account).status_code == 200
        response = client.send(client.build_request("GET", "/api/events/stream"), stream=True)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response)
        wait_for(lambda: daemon.feed.subscribers == 1, what="the stream subscribed")

        drop(folder, CAR)
        events = wait_for(lambda: [e for e in reader.events if e["stage"] == "final"] and reader.events,
                          what="the car's decided and final events on the stream")
        assert [(e["plate"], e["camera"], e["direction"]) for e in events] == [(PLATE, "gate", "entering")] * 2
        assert [e["stage"] for e in events] == ["decided", "final"]
        assert events[0]["event_id"] == events[1]["event_id"]
        assert (events[1]["reason"], events[1]["open_barrier"]) == ("unknown", False)
        picture = wait_for(lambda: _ok(client.get(events[1]["snapshot_url"])), what="the event's snapshot")
        assert picture.headers["content-type"] == "image/jpeg" and picture.content[:2] == b"\xff\xd8"
        crop = wait_for(lambda: _ok(client.get(events[1]["crop_url"])), what="the event's plate crop")
        assert crop.content[:2] == b"\xff\xd8"
        assert daemon.status()["events_stored"] == len(events)
        # leaving the block stops the daemon with the stream still open
    reader.thread.join(10)
    assert not reader.thread.is_alive() and reader.error is None  # the stream ended cleanly, not cut off
    assert "timeout graceful shutdown exceeded" not in caplog.text
    response.close()
    client.close()


def _ok(answer: httpx.Response) -> httpx.Response | None:
    return answer if answer.status_code == 200 else None
