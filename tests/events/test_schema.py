"""The published event matches its documented JSON schema (edge/events/event.schema.json)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from edge.domain import EVENT_SCHEMA_VERSION, ListMatch, PlateEvent
from edge.events.ids import uuid7
from tests.storage.factories import make_event

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "edge" / "events" / "event.schema.json").read_text())


def _validate(payload: dict[str, object]) -> None:
    jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())


def test_schema_is_valid_and_versioned() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"]["const"] == EVENT_SCHEMA_VERSION


@pytest.mark.parametrize("stage", ["decided", "final"])
def test_events_match_the_schema(stage: str) -> None:
    match = ListMatch("allow", "B123ABC", "Ana Pop", 0.25, "B123A8C")
    event = make_event(event_id=uuid7(), stage=stage, revision=1 if stage == "decided" else 2, match=match,
                       open_barrier=True)
    _validate(event.to_dict())
    _validate({**event.to_dict(), "published_at": "2026-11-26T12:00:00.000Z"})  # as the MQTT sink sends it
    assert PlateEvent.from_dict(event.to_dict()).to_dict() == event.to_dict()


def test_schema_rejects_what_a_consumer_could_not_rely_on() -> None:
    good = make_event(event_id=uuid7()).to_dict()
    for bad in ({**good, "direction": "sideways"}, {**good, "extra": 1}, {**good, "event_id": "not-a-uuid"},
                {**good, "plate": "b12 abc"}, {k: v for k, v in good.items() if k != "decided_at"}):
        with pytest.raises(jsonschema.ValidationError):
            _validate(bad)


def test_event_without_snapshot_matches() -> None:
    event = replace(make_event(event_id=uuid7()), snapshot=None, crop=None, match=None)
    _validate(event.to_dict())
