"""Helpers of the daemon's integration tests: settings, clips, snapshot drops, readers of history and MQTT.

Every test builds its own data directory, MQTT topic prefix and client id, and (with MariaDB) its own database,
so the tests run beside the other packages' tests. Waits poll with a deadline; nothing asserts a duration.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import cv2
import paho.mqtt.client as mqtt
import pymysql
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.app import SAMPLE_CLIP, GateDaemon
from edge.settings.daemon import DaemonSettings
from tests.services import MARIADB, MOSQUITTO, require_service
from tests.sinks.brokers import Subscriber
from tests.storage.factories import mariadb_url

__all__ = ["mariadb_url"]

ARRIVAL = SAMPLE_CLIP  # B58DTK drives up to the camera (plate grows, moves down), then 3 s of empty road
CAR = SAMPLE_CLIP.with_name("car.jpg")  # one photo of the same car: B58DTK
OTHER_CAR = Path(__file__).resolve().parents[1] / "images" / "ro-TR95XMI.jpg"  # TR95XMI
PLATE = "B58DTK"
OTHER_PLATE = "TR95XMI"
DAEMON_THREADS = ("pipeline-", "source-", "outbox-", "heartbeat", "plate-lists")
T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g} s (last value {value!r})")
        time.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def daemon_settings(data_dir: Path, *, cameras: list[dict[str, Any]], mqtt: dict[str, Any] | None = None,
                    plate_lists: Path | None = None, **values: Any) -> DaemonSettings:
    """Settings for one test: its own data dir, quick retries and shutdown; MQTT off unless given."""
    base: dict[str, Any] = {
        "site": "test-site",
        "data_dir": data_dir,
        "cameras": cameras,
        "mqtt": mqtt if mqtt is not None else {"enabled": False},
        "plate_lists": {"path": plate_lists or data_dir / "plates.toml", "reload_debounce_s": 0.2},
        "outbox": {"retry_initial_s": 0.1, "retry_max_s": 0.5, "stop_timeout_s": 2.0},
        "shutdown_timeout_s": 5.0,
        "heartbeat_s": 1.0,
        "api": {"enabled": False},  # tested in tests/api and tests/daemon/test_api.py
    }
    return DaemonSettings(**{**base, **values})


def mqtt_to(port: int, prefix: str, **more: Any) -> dict[str, Any]:
    """MQTT settings for a test: its own topic prefix and client id, quick reconnects."""
    values = {"enabled": True, "host": "127.0.0.1", "port": port, "topic_prefix": prefix,
              "client_id": unique("cw-test"), "reconnect_min_delay_s": 1, "reconnect_max_delay_s": 1,
              "publish_timeout_s": 2.0, "keepalive_s": 5}
    return {**values, **more}


def file_camera(name: str, clip: Path, role: str = "entry", **more: Any) -> dict[str, Any]:
    """A video file played once in real time (like a camera that sees one vehicle)."""
    return {"name": name, "source": str(clip), "role": role, "fps": 8, "loop": False, **more}


def folder_camera(name: str, folder: Path, role: str = "entry", **more: Any) -> dict[str, Any]:
    """A snapshot folder; the motion gate is off, so the same photo dropped twice is read twice."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"name": name, "source": str(folder), "role": role, "motion_gate": False, **more}


def drop(folder: Path, image: Path | bytes, name: str | None = None) -> Path:
    """Put a snapshot into a camera folder the way cameras do: written aside, then renamed into place."""
    data = image if isinstance(image, bytes) else image.read_bytes()
    target = folder / (name or f"{unique('snap')}.jpg")
    temporary = folder / f".{target.name}.part"
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return target


def daemon_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith(DAEMON_THREADS) and t.is_alive())


@contextmanager
def running(settings: DaemonSettings) -> Iterator[GateDaemon]:
    """A started GateDaemon, stopped on the way out; fails when one of its threads outlives stop()."""
    before = set(daemon_threads())
    daemon = GateDaemon(settings)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
        wait_for(lambda: not set(daemon_threads()) - before, timeout=5, what="the daemon's threads ended")


def cameras_up(daemon: GateDaemon, timeout: float = 15.0) -> None:
    """Wait until every camera delivers (a snapshot folder is watched only from then on)."""
    wait_for(lambda: all(c["connected"] for c in daemon.status()["cameras"].values()), timeout=timeout,
             what="every camera connected")


