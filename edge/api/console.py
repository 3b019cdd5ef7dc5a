"""The operator console: a page for browsers at ``/``, plain HTML, CSS and JavaScript from edge/api/static/.

``GET /`` answers the page when the Accept header names ``text/html`` first (what browsers send), and the
JSON answer of API clients otherwise. The page holds no data: it signs in and calls the same endpoints as
any client, with the session cookie. It is served with a strict Content-Security-Policy (scripts, styles
and connections from this origin only, images from here or ``data:``/``blob:`` URLs, no inline script), so
nothing is loaded from the internet and nothing injected into the page could run. No build step: the
files are shipped as they are in the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

from edge.api.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = "index.html"
ASSETS = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
PAGE_POLICY = ("default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
PAGE_ANSWER: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/html": {"schema": {"type": "string"}}},
    "description": "JSON for API clients; the operator console page when Accept names text/html first."}}


def wants_page(request: Request) -> bool:
    """True when the first media type of the Accept header is text/html (a browser navigating here)."""
    first = request.headers.get("accept", "").split(",", 1)[0]
    return first.split(";", 1)[0].strip().lower() == "text/html"


@dataclass(frozen=True)
class Console:
    """The page and its assets, read once when the app is built (a broken install fails then, not later)."""

    page: bytes
    assets: dict[str, bytes]

    @classmethod
    def load(cls, folder: Path = STATIC_DIR) -> Console:
        return cls(page=(folder / PAGE).read_bytes(), assets={name: (folder / name).read_bytes() for name in ASSETS})

    def page_response(self) -> Response:
        return Response(self.page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    def asset_response(self, name: str) -> Response:
        body = self.assets.get(name)
        if body is None:
            raise ApiError(404, "no such file")
        return Response(body, media_type=ASSETS[name], headers={"X-Content-Type-Options": "nosniff",
                                                                "Cache-Control": "no-cache"})

    def install(self, app: FastAPI) -> None:
        """Serve the assets at /static/<name> (no sign-in: they hold no data; not part of the API document)."""

        def asset(name: str) -> Response:
            return self.asset_response(name)

        app.add_api_route("/static/{name}", asset, methods=["GET"], include_in_schema=False)
