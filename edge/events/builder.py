"""EventBuilder: a tracked vehicle and its access decision made into the PlateEvent sent to the outbox.

Pure apart from the id factory: no I/O, no clock (``decided_at`` comes with the call or is the read's
``last_seen``). One track gets one event id (UUIDv7) for its ``decided`` (revision 1) and ``final``
(revision 2) stages; the map from track id to event id is bounded and forgets a track after its final.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping

from edge.domain import PlateEvent, Presence, VehicleRead
from edge.events.decision import AccessDecision
from edge.events.ids import uuid7

DECIDED, FINAL = "decided", "final"
REVISIONS = {DECIDED: 1, FINAL: 2}


class EventBuilder:
    """Builds the events of one site. Not thread-safe: give each processing thread its own, or lock."""

    def __init__(self, site: str, models: Mapping[str, str], *, id_factory: Callable[[], str] = uuid7,
                 max_tracks: int = 4096) -> None:
        self.site = site
        self.models = dict(models)
        self._new_id = id_factory
        self._max_tracks = max_tracks
        self._ids: OrderedDict[str, str] = OrderedDict()  # track id -> event id, until the track's final
        self._decided: set[str] = set()  # track ids whose decided event was built (a subset of _ids)

    def event_id(self, track_id: str) -> str:
        """The event id of a track (made on first use)."""
        event_id = self._ids.get(track_id)
        if event_id is None:
            event_id = self._ids[track_id] = self._new_id()
            while len(self._ids) > self._max_tracks:
                self._decided.discard(self._ids.popitem(last=False)[0])
        return event_id

    def has_decided(self, track_id: str) -> bool:
        """Whether a decided event was built for this track (and its final is still to come). Asking for
        the track's ``event_id`` first (for snapshot paths) does not count as deciding."""
        return track_id in self._decided

    def build(self, read: VehicleRead, decision: AccessDecision, presence: Presence, *, snapshot: str | None = None,
              crop: str | None = None, stage: str | None = None, decided_at: float | None = None) -> PlateEvent:
        """One event of ``read``'s track; ``stage`` defaults to "final" for a final read, else "decided"."""
        stage = stage or (FINAL if read.final else DECIDED)
        if stage not in REVISIONS:
            raise ValueError(f"stage must be {DECIDED!r} or {FINAL!r}, got {stage!r}")
        event_id = self.event_id(read.track_id)
        if stage == FINAL:
            self._ids.pop(read.track_id, None)
            self._decided.discard(read.track_id)
        else:
            self._decided.add(read.track_id)
        return PlateEvent(
            event_id=event_id, stage=stage, revision=REVISIONS[stage], site=self.site, camera=read.camera,
            direction=read.direction, plate=read.text, confidence=read.confidence,
            char_confidences=read.char_confidences, candidates=read.candidates, region=read.region,
            match=decision.list_match, open_barrier=decision.open_barrier, reason=decision.reason,
            presence=presence, first_seen=read.first_seen,
            decided_at=read.last_seen if decided_at is None else decided_at,
            snapshot=snapshot, crop=crop, models=dict(self.models),
        )

    def events_for(self, read: VehicleRead, decision: AccessDecision, presence: Presence, *,
                   snapshot: str | None = None, crop: str | None = None,
                   decided_at: float | None = None) -> list[PlateEvent]:
        """The events to send for one tracker output: [decided], [final], or [decided, final] for a
        track that ended without an early decision (both with the same event id)."""
        events = []
        if read.final and not self.has_decided(read.track_id):
            events.append(self.build(read, decision, presence, snapshot=snapshot, crop=crop, stage=DECIDED,
                                     decided_at=decided_at))
        events.append(self.build(read, decision, presence, snapshot=snapshot, crop=crop, decided_at=decided_at))
        return events
