"""A client written for the seed's Flask API (same paths, same bodies, the cookie session of a
requests.Session) works unchanged against the daemon's API, served by ApiServer over a real socket, on MariaDB."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI

from edge.api import ApiServer
from tests.api.conftest import CAR, CAR_PLATE


class SeedClient:
    """What a script for the seed's backend looks like: one session, JSON in, ``success``/``data`` out."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()

    def _post(self, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.http.post(self.base + path, json=body, timeout=30, **kwargs).json()
        return answer

    def _get(self, path: str, **kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.http.get(self.base + path, timeout=30, **kwargs).json()
        return answer

    def register(self, username: str, password: str) -> dict[str, Any]:
        return self._post("/auth/register", {"username": username, "password": password})

    def login(self, username: str, password: str) -> dict[str, Any]:
        return self._post("/auth/login", {"username": username, "password": password})

    def me(self) -> dict[str, Any]:
        return self._get("/auth/me")

    def rename(self, new_username: str) -> dict[str, Any]:
        return self._post("/auth/update/username", {"new_username": new_username})

    def change_password(self, old: str, new: str) -> dict[str, Any]:
        return self._post("/auth/update/password", {"old_password": old, "new_password": new})

    def upload(self, image: Path, status: str) -> dict[str, Any]:
        with image.open("rb") as file:
            return self._post(f"/api/upload_image?status={status}", files={"image": file})

    def add_plate(self, plate: str, status: str) -> dict[str, Any]:
        return self._post("/api/plate", {"plate_number": plate, "status": status})

    def history(self) -> dict[str, Any]:
        return self._get("/api/history")

    def fetch_img(self) -> dict[str, Any]:
        return self._post("/api/fetch_img")

    def logout(self) -> dict[str, Any]:
        return self._post("/auth/logout")

    def delete(self, password: str) -> dict[str, Any]:
        return self._post("/auth/delete", {"password": password})

    def health(self) -> dict[str, Any]:
        return self._get("/health")


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()


def test_a_seed_client_works_unchanged(served: str) -> None:
    seed = SeedClient(served)
    assert seed.health()["success"] is True
    assert seed.register("admin", "admin-password")["success"] is True
    signed_in = seed.login("admin", "admin-password")
    assert signed_in["success"] is True
    assert signed_in["data"]["user"]["username"] == "admin" and signed_in["data"]["user"]["id"] > 0
    assert signed_in["data"]["token"]
    assert "carwatch_session" in seed.http.cookies  # the browser-like cookie session
    assert seed.me()["data"]["username"] == "admin"

    read = seed.upload(CAR, "entering")
    assert read["success"] is True and read["data"]["plate_number"] == CAR_PLATE
    added = seed.add_plate("CJ 12 ABC", "leaving")
    assert added["success"] is True and added["data"]["plate_number"] == "CJ12ABC"
    rows = seed.history()["data"]
    assert [(r["plate_number"], r["status"], r["username"]) for r in rows] == \
        [("CJ12ABC", "leaving", "admin"), (CAR_PLATE, "entering", "admin")]
    assert all({"id", "plate_number", "status", "created_at", "username", "camera"} <= set(r) for r in rows)
    assert base64.b64decode(seed.fetch_img()["data"]["image"]) == CAR.read_bytes()

    assert seed.rename("chief")["data"]["username"] == "chief"
    assert seed.change_password("admin-password", "new-password")["success"] is True
    assert seed.me()["data"]["username"] == "chief"  # the session goes on with the new cookie
    assert seed.logout()["success"] is True
    refused = seed.me()
    assert refused["success"] is False and "message" in refused
    assert seed.login("chief", "admin-password")["success"] is False
    assert seed.login("chief", "new-password")["success"] is True
    assert seed.delete("new-password")["success"] is True
    assert seed.login("chief", "new-password")["success"] is False


def test_errors_reach_a_seed_client_as_json(served: str) -> None:
    seed = SeedClient(served)
    refused = seed.register("ad", "x")
    assert set(refused) == {"success", "message", "data"} and refused["success"] is False
    assert "username" in refused["message"]
    answer = seed.http.post(served + "/api/plate", data="plate_number=B1", timeout=10,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 415 and answer.json()["success"] is False
    big = seed.http.post(served + "/api/upload_image", timeout=30,
                         files={"image": ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (17 * 1024 * 1024))})
    assert big.status_code == 413 and big.json()["success"] is False
