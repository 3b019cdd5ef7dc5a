"""The HTTP API's factory: :func:`create_app` builds a FastAPI app from its collaborators (no global state).

Served at ``/openapi.json`` and committed as ``edge/api/openapi.json`` (regenerate with
``.venv/bin/python -m edge.api.openapi_doc``). The interactive docs pages are off: they would load
scripts from a CDN into a page that holds the session cookie.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from edge.api.auth import Context
from edge.api.context import ApiContext, ApiDependencies
from edge.api.errors import ApiError, documented, install_error_handlers
from edge.api.middleware import RequestGuard
from edge.api.routes_auth import router as auth_router
from edge.api.routes_history import UPLOAD_PATH
from edge.api.routes_history import router as history_router
from edge.api.routes_operator import router as operator_router
from edge.api.schemas import Answer, HealthData, IndexData
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
    app.include_router(operator_router)
    app.add_api_route("/", index, methods=["GET"], tags=["service"], responses=documented(500))
    app.add_api_route("/health", health, methods=["GET"], tags=["service"], responses=documented(500, 503))
    return app


def index() -> Answer[IndexData]:
    """What this is."""
    return Answer(message=TITLE, data=IndexData(name=TITLE, version=API_VERSION, openapi="/openapi.json"))


def health(ctx: Context) -> Answer[HealthData]:
    """Liveness for monitors (no sign-in): 200 when the database answers, 503 when it does not."""
    try:
        ctx.users.count()
    except StorageError as exc:
        log.warning("health: database unavailable: %s", exc)
        raise ApiError(503, "the database is unavailable", headers={"Retry-After": "5"}) from None
    return Answer(message="ok", data=HealthData(status="ok", database="ok"))
