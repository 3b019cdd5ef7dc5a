"""The plate lists file (e.g. config/plates.toml): allow, deny and watch entries, validated.

Each list is an array of tables::

    [[allow]]
    plate = "B 58 DTK"            # upper-cased, spaces and dashes removed: only 0-9 A-Z may remain
    name = "Ana Popescu"
    gates = ["front-gate"]        # camera names it applies to; empty or missing = every camera
    directions = "entering"       # entering, leaving or both (default)
    valid_from = 2026-01-01       # a date (from 00:00) or a datetime
    valid_until = 2026-12-31      # a date (through 23:59:59) or a datetime
    hours = ["mon-fri 07:00-19:00", "sat 08:00-12:00", "fri 22:00-06:00"]  # weekly windows, local time
    note = "visitor"

A window that ends before it starts crosses midnight: "fri 22:00-06:00" runs from Friday 22:00 to
Saturday 06:00. Days are mon..sun, ranges (mon-fri, sat-mon), comma lists (mon,wed,fri) or "daily".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LIST_NAMES = ("allow", "deny", "watch")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_PLATE_LENGTH = 2
MAX_PLATE_LENGTH = 12

_PLATE_CHARS = re.compile(r"[0-9A-Za-z]+")
_WINDOW = re.compile(r"(?P<days>[a-z,*-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})")


def normalise_plate(text: str) -> str:
    """Upper-case with spaces and dashes removed; ``ValueError`` unless only 0-9 A-Z remain."""
    cleaned = re.sub(r"[ \t-]", "", text)
    if not _PLATE_CHARS.fullmatch(cleaned):
        raise ValueError(f"{text!r} has characters other than 0-9 A-Z (spaces and dashes are removed)")
    if not MIN_PLATE_LENGTH <= len(cleaned) <= MAX_PLATE_LENGTH:
        raise ValueError(f"{text!r} must have {MIN_PLATE_LENGTH} to {MAX_PLATE_LENGTH} characters")
    return cleaned.upper()


def _parse_days(text: str) -> frozenset[int]:
    if text in ("daily", "*"):
        return frozenset(range(7))
    days: set[int] = set()
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day {item!r}: use mon..sun, ranges like mon-fri, or daily")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    return frozenset(days)


def _parse_minutes(text: str, allow_24: bool) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59, or 24:00 as an end)")
    return hours * 60 + minutes


@dataclass(frozen=True)
class WeeklyWindow:
    """A weekly time window: on ``days`` (0 = Monday) from ``start`` to ``end`` minutes after midnight.

    ``end <= start`` means the window crosses midnight into the next day.
    """

    days: frozenset[int]
    start: int
    end: int
    text: str  # as written, normalised: "mon-fri 07:00-19:00"

    @classmethod
    def parse(cls, text: str) -> WeeklyWindow:
        found = _WINDOW.fullmatch(text.strip().lower())
        if found is None:
            raise ValueError(f"{text!r} is not a weekly window like 'mon-fri 07:00-19:00'")
        days = _parse_days(found["days"])
        start = _parse_minutes(found["start"], allow_24=False)
        end = _parse_minutes(found["end"], allow_24=True)
        if start == end:
            raise ValueError(f"{text!r} is empty: start and end are the same time")
        normal = f"{found['days']} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
        return cls(days, start, end, normal)

    def contains(self, moment: datetime) -> bool:
        """Whether the wall-clock time of ``moment`` lies in the window."""
        minute = moment.hour * 60 + moment.minute
        day = moment.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= minute < self.end
        return (day in self.days and minute >= self.start) or ((day - 1) % 7 in self.days and minute < self.end)

    def __str__(self) -> str:
        return self.text


def bound(value: date | datetime, end: bool) -> datetime:
    """A validity bound as a datetime: a date starts at 00:00, or (``end``) lasts through the day."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.max if end else time.min)


def _comparable(a: datetime, b: datetime) -> tuple[datetime, datetime]:
    if (a.tzinfo is None) != (b.tzinfo is None):
        return a.replace(tzinfo=None), b.replace(tzinfo=None)
    return a, b


