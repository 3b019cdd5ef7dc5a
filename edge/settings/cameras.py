"""Settings of one camera, and the rules that turn its ``source`` text into a checked :class:`SourceSpec`.

The source rules live here (not in ``edge.sources``) because settings may not import sources; the sources
package re-exports them. Nothing here echoes a password: error messages name the problem only, and
:func:`redact_url` is what may be logged.
"""

from __future__ import annotations

import ipaddress
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from edge.domain import CameraRole

MAX_SOURCE_LENGTH = 2048
MAX_DEVICE_INDEX = 99
URL_SCHEMES = ("rtsp", "rtsps", "http", "https")

_SCHEME = re.compile(r"^([^:/?#\s]{1,64})://")
_DEVICE_PATH = re.compile(r"/dev/video([0-9]{1,2})")
_DEVICE_INDEX = re.compile(r"[0-9]+")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;][\w.\-]*?(?:pass|pwd|token|key|secret|auth|sig|credential)[\w.\-]*=)[^&#;\s]*"
)
_EMBEDDED_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)\S*@")


class SourceKind(StrEnum):
    """How a camera delivers pictures."""

    RTSP = "rtsp"  # rtsp:// or rtsps://
    HTTP = "http"  # http(s):// MJPEG stream
    FILE = "file"  # a video file, played like a camera
    DEVICE = "device"  # a USB camera: /dev/videoN or an index
    FOLDER = "folder"  # a folder cameras drop JPEG/PNG snapshots into


@dataclass(frozen=True)
class SourceSpec:
    """A checked camera source. ``location`` may hold credentials: log ``display`` only."""

    kind: SourceKind
    location: str = field(repr=False)  # URL (with credentials), file or folder path, device path or index
    display: str  # the same with credentials removed
    device_index: int | None = None  # for a USB camera given as a bare index


class EnteringDirection(StrEnum):
    """For a ``both`` camera: which movement of the plate in the picture means the vehicle is entering."""

    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    TOWARD = "toward"  # plate grows / moves down: the vehicle comes toward the camera
    AWAY = "away"


class AfterProcessing(StrEnum):
    """What a snapshot-folder source does with a snapshot once it has become a frame."""

    KEEP = "keep"
    DELETE = "delete"
    MOVE = "move"  # into the sub-folder "processed/"


def redact_url(url: str) -> str:
    """``url`` safe to log: user and password, secret query values and control characters removed.

    Everything between ``://`` and the last ``@`` goes, so a password holding ``@``, ``:``, ``/`` or ``?``
    never shows (an ``@`` further on in the path hides a little more than needed, never less).
    """
    text = "".join("?" if _is_control(ch) else ch for ch in url)
    marker = text.find("://")
    if marker >= 0:
        head, rest = text[: marker + 3], text[marker + 3 :]
        at = rest.rfind("@")
        if at >= 0:
            text = f"{head}***@{rest[at + 1 :]}"
    return _SECRET_PARAM.sub(r"\1***", text)


def redact_text(text: str) -> str:
    """Any URL credentials found inside free text (an error message) removed."""
    cleaned = "".join("?" if _is_control(ch) else ch for ch in text)
    return _SECRET_PARAM.sub(r"\1***", _EMBEDDED_USERINFO.sub(r"\1***@", cleaned))


def parse_source(text: object) -> SourceSpec:
    """Check a camera source and say what kind it is; ``ValueError`` names the problem without the text.

    Accepted: ``rtsp://``, ``rtsps://``, ``http://``, ``https://`` URLs with a host; an existing video
    file or snapshot folder (a plain path or ``file:///path``), or a snapshot folder still to be made,
    written with a trailing ``/`` (its source waits for it, reporting the camera down); a USB camera as
    ``/dev/videoN``, another character device under ``/dev`` (``/dev/v4l/by-id/...``) or a bare index
    such as ``0``.
    """
    if not isinstance(text, str):
        raise ValueError("camera source must be text")
    if len(text) > MAX_SOURCE_LENGTH:
        raise ValueError(f"camera source is too long ({len(text)} characters, at most {MAX_SOURCE_LENGTH})")
    if any(_is_control(ch) for ch in text):
        raise ValueError("camera source contains control or invisible characters (newline, tab, NUL...)")
    value = text.strip()
    if not value:
        raise ValueError("camera source is empty")
    if _DEVICE_INDEX.fullmatch(value):
        index = int(value)
        if index > MAX_DEVICE_INDEX:
            raise ValueError(f"USB camera index {index} is out of range (0..{MAX_DEVICE_INDEX})")
        return SourceSpec(SourceKind.DEVICE, value, value, device_index=index)
    scheme_match = _SCHEME.match(value)
    if scheme_match is None:
        return _parse_path(value)
    scheme = scheme_match.group(1).lower()
    if scheme == "file":
        return _parse_path(_file_url_path(value))
    if scheme not in URL_SCHEMES:
        raise ValueError(
            f"camera source has an unknown scheme {scheme[:16]!a}: use rtsp://, rtsps://, http://, https://,"
            " a file or folder path, or a USB camera (/dev/videoN or an index)"
        )
    return _parse_url(value, scheme)


