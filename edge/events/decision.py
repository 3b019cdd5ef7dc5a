"""The access decision: whether the barrier opens for a matched plate, and why.

Rules, in order:

1. A deny match as close as the allow match (or with no allow match) whose entry is in force here and
   now (gates include the camera or are empty, directions include the direction, inside its validity
   dates and weekly hours) closes: ``denied``. Deny entries not in force are ignored.
2. An allow match opens when any of its entries (all entries of that plate) is in force: ``allowed``.
   When none is, the reason is that of the entry that got furthest through the checks, which run in
   this order: gates and directions (``wrong_direction``), validity dates (``expired``), weekly hours
   (``outside_hours``).
3. Otherwise: closed, ``unknown``.

Watch entries never open: a watch hit in force is reported separately (``watch``) for alerts, whatever
the decision. An UNKNOWN direction satisfies any ``directions``: a camera that cannot tell cannot
enforce it (use entry/exit cameras where direction matters).

Times: ``when`` is the site's local time. Naive validity bounds and weekly windows are compared with its
wall clock; bounds with an offset are compared as instants (a naive ``when`` is taken as this machine's
local time). A date as ``valid_from`` starts at 00:00, as ``valid_until`` it lasts through 23:59:59.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from edge.domain import AccessReason, Direction, ListMatch
from edge.events.matching import ListMatches, PlateMatch
from edge.settings.plate_lists import PlateEntry, bound

# the further a refused entry got through the checks, the more its reason says
_REFUSALS = (AccessReason.WRONG_DIRECTION, AccessReason.EXPIRED, AccessReason.OUTSIDE_HOURS)


@dataclass(frozen=True)
class AccessDecision:
    """Whether to open, why, the allow/deny match it rests on, and a watch hit in force (for alerts)."""

    open_barrier: bool
    reason: AccessReason
    match: PlateMatch | None = None
    watch: PlateMatch | None = None

    @property
    def list_match(self) -> ListMatch | None:
        """What the event reports: the allow/deny match, else the watch hit, else None."""
        shown = self.match or self.watch
        return shown.as_list_match() if shown is not None else None


def _compare(moment: datetime, when: datetime) -> datetime:
    """``when`` in the form that compares with ``moment`` (wall clock for naive, instant for aware)."""
    if moment.tzinfo is None:
        return when.replace(tzinfo=None)
    return when if when.tzinfo is not None else when.astimezone()


def refusal(entry: PlateEntry, camera: str, direction: Direction, when: datetime) -> AccessReason | None:
    """Why ``entry`` is not in force for this camera, direction and time; None when it is."""
    if entry.gates and camera not in entry.gates:
        return AccessReason.WRONG_DIRECTION
    if direction != Direction.UNKNOWN and entry.directions not in ("both", direction.value):
        return AccessReason.WRONG_DIRECTION
    if entry.valid_from is not None:
        start = bound(entry.valid_from, end=False)
        if _compare(start, when) < start:
            return AccessReason.EXPIRED
    if entry.valid_until is not None:
        end = bound(entry.valid_until, end=True)
        if _compare(end, when) > end:
            return AccessReason.EXPIRED
    if entry.hours and not any(window.contains(when) for window in entry.hours):
        return AccessReason.OUTSIDE_HOURS
    return None


def in_force(found: PlateMatch | None, camera: str, direction: Direction, when: datetime) -> bool:
    return found is not None and any(refusal(e, camera, direction, when) is None for e in found.entries)


def _leading(found: PlateMatch, entry: PlateEntry) -> PlateMatch:
    """The match with the entry the decision rests on first (its name is the one reported)."""
    return replace(found, entries=(entry, *(e for e in found.entries if e is not entry)))


def decide(matches: ListMatches, camera: str, direction: Direction, when: datetime) -> AccessDecision:
    """Apply the rules above (pure: the same inputs always give the same decision)."""
    watch = matches.watch if in_force(matches.watch, camera, direction, when) else None
    deny, allow = matches.deny, matches.allow
    if deny is not None and (allow is None or deny.distance <= allow.distance):
        for entry in deny.entries:
            if refusal(entry, camera, direction, when) is None:
                return AccessDecision(False, AccessReason.DENIED, _leading(deny, entry), watch)
    if allow is None:
        return AccessDecision(False, AccessReason.UNKNOWN, None, watch)
    refused = []
    for entry in allow.entries:
        reason = refusal(entry, camera, direction, when)
        if reason is None:
            return AccessDecision(True, AccessReason.ALLOWED, _leading(allow, entry), watch)
        refused.append((_REFUSALS.index(reason), reason, entry))
    _, worst, entry = max(refused, key=lambda r: r[0])
    return AccessDecision(False, worst, _leading(allow, entry), watch)
