"""The ``history`` table: one row per vehicle event (upserted by event id) or manual record, and ``images``.

All SQL is parameterised; values are checked against their column sizes before any SQL runs, so both
databases accept or refuse the same rows (InvalidRecord). Text compares are exact and case-sensitive
on both (MySQL tables use utf8mb4_bin).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edge.domain import Direction, PlateCandidate, PlateEvent
from edge.storage.database import Database, Session
from edge.storage.dialect import Dialect
from edge.storage.errors import InvalidRecord

MAX_IMAGE_BYTES = 8 * 1024 * 1024  # below MariaDB's default max_allowed_packet (16 MB)
MAX_PAGE = 1000
COLUMN_LIMITS = {
    "plate_number": 20, "status": 10, "event_id": 36, "stage": 16, "site": 64, "camera": 64, "list_name": 32,
    "match_plate": 32, "match_name": 255, "reason": 32, "presence": 32, "snapshot": 255, "crop": 255, "source": 16,
    "candidates": 60_000, "models": 60_000,
}
ROW_COLUMNS = (
    "id", "plate_number", "status", "user_id", "image_id", "created_at", "event_id", "revision", "stage", "site",
    "camera", "confidence", "candidates", "list_name", "match_plate", "match_name", "distance", "open_barrier",
    "reason", "presence", "first_seen", "decided_at", "snapshot", "crop", "models", "source",
)
EVENT_COLUMNS = (
    "plate_number", "status", "image_id", "created_at", "event_id", "revision", "stage", "site", "camera",
    "confidence", "candidates", "list_name", "match_plate", "match_name", "distance", "open_barrier", "reason",
    "presence", "first_seen", "decided_at", "snapshot", "crop", "models", "source", "payload",
)
EVENT_UPDATES = tuple(c for c in EVENT_COLUMNS if c not in {"event_id", "created_at"})


@dataclass(frozen=True)
class HistoryRow:
    """One history row. Manual records (the seed's shape) leave the event fields None."""

    id: int
    plate_number: str
    status: Direction
    user_id: int | None
    image_id: int | None
    created_at: datetime  # UTC; for events the decision time, not the time the row was written
    event_id: str | None = None
    revision: int | None = None
    stage: str | None = None
    site: str | None = None
    camera: str | None = None
    confidence: float | None = None
    candidates: tuple[PlateCandidate, ...] = ()
    list_name: str | None = None
    match_plate: str | None = None
    match_name: str | None = None
    distance: float | None = None
    open_barrier: bool | None = None
    reason: str | None = None
    presence: str | None = None
    first_seen: datetime | None = None
    decided_at: datetime | None = None
    snapshot: str | None = None
    crop: str | None = None
    models: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None


@dataclass(frozen=True)
class StoredImage:
    id: int
    data: bytes
    created_at: datetime | None


@dataclass(frozen=True)
class HistoryFilter:
    """What ``query`` and ``count`` select; every value is bound as a parameter, never spliced into SQL."""

    plate: str | None = None  # exact plate
    plate_contains: str | None = None  # substring, taken literally (% and _ are not wildcards)
    camera: str | None = None
    direction: Direction | None = None
    since: datetime | None = None  # created_at >= since (naive datetimes are UTC)
    until: datetime | None = None  # created_at < until


class HistoryRepository:
    """Reads and writes ``history`` and ``images``; thread-safe (the Database pools connections)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # ---- writing ---------------------------------------------------------------------------------

    def upsert_event(self, event: PlateEvent, image_id: int | None = None) -> None:
        """Insert the event's row or update it; idempotent by event_id, and a lower revision never
        overwrites a higher one. ``image_id`` None keeps the stored image link."""
        values = self._event_values(event, image_id)
        self.database.run(lambda s: self._upsert(s, values))

    def upsert_event_with_image(self, event: PlateEvent, image: bytes) -> int:
        """Like :meth:`upsert_event`, storing ``image`` in ``images`` in the same transaction: the row's
        image is replaced in place by a newer revision, and a redelivery adds no second image."""
        _check_image(image)
        values = self._event_values(event, None)

        def work(session: Session) -> int:
            found = session.fetch_one("SELECT image_id, revision FROM history WHERE event_id = ?", (event.event_id,))
            if found is not None and found[0] is not None:
                image_id = int(found[0])
                if found[1] is None or event.revision >= int(found[1]):
                    session.execute("UPDATE images SET image = ? WHERE id = ?", (image, image_id))
            else:
                image_id = session.insert("INSERT INTO images (image, created_at) VALUES (?, ?)",
                                          (image, values["created_at"]))
            self._upsert(session, {**values, "image_id": image_id})
            return image_id

        return self.database.run(work)

    def _upsert(self, session: Session, values: Mapping[str, Any]) -> None:
        sql = session.dialect.upsert("history", EVENT_COLUMNS, ("event_id",), EVENT_UPDATES,
                                     newer="revision", keep_when_null=("image_id",))
        session.execute(sql, [values[c] for c in EVENT_COLUMNS])

    def _event_values(self, event: PlateEvent, image_id: int | None) -> dict[str, Any]:
        d = self.database.dialect
        match = event.match
        values: dict[str, Any] = {
            "plate_number": event.plate, "status": Direction(event.direction).value, "image_id": image_id,
            "created_at": d.time_param(event.decided_at), "event_id": event.event_id, "revision": event.revision,
            "stage": event.stage, "site": event.site, "camera": event.camera, "confidence": event.confidence,
            "candidates": json.dumps([{"text": c.text, "score": c.score} for c in event.candidates],
                                     ensure_ascii=False),
            "list_name": match.list_name if match else None, "match_plate": match.plate if match else None,
            "match_name": match.name if match else None, "distance": match.distance if match else None,
            "open_barrier": bool(event.open_barrier), "reason": event.reason.value,
            "presence": event.presence.value, "first_seen": d.time_param(event.first_seen),
            "decided_at": d.time_param(event.decided_at), "snapshot": event.snapshot, "crop": event.crop,
            "models": json.dumps(dict(event.models), ensure_ascii=False), "source": event.source,
            "payload": json.dumps(event.to_dict(), ensure_ascii=False, allow_nan=False),
        }
        _check_values(values)
        return values

    def add_manual(
        self, plate: str, status: Direction | str, user_id: int | None, image_id: int | None = None,
        camera: str | None = None, *, source: str = "manual",
    ) -> int:
        """A record entered through the API (the seed's shape): ``source`` "manual" (typed in) or "api" (an
        uploaded image was read); returns its id."""
        if source not in ("manual", "api"):
            raise ValueError(f"source must be manual or api, got {source!r}")
        values = {"plate_number": plate, "status": _direction(status).value, "camera": camera, "source": source}
        _check_values(values)
        now = self.database.dialect.time_param(datetime.now(UTC))
        return self.database.run(lambda s: s.insert(
            "INSERT INTO history (plate_number, status, user_id, image_id, camera, source, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (plate, values["status"], user_id, image_id, camera, source, now),
        ))

    def add_image(self, data: bytes) -> int:
        """Store an image (the seed's ``images`` table); returns its id."""
        _check_image(data)
        now = self.database.dialect.time_param(datetime.now(UTC))
        return self.database.run(lambda s: s.insert("INSERT INTO images (image, created_at) VALUES (?, ?)",
                                                    (data, now)))

    # ---- reading ---------------------------------------------------------------------------------

    def query(
        self, plate: str | None = None, *, plate_contains: str | None = None, camera: str | None = None,
        direction: Direction | str | None = None, since: datetime | None = None, until: datetime | None = None,
        limit: int = 50, offset: int = 0,
    ) -> list[HistoryRow]:
        """Rows matching every given filter, newest first (created_at, then id)."""
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise ValueError(f"limit must be 1..{MAX_PAGE} and offset >= 0, got {limit} and {offset}")
        where, params = self._where(HistoryFilter(plate, plate_contains, camera, _optional_direction(direction),
                                                  since, until))
        sql = (f"SELECT {', '.join(ROW_COLUMNS)} FROM history{where} "
               "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?")
        with self.database.transaction(write=False) as session:
            rows = session.fetch_all(sql, [*params, int(limit), int(offset)])
        return [_row(r) for r in rows]

    def count(
        self, plate: str | None = None, *, plate_contains: str | None = None, camera: str | None = None,
        direction: Direction | str | None = None, since: datetime | None = None, until: datetime | None = None,
    ) -> int:
        """How many rows ``query`` with the same filters would page through."""
        where, params = self._where(HistoryFilter(plate, plate_contains, camera, _optional_direction(direction),
                                                  since, until))
        with self.database.transaction(write=False) as session:
            row = session.fetch_one(f"SELECT COUNT(*) FROM history{where}", params)
        return int(row[0]) if row else 0

    def get_event(self, event_id: str) -> HistoryRow | None:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one(f"SELECT {', '.join(ROW_COLUMNS)} FROM history WHERE event_id = ?", (event_id,))
        return None if row is None else _row(row)

    def latest_image(self) -> StoredImage | None:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one("SELECT id, image, created_at FROM images ORDER BY id DESC LIMIT 1")
        return None if row is None else _image(row, self.database)

    def get_image(self, image_id: int) -> StoredImage | None:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one("SELECT id, image, created_at FROM images WHERE id = ?", (int(image_id),))
        return None if row is None else _image(row, self.database)

    def _where(self, f: HistoryFilter) -> tuple[str, list[Any]]:
        d = self.database.dialect
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("plate_number = ?", f.plate),
            ("instr(plate_number, ?) > 0" if d.name == "sqlite" else "LOCATE(?, plate_number) > 0",
             f.plate_contains),
            ("camera = ?", f.camera),
            ("status = ?", None if f.direction is None else f.direction.value),
            ("created_at >= ?", None if f.since is None else d.time_param(f.since)),
            ("created_at < ?", None if f.until is None else d.time_param(f.until)),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params


def _direction(value: Direction | str) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise InvalidRecord(f"status must be one of {[d.value for d in Direction]}, got {str(value)!r:.40}") from None


def _optional_direction(value: Direction | str | None) -> Direction | None:
    return None if value is None else _direction(value)


def _check_values(values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, str):
            limit = COLUMN_LIMITS.get(name)
            if limit is not None and len(value) > limit:
                raise InvalidRecord(f"{name} is {len(value)} characters long, at most {limit} fit")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidRecord(f"{name} is not valid text (lone surrogate)") from None
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidRecord(f"{name} must be a finite number, got {value}")
    if not values.get("plate_number"):
        raise InvalidRecord("plate_number must not be empty")


def _check_image(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidRecord("an image must be non-empty bytes")
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidRecord(f"an image of {len(data)} bytes is over the {MAX_IMAGE_BYTES} bytes limit")


def _row(r: tuple[Any, ...]) -> HistoryRow:
    v = dict(zip(ROW_COLUMNS, r, strict=True))
    created = _time(v["created_at"]) or datetime.fromtimestamp(0, UTC)
    try:
        status = Direction(v["status"])
    except ValueError:
        status = Direction.UNKNOWN
    return HistoryRow(
        id=int(v["id"]), plate_number=str(v["plate_number"]), status=status, user_id=_int(v["user_id"]),
        image_id=_int(v["image_id"]), created_at=created, event_id=v["event_id"], revision=_int(v["revision"]),
        stage=v["stage"], site=v["site"], camera=v["camera"], confidence=_float(v["confidence"]),
        candidates=_candidates(v["candidates"]), list_name=v["list_name"], match_plate=v["match_plate"],
        match_name=v["match_name"], distance=_float(v["distance"]),
        open_barrier=None if v["open_barrier"] is None else bool(v["open_barrier"]), reason=v["reason"],
        presence=v["presence"], first_seen=_time(v["first_seen"]), decided_at=_time(v["decided_at"]),
        snapshot=v["snapshot"], crop=v["crop"], models=_models(v["models"]), source=v["source"],
    )


def _time(value: Any) -> datetime | None:
    return Dialect.time_value(value)


def _image(row: tuple[Any, ...], database: Database) -> StoredImage:
    return StoredImage(int(row[0]), bytes(row[1] or b""), database.dialect.time_value(row[2]))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _candidates(text: Any) -> tuple[PlateCandidate, ...]:
    if not text:
        return ()
    try:
        return tuple(PlateCandidate(str(c["text"]), float(c["score"])) for c in json.loads(text))
    except (ValueError, TypeError, KeyError):
        return ()


def _models(text: Any) -> dict[str, str]:
    if not text:
        return {}
    try:
        return {str(k): str(v) for k, v in dict(json.loads(text)).items()}
    except (ValueError, TypeError):
        return {}
