"""Values that cross module borders: frozen dataclasses only, no behaviour beyond small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels of the original image."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def as_list(self, ndigits: int = 1) -> list[float]:
        return [round(self.x1, ndigits), round(self.y1, ndigits), round(self.x2, ndigits), round(self.y2, ndigits)]


@dataclass(frozen=True)
class Detection:
    """One object found by a YOLO model: box, confidence and class index."""

    box: Box
    confidence: float
    class_id: int
    class_scores: tuple[float, ...] = field(default=(), compare=False, repr=False)  # every class, when kept
    # Where a second, zoomed look re-boxed a plate: the whole-frame look's box. The reader crops around
    # it, since that is the framing it was trained on (edge.vision.zoom).
    first_look: Box | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CharRead:
    """One character of a plate, with its confidence and box in original-image pixels."""

    char: str
    confidence: float
    box: Box
    row: int = 0


@dataclass(frozen=True)
class PlateRead:
    """One plate found and read in one image."""

    text: str
    confidence: float  # read confidence: that of the weakest character (0 when nothing was read)
    box: Box
    detector_confidence: float
    chars: tuple[CharRead, ...] = ()
    rows: int = 1
    region: str = ""  # the format rule the text matched, "" when none did
    raw_text: str = ""  # the text before format rules resolved confusions


@dataclass(frozen=True)
class ImageRead:
    """Everything read in one image, with the time each stage took."""

    plates: tuple[PlateRead, ...]
    width: int
    height: int
    timings_ms: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The daemon: frames in, one event per vehicle out.
# ---------------------------------------------------------------------------------------------


class Direction(StrEnum):
    """Which way a vehicle passed the gate (the seed's words)."""

    ENTERING = "entering"
    LEAVING = "leaving"
    UNKNOWN = "unknown"


class CameraRole(StrEnum):
    """What a camera watches: only arrivals, only departures, or both ways (direction of travel decides)."""

    ENTRY = "entry"
    EXIT = "exit"
    BOTH = "both"


@dataclass(frozen=True, eq=False)
class Frame:
    """One picture from one camera. ``image`` is BGR uint8 (H, W, 3); do not modify it in place."""

    camera: str
    image: npt.NDArray[np.uint8]
    captured_at: float  # wall clock, time.time()
    sequence: int  # counts up per camera from 1, gaps mean frames were dropped
    monotonic: float = 0.0  # time.monotonic() at capture, for latency measurement


@dataclass(frozen=True)
class SourceStatus:
    """What a camera source reports about itself (health, STATUS lines, MQTT heartbeat)."""

    camera: str
    connected: bool
    frames: int  # frames captured since start
    dropped: int  # frames replaced by a newer one before anybody took them
    reconnects: int
    last_frame_at: float | None  # wall clock of the newest frame, None before the first
    error: str = ""  # the last error, credentials removed; "" when healthy


@dataclass(frozen=True)
class PlateCandidate:
    """One whole-plate text the vote considers, with its score (0..1, the candidates' scores sum to <= 1)."""

    text: str
    score: float


@dataclass(frozen=True, eq=False)
class VehicleRead:
    """What tracking says about one vehicle at one camera: the voted text so far and where it went.

    Tracking emits one with ``final=False`` as soon as the vote is sure enough (the gate must not wait),
    and one with ``final=True`` when the track ends; both carry the same ``track_id``.
    """

    track_id: str
    camera: str
    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    candidates: tuple[PlateCandidate, ...]  # best first; candidates[0].text == text
    direction: Direction  # of travel, from the plate's movement; UNKNOWN when it cannot tell
    first_seen: float  # wall clock
    last_seen: float
    reads: int  # how many frames voted
    final: bool
    best_frame: Frame | None = None  # the frame with the most confident read, for the snapshot
    best_plate: PlateRead | None = None  # that read, for the plate crop
    region: str = ""


class AccessReason(StrEnum):
    """Why the list decision came out as it did (the event's ``reason``)."""

    ALLOWED = "allowed"
    UNKNOWN = "unknown"  # on no list
    DENIED = "denied"
    EXPIRED = "expired"  # on the allow list, outside its validity dates
    OUTSIDE_HOURS = "outside_hours"  # on the allow list, outside its weekly time windows
    WRONG_DIRECTION = "wrong_direction"  # on the allow list, but not for this gate or direction


class Presence(StrEnum):
    """Anti-passback: whether the movement fits the plate's known inside/outside state."""

    NORMAL = "normal"
    ALREADY_INSIDE = "already_inside"  # entering while already inside
    NOT_INSIDE = "not_inside"  # leaving without having entered
    UNKNOWN = "unknown"  # direction unknown, or no state kept


@dataclass(frozen=True)
class ListMatch:
    """The plate-list entry a read matched, and how closely."""

    list_name: str  # "allow", "deny" or "watch"
    plate: str  # the entry's plate as written in the list
    name: str  # the entry's label (owner, company...)
    distance: float  # confusion-aware edit distance between the read and the entry (0 = exact)
    matched_text: str  # which candidate of the vote matched


EVENT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class PlateEvent:
    """One vehicle at one camera: what is stored in the outbox, written to history and published.

    The same ``event_id`` is sent twice at most: ``stage="decided"`` as soon as the vote is sure, and
    ``stage="final"`` when the track ends (``revision`` 1 then 2). Sinks are idempotent by event id.
    """

    event_id: str  # UUIDv7: globally unique and time-ordered
    stage: str  # "decided" or "final"
    revision: int
    site: str
    camera: str
    direction: Direction
    plate: str
    confidence: float
    char_confidences: tuple[float, ...]
    candidates: tuple[PlateCandidate, ...]
    region: str
    match: ListMatch | None
    open_barrier: bool  # the list decision says open
    reason: AccessReason
    presence: Presence
    first_seen: float  # wall clock, seconds
    decided_at: float
    snapshot: str | None  # path of the frame JPEG relative to the data directory, None when not kept
    crop: str | None  # path of the plate crop JPEG, likewise
    models: dict[str, str] = field(default_factory=dict)  # model file name -> version
    source: str = "camera"  # "camera", "api" (upload) or "manual"
    schema_version: int = EVENT_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values: the documented MQTT payload and outbox record."""
        return {
            "schema_version": self.schema_version,
            "event_id": self.event_id,
            "stage": self.stage,
            "revision": self.revision,
            "site": self.site,
            "camera": self.camera,
            "direction": self.direction.value,
            "plate": self.plate,
            "confidence": round(self.confidence, 4),
            "char_confidences": [round(c, 4) for c in self.char_confidences],
            "candidates": [{"text": c.text, "score": round(c.score, 4)} for c in self.candidates],
            "region": self.region,
            "match": None if self.match is None else asdict(self.match),
            "open_barrier": self.open_barrier,
            "reason": self.reason.value,
            "presence": self.presence.value,
            "first_seen": _iso(self.first_seen),
            "decided_at": _iso(self.decided_at),
            "snapshot": self.snapshot,
            "crop": self.crop,
            "models": dict(self.models),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlateEvent:
        """Inverse of :meth:`to_dict` (timestamps keep millisecond precision)."""
        match = data.get("match")
        return cls(
            event_id=str(data["event_id"]),
            stage=str(data["stage"]),
            revision=int(data["revision"]),
            site=str(data["site"]),
            camera=str(data["camera"]),
            direction=Direction(data["direction"]),
            plate=str(data["plate"]),
            confidence=float(data["confidence"]),
            char_confidences=tuple(float(c) for c in data.get("char_confidences", ())),
            candidates=tuple(PlateCandidate(str(c["text"]), float(c["score"])) for c in data.get("candidates", ())),
            region=str(data.get("region", "")),
            match=None if match is None else ListMatch(**match),
            open_barrier=bool(data["open_barrier"]),
            reason=AccessReason(data["reason"]),
            presence=Presence(data.get("presence", Presence.UNKNOWN.value)),
            first_seen=_parse_iso(str(data["first_seen"])),
            decided_at=_parse_iso(str(data["decided_at"])),
            snapshot=data.get("snapshot"),
            crop=data.get("crop"),
            models={str(k): str(v) for k, v in dict(data.get("models", {})).items()},
            source=str(data.get("source", "camera")),
            schema_version=int(data.get("schema_version", EVENT_SCHEMA_VERSION)),
        )


def _iso(timestamp: float) -> str:
    """UTC ISO 8601 with milliseconds and a Z, e.g. 2026-11-26T12:00:00.123Z."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class SinkUnavailable(Exception):
    """A sink could not deliver now (broker or database down): the outbox keeps the event and retries."""


class EventSink(Protocol):
    """Where events go after the outbox: history, MQTT, snapshots. ``deliver`` must be idempotent by
    (event_id, revision): the outbox may deliver the same revision again after a crash."""

    name: str

    def deliver(self, event: PlateEvent, attachments: Mapping[str, bytes]) -> None:
        """Deliver or raise SinkUnavailable (retried with backoff); any other exception is a bug in
        this event for this sink and is retried a few times, then parked (never silently dropped)."""
        ...
