"""Accounts and sessions on MariaDB: the first administrator, who may register whom, login by cookie and by
bearer token, expiry and every way a session is revoked, login limits, and authorisation on each endpoint."""

from __future__ import annotations

from typing import Any

import bcrypt
import pytest
from fastapi import FastAPI

from edge.api import passwords
from edge.storage.database import Database
from tests.api.conftest import (
    PASSWORD,
    Accounts,
    AppFactory,
    Clock,
    TestClient,
    bearer,
    login,
    new_client,
    register,
)

# Every endpoint that needs a session, with a request that would otherwise be acceptable.
PROTECTED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/auth/me", None),
    ("POST", "/auth/update/username", {"new_username": "renamed"}),
    ("POST", "/auth/update/password", {"old_password": PASSWORD, "new_password": "another password"}),
    ("POST", "/auth/delete", {"password": PASSWORD}),
    ("GET", "/auth/users", None),
    ("POST", "/auth/users/2/delete", None),
    ("GET", "/api/history", None),
    ("POST", "/api/plate", {"plate_number": "B123ABC", "status": "entering"}),
    ("POST", "/api/upload_image", None),
    ("POST", "/api/fetch_img", None),
    ("GET", "/api/images/1", None),
    ("GET", "/api/status", None),
    ("GET", "/api/cameras", None),
    ("GET", "/api/lists", None),
    ("POST", "/api/lists", {"allow": []}),
    ("POST", "/api/lists/allow", {"plate": "B123ABC"}),
    ("POST", "/api/lists/allow/B123ABC/delete", None),
    ("GET", "/api/events/0190a1b2-0000-7000-8000-000000000000", None),
    ("GET", "/api/events/0190a1b2-0000-7000-8000-000000000000/snapshot", None),
    ("GET", "/api/events/0190a1b2-0000-7000-8000-000000000000/crop", None),
]
ADMIN_ONLY: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/auth/users", None), ("POST", "/auth/users/1/delete", None), ("POST", "/api/lists", {"allow": []}),
    ("POST", "/api/lists/allow", {"plate": "B123ABC"}), ("POST", "/api/lists/allow/B123ABC/delete", None)]


def call(client: TestClient, method: str, path: str, body: dict[str, Any] | None,
         headers: dict[str, str] | None = None) -> Any:
    if path == "/api/upload_image":
        return client.post(path, files={"image": ("car.jpg", b"\xff\xd8\xff", "image/jpeg")}, headers=headers)
    return client.request(method, path, json=body, headers=headers)


# ---- who may create accounts ------------------------------------------------------------------------

def test_first_account_is_the_administrator_then_registration_is_closed(client: TestClient) -> None:
    first = register(client, "admin")
    assert first["is_admin"] is True
    answer = client.post("/auth/register", json={"username": "stranger", "password": PASSWORD})
    assert answer.status_code == 401
    assert answer.json() == {"success": False, "message": "only an administrator can create accounts: sign in as one",
                             "data": None}


def test_only_an_administrator_creates_accounts(client: TestClient, accounts: Accounts) -> None:
    refused = client.post("/auth/register", json={"username": "third", "password": PASSWORD},
                          headers=bearer(accounts.user_token))
    assert refused.status_code == 403
    made = register(client, "third", token=accounts.admin_token)
    assert made["is_admin"] is False
    boss = register(client, "second-admin", token=accounts.admin_token, is_admin=True)
    assert boss["is_admin"] is True


def test_open_registration_lets_anyone_in_but_not_as_administrator(make_app: AppFactory, api_settings: Any) -> None:
    app = make_app(settings=api_settings.model_copy(update={"open_registration": True}))
    with new_client(app) as client:
        register(client, "admin")
        assert register(client, "visitor")["is_admin"] is False
        sneaky = client.post("/auth/register", json={"username": "sneaky", "password": PASSWORD, "is_admin": True})
        assert sneaky.status_code == 401