def _is_control(ch: str) -> bool:
    """Control, format (zero-width, bidi) and line/paragraph separator characters."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _parse_url(value: str, scheme: str) -> SourceSpec:
    kind = SourceKind.RTSP if scheme.startswith("rtsp") else SourceKind.HTTP
    try:
        parts = urlsplit(value)
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise ValueError(
            f"{scheme}:// URL is malformed or has an invalid port (percent-encode / ? # in a user name or password)"
        ) from None
    if not host:
        raise ValueError(f"{scheme}:// URL has no host")
    if not _valid_host(host):
        raise ValueError(f"{scheme}:// URL host is not a valid host name or IP address")
    if port == 0:
        raise ValueError(f"{scheme}:// URL has port 0")
    return SourceSpec(kind, value, redact_url(value))


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return host.isascii() and len(host) <= 253 and _HOST_NAME.fullmatch(host) is not None


def _file_url_path(value: str) -> str:
    parts = urlsplit(value)
    if parts.netloc not in ("", "localhost") or not parts.path:
        raise ValueError("file:// URL must name a local path (file:///path/to/file)")
    return unquote(parts.path)


def _parse_path(value: str) -> SourceSpec:
    if _DEVICE_PATH.fullmatch(value):
        return SourceSpec(SourceKind.DEVICE, value, value)
    path = Path(value).expanduser()
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        if value.endswith("/"):  # a snapshot folder to come: the source waits for it
            return SourceSpec(SourceKind.FOLDER, str(path), str(path))
        raise ValueError(f"camera source: no such file or folder: {_clip(value)} (end a snapshot folder that "
                         "does not exist yet with /)") from None
    if stat.S_ISDIR(mode):
        return SourceSpec(SourceKind.FOLDER, str(path), str(path))
    if stat.S_ISCHR(mode) and path.is_absolute() and path.parts[1:2] == ("dev",):
        return SourceSpec(SourceKind.DEVICE, str(path), str(path))
    if stat.S_ISREG(mode):
        return SourceSpec(SourceKind.FILE, str(path), str(path))
    raise ValueError(f"camera source is neither a file, a folder nor a camera device: {_clip(value)}")


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class _HiddenInput:
    """Wraps a source while it is validated, so a validation error shows ``'***'`` as its input, at any depth."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def _checked_source(raw: object) -> str:
    value = raw.value if isinstance(raw, _HiddenInput) else raw
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # `source = 0` in TOML: USB camera 0
    parse_source(value)
    assert isinstance(value, str)  # parse_source refuses anything else
    return value.strip()


# A camera source in settings: checked by parse_source; pydantic errors never echo it, even when the
# enclosing settings model does not set hide_input_in_errors.
CameraSource = Annotated[
    str, PlainValidator(_checked_source), BeforeValidator(_HiddenInput), WithJsonSchema({"type": "string"})
]


class CameraSettings(BaseModel):
    """One camera of the gate: where its pictures come from and how the pipeline treats them."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    name: str = Field(
        default="gate",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Camera name (letters, digits, - and _): in events, topics, logs and file names.",
    )
    source: CameraSource = Field(
        default="/dev/video0",
        repr=False,
        description="rtsp:// rtsps:// http(s):// (MJPEG) URL, video file, snapshot folder, /dev/videoN or a "
        "USB index. May hold credentials: it is never logged as written.",
    )
    role: CameraRole = Field(
        default=CameraRole.BOTH, description="What the camera watches: entry, exit or both ways."
    )
    entering_direction: EnteringDirection = Field(
        default=EnteringDirection.TOWARD,
        description="For role both: the plate movement that means entering (up, down, left, right, toward, away).",
    )
    fps: float = Field(
        default=5.0, gt=0, le=30, description="Frames per second to process (the newest frame wins)."
    )
    roi: tuple[float, float, float, float] | None = Field(
        default=None,
        description="Region of interest [x1, y1, x2, y2] as fractions 0..1 of the frame; none = whole frame.",
    )
    motion_gate: bool = Field(
        default=True, description="Skip frames in which nothing moves inside the region of interest."
    )
    motion_threshold: float = Field(
        default=0.005, ge=0, le=1, description="Fraction of region pixels that must change to count as motion."
    )
    loop: bool = Field(
        default=True, description="Video files: start again at the end (a file then acts like a camera)."
    )
    after: AfterProcessing = Field(
        default=AfterProcessing.KEEP,
        description="Snapshot folders: keep, delete or move (to processed/) each snapshot.",
    )
    process_existing: bool = Field(
        default=False, description="Snapshot folders: also read the snapshots there at start."
    )
    stall_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds without a frame after which a stream counts as dead and reopens.",
    )
    decode_threads: int = Field(
        default=1, ge=0, le=16,
        description="Streams and video files: FFmpeg decoding threads. 1 decodes each frame as it arrives (a "
                    "1080p H.264 frame takes a few ms); more decode frames in parallel but each holds one frame "
                    "back (latency) and costs more CPU in all; 0 lets FFmpeg choose (one per core).",
    )
    reconnect_initial: float = Field(
        default=1.0, gt=0, le=60, description="First wait (s) before reopening a dead camera."
    )
    reconnect_max: float = Field(
        default=30.0, gt=0, le=3600, description="Longest wait (s) between reopening attempts."
    )
    enabled: bool = Field(default=True, description="Whether the daemon runs this camera.")

    @field_validator("roi")
    @classmethod
    def _roi_is_a_box(cls, value: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if value is None:
            return None
        x1, y1, x2, y2 = value
        if not all(0.0 <= v <= 1.0 for v in value):
            raise ValueError("roi values must be fractions between 0 and 1")
        if not (x1 < x2 and y1 < y2):
            raise ValueError("roi must be [x1, y1, x2, y2] with x1 < x2 and y1 < y2")
        return value

    @model_validator(mode="after")
    def _backoff_is_ordered(self) -> CameraSettings:
        if self.reconnect_max < self.reconnect_initial:
            raise ValueError("reconnect_max must not be below reconnect_initial")
        return self

    def source_spec(self) -> SourceSpec:
        """The checked source (checked again now: a file or folder may have gone since loading)."""
        return parse_source(self.source)

    @property
    def display_source(self) -> str:
        """The source with credentials removed, for logs and status pages."""
        return redact_url(self.source)
