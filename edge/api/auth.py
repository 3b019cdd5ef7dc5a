"""Who is calling: a session from the ``Authorization: Bearer`` header (scripts) or the session cookie (browsers).

The cookie is HttpOnly and SameSite=Strict (Secure when ``cookie_secure``); tokens are looked up by their
SHA-256 and must exist and be unexpired. ``current_user`` answers 401 without a valid session,
``admin_user`` 403 for a signed-in user who is not an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from edge.api.context import ApiContext, context
from edge.api.errors import ApiError
from edge.api.passwords import MAX_TOKEN_CHARS, new_token, token_hash
from edge.storage.users import User

COOKIE_NAME = "carwatch_session"
bearer_scheme = HTTPBearer(scheme_name="bearer", auto_error=False,
                           description="The token of POST /auth/login, for scripts.")
cookie_scheme = APIKeyCookie(name=COOKIE_NAME, scheme_name="cookie", auto_error=False,
                             description="The session cookie POST /auth/login sets, for browsers.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    """The signed-in account of a request and the hash of the token it came with."""

    user_id: int
    username: str
    is_admin: bool
    token_hash: str


@dataclass(frozen=True)
class Credentials:
    """What the request presented, valid or not."""

    token: str | None


def presented(bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
              cookie: Annotated[str | None, Depends(cookie_scheme)]) -> Credentials:
    """The bearer token if there is one, else the cookie."""
    if bearer is not None:
        return Credentials(bearer.credentials)
    return Credentials(cookie or None)


def _resolve(ctx: ApiContext, token: str) -> Caller | None:
    digest = token_hash(token) if len(token) <= MAX_TOKEN_CHARS else ""
    found = ctx.sessions.resolve(digest, ctx.clock()) if digest else None
    return None if found is None else Caller(found.user_id, found.username, found.is_admin, digest)


def optional_user(ctx: Annotated[ApiContext, Depends(context)],
                  given: Annotated[Credentials, Depends(presented)]) -> Caller | None:
    """The caller when a valid session came with the request, else None (a stale cookie is no error here)."""
    return None if given.token is None else _resolve(ctx, given.token)


def current_user(ctx: Annotated[ApiContext, Depends(context)],
                 given: Annotated[Credentials, Depends(presented)]) -> Caller:
    """The caller; 401 without a session or with an expired or revoked one."""
    if given.token is None:
        raise ApiError(401, "not signed in: POST /auth/login first", headers=_CHALLENGE)
    caller = _resolve(ctx, given.token)
    if caller is None:
        raise ApiError(401, "the session has expired or was revoked: sign in again", headers=_CHALLENGE)
    return caller


def admin_user(caller: Annotated[Caller, Depends(current_user)]) -> Caller:
    if not caller.is_admin:
        raise ApiError(403, "only an administrator may do this")
    return caller


CurrentUser = Annotated[Caller, Depends(current_user)]
AdminUser = Annotated[Caller, Depends(admin_user)]
OptionalUser = Annotated[Caller | None, Depends(optional_user)]
Context = Annotated[ApiContext, Depends(context)]


def open_session(ctx: ApiContext, user: User | Caller, response: Response) -> tuple[str, datetime]:
    """A new session for ``user``: stored by hash, set as the cookie; returns the token and its expiry."""
    token = new_token()
    now = ctx.clock()
    expires = now + ctx.settings.token_ttl_s
    user_id = user.id if isinstance(user, User) else user.user_id
    ctx.sessions.create(user_id, token_hash(token), now, expires)
    response.set_cookie(COOKIE_NAME, token, max_age=int(ctx.settings.token_ttl_s), path="/", httponly=True,
                        samesite="strict", secure=ctx.settings.cookie_secure)
    return token, datetime.fromtimestamp(expires, UTC)


def close_cookie(ctx: ApiContext, response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=ctx.settings.cookie_secure)
