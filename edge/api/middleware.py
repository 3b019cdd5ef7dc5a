"""The guard around every request: body size limits, security headers, and a catch-all 500 answer in JSON.

Bodies are refused with 413 as soon as the declared Content-Length is too large (nothing is read), and
while streaming when a body without a length (or a lying one) grows past the limit. Any exception no
handler turned into an answer is logged with its trace and answered ``{"success": false, "message":
"internal error"}``: a client never sees a trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.api.errors import INTERNAL_ERROR

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
TOO_LARGE = {"success": False, "message": "request body too large", "data": None}


class RequestGuard:
    """Pure ASGI middleware; ``body_limit(path)`` gives the largest body accepted on a path, in bytes."""

    def __init__(self, app: ASGIApp, body_limit: Callable[[str], int]) -> None:
        self.app = app
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.body_limit(str(scope.get("path", "")))
        started = False

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_json(send_guarded, 413, TOO_LARGE)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, "request body too large")
            return message

        try:
            await self.app(scope, receive_limited, send_guarded)
        except Exception:
            log.exception("API: unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # the answer is half sent: only closing the connection is left
            await _send_json(send_guarded, 500, INTERNAL_ERROR)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


async def _send_json(send: Send, status: int, body: dict[str, object]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