class PlateEntry(BaseModel):
    """One plate on one list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(description="The plate, normalised to 0-9 A-Z (spaces and dashes removed).")
    name: str = Field(default="", max_length=200, description="Who or what the plate belongs to.")
    gates: tuple[str, ...] = Field(default=(), max_length=64, description="Camera names it applies to; empty = all.")
    directions: Literal["entering", "leaving", "both"] = Field(default="both", description="Which way it applies to.")
    valid_from: datetime | date | None = Field(default=None, description="First day (or moment) it applies.")
    valid_until: datetime | date | None = Field(default=None, description="Last day (or moment) it applies.")
    hours: tuple[WeeklyWindow, ...] = Field(default=(), max_length=64, description="Weekly windows; empty = always.")
    note: str = Field(default="", max_length=2000, description="Free text.")

    @field_validator("plate", mode="before")
    @classmethod
    def _normalise_plate(cls, value: Any) -> Any:
        return normalise_plate(value) if isinstance(value, str) else value

    @field_validator("gates")
    @classmethod
    def _gates_named(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(gate.strip() for gate in value)
        if any(not name or len(name) > 100 for name in names):
            raise ValueError("gate names must be 1 to 100 characters")
        return names

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _parse_moment(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("hours must be a list of windows like ['mon-fri 07:00-19:00']")
        if isinstance(value, list | tuple):
            return tuple(_window(i, item) for i, item in enumerate(value))
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> PlateEntry:
        if self.valid_from is not None and self.valid_until is not None:
            start, end = _comparable(bound(self.valid_from, end=False), bound(self.valid_until, end=True))
            if start > end:
                raise ValueError(f"valid_from {self.valid_from} is after valid_until {self.valid_until}")
        return self


def _window(index: int, item: Any) -> WeeklyWindow:
    if isinstance(item, WeeklyWindow):
        return item
    if not isinstance(item, str):
        raise ValueError(f"item {index}: a window must be a string like 'mon-fri 07:00-19:00', got {item!r}")
    try:
        return WeeklyWindow.parse(item)
    except ValueError as exc:
        raise ValueError(f"item {index}: {exc}") from None


class PlateLists(BaseModel):
    """The three lists of one file (immutable: a reload makes a new one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow: tuple[PlateEntry, ...] = Field(default=(), description="Plates that open the barrier.")
    deny: tuple[PlateEntry, ...] = Field(default=(), description="Plates that never open it (deny wins over allow).")
    watch: tuple[PlateEntry, ...] = Field(default=(), description="Plates to alert on; they do not open by themselves.")

    def entries(self, list_name: str) -> tuple[PlateEntry, ...]:
        if list_name not in LIST_NAMES:
            raise ValueError(f"no plate list {list_name!r}: use one of {', '.join(LIST_NAMES)}")
        entries: tuple[PlateEntry, ...] = getattr(self, list_name)
        return entries

    def __len__(self) -> int:
        return len(self.allow) + len(self.deny) + len(self.watch)


class PlateListSettings(BaseModel):
    """Where the plate lists live and how reads are matched against them."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(default=Path("plates.toml"),
                       description="The plate lists TOML file (allow, deny, watch); a relative path is relative to "
                                   "the configuration file's folder, or to the data directory without one.")
    max_distance: float = Field(default=1.0, ge=0, le=2,
                                description="Largest confusion-aware edit distance that still matches an entry.")
    confusion_cost: float = Field(default=0.25, ge=0, le=1,
                                  description="Cost of swapping look-alikes (O/0, I/1, B/8, S/5, Z/2, G/6, D/0, Q/O).")
    reload_debounce_s: float = Field(default=0.5, ge=0, le=60,
                                     description="Wait after a change before reloading the file.")
    max_file_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description="Larger plate files are refused.")


# ---------------------------------------------------------------------------------------------
# Writing the same format back (no third-party TOML writer needed for this schema)
# ---------------------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as is (UTF-8)."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _entry_lines(entry: PlateEntry) -> list[str]:
    lines = [f"plate = {toml_string(entry.plate)}", f"name = {toml_string(entry.name)}"]
    if entry.gates:
        lines.append(f"gates = [{', '.join(toml_string(g) for g in entry.gates)}]")
    if entry.directions != "both":
        lines.append(f"directions = {toml_string(entry.directions)}")
    for key in ("valid_from", "valid_until"):
        value = getattr(entry, key)
        if value is not None:
            lines.append(f"{key} = {value.isoformat()}")
    if entry.hours:
        lines.append(f"hours = [{', '.join(toml_string(w.text) for w in entry.hours)}]")
    if entry.note:
        lines.append(f"note = {toml_string(entry.note)}")
    return lines


def render_plate_lists(lists: PlateLists) -> str:
    """The lists as TOML in the documented format (loading it gives back equal lists)."""
    lines = ["# CarWatch Edge plate lists: [[allow]], [[deny]] and [[watch]] entries (see plates.example.toml)."]
    for list_name in LIST_NAMES:
        for entry in lists.entries(list_name):
            lines += ["", f"[[{list_name}]]", *_entry_lines(entry)]
    return "\n".join(lines) + "\n"