def stored_events(data_dir: Path) -> list[dict[str, Any]]:
    """History rows of the SQLite history under ``data_dir`` (read-only: the daemon may hold the file)."""
    path = data_dir / "history.sqlite3"
    if not path.exists():
        return []
    return sqlite_rows(f"file:{path}?mode=ro",
                       "SELECT event_id, plate_number, status, stage, revision, camera, reason, open_barrier "
                       "FROM history WHERE event_id IS NOT NULL ORDER BY id")


def sqlite_rows(uri: str, sql: str) -> list[dict[str, Any]]:
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=5)
    except sqlite3.Error:
        return []
    try:
        cursor = connection.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        connection.close()


def mysql_events(url: str) -> list[dict[str, Any]]:
    """History rows in the test's MariaDB database (an empty list while the database does not exist)."""
    name = url.rsplit("/", 1)[1]
    try:
        connection = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", password="", database=name,
                                     connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    except pymysql.err.OperationalError:
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, plate_number, status, stage, revision, camera, reason, open_barrier, "
                           "snapshot, crop FROM history WHERE event_id IS NOT NULL ORDER BY id")
            return list(cursor.fetchall())
    except pymysql.err.ProgrammingError:  # no history table yet
        return []
    finally:
        connection.close()


def mqtt_events(subscriber: Subscriber) -> list[dict[str, Any]]:
    """The event messages a subscriber got (JSON), in arrival order."""
    return [m.json() for m in list(subscriber.received) if m.topic.endswith("/event")]


@pytest.fixture(autouse=True)
def _no_carwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from the environment outrank what a test builds: none of the runner's may leak in."""
    for name in list(os.environ):
        if name.startswith("CARWATCH_") and name != "CARWATCH_REQUIRE_SERVICES":
            monkeypatch.delenv(name)


@dataclass
class SharedBroker:
    """The shared Mosquitto as one test sees it: its own topic prefix, a subscriber to ``<prefix>/#``."""

    prefix: str
    subscriber: Subscriber
    client_ids: list[str] = field(default_factory=list)

    def settings(self, **more: Any) -> dict[str, Any]:
        """MQTT settings of a daemon publishing under this test's prefix (its session is removed afterwards)."""
        return {**mqtt_to(MOSQUITTO[1], self.prefix, client_id=self.client_id()), **more}

    def client_id(self) -> str:
        """A new MQTT client id for a daemon of this test (its persistent session is removed afterwards)."""
        client_id = unique("cw-test")
        self.client_ids.append(client_id)
        return client_id

    def events(self) -> list[dict[str, Any]]:
        return mqtt_events(self.subscriber)

    def clean_up(self) -> None:
        """Remove what the test left on the shared broker: retained messages and persistent sessions."""
        retained = {m.topic for m in list(self.subscriber.received) if not m.topic.endswith("/event")}
        self.subscriber.stop()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique("cleaner"))
        client.connect("127.0.0.1", MOSQUITTO[1], keepalive=10)
        client.loop_start()
        for topic in retained:
            client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
        client.disconnect()
        client.loop_stop()
        for client_id in self.client_ids:  # a clean session replaces the persistent one
            forget = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
            forget.connect("127.0.0.1", MOSQUITTO[1], keepalive=10)
            forget.disconnect()


@pytest.fixture
def broker() -> Iterator[SharedBroker]:
    """A unique topic prefix on the shared Mosquitto, subscribed to before the test starts."""
    require_service("Mosquitto", MOSQUITTO)
    prefix = unique("test")
    subscriber = Subscriber(MOSQUITTO[1], f"{prefix}/#")
    subscriber.wait_subscribed()
    shared = SharedBroker(prefix, subscriber)
    yield shared
    shared.clean_up()


@pytest.fixture(scope="session")
def leaving_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The arrival clip backwards: the car drives away (plate shrinks, moves up), then the road is empty."""
    capture = cv2.VideoCapture(str(ARRIVAL))
    fps = capture.get(cv2.CAP_PROP_FPS) or 8.0
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    empty = frames[-1]
    with_car = frames[: len(frames) - 24]  # the arrival clip ends with 24 frames of empty road
    out = tmp_path_factory.mktemp("clips") / "leaving.avi"
    height, width = empty.shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    for image in [*reversed(with_car), *[empty] * 16]:
        writer.write(image)
    writer.release()
    assert out.stat().st_size > 0
    return out
