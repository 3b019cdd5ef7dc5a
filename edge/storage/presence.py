"""Anti-passback state: whether a plate is inside a site, kept next to history (shared by every box
that shares the database).

``apply`` reads and writes the state in one transaction (the row locked on MySQL, the write lock held on
SQLite), so an entry and an exit gate deciding on the same plate at once do not both see the old state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from edge.domain import Direction, Presence
from edge.storage.database import Database, Session
from edge.storage.errors import InvalidRecord

MAX_SITE = 64
MAX_PLATE = 20


@dataclass(frozen=True)
class PresenceState:
    site: str
    plate: str
    inside: bool
    last_event_id: str | None
    updated_at: datetime | None


def judge(inside: bool | None, direction: Direction) -> Presence:
    """Whether ``direction`` fits the known state (``inside`` None: nothing known about the plate)."""
    if direction == Direction.ENTERING:
        return Presence.ALREADY_INSIDE if inside else Presence.NORMAL
    if direction == Direction.LEAVING:
        if inside is None:
            return Presence.UNKNOWN  # no state kept: it may have entered before the daemon kept any
        return Presence.NORMAL if inside else Presence.NOT_INSIDE
    return Presence.UNKNOWN


class PresenceRepository:
    """Inside/outside per (site, plate) with the last event that changed it."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def apply(
        self, site: str, plate: str, direction: Direction, event_id: str | None = None, at: float | None = None,
    ) -> Presence:
        """Judge the movement against the stored state and record the new one: entering -> inside,
        leaving -> outside, unknown -> unchanged (and Presence.UNKNOWN). Raises DatabaseUnavailable when
        the database is down (the caller then decides with Presence.UNKNOWN)."""
        _check(site, plate, event_id)
        direction = Direction(direction)
        if direction == Direction.UNKNOWN:
            return Presence.UNKNOWN
        moment = self.database.dialect.time_param(time.time() if at is None else at)

        def work(session: Session) -> Presence:
            row = session.fetch_one(
                f"SELECT inside FROM presence WHERE site = ? AND plate = ?{session.dialect.for_update}", (site, plate)
            )
            verdict = judge(None if row is None else bool(row[0]), direction)
            sql = session.dialect.upsert("presence", ("site", "plate", "inside", "last_event_id", "updated_at"),
                                         ("site", "plate"), ("inside", "last_event_id", "updated_at"))
            session.execute(sql, (site, plate, direction == Direction.ENTERING, event_id, moment))
            return verdict

        return self.database.run(work)

    def state(self, site: str, plate: str) -> PresenceState | None:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one(
                "SELECT site, plate, inside, last_event_id, updated_at FROM presence WHERE site = ? AND plate = ?",
                (site, plate),
            )
        if row is None:
            return None
        return PresenceState(str(row[0]), str(row[1]), bool(row[2]), row[3], self.database.dialect.time_value(row[4]))

    def reset(self, site: str, plate: str) -> bool:
        """Forget the plate's state (an operator correcting a missed read); True when there was one."""
        with self.database.transaction() as session:
            return session.execute("DELETE FROM presence WHERE site = ? AND plate = ?", (site, plate)) > 0


def _check(site: str, plate: str, event_id: str | None) -> None:
    if not site or len(site) > MAX_SITE:
        raise InvalidRecord(f"site must be 1..{MAX_SITE} characters")
    if not plate or len(plate) > MAX_PLATE:
        raise InvalidRecord(f"plate must be 1..{MAX_PLATE} characters")
    if event_id is not None and len(event_id) > 36:
        raise InvalidRecord("event_id is at most 36 characters")