def test_a_taken_username_is_a_conflict(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/auth/register", json={"username": "operator", "password": PASSWORD},
                         headers=bearer(accounts.admin_token))
    assert answer.status_code == 409
    assert answer.json()["message"] == "that user name is taken"


def test_a_stale_cookie_does_not_stop_the_first_registration(make_app: AppFactory) -> None:
    with new_client(make_app()) as client:
        client.cookies.set("carwatch_session", "stale-token")
        assert register(client, "admin")["is_admin"] is True


# ---- sessions ----------------------------------------------------------------------------------------

def test_login_sets_a_strict_httponly_cookie_and_answers_a_token(client: TestClient, database: Database) -> None:
    register(client, "admin")
    answer = client.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True and body["data"]["user"]["username"] == "admin"
    token = body["data"]["token"]
    cookie = answer.headers["set-cookie"]
    assert f"carwatch_session={token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    with database.transaction(write=False) as session:  # only the hash is stored
        stored = [r[0] for r in session.fetch_all("SELECT token_hash FROM sessions")]
    assert stored == [passwords.token_hash(token)] and token not in stored


def test_cookie_is_secure_when_configured(make_app: AppFactory, api_settings: Any) -> None:
    app = make_app(settings=api_settings.model_copy(update={"cookie_secure": True}))
    with new_client(app) as client:
        register(client, "admin")
        answer = client.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    assert "Secure" in answer.headers["set-cookie"]


def test_cookie_and_bearer_both_sign_in(app: FastAPI, accounts: Accounts) -> None:
    with new_client(app) as browser:
        login(browser, "operator")
        assert browser.get("/auth/me").json()["data"]["username"] == "operator"
    with new_client(app) as script:
        assert script.get("/auth/me", headers=bearer(accounts.admin_token)).json()["data"]["username"] == "admin"


def test_tokens_expire(client: TestClient, accounts: Accounts, clock: Clock) -> None:
    assert client.get("/auth/me", headers=bearer(accounts.user_token)).status_code == 200
    clock.advance(12 * 3600 + 1)
    answer = client.get("/auth/me", headers=bearer(accounts.user_token))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "expired" in answer.json()["message"]


def test_logout_revokes_the_token_and_clears_the_cookie(app: FastAPI, accounts: Accounts) -> None:
    with new_client(app) as browser:
        token = login(browser, "operator")
        answer = browser.post("/auth/logout")
        assert answer.status_code == 200
        assert 'carwatch_session=""' in answer.headers["set-cookie"]
        assert browser.get("/auth/me", headers=bearer(token)).status_code == 401
        assert browser.post("/auth/logout").status_code == 200  # again: nothing to end, still fine
    with new_client(app) as other:  # the other session of the same account is untouched
        assert other.get("/auth/me", headers=bearer(accounts.user_token)).status_code == 200


def test_password_change_revokes_every_session_and_issues_a_new_one(client: TestClient, accounts: Accounts) -> None:
    second = login(client, "operator")
    answer = client.post("/auth/update/password", headers=bearer(second),
                         json={"old_password": PASSWORD, "new_password": "a new secret"})
    assert answer.status_code == 200, answer.text
    fresh = answer.json()["data"]["token"]
    for old in (accounts.user_token, second):
        assert client.get("/auth/me", headers=bearer(old)).status_code == 401
    assert client.get("/auth/me", headers=bearer(fresh)).status_code == 200
    assert client.get("/auth/me", headers=bearer(accounts.admin_token)).status_code == 200  # another account's
    assert client.post("/auth/login", json={"username": "operator", "password": PASSWORD}).status_code == 401
    login(client, "operator", "a new secret")


def test_password_change_needs_the_old_password(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/auth/update/password", headers=bearer(accounts.user_token),
                         json={"old_password": "wrong password", "new_password": "a new secret"})
    assert answer.status_code == 403
    assert client.get("/auth/me", headers=bearer(accounts.user_token)).status_code == 200


