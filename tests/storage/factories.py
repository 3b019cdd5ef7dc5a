"""Test helpers shared by the storage, sinks and outbox tests: events and throw-away MariaDB databases."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from edge.domain import AccessReason, Direction, ListMatch, PlateCandidate, PlateEvent, Presence
from tests.services import MARIADB, require_service


def make_event(
    plate: str = "B123ABC",
    *,
    event_id: str | None = None,
    stage: str = "decided",
    revision: int = 1,
    site: str = "site-1",
    camera: str = "gate-1",
    direction: Direction = Direction.ENTERING,
    open_barrier: bool = False,
    decided_at: float | None = None,
    presence: Presence = Presence.NORMAL,
    match: ListMatch | None = None,
    snapshot: str | None = None,
    crop: str | None = None,
    models: dict[str, str] | None = None,
) -> PlateEvent:
    now = time.time() if decided_at is None else decided_at
    return PlateEvent(
        event_id=event_id or str(uuid.uuid4()), stage=stage, revision=revision, site=site, camera=camera,
        direction=direction, plate=plate, confidence=0.93, char_confidences=(0.9, 0.95),
        candidates=(PlateCandidate(plate, 0.8), PlateCandidate(plate[:-1] + "8", 0.1)), region="ro", match=match,
        open_barrier=open_barrier, reason=AccessReason.ALLOWED if open_barrier else AccessReason.UNKNOWN,
        presence=presence, first_seen=now - 1.5, decided_at=now, snapshot=snapshot, crop=crop,
        models=models if models is not None else {"plate-detector.onnx": "1"},
    )


def free_port() -> int:
    """A TCP port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def drop_mariadb_database(name: str) -> None:
    connection = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", password="", connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.commit()
    finally:
        connection.close()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """The URL of a uniquely named MariaDB database (created on first connection, dropped afterwards)."""
    require_service("MariaDB", MARIADB)
    name = f"cw_test_{uuid.uuid4().hex[:16]}"
    yield f"mysql://root@{MARIADB[0]}:{MARIADB[1]}/{name}"
    drop_mariadb_database(name)


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """History database URL on both backends: a SQLite file, then a throw-away MariaDB database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite3'}"
        return
    require_service("MariaDB", MARIADB)
    name = f"cw_test_{uuid.uuid4().hex[:16]}"
    yield f"mysql://root@{MARIADB[0]}:{MARIADB[1]}/{name}"
    drop_mariadb_database(name)
