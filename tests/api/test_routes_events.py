"""GET /api/events/stream: server-sent events of the live feed, on a real uvicorn server (the in-process test
client reads whole answers, a stream never ends there). The daemon's own stream: tests/daemon/test_events_stream.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from edge.api import ApiDependencies, ApiServer, create_app
from edge.api.routes_events import event_message
from edge.events.feed import EventFeed
from edge.settings.api import ApiSettings
from edge.storage.database import Database
from tests.api.conftest import PASSWORD, TestClient, bearer, login, new_client, register
from tests.storage.factories import make_event

T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], timeout: float = 10.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what} not met within {timeout:g} s"
        time.sleep(0.02)
    return value


@dataclass
class Stream:
    """An open event stream read line by line in a thread of its own."""

    response: httpx.Response
    lines: list[str] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)
    error: list[BaseException] = field(default_factory=list)

    def read(self) -> None:
        try:
            for line in self.response.iter_lines():
                self.lines.append(line)
        except httpx.HTTPError as exc:
            self.error.append(exc)
        finally:
            self.ended.set()

    def messages(self) -> list[dict[str, str]]:
        """The ``event:``/``id:``/``data:`` messages so far (comments left out)."""
        found: list[dict[str, str]] = []
        current: dict[str, str] = {}
        for line in list(self.lines):
            if not line:
                if current:
                    found.append(current)
                current = {}
            elif not line.startswith(":") and ":" in line:
                name, value = line.split(":", 1)
                current[name] = value.removeprefix(" ")
        return [m for m in found if "event" in m]


@dataclass
class Served:
    server: ApiServer
    feed: EventFeed
    client: httpx.Client
    token: str


@pytest.fixture
def served(tmp_path: Path, sqlite_database: Database) -> Iterator[Served]:
    feed = EventFeed(max_subscribers=3)
    app = create_app(ApiDependencies(database=sqlite_database, settings=ApiSettings(bcrypt_rounds=4),
                                     data_dir=tmp_path, events_feed=feed, stream_heartbeat_s=0.2))
    with new_client(app) as setup:
        register(setup, "admin")
    server = ApiServer(app, "127.0.0.1", 0, stop_timeout_s=5)
    server.start()
    client = httpx.Client(base_url=server.url, timeout=10)
    token = client.post("/auth/login", json={"username": "admin", "password": PASSWORD}).json()["data"]["token"]
    try:
        yield Served(server, feed, client, token)
    finally:
        feed.close()
        client.close()
        server.stop()


@pytest.fixture
def streams(served: Served) -> Iterator[list[tuple[Stream, threading.Thread]]]:
    opened: list[tuple[Stream, threading.Thread]] = []
    yield opened
    served.feed.close()  # ends every stream still open
    for stream, reader in opened:
        reader.join(10)
        stream.response.close()


def open_stream(served: Served, opened: list[tuple[Stream, threading.Thread]], *,
                client: httpx.Client | None = None) -> Stream:
    request = (client or served.client).build_request("GET", "/api/events/stream")
    response = (client or served.client).send(request, stream=True)
    assert response.status_code == 200, response.read()
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = Stream(response)
    reader = threading.Thread(target=stream.read, name="test-sse-reader", daemon=True)
    reader.start()
    opened.append((stream, reader))
    wait_for(lambda: served.feed.subscribers >= len(opened), what="the stream subscribed")
    return stream


def test_events_arrive_in_order_with_their_picture_urls(served: Served, streams: list[tuple[Stream, threading.Thread]],
                                                        ) -> None:
    stream = open_stream(served, streams)
    first = make_event("B58DTK", stage="decided", snapshot="snapshots/d/x-frame.jpg", crop="snapshots/d/x-crop.jpg")
    second = make_event("TR95XMI", open_barrier=True)
    served.feed.publish(first)
    served.feed.publish(second)
    messages = wait_for(lambda: stream.messages() if len(stream.messages()) >= 2 else None, what="two events")
    assert [m["event"] for m in messages] == ["plate", "plate"]
    assert messages[0]["id"] == f"{first.event_id}/1"
    data = [json.loads(m["data"]) for m in messages]
    assert [d["plate"] for d in data] == ["B58DTK", "TR95XMI"]
    assert data[0]["snapshot_url"] == f"/api/events/{first.event_id}/snapshot"
    assert data[0]["crop_url"] == f"/api/events/{first.event_id}/crop"
    assert data[1]["snapshot_url"] is None and data[1]["crop_url"] is None
    assert data[1]["open_barrier"] is True and data[1]["reason"] == "allowed"
    assert {k: v for k, v in data[0].items() if not k.endswith("_url")} == first.to_dict()
    assert stream.lines[0] == "retry: 3000"


def test_an_idle_stream_sends_heartbeats(served: Served, streams: list[tuple[Stream, threading.Thread]]) -> None:
    stream = open_stream(served, streams)
    wait_for(lambda: stream.lines.count(": heartbeat") >= 2, what="two heartbeats")
    assert not stream.messages()


def test_signing_out_ends_the_stream(served: Served, streams: list[tuple[Stream, threading.Thread]]) -> None:
    stream = open_stream(served, streams)
    assert served.client.post("/auth/logout").status_code == 200  # revokes the session the stream runs on
    wait_for(stream.ended.is_set, what="the stream ended after the session was revoked")
    wait_for(lambda: served.feed.subscribers == 0, what="the subscription released")
    assert served.client.get("/api/events/stream").status_code == 401


def test_a_client_that_goes_away_frees_its_place(served: Served) -> None:
    with httpx.Client(base_url=served.server.url, timeout=10, headers=bearer(served.token)) as client:
        for _ in range(5):  # more than the feed's 3 places: each one is given back
            with client.stream("GET", "/api/events/stream") as response:
                assert response.status_code == 200
                wait_for(lambda: served.feed.subscribers == 1, what="subscribed")
            wait_for(lambda: served.feed.subscribers == 0, what="the place given back")


def test_too_many_streams_are_refused_and_none_blocks_the_api(served: Served,
                                                              streams: list[tuple[Stream, threading.Thread]]) -> None:
    clients = [httpx.Client(base_url=served.server.url, timeout=10, headers=bearer(served.token)) for _ in range(3)]
    try:
        for client in clients:
            open_stream(served, streams, client=client)
        refused = served.client.get("/api/events/stream")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "10"
        assert refused.json()["success"] is False
        assert served.client.get("/auth/me").status_code == 200  # other requests still answered
        served.feed.publish(make_event("B58DTK"))
        for stream, _ in streams:
            wait_for(stream.messages, what="every open stream got the event")
    finally:
        served.feed.close()
        for client in clients:
            client.close()


def test_stopping_the_server_with_open_streams_does_not_wait_for_them(
        tmp_path: Path, sqlite_database: Database, caplog: pytest.LogCaptureFixture) -> None:
    feed = EventFeed()
    app = create_app(ApiDependencies(database=sqlite_database, settings=ApiSettings(bcrypt_rounds=4),
                                     data_dir=tmp_path, events_feed=feed))
    with new_client(app) as setup:
        register(setup, "admin")
        token = login(setup, "admin")
    server = ApiServer(app, "127.0.0.1", 0, stop_timeout_s=30)  # a wait for the stream would show in the log
    server.start()
    opened: list[tuple[Stream, threading.Thread]] = []
    with httpx.Client(base_url=server.url, timeout=10, headers=bearer(token)) as client:
        stream = open_stream(Served(server, feed, client, token), opened, client=client)
        caplog.set_level(logging.INFO, logger="uvicorn.error")
        feed.close()  # what GateDaemon.stop() does first
        server.stop()
        opened[0][1].join(10)
    assert stream.ended.is_set() and not stream.error  # ended cleanly, not cut off
    assert not server.started
    assert "timeout graceful shutdown exceeded" not in caplog.text


def test_without_a_feed_or_a_session_there_is_no_stream(sqlite_database: Database, tmp_path: Path) -> None:
    app = create_app(ApiDependencies(database=sqlite_database, settings=ApiSettings(bcrypt_rounds=4),
                                     data_dir=tmp_path))
    with new_client(app) as client:
        unsigned = client.get("/api/events/stream")
        assert unsigned.status_code == 401 and unsigned.json()["success"] is False
        register(client, "admin")
        token = login(client, "admin")
        assert client.get("/api/events/stream", headers=bearer("x" * 5000)).status_code == 401
        answer = client.get("/api/events/stream", headers=bearer(token))
    assert answer.status_code == 503 and "not available" in answer.json()["message"]


def test_a_closed_feed_answers_a_stream_that_ends_at_once(sqlite_database: Database, tmp_path: Path) -> None:
    feed = EventFeed()
    feed.close()
    app = create_app(ApiDependencies(database=sqlite_database, settings=ApiSettings(bcrypt_rounds=4),
                                     data_dir=tmp_path, events_feed=feed))
    with TestClient(app) as client:
        register(client, "admin")
        login(client, "admin")
        answer = client.get("/api/events/stream")
    assert answer.status_code == 200 and answer.text == "retry: 3000\n: connected\n\n"


def test_an_event_message_is_one_line_of_json_whatever_the_text() -> None:
    event = make_event("B58DTK", camera="gate\n\ndata: forged\r\nevent: x", snapshot="snapshots/a b/x.jpg")
    message = event_message(event)
    assert message.endswith("\n\n") and message.count("\n") == 4  # event, id, data, blank line
    data = json.loads(message.split("data: ", 1)[1])
    assert data["camera"] == event.camera
