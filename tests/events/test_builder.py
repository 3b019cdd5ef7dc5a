from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from edge.domain import AccessReason, CameraRole, Direction, PlateCandidate, PlateEvent, Presence, VehicleRead
from edge.events.builder import EventBuilder
from edge.events.decision import AccessDecision, decide
from edge.events.ids import uuid7_time
from edge.events.matching import PlateMatcher
from edge.settings.plate_lists import PlateEntry, PlateLists
from edge.tracking import PlateTracker
from tests.tracking.helpers import frame, read


def vehicle(track_id: str = "t1", final: bool = False, **changes: object) -> VehicleRead:
    fields: dict[str, object] = dict(
        track_id=track_id, camera="front", text="B58DTK", confidence=0.8, char_confidences=(0.8,) * 6,
        candidates=(PlateCandidate("B58DTK", 0.9), PlateCandidate("858DTK", 0.1)), direction=Direction.ENTERING,
        first_seen=1_764_000_000.0, last_seen=1_764_000_001.5, reads=3, final=final, region="RO",
    )
    fields.update(changes)
    return VehicleRead(**fields)  # type: ignore[arg-type]


def allowed() -> AccessDecision:
    lists = PlateLists(allow=(PlateEntry(plate="B58DTK", name="Ana"),))
    found = PlateMatcher(lists).match_all([PlateCandidate("B58DTK", 1.0)], "front")
    return AccessDecision(True, AccessReason.ALLOWED, found.allow)


def test_decided_then_final_share_one_event_id() -> None:
    builder = EventBuilder("site-1", {"plate-reader.onnx": "1.0"})
    decided = builder.build(vehicle(), allowed(), Presence.NORMAL, snapshot="snap/a.jpg", crop="crop/a.jpg")
    final = builder.build(vehicle(final=True, reads=5), allowed(), Presence.NORMAL)
    assert decided.event_id == final.event_id
    assert (decided.stage, decided.revision, final.stage, final.revision) == ("decided", 1, "final", 2)
    assert uuid7_time(decided.event_id) > 1_700_000_000
    assert decided.site == "site-1" and decided.camera == "front" and decided.plate == "B58DTK"
    assert decided.match is not None and decided.match.name == "Ana" and decided.open_barrier
    assert decided.reason == AccessReason.ALLOWED and decided.presence == Presence.NORMAL
    assert decided.snapshot == "snap/a.jpg" and decided.crop == "crop/a.jpg"
    assert decided.decided_at == 1_764_000_001.5 and decided.first_seen == 1_764_000_000.0
    assert decided.models == {"plate-reader.onnx": "1.0"} and decided.region == "RO"
    assert PlateEvent.from_dict(decided.to_dict()).to_dict() == decided.to_dict()


def test_other_tracks_get_other_ids() -> None:
    builder = EventBuilder("site", {})
    a = builder.build(vehicle("a"), allowed(), Presence.UNKNOWN)
    b = builder.build(vehicle("b"), allowed(), Presence.UNKNOWN)
    assert a.event_id != b.event_id


def test_final_without_decision_gives_both_stages() -> None:
    builder = EventBuilder("site", {})
    unknown = AccessDecision(False, AccessReason.UNKNOWN)
    events = builder.events_for(vehicle(final=True), unknown, Presence.UNKNOWN, decided_at=42.0)
    assert [(e.stage, e.revision) for e in events] == [("decided", 1), ("final", 2)]
    assert events[0].event_id == events[1].event_id and events[0].decided_at == 42.0
    assert events[0].match is None and not events[0].open_barrier
    decided = builder.events_for(vehicle("t2"), unknown, Presence.UNKNOWN)
    final = builder.events_for(vehicle("t2", final=True), unknown, Presence.UNKNOWN)
    assert [e.stage for e in decided] == ["decided"] and [e.stage for e in final] == ["final"]
    assert decided[0].event_id == final[0].event_id
    assert not builder.has_decided("t2")  # forgotten after its final


def test_asking_for_the_event_id_first_still_gives_a_decided_event() -> None:
    """The pipeline asks for a track's event id (for its snapshot paths) before building its events."""
    builder = EventBuilder("site", {})
    unknown = AccessDecision(False, AccessReason.UNKNOWN)
    event_id = builder.event_id("t1")
    assert not builder.has_decided("t1")
    events = builder.events_for(vehicle(final=True), unknown, Presence.UNKNOWN)
    assert [(e.stage, e.event_id) for e in events] == [("decided", event_id), ("final", event_id)]


def test_track_map_is_bounded() -> None:
    counter = itertools.count()
    builder = EventBuilder("site", {}, id_factory=lambda: f"id-{next(counter)}", max_tracks=10)
    for i in range(1000):
        builder.build(vehicle(f"t{i}"), allowed(), Presence.NORMAL)
    assert len(builder._ids) == 10
    assert builder.has_decided("t999") and not builder.has_decided("t0")


def test_bad_stage() -> None:
    with pytest.raises(ValueError, match="stage"):
        EventBuilder("site", {}).build(vehicle(), allowed(), Presence.NORMAL, stage="later")


def test_tracker_to_event_end_to_end() -> None:
    lists = PlateLists(allow=(PlateEntry(plate="B58DTK", name="Ana", directions="entering"),))
    matcher = PlateMatcher(lists)
    tracker = PlateTracker("front", CameraRole.ENTRY, is_listed=lambda text: matcher.is_listed(text, "front"))
    builder = EventBuilder("site", {})
    outputs = tracker.update(frame(100.0, "front"), [read("858DTK", confidence=0.6, region="")])
    outputs += tracker.update(frame(100.2, "front"), [read("B58DTK", confidence=0.7)]) + tracker.flush(110.0)
    events = []
    for output in outputs:
        access = decide(matcher.match_all(output.candidates, "front"), "front", output.direction,
                        datetime(2026, 11, 25, 12))
        events += builder.events_for(output, access, Presence.NORMAL)
    assert [e.stage for e in events] == ["decided", "final"]
    assert events[0].open_barrier and events[0].match is not None and events[0].match.distance == 0.25
    assert events[1].plate == "B58DTK" and events[1].open_barrier
    assert len({e.event_id for e in events}) == 1
