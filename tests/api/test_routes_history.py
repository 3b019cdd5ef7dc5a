"""History through the API on MariaDB: manual records, the upload with the shipped models, the history list
with its filters and paging, the latest image; hostile and huge uploads."""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
import numpy as np
import pytest

from edge.storage.database import Database
from edge.storage.history import HistoryRepository
from tests.api.conftest import CAR, CAR_PLATE, Accounts, AppFactory, TestClient, bearer, new_client
from tests.storage.factories import make_event


def png(width: int, height: int, channels: int = 3) -> bytes:
    pixels = np.full((height, width, channels), 200, np.uint8)
    ok, encoded = cv2.imencode(".png", pixels)
    assert ok
    return encoded.tobytes()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a tiny (invalid) body: a decompression-bomb probe."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + b"\x00" * 64)


def upload(client: TestClient, token: str, data: bytes, *, name: str = "car.jpg", kind: str = "image/jpeg",
           query: str = "?status=entering") -> Any:
    return client.post(f"/api/upload_image{query}", files={"image": (name, data, kind)}, headers=bearer(token))


# ---- manual records -------------------------------------------------------------------------------------

def test_manual_record_carries_the_account(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/api/plate", json={"plate_number": "b 123-abc", "status": "leaving"},
                         headers=bearer(accounts.user_token))
    assert answer.status_code == 201
    item = answer.json()["data"]
    assert (item["plate_number"], item["status"], item["username"], item["source"]) == \
        ("B123ABC", "leaving", "operator", "manual")
    listed = client.get("/api/history", headers=bearer(accounts.admin_token)).json()["data"]
    assert [(r["id"], r["username"], r["user_id"], r["camera"]) for r in listed] == \
        [(item["id"], "operator", accounts.user_id, None)]


def test_manual_status_defaults_to_unknown(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/api/plate", json={"plate_number": "B123ABC"}, headers=bearer(accounts.user_token))
    assert answer.json()["data"]["status"] == "unknown"


@pytest.mark.parametrize("body", [
    {"plate_number": "B123ABC", "status": "sideways"},
    {"plate_number": ""},
    {"plate_number": "B'; DROP TABLE history; --"},
    {"plate_number": "Б123АВС"},
    {"plate_number": "B123ABC", "extra": 1},
    {"plate_number": 123},
    {"plate_number": None},
    {"status": "entering"},
    [],
    "B123ABC",
])
def test_manual_record_refuses_bad_bodies(client: TestClient, accounts: Accounts, database: Database,
                                          body: Any) -> None:
    answer = client.post("/api/plate", json=body, headers=bearer(accounts.user_token))
    assert answer.status_code == 422
    assert answer.json()["success"] is False and answer.json()["message"].startswith("invalid request")
    assert HistoryRepository(database).count() == 0


# ---- uploads --------------------------------------------------------------------------------------------

def test_upload_reads_the_plate_stores_the_image_and_records_history(client: TestClient, accounts: Accounts,
                                                                     database: Database) -> None:
    data = CAR.read_bytes()
    answer = upload(client, accounts.user_token, data, name="../../etc/passwd", kind="text/plain")
    assert answer.status_code == 200, answer.text
    result = answer.json()["data"]
    assert result["plate_number"] == CAR_PLATE and result["status"] == "entering"
    assert (result["width"], result["height"]) == (960, 540)
    assert result["plates"][0]["text"] == CAR_PLATE and len(result["plates"][0]["box"]) == 4
    repo = HistoryRepository(database)
    row = repo.query()[0]
    assert (row.id, row.plate_number, row.user_id, row.image_id, row.source) == \
        (result["history_id"], CAR_PLATE, accounts.user_id, result["image_id"], "api")
    stored = repo.get_image(result["image_id"])
    assert stored is not None and stored.data == data
    fetched = client.post("/api/fetch_img", headers=bearer(accounts.admin_token)).json()["data"]
    assert base64.b64decode(fetched["image"]) == data
    assert (fetched["image_id"], fetched["content_type"]) == (result["image_id"], "image/jpeg")
    raw = client.get(f"/api/images/{result['image_id']}", headers=bearer(accounts.admin_token))
    assert raw.status_code == 200 and raw.content == data and raw.headers["content-type"] == "image/jpeg"


def test_upload_status_defaults_to_unknown_and_is_validated(client: TestClient, accounts: Accounts) -> None:
    assert upload(client, accounts.user_token, CAR.read_bytes(), query="").json()["data"]["status"] == "unknown"
    assert upload(client, accounts.user_token, CAR.read_bytes(), query="?status=in").status_code == 422


def test_an_image_without_a_plate_stores_nothing(client: TestClient, accounts: Accounts, database: Database) -> None:
    answer = upload(client, accounts.user_token, png(320, 240))
    assert answer.status_code == 200
    assert answer.json()["data"]["plate_number"] is None and answer.json()["message"] == "no plate found"
    assert HistoryRepository(database).count() == 0
    assert client.post("/api/fetch_img", headers=bearer(accounts.user_token)).status_code == 404


def test_a_png_with_alpha_is_read(client: TestClient, accounts: Accounts) -> None:
    photo = cv2.imread(str(CAR))
    assert photo is not None
    with_alpha = cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA)
    with_alpha[:, :, 3] = 128
    ok, encoded = cv2.imencode(".png", with_alpha)
    assert ok
    answer = upload(client, accounts.user_token, encoded.tobytes(), name="car.png", kind="image/png")
    assert answer.status_code == 200
    assert answer.json()["data"]["plate_number"] == CAR_PLATE


