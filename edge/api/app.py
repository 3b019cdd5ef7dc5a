"""The HTTP API's factory: :func:`create_app` builds a FastAPI app from its collaborators (no global state).

Served at ``/openapi.json`` and committed as ``edge/api/openapi.json`` (regenerate with
``.venv/bin/python -m edge.api.openapi_doc``). The interactive docs pages are off: they would load
scripts from a CDN into a page that holds the session cookie. Browsers get the operator console at ``/``
(edge.api.console), which uses the API like any client.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request, Response

from edge.api.auth import Caller, Context, optional_user
from edge.api.console import PAGE_ANSWER, Console, wants_page
from edge.api.context import ApiContext, ApiDependencies
from edge.api.errors import ApiError, documented, install_error_handlers
from edge.api.middleware import RequestGuard
from edge.api.routes_auth import router as auth_router
from edge.api.routes_events import router as events_router
from edge.api.routes_history import UPLOAD_PATH
from edge.api.routes_history import router as history_router
from edge.api.routes_operator import router as operator_router
from edge.api.schemas import Answer, CameraHealth, HealthData, IndexData
from edge.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from edge.storage.errors import StorageError

log = logging.getLogger(__name__)

TITLE = "CarWatch Edge API"
API_VERSION = "1.0.0"
MULTIPART_OVERHEAD = 64 * 1024
FORM_LIMITS = {"max_files": 2, "max_fields": 16, "max_part_size": 64 * 1024}


def create_app(deps: ApiDependencies) -> FastAPI:
    """The API app. ``deps.database`` must be migrated (edge.storage.migrations.migrate)."""
    app = FastAPI(title=TITLE, version=API_VERSION, docs_url=None, redoc_url=None,
                  description="The local API of a CarWatch Edge gate daemon: accounts, history, uploads, cameras, "
                              "plate lists and events. Every answer is {success, message, data}.",
                  form_limits=FORM_LIMITS)  # type: ignore[arg-type]
    app.state.context = ApiContext(deps)
    install_error_handlers(app)
    settings = deps.settings

    def body_limit(path: str) -> int:
        return settings.max_upload_bytes + MULTIPART_OVERHEAD if path == UPLOAD_PATH else settings.max_body_bytes

    app.add_middleware(RequestGuard, body_limit=body_limit)
    app.include_router(auth_router)
    app.include_router(history_router)
    app.include_router(events_router)  # before the operator's /api/events/{event_id}, which would take "stream"
    app.include_router(operator_router)
    console = Console.load()
    console.install(app)

    def index(request: Request) -> Response | Answer[IndexData]:
        """What this is (JSON); a browser (Accept: text/html first) gets the operator console page."""
        if wants_page(request):
            return console.page_response()
        return Answer(message=TITLE, data=IndexData(name=TITLE, version=API_VERSION, openapi="/openapi.json"))

    app.add_api_route("/", index, methods=["GET"], tags=["service"], response_model=Answer[IndexData],
                      responses={**PAGE_ANSWER, **documented(500)})
    app.add_api_route("/health", health, methods=["GET"], tags=["service"], responses=documented(500, 503))
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["service"], response_class=Response,
                      responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                       "description": "Prometheus text format 0.0.4"}, **documented(401, 500, 503)})
    return app


def health(ctx: Context) -> Answer[HealthData]:
    """Liveness for monitors (no sign-in): 200 when the database answers, 503 when it does not."""
    try:
        ctx.users.count()
    except StorageError as exc:
        log.warning("health: database unavailable: %s", exc)
        raise ApiError(503, "the database is unavailable", headers={"Retry-After": "5"}) from None
    return Answer(message="ok", data=health_data(ctx.deps.status() if ctx.deps.status is not None else None))


def health_data(status: Mapping[str, Any] | None) -> HealthData:
    """What a monitor needs: cameras with the age of their last frame, outbox depth, broker, model versions."""
    if status is None:
        return HealthData(status="ok", database="ok")
    cameras = {str(name): CameraHealth(connected=bool(c.get("connected")), last_frame_age_s=c.get("last_frame_age_s"),
                                       error=str(c.get("error") or ""))
               for name, c in dict(status.get("cameras", {})).items()}
    connected = status.get("mqtt_connected")
    mqtt: Literal["connected", "disconnected", "disabled"] = (
        "disabled" if connected is None else ("connected" if connected else "disconnected"))
    degraded = any(not c.connected for c in cameras.values()) or mqtt == "disconnected"
    return HealthData(status="degraded" if degraded else "ok", database="ok", cameras=cameras,
                      outbox={str(k): int(v) for k, v in dict(status.get("outbox", {})).items()}, mqtt=mqtt,
                      models={str(k): str(v) for k, v in dict(status.get("models", {})).items()},
                      model_self_test=(None if status.get("model_self_test") is None
                                       else [str(p) for p in status["model_self_test"]]))


def metrics(request: Request, ctx: Context, caller: Annotated[Caller | None, Depends(optional_user)]) -> Response:
    """Prometheus text format. Without sign-in when the API listens on loopback only; else a session or token."""
    if not _loopback(ctx.deps.settings.host) and caller is None:
        raise ApiError(401, "metrics need a session or bearer token when the API is reachable from the network",
                       headers={"WWW-Authenticate": "Bearer"})
    if ctx.deps.metrics is None:
        raise ApiError(503, "no metrics in this process (the API runs without the daemon)")
    return Response(ctx.deps.metrics(), media_type=METRICS_CONTENT_TYPE)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
