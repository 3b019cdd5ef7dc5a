"""Live events: ``GET /api/events/stream``, server-sent events of every PlateEvent the daemon stores.

One ``event: plate`` message per event (its ``to_dict`` JSON plus ``snapshot_url`` and ``crop_url``), a comment
every ``stream_heartbeat_s`` while nothing happens (and then the session is checked again: a revoked or
expired session ends the stream). The stream ends when the client goes away, when the session ends, or when
the feed closes (the daemon stopping), so the server never waits for open streams on its way down. Waits
are short (``WAIT_S``) and run in worker threads of their own (``ApiContext.stream_threads``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from edge.api.auth import Caller, Context, CurrentUser
from edge.api.context import ApiContext
from edge.api.errors import ApiError, documented
from edge.domain import PlateEvent
from edge.events.feed import Subscription, TooManySubscribers
from edge.storage.errors import StorageError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["events"])
STREAM_PATH = "/api/events/stream"
WAIT_S = 0.5  # longest a stream waits for an event before it looks at its client and the clock again
RETRY_MS = 3000  # how soon a browser's EventSource reconnects after the stream broke
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy may hold messages back
STREAM_ANSWER: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
    "description": "Server-sent events: `event: plate` with the event JSON (the MQTT event payload plus "
                   "`snapshot_url` and `crop_url`), `: heartbeat` comments while idle."}}


def event_message(event: PlateEvent) -> str:
    """One server-sent event for a PlateEvent (JSON on one line; the id names event and revision)."""
    base = f"/api/events/{event.event_id}"
    data = {**event.to_dict(), "snapshot_url": f"{base}/snapshot" if event.snapshot else None,
            "crop_url": f"{base}/crop" if event.crop else None}
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: plate\nid: {event.event_id}/{event.revision}\ndata: {payload}\n\n"


@router.get("/events/stream", response_class=StreamingResponse,
            responses={**STREAM_ANSWER, **documented(401, 413, 500, 503)})
def event_stream(request: Request, ctx: Context, caller: CurrentUser) -> StreamingResponse:
    """Live events as they are stored (server-sent events, ``text/event-stream``); for browsers'
    EventSource. 503 when this process has no cameras or too many streams are open."""
    feed = ctx.deps.events_feed
    if feed is None:
        raise ApiError(503, "live events are not available in this process (no cameras here)")
    try:
        subscription = feed.subscribe()
    except TooManySubscribers:
        raise ApiError(503, "too many live event streams are open: try again later",
                       headers={"Retry-After": "10"}) from None
    return StreamingResponse(_messages(ctx, request, subscription, caller), media_type="text/event-stream",
                             headers=STREAM_HEADERS)


async def _messages(ctx: ApiContext, request: Request, subscription: Subscription,
                    caller: Caller) -> AsyncIterator[str]:
    heartbeat = max(0.05, ctx.deps.stream_heartbeat_s)
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        next_beat = time.monotonic() + heartbeat
        while not subscription.closed and not await request.is_disconnected():
            event = await anyio.to_thread.run_sync(subscription.get, WAIT_S, limiter=ctx.stream_threads,
                                                   abandon_on_cancel=True)
            if event is not None:
                yield event_message(event)
            elif time.monotonic() >= next_beat:
                if not await anyio.to_thread.run_sync(_still_signed_in, ctx, caller, limiter=ctx.stream_threads):
                    log.info("event stream of %s ended: the session ended", caller.username)
                    return
                yield ": heartbeat\n\n"
                next_beat = time.monotonic() + heartbeat
    finally:
        subscription.close()
        if subscription.dropped:
            log.info("event stream of %s fell behind and lost %d event(s)", caller.username, subscription.dropped)


def _still_signed_in(ctx: ApiContext, caller: Caller) -> bool:
    try:
        return ctx.sessions.resolve(caller.token_hash, ctx.clock()) is not None
    except StorageError as exc:  # the database is down: keep the stream, events still flow from memory
        log.warning("event stream: session not checked: %s", exc)
        return True
