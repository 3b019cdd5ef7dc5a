"""EventRecorder and the live feed: an event is published once the outbox holds it, never when it was lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.events.feed import EventFeed
from edge.events.matching import PlateMatcher
from edge.events.outbox import EventOutbox
from edge.pipeline import EventRecorder
from edge.settings.plate_lists import PlateLists
from edge.settings.storage import SnapshotSettings
from tests.events.test_builder import vehicle


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[EventOutbox]:
    box = EventOutbox(tmp_path / "outbox.sqlite3", ["history"])
    yield box
    box.close()


def recorder(outbox: EventOutbox, feed: EventFeed) -> EventRecorder:
    matcher = PlateMatcher(PlateLists())
    return EventRecorder("site-1", outbox, lambda: matcher, {}, SnapshotSettings(), feed=feed)


def test_stored_events_are_published_in_order(outbox: EventOutbox) -> None:
    feed = EventFeed()
    with feed.subscribe() as subscription:
        made = recorder(outbox, feed).record(vehicle(final=True))
        published = [subscription.get(1.0) for _ in made]
        assert subscription.get(0.0) is None
    assert [e.stage for e in made] == ["decided", "final"] and published == made
    assert [i.event.event_id for i in outbox.pending("history")] == [e.event_id for e in made]


def test_an_event_the_outbox_could_not_store_is_not_published(outbox: EventOutbox) -> None:
    feed = EventFeed()
    events = recorder(outbox, feed)
    outbox.close()  # every put fails now
    with feed.subscribe() as subscription:
        events.record(vehicle())
        assert subscription.get(0.0) is None
    assert events.lost == 1 and events.stored == 0 and feed.published == 0
