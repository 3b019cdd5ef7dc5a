"""Bad, hostile and huge input on every JSON entry point (MariaDB): each gets a JSON error with the right
status, never a 500, and leaves the stored accounts and history as they were."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edge.storage.database import Database
from tests.api.conftest import PASSWORD, Accounts, TestClient, bearer

JSON_ENDPOINTS = ["/auth/register", "/auth/login", "/auth/update/username", "/auth/update/password",
                  "/auth/delete", "/api/plate", "/api/lists", "/api/lists/allow"]
FIELDS = {
    "/auth/register": ("username", "password"), "/auth/login": ("username", "password"),
    "/auth/update/username": ("new_username",), "/auth/update/password": ("old_password", "new_password"),
    "/auth/delete": ("password",), "/api/plate": ("plate_number",), "/api/lists": ("allow",),
    "/api/lists/allow": ("plate", "name"),
}
HOSTILE_TEXT = [
    "' OR '1'='1' --", "admin'; DROP TABLE users; --", "x" * 10_000, "", "\u0000", "\ud800", "🚗🚓", "\u202eadmin",
    "a\u200bdmin", "ＡＤＭＩＮ", "%s%s%n", "../../etc/passwd", "<script>alert(1)</script>", "\r\nSet-Cookie: x=1",
]


def snapshot(database: Database) -> tuple[Any, ...]:
    with database.transaction(write=False) as session:
        users = session.fetch_all("SELECT id, username, password, is_admin FROM users ORDER BY id")
        history = session.fetch_all("SELECT COUNT(*) FROM history")
    return tuple(users), tuple(history)


def assert_error(answer: Any, *statuses: int) -> None:
    assert answer.status_code in statuses, (answer.status_code, answer.text[:300])
    body = answer.json()
    assert body["success"] is False and isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in answer.text and "File \"" not in answer.text


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_empty_and_shapeless_bodies(client: TestClient, accounts: Accounts, database: Database, path: str) -> None:
    headers = bearer(accounts.admin_token)
    before = snapshot(database)
    assert_error(client.post(path, headers=headers), 422)
    for body in (b"", b"{}", b"null", b"[]", b'"text"', b"42", b"[[[[[[[[[[[[]]]]]]]]]]]]"):
        answer = client.post(path, content=body, headers={**headers, "content-type": "application/json"})
        if path == "/api/lists" and body == b"{}":
            assert answer.status_code == 200  # {} replaces the lists with empty ones: valid
            continue
        assert_error(answer, 422)
    assert snapshot(database) == before


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_malformed_and_wrongly_typed_bodies(client: TestClient, accounts: Accounts, database: Database,
                                            path: str) -> None:
    headers = bearer(accounts.admin_token)
    before = snapshot(database)
    for body in (b"{", b'{"username": }', b"\xff\xfe{}", b'{"a": NaN}'):
        assert_error(client.post(path, content=body, headers={**headers, "content-type": "application/json"}),
                     400, 422)
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_error(client.post(path, content=deep, headers={**headers, "content-type": "application/json"}), 400, 422)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                         "application/xml", "application/jsonx"):
        answer = client.post(path, content=b'{"username": "admin"}', headers={**headers, "content-type": content_type})
        assert_error(answer, 415)
    assert_error(client.post(path, content=b'{"username": "admin"}', headers=headers), 415)  # no content type
    assert snapshot(database) == before


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_a_huge_json_body_is_refused(client: TestClient, accounts: Accounts, path: str) -> None:
    body = json.dumps({"username": "a" * (2 * 1024 * 1024)}).encode()
    answer = client.post(path, content=body, headers={**bearer(accounts.admin_token),
                                                      "content-type": "application/json"})
    assert_error(answer, 413)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=range(len(HOSTILE_TEXT)))
def test_hostile_strings_in_every_field(client: TestClient, accounts: Accounts, database: Database, path: str,
                                        text: str) -> None:
    headers = bearer(accounts.user_token if path.startswith("/api/plate") else accounts.admin_token)
    for name in FIELDS[path]:
        body: dict[str, Any] = {name: text}
        if path == "/api/lists":
            body = {"allow": [{"plate": text}]}
        payload = json.dumps(body).encode()  # ensure_ascii: lone surrogates travel as \ud800
        answer = client.post(path, content=payload, headers={**headers, "content-type": "application/json"})
        assert answer.status_code != 500, answer.text
        assert answer.status_code in (400, 401, 403, 422), (path, name, answer.status_code, answer.text[:200])
        assert answer.json()["success"] is False


@pytest.mark.parametrize("username", ["' OR '1'='1' --", "admin'--", "admin\" OR 1=1 #", "x" * 10_000, "\u202eadmin",
                                      "ＡＤＭＩＮ", "Admin", "admin ", "🚗"])
def test_login_with_hostile_usernames_never_signs_in(client: TestClient, accounts: Accounts, username: str) -> None:
    answer = client.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert_error(answer, 401, 422)


@pytest.mark.parametrize("password", ["x" * 73, "é" * 37, "x" * 10_000, "short", ""])
def test_passwords_bcrypt_cannot_take_are_refused(client: TestClient, accounts: Accounts, password: str) -> None:
    answer = client.post("/auth/register", json={"username": "newuser", "password": password},
                         headers=bearer(accounts.admin_token))
    assert_error(answer, 422)
    assert "password" in answer.json()["message"]


def test_unicode_passwords_within_72_bytes_work(client: TestClient, accounts: Accounts) -> None:
    password = "pässwörd-🚗-ключ"  # multi-byte, under 72 bytes
    answer = client.post("/auth/register", json={"username": "unicode", "password": password},
                         headers=bearer(accounts.admin_token))
    assert answer.status_code == 201
    assert client.post("/auth/login", json={"username": "unicode", "password": password}).status_code == 200
    nul = client.post("/auth/update/password", headers=bearer(accounts.user_token),
                      json={"old_password": PASSWORD, "new_password": "with\u0000nul!"})
    assert nul.status_code == 200
    assert client.post("/auth/login", json={"username": "operator", "password": "with"}).status_code == 401


@pytest.mark.parametrize("username", ["ab", "a" * 51, "has space", "semi;colon", "ünï", "a/b", "a\nb", "a'b"])
def test_usernames_outside_the_rule_are_refused(client: TestClient, accounts: Accounts, username: str) -> None:
    for path, body in (("/auth/register", {"username": username, "password": PASSWORD}),
                       ("/auth/update/username", {"new_username": username})):
        assert_error(client.post(path, json=body, headers=bearer(accounts.admin_token)), 422)


def test_unknown_paths_and_methods_answer_json(client: TestClient, accounts: Accounts) -> None:
    assert_error(client.get("/api/nothing"), 404)
    assert_error(client.get("/auth/login"), 405)
    assert_error(client.put("/api/plate", json={}), 405)
    assert_error(client.delete("/api/history", headers=bearer(accounts.user_token)), 405)
    assert_error(client.get("/docs"), 404)


def test_a_get_with_a_huge_declared_body_is_refused_early(client: TestClient) -> None:
    answer = client.request("GET", "/health", content=b"x", headers={"content-length": str(10**12)})
    assert_error(answer, 413)