def test_rename_keeps_sessions_and_refuses_taken_names(client: TestClient, accounts: Accounts) -> None:
    headers = bearer(accounts.user_token)
    taken = client.post("/auth/update/username", json={"new_username": "admin"}, headers=headers)
    assert taken.status_code == 409
    same = client.post("/auth/update/username", json={"new_username": "operator"}, headers=headers)
    assert same.status_code == 200
    renamed = client.post("/auth/update/username", json={"new_username": "gatekeeper"}, headers=headers)
    assert renamed.json()["data"]["username"] == "gatekeeper"
    assert client.get("/auth/me", headers=headers).json()["data"]["username"] == "gatekeeper"
    login(client, "gatekeeper")


def test_account_deletion_needs_the_password_and_revokes_sessions(client: TestClient, accounts: Accounts) -> None:
    headers = bearer(accounts.user_token)
    client.post("/api/plate", json={"plate_number": "B123ABC"}, headers=headers)
    assert client.post("/auth/delete", json={"password": "wrong password"}, headers=headers).status_code == 403
    answer = client.post("/auth/delete", json={"password": PASSWORD}, headers=headers)
    assert answer.status_code == 200
    assert client.get("/auth/me", headers=headers).status_code == 401
    assert client.post("/auth/login", json={"username": "operator", "password": PASSWORD}).status_code == 401
    rows = client.get("/api/history", headers=bearer(accounts.admin_token)).json()["data"]
    assert [(r["plate_number"], r["user_id"], r["username"]) for r in rows] == [("B123ABC", None, None)]


def test_the_only_administrator_cannot_leave_others_without_one(client: TestClient, accounts: Accounts) -> None:
    answer = client.post("/auth/delete", json={"password": PASSWORD}, headers=bearer(accounts.admin_token))
    assert answer.status_code == 409
    gone = client.post(f"/auth/users/{accounts.user_id}/delete", headers=bearer(accounts.admin_token))
    assert gone.status_code == 200
    assert client.post("/auth/delete", json={"password": PASSWORD},
                       headers=bearer(accounts.admin_token)).status_code == 200
    assert register(client, "new-admin")["is_admin"] is True  # the system is empty again


def test_administrator_lists_and_deletes_accounts(client: TestClient, accounts: Accounts) -> None:
    admin = bearer(accounts.admin_token)
    users = client.get("/auth/users", headers=admin).json()["data"]
    assert [(u["username"], u["is_admin"]) for u in users] == [("admin", True), ("operator", False)]
    assert all("password" not in u for u in users)
    assert client.post(f"/auth/users/{accounts.admin_id}/delete", headers=admin).status_code == 409
    assert client.post("/auth/users/999999/delete", headers=admin).status_code == 404
    assert client.post(f"/auth/users/{accounts.user_id}/delete", headers=admin).status_code == 200
    assert client.get("/auth/me", headers=bearer(accounts.user_token)).status_code == 401


# ---- authorisation on every protected endpoint -------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_protected_endpoints_refuse_without_a_valid_session(*, client: TestClient, accounts: Accounts, clock: Clock,
                                                            method: str, path: str, body: dict[str, Any] | None,
                                                            ) -> None:
    assert call(client, method, path, body).status_code == 401
    assert call(client, method, path, body, bearer("not-a-token")).status_code == 401
    assert call(client, method, path, body, bearer("x" * 5000)).status_code == 401
    assert call(client, method, path, body, {"Authorization": "Basic YWRtaW46c2VjcmV0"}).status_code == 401
    client.cookies.set("carwatch_session", "forged")
    assert call(client, method, path, body).status_code == 401
    client.cookies.clear()
    revoked = login(client, "operator")
    client.cookies.clear()
    client.post("/auth/logout", headers=bearer(revoked))
    assert call(client, method, path, body, bearer(revoked)).status_code == 401
    clock.advance(13 * 3600)
    expired = call(client, method, path, body, bearer(accounts.admin_token))
    assert expired.status_code == 401
    assert expired.json()["success"] is False


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
def test_admin_endpoints_refuse_operators(client: TestClient, accounts: Accounts, method: str, path: str,
                                          body: dict[str, Any] | None) -> None:
    answer = call(client, method, path, body, bearer(accounts.user_token))
    assert answer.status_code == 403
    assert answer.json() == {"success": False, "message": "only an administrator may do this", "data": None}


