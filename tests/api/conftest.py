"""Fixtures of the API tests: the app on a real MariaDB database (one per test session, emptied before each
test), the shipped plate models, a plate lists file in a temp dir, a clock the tests can move, and helpers
that sign accounts in.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from edge.api import ApiDependencies, create_app
from edge.events.lists import PlateListStore
from edge.settings.api import ApiSettings
from edge.storage.database import Database
from edge.storage.migrations import migrate
from edge.vision.recognizer import PlateRecognizer
from tests.services import MARIADB, require_service
from tests.storage.factories import drop_mariadb_database

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]  # re-exported: the test modules take it from here, warning silenced

ROOT = Path(__file__).resolve().parents[2]
CAR = ROOT / "edge" / "samples" / "car.jpg"  # B58DTK
CAR_PLATE = "B58DTK"
PASSWORD = "correct horse"
TABLES = ("sessions", "presence", "history", "images", "users")


@dataclass
class Clock:
    """Wall-clock seconds that tests can move forward."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeDaemon:
    """The daemon's status callable, as GateDaemon.status() answers it."""

    cameras: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        "gate-1": {"connected": True, "frames": 120, "dropped": 3, "reconnects": 0, "error": "",
                   "last_frame_age_s": 0.1, "processed": 110, "skipped_idle": 5, "plates": 7, "vehicles": 2,
                   "failed": 0},
        "gate-2": {"connected": False, "frames": 0, "dropped": 0, "reconnects": 4, "error": "connection refused",
                   "last_frame_age_s": None, "processed": 0, "skipped_idle": 0, "plates": 0, "vehicles": 0,
                   "failed": 0},
    })

    def status(self) -> Mapping[str, Any]:
        return {"site": "test-site", "uptime_s": 12.5, "cameras": self.cameras, "outbox": {"history": 0}}


@pytest.fixture(scope="session")
def mariadb_api_url() -> Iterator[str]:
    """One throw-away MariaDB database for the API tests (dropped at the end)."""
    require_service("MariaDB", MARIADB)
    name = f"cw_api_test_{uuid.uuid4().hex[:12]}"
    yield f"mysql://root@{MARIADB[0]}:{MARIADB[1]}/{name}"
    drop_mariadb_database(name)


@pytest.fixture
def database(mariadb_api_url: str) -> Iterator[Database]:
    """The migrated MariaDB database, empty."""
    db = Database.from_url(mariadb_api_url, create_database=True)
    migrate(db)
    with db.transaction() as session:
        for table in TABLES:
            session.execute(f"DELETE FROM {table}")
    yield db
    db.close()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    db = Database.from_url(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    migrate(db)
    yield db
    db.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(bcrypt_rounds=4, max_upload_mb=16)


@pytest.fixture
def plate_lists(tmp_path: Path) -> PlateListStore:
    store = PlateListStore(tmp_path / "plates.toml")
    store.load()
    return store


@pytest.fixture
def daemon() -> FakeDaemon:
    return FakeDaemon()


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(*, database: Database, api_settings: ApiSettings, tmp_path: Path, recognizer: PlateRecognizer,
             daemon: FakeDaemon, plate_lists: PlateListStore, clock: Clock) -> AppFactory:
    """create_app with the test collaborators; keyword arguments replace any of them."""

    def build(**changes: Any) -> FastAPI:
        values: dict[str, Any] = {
            "database": database, "settings": api_settings, "data_dir": tmp_path, "recognize": recognizer.read,
            "status": daemon.status, "plate_lists": plate_lists, "clock": clock,
        }
        values.update(changes)
        return create_app(ApiDependencies(**values))

    return build


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def new_client(app: FastAPI) -> TestClient:
    """Another browser: its own cookies."""
    return TestClient(app, raise_server_exceptions=False)


def register(client: TestClient, username: str, password: str = PASSWORD, token: str | None = None,
             **extra: Any) -> dict[str, Any]:
    answer = client.post("/auth/register", json={"username": username, "password": password, **extra},
                         headers=bearer(token) if token else {})
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in (the client keeps the cookie); returns the bearer token."""
    answer = client.post("/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["data"]["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Accounts:
    admin_token: str
    user_token: str
    admin_id: int
    user_id: int


@pytest.fixture
def accounts(app: FastAPI) -> Accounts:
    """An administrator ("admin") and an operator ("operator"), each signed in with a bearer token."""
    with new_client(app) as setup:
        admin = register(setup, "admin")
        admin_token = login(setup, "admin")
        user = register(setup, "operator", token=admin_token)
        user_token = login(setup, "operator")
    return Accounts(admin_token, user_token, admin["id"], user["id"])