@pytest.mark.parametrize(("data", "status", "words"), [
    (b"", 400, "empty"),
    (b"GIF89a" + b"\x00" * 100, 415, "not an image"),
    (b"<?php system($_GET['c']); ?>", 415, "not an image"),
    (png_header_only(20000, 20000), 413, "20000x20000"),
    (png_header_only(0, 0), 415, "no picture size"),
    (png_header_only(100, 100), 415, "cannot be decoded"),
    (CAR.read_bytes()[:5000], 415, "truncated"),
    (b"\xff\xd8\xff" + b"\x00" * 50, 415, "header"),
])
def test_hostile_uploads_are_refused(*, client: TestClient, accounts: Accounts, database: Database, data: bytes,
                                     status: int, words: str) -> None:
    answer = upload(client, accounts.user_token, data, name="car.jpg", kind="image/jpeg")
    assert answer.status_code == status, answer.text
    assert answer.json()["success"] is False and words in answer.json()["message"]
    assert HistoryRepository(database).count() == 0


def test_a_20_mb_upload_is_refused(client: TestClient, accounts: Accounts, database: Database) -> None:
    huge = b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024)
    answer = upload(client, accounts.user_token, huge)
    assert answer.status_code == 413
    assert answer.json() == {"success": False, "message": "request body too large", "data": None}
    assert HistoryRepository(database).count() == 0


def test_uploads_are_refused_early_by_content_length(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/api/upload_image", content=b"x" * 10,
                         headers={**bearer(accounts.user_token), "content-type": "multipart/form-data; boundary=x",
                                  "content-length": str(100 * 1024 * 1024)})
    assert answer.status_code == 413


def test_a_smaller_upload_limit_is_kept(make_app: AppFactory, api_settings: Any, accounts: Accounts) -> None:
    app = make_app(settings=api_settings.model_copy(update={"max_upload_mb": 1}))
    with new_client(app) as client:
        picture = np.random.default_rng(1).integers(0, 255, (1200, 1200, 3), np.uint8)
        ok, encoded = cv2.imencode(".png", picture)
        assert ok and len(encoded) > 1024 * 1024
        answer = upload(client, accounts.user_token, encoded.tobytes(), kind="image/png")
    assert answer.status_code == 413


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b'{"image": "aGVsbG8="}'),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"image=hello"),
])
def test_uploads_need_multipart(client: TestClient, accounts: Accounts, content_type: str, body: bytes) -> None:
    answer = client.post("/api/upload_image", content=body,
                         headers={**bearer(accounts.user_token), "content-type": content_type})
    assert answer.status_code == 415


def test_multipart_without_the_image_field(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/api/upload_image", files={"photo": ("car.jpg", CAR.read_bytes(), "image/jpeg")},
                         headers=bearer(accounts.user_token))
    assert answer.status_code == 422
    broken = client.post("/api/upload_image", content=b"--x\r\nbroken",
                         headers={**bearer(accounts.user_token), "content-type": "multipart/form-data; boundary=x"})
    assert broken.status_code in (400, 422)


def test_uploads_without_a_reader_answer_503(make_app: AppFactory, accounts: Accounts) -> None:
    with new_client(make_app(recognize=None)) as client:
        assert upload(client, accounts.user_token, CAR.read_bytes()).status_code == 503


# ---- the history list -----------------------------------------------------------------------------------

def seed_rows(database: Database, accounts: Accounts) -> None:
    repo = HistoryRepository(database)
    base = datetime(2026, 11, 26, 12, 0, tzinfo=UTC).timestamp()
    for i, (plate, camera) in enumerate([("B111AAA", "gate-1"), ("B222BBB", "gate-2"), ("CJ333CCC", "gate-1")]):
        repo.upsert_event(make_event(plate, camera=camera, decided_at=base + i * 60, site="test-site",
                                     snapshot=f"snapshots/2026-11-26/e{i}-frame.jpg"))
    repo.add_manual("B111AAA", "leaving", accounts.user_id)


