"""The operator console's files: ``GET /`` negotiates page or JSON, the assets have the right types and headers,
and the page stays within its Content-Security-Policy (no inline script, nothing from another origin).
The page itself is driven in a real browser by tests/daemon/test_console.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from edge.api.console import ASSETS, PAGE_POLICY, STATIC_DIR, Console, wants_page
from tests.api.conftest import TestClient

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html", "TEXT/HTML; q=1"])
def test_a_browser_gets_the_page_with_a_strict_policy(client: TestClient, accept: str) -> None:
    answer = client.get("/", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.content == (STATIC_DIR / "index.html").read_bytes()
    policy = answer.headers["content-security-policy"]
    assert policy == PAGE_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("headers", [{}, {"Accept": "application/json"}, {"Accept": "*/*"},
                                     {"Accept": "application/json, text/html"}, {"Accept": "texthtml"},
                                     {"Accept": ""}, {"Accept": "," * 5000}])
def test_api_clients_keep_the_json_answer(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get("/", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == {"success": True, "message": "CarWatch Edge API",
                             "data": {"name": "CarWatch Edge API", "version": "1.0.0", "openapi": "/openapi.json"}}


@pytest.mark.parametrize(("name", "media"), [("app.js", "text/javascript; charset=utf-8"),
                                             ("app.css", "text/css; charset=utf-8")])
def test_assets_are_served_with_their_types(client: TestClient, name: str, media: str) -> None:
    answer = client.get(f"/static/{name}")
    assert answer.status_code == 200 and answer.headers["content-type"] == media
    assert answer.content == (STATIC_DIR / name).read_bytes()
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/static/index.html", "/static/app.py", "/static/..%2fapp.py",
                                  "/static/%2e%2e/console.py", "/static/../console.py", "/static/",
                                  "/static/APP.JS", "/static/app.js%00.css", "/static/" + "a" * 5000])
def test_nothing_else_is_served_from_static(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json()["success"] is False


def test_the_page_and_assets_need_no_session_but_hold_no_data(client: TestClient) -> None:
    page = client.get("/", headers={"Accept": "text/html"}).text
    assert "<form id=\"login-form\"" in page
    assert client.get("/api/history").status_code == 401  # the data behind it does


def test_wants_page_reads_only_the_first_media_type() -> None:
    class Request:
        def __init__(self, accept: str) -> None:
            self.headers = {"accept": accept}

    assert wants_page(Request(BROWSER_ACCEPT))  # type: ignore[arg-type]
    assert not wants_page(Request("application/json,text/html"))  # type: ignore[arg-type]


# ---- the page keeps to its policy ------------------------------------------------------------------------

class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def _page() -> _Elements:
    parsed = _Elements()
    parsed.feed((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
    return parsed


def test_the_page_has_no_inline_script_style_or_handler() -> None:
    page = _page()
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"src": "/static/app.js", "defer": None}] and not page.script_text
    assert not [tag for tag, _ in page.tags if tag == "style"]
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on") or a == "style"], tag


def test_nothing_comes_from_another_origin() -> None:
    for tag, attrs in _page().tags:
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            assert not re.match(r"^\s*(https?:)?//", value, re.IGNORECASE), (tag, value)
    for name in ASSETS:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|@import|url\(", text), name
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert forbidden not in script  # text from the API is only ever set as text


def test_every_element_the_script_looks_up_is_on_the_page() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    ids = {attrs["id"] for _, attrs in _page().tags if attrs.get("id")}
    wanted = set(re.findall(r"\$\(\"#([\w-]+)", script))
    assert wanted and wanted <= ids, wanted - ids


def test_the_package_ships_the_files(tmp_path: Path) -> None:
    console = Console.load()
    assert console.page.startswith(b"<!doctype html>") and set(console.assets) == set(ASSETS)
    with pytest.raises(FileNotFoundError):  # a broken install fails when the app is built, not per request
        Console.load(tmp_path)
