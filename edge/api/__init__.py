"""The local HTTP API (FastAPI on uvicorn): accounts, history, uploads, cameras, plate lists, events."""

from edge.api.app import create_app
from edge.api.context import ApiDependencies, PlateListAccess, Recognize
from edge.api.server import ApiServer, ApiServerError

__all__ = ["ApiDependencies", "ApiServer", "ApiServerError", "PlateListAccess", "Recognize", "create_app"]