def test_history_filters_and_paging(client: TestClient, accounts: Accounts, database: Database) -> None:
    seed_rows(database, accounts)
    headers = bearer(accounts.user_token)

    def plates(query: str) -> list[str]:
        answer = client.get(f"/api/history{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [r["plate_number"] for r in answer.json()["data"]]

    assert plates("") == ["B111AAA", "CJ333CCC", "B222BBB", "B111AAA"]  # the manual row is the newest
    assert plates("?plate=B111AAA") == ["B111AAA", "B111AAA"]
    assert plates("?plate_contains=333") == ["CJ333CCC"]
    assert plates("?camera=gate-1") == ["CJ333CCC", "B111AAA"]
    assert plates("?direction=leaving") == ["B111AAA"]
    assert plates("?since=2026-11-26T12:01:00Z&until=2026-11-26T12:02:00Z") == ["B222BBB"]
    assert plates("?since=2026-11-26T14:01:00%2B02:00&until=2026-11-26T12:02:00") == ["B222BBB"]
    page = client.get("/api/history?limit=2&offset=1", headers=headers).json()
    assert [r["plate_number"] for r in page["data"]] == ["CJ333CCC", "B222BBB"]
    assert page["paging"] == {"total": 4, "limit": 2, "offset": 1}


def test_history_rows_name_the_camera_or_the_account(client: TestClient, accounts: Accounts,
                                                     database: Database) -> None:
    seed_rows(database, accounts)
    rows = client.get("/api/history", headers=bearer(accounts.user_token)).json()["data"]
    manual, camera = rows[0], rows[1]
    assert (manual["username"], manual["camera"], manual["source"]) == ("operator", None, "manual")
    assert (camera["username"], camera["camera"], camera["site"], camera["source"]) == \
        (None, "gate-1", "test-site", "camera")
    assert camera["snapshot_url"] == f"/api/events/{camera['event_id']}/snapshot"
    assert camera["crop_url"] is None


@pytest.mark.parametrize("query", [
    "?limit=0", "?limit=1001", "?offset=-1", "?limit=abc", "?direction=up", "?since=yesterday",
    "?plate=" + "A" * 21, "?camera=" + "c" * 65, "?plate=%00", "?since=0001-01-01T00:00:00%2B05:00",
    "?until=9999-12-31T23:59:59-05:00",
])
def test_history_refuses_bad_queries(client: TestClient, accounts: Accounts, query: str) -> None:
    answer = client.get(f"/api/history{query}", headers=bearer(accounts.user_token))
    assert answer.status_code == 422, answer.text
    assert answer.json()["success"] is False


@pytest.mark.parametrize("value", ["' OR '1'='1", "B1%", "_", "\\", "🚗", "x' UNION SELECT 1--"])
def test_history_filters_are_taken_literally(client: TestClient, accounts: Accounts, database: Database,
                                            value: str) -> None:
    seed_rows(database, accounts)
    for name in ("plate", "plate_contains", "camera"):
        answer = client.get("/api/history", params={name: value}, headers=bearer(accounts.user_token))
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"] == [] and answer.json()["paging"]["total"] == 0


def test_history_paging_far_past_the_end(client: TestClient, accounts: Accounts, database: Database) -> None:
    seed_rows(database, accounts)
    answer = client.get("/api/history?offset=1000000000", headers=bearer(accounts.user_token))
    assert answer.status_code == 200 and answer.json()["data"] == []


def test_images_by_id(client: TestClient, accounts: Accounts, database: Database) -> None:
    headers = bearer(accounts.user_token)
    assert client.get("/api/images/12345", headers=headers).status_code == 404
    assert client.get("/api/images/0", headers=headers).status_code == 422
    assert client.get("/api/images/abc", headers=headers).status_code == 422
    image_id = HistoryRepository(database).add_image(png(8, 8))
    answer = client.get(f"/api/images/{image_id}", headers=headers)
    assert answer.headers["content-type"] == "image/png" and answer.headers["x-content-type-options"] == "nosniff"


def test_fetch_img_answers_the_newest_image(client: TestClient, accounts: Accounts, database: Database) -> None:
    repo = HistoryRepository(database)
    repo.add_image(png(8, 8))
    newest = repo.add_image(CAR.read_bytes())
    data = client.post("/api/fetch_img", headers=bearer(accounts.user_token)).json()["data"]
    assert data["image_id"] == newest
    assert datetime.now(UTC) - datetime.fromisoformat(data["created_at"]) < timedelta(days=1)


def test_a_body_without_a_length_is_cut_off_while_streaming(client: TestClient, accounts: Accounts,
                                                            database: Database) -> None:
    chunks = (b"\xff" * (1024 * 1024) for _ in range(40))  # 40 MB, sent chunked: no Content-Length
    answer = client.post("/api/upload_image", content=chunks,
                         headers={**bearer(accounts.user_token), "content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code == 413
    assert answer.json()["message"] == "request body too large"
    json_chunks = (b" " * (256 * 1024) for _ in range(8))  # 2 MB of JSON whitespace to a JSON endpoint
    answer = client.post("/api/plate", content=json_chunks,
                         headers={**bearer(accounts.user_token), "content-type": "application/json"})
    assert answer.status_code == 413
    assert HistoryRepository(database).count() == 0


def test_the_answer_to_a_manual_record_is_the_stored_row(client: TestClient, accounts: Accounts) -> None:
    made = client.post("/api/plate", json={"plate_number": "B123ABC"}, headers=bearer(accounts.user_token))
    listed = client.get("/api/history", headers=bearer(accounts.user_token)).json()["data"]
    assert listed == [made.json()["data"]]