def test_an_operator_cannot_touch_another_account(client: TestClient, accounts: Accounts) -> None:
    """Account endpoints act on the caller's own account only: there is no id to point at someone else."""
    user = bearer(accounts.user_token)
    assert client.post(f"/auth/users/{accounts.admin_id}/delete", headers=user).status_code == 403
    client.post("/auth/update/username", json={"new_username": "admin2"}, headers=user)
    admin = client.get("/auth/me", headers=bearer(accounts.admin_token)).json()["data"]
    assert admin["username"] == "admin"
    denied = client.post("/auth/delete", json={"password": PASSWORD}, headers=user)
    assert denied.status_code == 200  # deletes the operator, not the administrator
    assert client.get("/auth/me", headers=bearer(accounts.admin_token)).status_code == 200


# ---- login limits and equal answers -------------------------------------------------------------------

def test_unknown_user_and_wrong_password_get_the_same_answer_and_work(client: TestClient, accounts: Accounts,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    wrong = client.post("/auth/login", json={"username": "operator", "password": "wrong password"})
    unknown = client.post("/auth/login", json={"username": "nobody", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"success": False, "message": "invalid username or password",
                                              "data": None}
    assert len(checks) == 2 and checks[0][:7] == checks[1][:7] == b"$2b$04$"  # one bcrypt check each, same cost


def test_repeated_failures_for_one_user_are_limited(client: TestClient, accounts: Accounts, clock: Clock) -> None:
    for _ in range(5):
        assert client.post("/auth/login", json={"username": "operator", "password": "wrong!!!"}).status_code == 401
    limited = client.post("/auth/login", json={"username": "operator", "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["data"]["retry_after_s"] == int(limited.headers["retry-after"])
    assert client.post("/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    clock.advance(901)
    assert client.post("/auth/login", json={"username": "operator", "password": PASSWORD}).status_code == 200


def test_unknown_users_are_limited_like_known_ones(client: TestClient, accounts: Accounts) -> None:
    answers = [client.post("/auth/login", json={"username": "ghost", "password": "wrong!!!"}).status_code
               for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_repeated_failures_from_one_address_are_limited(make_app: AppFactory, api_settings: Any,
                                                        accounts: Accounts) -> None:
    app = make_app(settings=api_settings.model_copy(update={"login_max_failures_per_address": 3}))
    with new_client(app) as client:
        for name in ("a1", "a2", "a3"):
            assert client.post("/auth/login", json={"username": name, "password": "wrong!!!"}).status_code == 401
        assert client.post("/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 429


def test_a_success_forgets_the_users_failures(client: TestClient, accounts: Accounts) -> None:
    for _ in range(4):
        client.post("/auth/login", json={"username": "operator", "password": "wrong!!!"})
    login(client, "operator")
    for _ in range(4):
        assert client.post("/auth/login", json={"username": "operator", "password": "wrong!!!"}).status_code == 401


def test_seed_accounts_with_foreign_hashes_cannot_sign_in(client: TestClient, database: Database) -> None:
    """A database shared with the seed may hold hashes bcrypt cannot read: refused, not a 500."""
    with database.transaction() as session:
        session.execute("INSERT INTO users (username, password, is_admin) VALUES (?, ?, ?)",
                        ("legacy", "pbkdf2:sha256:600000$salt$abcdef", True))
    answer = client.post("/auth/login", json={"username": "legacy", "password": PASSWORD})
    assert answer.status_code == 401


def test_bcrypt_cost_is_the_configured_one(client: TestClient, database: Database) -> None:
    register(client, "admin")
    with database.transaction(write=False) as session:
        row = session.fetch_one("SELECT password FROM users WHERE username = ?", ("admin",))
    assert row is not None and str(row[0]).startswith("$2b$04$")
    assert bcrypt.checkpw(PASSWORD.encode(), str(row[0]).encode())
