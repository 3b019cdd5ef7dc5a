"""Accounts and sessions: the seed's /auth endpoints, plus the administrator's list and delete of accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from edge.api.auth import AdminUser, Caller, Context, CurrentUser, OptionalUser, close_cookie, open_session
from edge.api.content import require_json
from edge.api.errors import ApiError, documented
from edge.api.ratelimit import Attempt, client_address, retry_after_header
from edge.api.schemas import (
    Answer,
    DeleteAccount,
    ErrorData,
    LoginData,
    LoginRequest,
    PasswordUpdate,
    RegisterRequest,
    UsernameUpdate,
    UserOut,
)
from edge.storage.users import LastAdministrator, RegistrationClosed, User, UsernameTaken

router = APIRouter(prefix="/auth", tags=["accounts"])
JSON_BODY = [Depends(require_json)]
BASE = (413, 422, 500, 503)
BODY = (*BASE, 400, 415)


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, is_admin=user.is_admin, created_at=user.created_at)


def _account(ctx: Context, caller: Caller) -> User:
    user = ctx.users.get(caller.user_id)
    if user is None:  # deleted between the session check and now
        raise ApiError(401, "the account no longer exists")
    return user


@router.post("/register", status_code=201, dependencies=JSON_BODY, responses=documented(*BODY, 401, 403, 409))
def register(body: RegisterRequest, ctx: Context, caller: OptionalUser) -> Answer[UserOut]:
    """Create an account. The first account on an empty system is the administrator; after that only an
    administrator creates accounts (anyone when ``open_registration`` is on; only administrators make
    administrators)."""
    is_admin_caller = caller is not None and caller.is_admin
    if body.is_admin and not is_admin_caller and ctx.users.count() > 0:
        raise ApiError(401 if caller is None else 403, "only an administrator may create an administrator")
    may_add = is_admin_caller or ctx.settings.open_registration
    password_hash = ctx.passwords.hash(body.password)
    try:
        user = ctx.users.create(body.username, password_hash, is_admin=body.is_admin, may_add=may_add)
    except RegistrationClosed:
        if caller is None:
            raise ApiError(401, "only an administrator can create accounts: sign in as one") from None
        raise ApiError(403, "only an administrator can create accounts") from None
    except UsernameTaken:
        raise ApiError(409, "that user name is taken") from None
    return Answer(message="account created" + (" (administrator)" if user.is_admin else ""), data=user_out(user))


@router.post("/login", dependencies=JSON_BODY, responses=documented(*BODY, 401, 429))
def login(body: LoginRequest, request: Request, response: Response, ctx: Context) -> Answer[LoginData]:
    """Sign in: sets the session cookie and answers a bearer token. Failures are limited per user name and per
    address (429 with Retry-After); an unknown user and a wrong password get the same answer."""
    attempt = ctx.limiter.begin(body.username, client_address(request, ctx.trusted_proxies))
    if not isinstance(attempt, Attempt):
        seconds = retry_after_header(attempt)
        raise ApiError(429, "too many failed logins: try again later", headers={"Retry-After": seconds},
                       data=ErrorData(retry_after_s=int(seconds)))
    user = ctx.users.find(body.username)
    if not ctx.passwords.verify(body.password, None if user is None else user.password_hash) or user is None:
        raise ApiError(401, "invalid username or password")
    ctx.limiter.succeeded(attempt)
    token, expires = open_session(ctx, user, response)
    return Answer(message="signed in", data=LoginData(user=user_out(user), token=token, expires_at=expires))


@router.get("/me", responses=documented(*BASE, 401))
def me(ctx: Context, caller: CurrentUser) -> Answer[UserOut]:
    """The signed-in account."""
    return Answer(message="ok", data=user_out(_account(ctx, caller)))


@router.post("/update/username", dependencies=JSON_BODY, responses=documented(*BODY, 401, 409))
def update_username(body: UsernameUpdate, ctx: Context, caller: CurrentUser) -> Answer[UserOut]:
    """Rename the signed-in account (sessions stay valid)."""
    try:
        if not ctx.users.rename(caller.user_id, body.new_username):
            raise ApiError(401, "the account no longer exists")
    except UsernameTaken:
        raise ApiError(409, "that user name is taken") from None
    return Answer(message="username updated", data=user_out(_account(ctx, caller)))


@router.post("/update/password", dependencies=JSON_BODY, responses=documented(*BODY, 401, 403))
def update_password(body: PasswordUpdate, response: Response, ctx: Context, caller: CurrentUser,
                    ) -> Answer[LoginData]:
    """Change the password: every session of the account ends, this client gets a new one (cookie and token)."""
    user = _account(ctx, caller)
    if not ctx.passwords.verify(body.old_password, user.password_hash):
        raise ApiError(403, "the old password is wrong")
    ctx.users.set_password(user.id, ctx.passwords.hash(body.new_password))
    token, expires = open_session(ctx, user, response)
    return Answer(message="password updated; other sessions were signed out",
                  data=LoginData(user=user_out(user), token=token, expires_at=expires))


@router.post("/delete", dependencies=JSON_BODY, responses=documented(*BODY, 401, 403, 409))
def delete_account(body: DeleteAccount, response: Response, ctx: Context, caller: CurrentUser) -> Answer[None]:
    """Delete the signed-in account (password required) and end its sessions; its history rows stay."""
    user = _account(ctx, caller)
    if not ctx.passwords.verify(body.password, user.password_hash):
        raise ApiError(403, "the password is wrong")
    try:
        ctx.users.delete(user.id)
    except LastAdministrator as exc:
        raise ApiError(409, str(exc)) from None
    close_cookie(ctx, response)
    return Answer(message="account deleted", data=None)


@router.post("/logout", responses=documented(*BASE))
def logout(response: Response, ctx: Context, caller: OptionalUser) -> Answer[None]:
    """End this session (a no-op without one) and clear the cookie."""
    if caller is not None:
        ctx.sessions.revoke(caller.token_hash)
    close_cookie(ctx, response)
    return Answer(message="signed out", data=None)


@router.get("/users", responses=documented(*BASE, 401, 403))
def list_users(ctx: Context, _: AdminUser) -> Answer[list[UserOut]]:
    """Every account (administrators only)."""
    return Answer(message="ok", data=[user_out(u) for u in ctx.users.list()])


@router.post("/users/{user_id}/delete", responses=documented(*BASE, 401, 403, 404, 409))
def delete_user(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], ctx: Context, caller: AdminUser) -> Answer[None]:
    """Delete another account and end its sessions (administrators only; your own: POST /auth/delete)."""
    if user_id == caller.user_id:
        raise ApiError(409, "delete your own account with POST /auth/delete")
    try:
        if not ctx.users.delete(user_id):
            raise ApiError(404, "no such account")
    except LastAdministrator as exc:
        raise ApiError(409, str(exc)) from None
    return Answer(message="account deleted", data=None)
