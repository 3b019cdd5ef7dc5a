"""Content-Type checks of request bodies: JSON endpoints take application/json, the upload multipart/form-data."""

from __future__ import annotations

from fastapi import Request

from edge.api.errors import ApiError


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def require_json(request: Request) -> None:
    """415 for a body that is not declared JSON (an empty body is left to validation: 422)."""
    media = _media_type(request)
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return
    if media or await request.body():
        raise ApiError(415, "send the body as application/json")


async def require_multipart(request: Request) -> None:
    """415 unless the body is multipart/form-data (the image in the field ``image``)."""
    if _media_type(request) != "multipart/form-data":
        raise ApiError(415, "send the image as multipart/form-data in the field 'image'")
