"""The OpenAPI document: the one served equals the committed edge/api/openapi.json, and schemathesis fuzzes
every operation against it in-process (SQLite in a temp dir, an administrator's token) without a 500 or an
answer the document does not describe.

Regenerate the committed document after changing the API: ``.venv/bin/python -m edge.api.openapi_doc``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from edge.api import ApiDependencies, create_app
from edge.api.openapi_doc import DOCUMENT, openapi_document, render
from edge.api.passwords import new_token, token_hash
from edge.domain import ImageRead
from edge.events.feed import EventFeed
from edge.events.lists import PlateListStore
from edge.settings.api import ApiSettings
from edge.settings.vision import VisionSettings
from edge.storage.database import Database
from edge.storage.migrations import migrate
from edge.storage.sessions import SessionRepository
from edge.storage.users import UserRepository
from edge.vision.recognizer import PlateRecognizer
from tests.api.conftest import FakeDaemon, TestClient

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REGENERATE = "run `.venv/bin/python -m edge.api.openapi_doc` and commit edge/api/openapi.json"


def test_the_served_document_is_the_committed_one(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    app = create_app(ApiDependencies(database=database, settings=ApiSettings(bcrypt_rounds=4), data_dir=tmp_path))
    with TestClient(app) as client:
        served = client.get("/openapi.json").json()
    assert served == openapi_document()
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert served == committed, f"edge/api/openapi.json is stale: {REGENERATE}"
    assert DOCUMENT.read_text(encoding="utf-8") == render(served), f"not in the canonical form: {REGENERATE}"


def test_the_document_does_not_depend_on_settings(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    odd = ApiSettings(bcrypt_rounds=4, port=9999, max_upload_mb=2, open_registration=True, cookie_secure=True)
    assert create_app(ApiDependencies(database=database, settings=odd)).openapi() == openapi_document()


# ---- fuzzing --------------------------------------------------------------------------------------------

class LazyRecognizer:
    """The shipped models, loaded the first time the fuzzer sends an image that decodes (rarely, if ever)."""

    def __init__(self) -> None:
        self._recognizer: PlateRecognizer | None = None

    def read(self, pixels: npt.NDArray[np.uint8]) -> ImageRead:
        if self._recognizer is None:
            self._recognizer = PlateRecognizer.from_config(VisionSettings().recognizer_config())
        return self._recognizer.read(pixels)


def closed_feed() -> EventFeed:
    """A live feed that has ended: the event stream answers its opening lines and ends (an open one would
    never finish under the in-process transport, which reads whole answers)."""
    feed = EventFeed()
    feed.close()
    return feed


class Fuzzed:
    """The app under fuzzing, built when this module is imported (schemathesis needs its schema to collect
    the tests) without touching the disk: its SQLite file is made, migrated and removed by the fixture."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.gettempdir()) / f"carwatch-fuzz-{uuid.uuid4().hex[:12]}"
        self.database = Database.from_url(f"sqlite:///{self.folder / 'history.sqlite3'}")
        self.app: FastAPI = create_app(ApiDependencies(
            database=self.database, settings=ApiSettings(bcrypt_rounds=4, max_upload_mb=1), data_dir=self.folder,
            recognize=LazyRecognizer().read, status=FakeDaemon().status,
            plate_lists=PlateListStore(self.folder / "plates.toml"), events_feed=closed_feed(),
            metrics=lambda: "# TYPE carwatch_up gauge\ncarwatch_up 1\n"))
        self.sessions = SessionRepository(self.database)
        self.admin_id = 0

    def prepare(self) -> None:
        migrate(self.database)
        admin = UserRepository(self.database).create("admin", "$2b$04$" + "x" * 53, is_admin=True, may_add=True)
        self.admin_id = admin.id

    def remove(self) -> None:
        self.database.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def admin_headers(self) -> dict[str, str]:
        """A fresh administrator's session for each case, minted without a login (the fuzzer may well have
        locked the administrator's login with wrong passwords, or ended a session with /auth/logout)."""
        token = new_token()
        now = time.time()
        self.sessions.create(self.admin_id, token_hash(token), now, now + 3600)
        return {"Authorization": f"Bearer {token}"}


FUZZED = Fuzzed()
schema = schemathesis.openapi.from_asgi("/openapi.json", FUZZED.app)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Fuzzed]:
    FUZZED.prepare()
    yield FUZZED
    FUZZED.remove()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(case: schemathesis.Case[Any], fuzzed: Fuzzed) -> None:
    case.call_and_validate(headers=fuzzed.admin_headers(), checks=CHECKS)
