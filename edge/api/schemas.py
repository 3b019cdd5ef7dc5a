"""Request and response bodies of the HTTP API (the seed's names: ``success``, ``message``, ``data``).

Every request body forbids unknown fields and bounds every string; answers are pydantic models so the
OpenAPI document describes exactly what is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from edge.domain import Direction
from edge.settings.plate_lists import normalise_plate

T = TypeVar("T")

MAX_PASSWORD_BYTES = 72  # bcrypt uses no more


def _printable(value: str) -> str:
    """Refuse control characters and lone surrogates (they cannot be stored as UTF-8)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("must not contain control characters")
    return value


def _bcrypt_fits(value: str) -> str:
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("must be valid text (no lone surrogates)") from None
    if size > MAX_PASSWORD_BYTES:
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 ({size} given)")
    return value


def _plate(value: str) -> str:
    return normalise_plate(value)


Username = Annotated[str, Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$",
                                description="3-50 letters, digits, '_', '.' or '-'.")]
LoginName = Annotated[str, Field(min_length=1, max_length=50, description="The account's user name."),
                      AfterValidator(_printable)]
NewPassword = Annotated[str, Field(min_length=8, max_length=128,
                                   description="8-128 characters, at most 72 bytes in UTF-8."),
                        AfterValidator(_bcrypt_fits)]
Password = Annotated[str, Field(min_length=1, max_length=128, description="The account's password."),
                     AfterValidator(_bcrypt_fits)]
PlateText = Annotated[str, Field(min_length=1, max_length=20, description="A plate; spaces and dashes are removed, "
                                                                         "letters upper-cased (2-12 of 0-9 A-Z)."),
                      AfterValidator(_plate)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Body):
    username: Username
    password: NewPassword
    is_admin: bool = Field(default=False, description="Make the new account an administrator (administrators only).")


class LoginRequest(_Body):
    username: LoginName
    password: Password


class UsernameUpdate(_Body):
    new_username: Username


class PasswordUpdate(_Body):
    old_password: Password
    new_password: NewPassword


class DeleteAccount(_Body):
    password: Password


class ManualPlate(_Body):
    plate_number: PlateText
    status: Direction = Field(default=Direction.UNKNOWN, description="entering, leaving or unknown.")


# ---- answers -------------------------------------------------------------------------------------


class Answer(BaseModel, Generic[T]):
    """Every successful answer."""

    success: bool = True
    message: str = ""
    data: T


class FieldError(BaseModel):
    location: str
    problem: str


class ErrorData(BaseModel):
    errors: list[FieldError] = Field(default_factory=list, description="What is wrong with which field (422).")
    retry_after_s: int | None = Field(default=None, description="When to try again (429).")


class ErrorAnswer(BaseModel):
    """Every error: a message for a person, never a stack trace."""

    success: Literal[False] = False
    message: str
    data: ErrorData | None = None


class UserOut(BaseModel):
    id: int
    username: str
    is_admin: bool
    created_at: datetime | None


class LoginData(BaseModel):
    user: UserOut
    token: str = Field(description="Bearer token for scripts (Authorization: Bearer ...); browsers use the cookie.")
    expires_at: datetime


class CameraHealth(BaseModel):
    connected: bool
    last_frame_age_s: float | None = Field(description="Seconds since the newest frame; null before the first.")
    error: str = ""


class HealthData(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded: a camera is down or the broker is unreachable.")
    database: Literal["ok"]
    cameras: dict[str, CameraHealth] | None = Field(default=None, description="Absent without cameras (api alone).")
    outbox: dict[str, int] | None = Field(default=None, description="Events waiting, per sink.")
    mqtt: Literal["connected", "disconnected", "disabled"] | None = None
    models: dict[str, str] | None = None
    model_self_test: list[str] | None = Field(
        default=None, description="What went wrong reading the bundled sample plates at start (empty: nothing): "
                                  "the models load but read differently on this machine. Absent without cameras.")


class IndexData(BaseModel):
    name: str
    version: str
    openapi: str


class HistoryItem(BaseModel):
    """One history row: ``username`` for rows made through the API, ``camera`` for rows made by cameras."""

    id: int
    plate_number: str
    status: Direction
    created_at: datetime
    user_id: int | None
    username: str | None
    camera: str | None
    site: str | None
    source: str | None
    event_id: str | None
    confidence: float | None
    list_name: str | None
    match_plate: str | None
    match_name: str | None
    open_barrier: bool | None
    reason: str | None
    presence: str | None
    image_id: int | None
    snapshot_url: str | None = Field(description="GET it for the frame JPEG; null when none was kept.")
    crop_url: str | None = Field(description="GET it for the plate crop JPEG; null when none was kept.")


class Paging(BaseModel):
    total: int
    limit: int
    offset: int


class HistoryAnswer(Answer[list[HistoryItem]]):
    paging: Paging


class Candidate(BaseModel):
    text: str
    score: float


class EventOut(HistoryItem):
    stage: str | None
    revision: int | None
    candidates: list[Candidate]
    distance: float | None
    first_seen: datetime | None
    decided_at: datetime | None
    models: dict[str, str]


class PlateOut(BaseModel):
    text: str
    confidence: float
    box: list[float]
    region: str


class UploadData(BaseModel):
    plate_number: str | None = Field(description="The most confident plate read; null when none was found.")
    status: Direction
    history_id: int | None
    image_id: int | None
    width: int
    height: int
    plates: list[PlateOut]


class ImageData(BaseModel):
    image_id: int
    created_at: datetime | None
    content_type: str
    image: str = Field(description="The image file, base64.")


class CameraOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    connected: bool | None = None


class ListEntry(_Body):
    """One plate-list entry as JSON (the plates.toml fields)."""

    plate: PlateText
    name: str = Field(default="", max_length=200)
    gates: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=64)
    directions: Literal["entering", "leaving", "both"] = "both"
    valid_from: str | None = Field(default=None, max_length=40, description="A date (YYYY-MM-DD) or ISO datetime.")
    valid_until: str | None = Field(default=None, max_length=40, description="A date (YYYY-MM-DD) or ISO datetime.")
    hours: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=64, description="Weekly windows like 'mon-fri 07:00-19:00'.")
    note: str = Field(default="", max_length=2000)


class PlateListsBody(_Body):
    allow: list[ListEntry] = Field(default_factory=list, max_length=100_000)
    deny: list[ListEntry] = Field(default_factory=list, max_length=100_000)
    watch: list[ListEntry] = Field(default_factory=list, max_length=100_000)


class PlateListsOut(BaseModel):
    allow: list[ListEntry]
    deny: list[ListEntry]
    watch: list[ListEntry]
    error: str | None = Field(description="Why the newest version of the file was refused; null when it is in force.")
