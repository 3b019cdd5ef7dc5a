"""Operator endpoints on MariaDB: daemon state and cameras, the plate lists (read by all, written by
administrators, saved to the real file), one event with its snapshot and crop served only from the
snapshots folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge.events.lists import PlateListStore, load_plate_lists
from edge.settings.api import ApiSettings
from edge.storage.database import Database
from edge.storage.history import HistoryRepository
from tests.api.conftest import Accounts, AppFactory, FakeDaemon, TestClient, bearer, login, new_client, register
from tests.storage.factories import make_event

EVENT_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
JPEG = b"\xff\xd8\xff\xe0" + b"frame" * 10 + b"\xff\xd9"


# ---- state ----------------------------------------------------------------------------------------------

def test_status_and_cameras(client: TestClient, accounts: Accounts, daemon: FakeDaemon) -> None:
    headers = bearer(accounts.user_token)
    status = client.get("/api/status", headers=headers).json()["data"]
    assert status["site"] == "test-site" and set(status["cameras"]) == {"gate-1", "gate-2"}
    cameras = client.get("/api/cameras", headers=headers).json()["data"]
    assert [(c["name"], c["connected"], c["error"]) for c in cameras] == \
        [("gate-1", True, ""), ("gate-2", False, "connection refused")]
    assert cameras[0]["frames"] == 120


def test_without_a_daemon_there_are_no_cameras(make_app: AppFactory, accounts: Accounts) -> None:
    with new_client(make_app(status=None)) as client:
        assert client.get("/api/cameras", headers=bearer(accounts.user_token)).json()["data"] == []


def test_a_failing_status_is_an_internal_error_without_a_trace(make_app: AppFactory, accounts: Accounts,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("secret detail /etc/carwatch")

    with new_client(make_app(status=broken)) as client:
        answer = client.get("/api/status", headers=bearer(accounts.user_token))
    assert answer.status_code == 500
    assert answer.json() == {"success": False, "message": "internal error", "data": None}
    assert "secret detail" not in answer.text and "Traceback" not in answer.text
    assert "secret detail" in caplog.text  # the trace goes to the log


def test_health_and_index_need_no_session(client: TestClient) -> None:
    health = client.get("/health").json()
    assert (health["success"], health["data"]["database"]) == (True, "ok")
    data = health["data"]
    assert data["status"] == "degraded"  # gate-2 is down
    assert data["cameras"]["gate-1"] == {"connected": True, "last_frame_age_s": 0.1, "error": ""}
    assert data["cameras"]["gate-2"]["error"] == "connection refused"
    assert (data["outbox"], data["mqtt"]) == ({"history": 0}, "disabled")
    assert client.get("/").json()["data"]["openapi"] == "/openapi.json"


def test_health_of_the_api_alone_has_no_cameras(make_app: AppFactory) -> None:
    with new_client(make_app(status=None)) as client:
        assert client.get("/health").json()["data"] == {
            "status": "ok", "database": "ok", "cameras": None, "outbox": None, "mqtt": None, "models": None,
            "model_self_test": None}


def test_metrics_need_no_session_on_loopback_only(make_app: AppFactory, api_settings: ApiSettings) -> None:
    text = "# TYPE carwatch_up gauge\ncarwatch_up 1\n"
    with new_client(make_app(metrics=lambda: text)) as client:
        answer = client.get("/metrics")
        assert answer.status_code == 200 and answer.text == text
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    exposed = api_settings.model_copy(update={"host": "0.0.0.0"})
    app = make_app(metrics=lambda: text, settings=exposed)
    with new_client(app) as client:
        assert client.get("/metrics").status_code == 401
        register(client, "admin")
        token = login(client, "admin")
        client.cookies.clear()
        assert client.get("/metrics", headers=bearer(token)).text == text
    with new_client(make_app(metrics=None)) as client:
        assert client.get("/metrics").status_code == 503


def test_health_reports_a_database_that_is_down(make_app: AppFactory, tmp_path: Path) -> None:
    down = Database.from_url("mysql://root@127.0.0.1:1/nothing", connect_timeout_s=0.5)
    with new_client(make_app(database=down)) as client:
        answer = client.get("/health")
        assert answer.status_code == 503 and answer.json()["success"] is False
        assert client.get("/auth/me", headers=bearer("x")).status_code == 503


# ---- plate lists ----------------------------------------------------------------------------------------

ENTRY = {"plate": "b 58 dtk", "name": "Ana Popescu", "gates": ["gate-1"], "directions": "entering",
         "valid_from": "2026-01-01", "valid_until": "2026-12-31T18:00:00", "hours": ["mon-fri 07:00-19:00"],
         "note": "visitor"}


def test_lists_are_read_by_operators_and_written_by_administrators(client: TestClient, accounts: Accounts,
                                                                   plate_lists: PlateListStore) -> None:
    admin, user = bearer(accounts.admin_token), bearer(accounts.user_token)
    assert client.get("/api/lists", headers=user).json()["data"] == \
        {"allow": [], "deny": [], "watch": [], "error": None}
    saved = client.post("/api/lists/allow", json=ENTRY, headers=admin)
    assert saved.status_code == 200, saved.text
    entry = saved.json()["data"]["allow"][0]
    assert entry == {**ENTRY, "plate": "B58DTK"}
    on_disk = load_plate_lists(plate_lists.path)
    assert [e.plate for e in on_disk.allow] == ["B58DTK"] and on_disk.allow[0].hours[0].text == "mon-fri 07:00-19:00"
    again = client.post("/api/lists/allow", json={"plate": "B58DTK", "name": "Ana P."}, headers=admin)
    assert [e["name"] for e in again.json()["data"]["allow"]] == ["Ana P."]  # replaced, not doubled
    client.post("/api/lists/deny", json={"plate": "CJ99XYZ"}, headers=admin)
    listed = client.get("/api/lists", headers=user).json()["data"]
    assert [e["plate"] for e in listed["deny"]] == ["CJ99XYZ"]
    removed = client.post("/api/lists/allow/B-58-DTK/delete", headers=admin)
    assert removed.status_code == 200 and removed.json()["data"]["allow"] == []
    assert client.post("/api/lists/allow/B58DTK/delete", headers=admin).status_code == 404
    assert [e.plate for e in load_plate_lists(plate_lists.path).deny] == ["CJ99XYZ"]


def test_replacing_all_lists(client: TestClient, accounts: Accounts, plate_lists: PlateListStore) -> None:
    body = {"allow": [ENTRY, {"plate": "B11AAA"}], "watch": [{"plate": "TR95XMI", "note": "stolen?"}]}
    answer = client.post("/api/lists", json=body, headers=bearer(accounts.admin_token))
    assert answer.status_code == 200, answer.text
    lists = plate_lists.lists
    assert ([e.plate for e in lists.allow], lists.deny, [e.plate for e in lists.watch]) == \
        (["B58DTK", "B11AAA"], (), ["TR95XMI"])


@pytest.mark.parametrize("entry", [
    {"plate": "B58DTK", "hours": ["someday 25:00-26:00"]},
    {"plate": "B58DTK", "valid_from": "2026-12-31", "valid_until": "2026-01-01"},
    {"plate": "B58DTK", "valid_from": "not a date"},
    {"plate": "Б58ДТК"},
    {"plate": "B58DTK", "gates": [""]},
    {"plate": "B58DTK", "directions": "sideways"},
    {"plate": "B58DTK", "unknown": True},
    {"plate": "B58DTK", "note": "x" * 2001},
    {"plate": "'; DROP TABLE users; --"},
    {},
])
def test_bad_list_entries_are_refused_and_nothing_is_written(client: TestClient, accounts: Accounts,
                                                             plate_lists: PlateListStore, entry: dict[str, Any],
                                                             ) -> None:
    answer = client.post("/api/lists/allow", json=entry, headers=bearer(accounts.admin_token))
    assert answer.status_code == 422, answer.text
    assert answer.json()["success"] is False
    assert not plate_lists.path.exists()


def test_unknown_list_names(client: TestClient, accounts: Accounts) -> None:
    headers = bearer(accounts.admin_token)
    assert client.post("/api/lists/vip", json={"plate": "B58DTK"}, headers=headers).status_code == 422
    assert client.post("/api/lists/vip/B58DTK/delete", headers=headers).status_code == 422
    assert client.post("/api/lists/allow/%2e%2e/delete", headers=headers).status_code == 404


def test_list_file_that_cannot_be_written(accounts: Accounts, tmp_path: Path, make_app: AppFactory) -> None:
    in_the_way = tmp_path / "plates.toml"
    in_the_way.mkdir()  # a folder where the file should be: the rename fails whoever runs the test
    with new_client(make_app(plate_lists=PlateListStore(in_the_way))) as client:
        answer = client.post("/api/lists/allow", json={"plate": "B58DTK"}, headers=bearer(accounts.admin_token))
    assert answer.status_code == 503 and "cannot be written" in answer.json()["message"]


def test_without_plate_lists_the_endpoints_answer_503(make_app: AppFactory, accounts: Accounts) -> None:
    with new_client(make_app(plate_lists=None)) as client:
        assert client.get("/api/lists", headers=bearer(accounts.user_token)).status_code == 503


# ---- events ---------------------------------------------------------------------------------------------

def store_event(database: Database, data_dir: Path, *, snapshot: str | None, crop: str | None,
                write: bool = True) -> None:
    event = make_event("B58DTK", event_id=EVENT_ID, stage="final", revision=2, snapshot=snapshot, crop=crop)
    HistoryRepository(database).upsert_event(event)
    for relative in (snapshot, crop):
        if write and relative and relative.startswith("snapshots/") and ".." not in relative:
            path = data_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(JPEG)


def test_one_event_with_its_snapshot_and_crop(client: TestClient, accounts: Accounts, database: Database,
                                              tmp_path: Path) -> None:
    store_event(database, tmp_path, snapshot=f"snapshots/2026-11-26/{EVENT_ID}-frame.jpg",
                crop=f"snapshots/2026-11-26/{EVENT_ID}-crop.jpg")
    headers = bearer(accounts.user_token)
    event = client.get(f"/api/events/{EVENT_ID}", headers=headers).json()["data"]
    assert (event["event_id"], event["plate_number"], event["stage"], event["revision"]) == \
        (EVENT_ID, "B58DTK", "final", 2)
    assert event["candidates"][0] == {"text": "B58DTK", "score": 0.8}
    assert event["models"] == {"plate-detector.onnx": "1"}
    for which in ("snapshot", "crop"):
        answer = client.get(event[f"{which}_url"], headers=headers)
        assert answer.status_code == 200 and answer.content == JPEG
        assert answer.headers["content-type"] == "image/jpeg"


def test_unknown_events_and_missing_files(client: TestClient, accounts: Accounts, database: Database,
                                          tmp_path: Path) -> None:
    headers = bearer(accounts.user_token)
    assert client.get(f"/api/events/{EVENT_ID}", headers=headers).status_code == 404
    assert client.get(f"/api/events/{EVENT_ID}/snapshot", headers=headers).status_code == 404
    store_event(database, tmp_path, snapshot=f"snapshots/2026-11-26/{EVENT_ID}-frame.jpg", crop=None, write=False)
    assert client.get(f"/api/events/{EVENT_ID}/snapshot", headers=headers).status_code == 404  # not on disk
    assert client.get(f"/api/events/{EVENT_ID}/crop", headers=headers).status_code == 404  # none kept


@pytest.mark.parametrize("stored", [
    "snapshots/../history.sqlite3", "../../etc/passwd", "/etc/passwd", "snapshots//x.jpg",
    "snapshots/./x.jpg", "other/x.jpg", "snapshots/link.jpg", "snapshots/%2e%2e/x", "snapshots/x\x00.jpg",
])
def test_snapshot_paths_cannot_leave_the_snapshots_folder(client: TestClient, accounts: Accounts,
                                                          database: Database, tmp_path: Path, stored: str) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"secret")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.jpg").write_bytes(b"secret")
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / "link.jpg").symlink_to(secret)
    store_event(database, tmp_path, snapshot=stored, crop=None, write=False)
    answer = client.get(f"/api/events/{EVENT_ID}/snapshot", headers=bearer(accounts.user_token))
    assert answer.status_code == 404
    assert b"secret" not in answer.content


@pytest.mark.parametrize("event_id", ["..%2F..%2Fetc", "a" * 65, "x;DROP", "%00"])
def test_bad_event_ids(client: TestClient, accounts: Accounts, event_id: str) -> None:
    answer = client.get(f"/api/events/{event_id}", headers=bearer(accounts.user_token))
    assert answer.status_code in (404, 422)
    assert answer.json()["success"] is False
