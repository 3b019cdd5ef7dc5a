"""Errors as JSON answers (``{"success": false, "message": ...}``) with the right status, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from edge.api.schemas import ErrorAnswer, ErrorData, FieldError
from edge.storage.errors import (
    ConstraintViolation,
    DatabaseUnavailable,
    InvalidRecord,
    StorageError,
)

log = logging.getLogger(__name__)

MAX_SHOWN_ERRORS = 10
INTERNAL_ERROR = {"success": False, "message": "internal error", "data": None}


class ApiError(Exception):
    """An answer other than success: raised by routes and dependencies, turned into JSON by the handlers."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None,
                 data: ErrorData | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.data = data


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None,
                   data: ErrorData | None = None) -> JSONResponse:
    body = ErrorAnswer(message=message, data=data).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation: each error code answers an :class:`ErrorAnswer`."""
    return {code: {"model": ErrorAnswer, "description": HTTPStatus(code).phrase} for code in sorted(set(codes))}


def describe_validation(errors: Sequence[Any]) -> list[FieldError]:
    """Where and what, without echoing the input (it may be a password or 10 KB of junk)."""
    described = []
    for error in list(errors)[:MAX_SHOWN_ERRORS]:
        location = ".".join(str(part) for part in error.get("loc", ()))
        problem = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        described.append(FieldError(location=location[:200], problem=problem[:300]))
    return described


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers, exc.data)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    messages = {404: "no such endpoint", 405: "method not allowed on this endpoint",
                413: "request body too large"}
    message = messages.get(status) or (str(exc.detail) if exc.detail else HTTPStatus(status).phrase)
    return error_response(status, message, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "the body is not valid JSON")
    fields = describe_validation(errors)
    summary = "; ".join(f"{f.location}: {f.problem}" for f in fields[:3])
    return error_response(422, f"invalid request: {summary}", data=ErrorData(errors=fields))


async def _storage_error(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailable):
        log.warning("API: database unavailable: %s", exc)
        return error_response(503, "the database is unavailable, try again later", {"Retry-After": "5"})
    if isinstance(exc, InvalidRecord):
        return error_response(422, f"invalid value: {exc}"[:300])
    if isinstance(exc, ConstraintViolation):
        return error_response(409, "conflicts with stored data")
    log.error("API: database error: %s", exc)
    return error_response(500, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorageError, _storage_error)
