"""Anti-passback state on SQLite and MariaDB: transitions, sites, concurrent gates."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from edge.domain import Direction, Presence
from edge.storage.database import Database
from edge.storage.errors import InvalidRecord
from edge.storage.migrations import migrate
from edge.storage.presence import PresenceRepository, judge


@pytest.fixture
def presence(database_url: str) -> Iterator[PresenceRepository]:
    db = Database.from_url(database_url, create_database=True, pool_size=8)
    migrate(db)
    yield PresenceRepository(db)
    db.close()


def test_judge_table() -> None:
    assert judge(None, Direction.ENTERING) == Presence.NORMAL
    assert judge(False, Direction.ENTERING) == Presence.NORMAL
    assert judge(True, Direction.ENTERING) == Presence.ALREADY_INSIDE
    assert judge(True, Direction.LEAVING) == Presence.NORMAL
    assert judge(False, Direction.LEAVING) == Presence.NOT_INSIDE
    assert judge(None, Direction.LEAVING) == Presence.UNKNOWN
    assert judge(True, Direction.UNKNOWN) == Presence.UNKNOWN


def test_transitions_are_judged_and_recorded(presence: PresenceRepository) -> None:
    site, plate = "hq", "B123ABC"
    assert presence.apply(site, plate, Direction.LEAVING) == Presence.UNKNOWN  # never seen: no state kept
    assert presence.apply(site, plate, Direction.LEAVING) == Presence.NOT_INSIDE
    assert presence.apply(site, plate, Direction.ENTERING, event_id="e1") == Presence.NORMAL
    assert presence.apply(site, plate, Direction.ENTERING, event_id="e2") == Presence.ALREADY_INSIDE
    assert presence.apply(site, plate, Direction.UNKNOWN, event_id="e3") == Presence.UNKNOWN
    state = presence.state(site, plate)
    assert state is not None and state.inside and state.last_event_id == "e2"  # unknown changed nothing
    assert presence.apply(site, plate, Direction.LEAVING, event_id="e4", at=1_800_000_000.5) == Presence.NORMAL
    state = presence.state(site, plate)
    assert state is not None and not state.inside and state.last_event_id == "e4"
    assert state.updated_at is not None and state.updated_at.timestamp() == pytest.approx(1_800_000_000.5)
    assert presence.apply("other-site", plate, Direction.LEAVING) == Presence.UNKNOWN  # sites are separate
    assert presence.reset(site, plate) is True and presence.state(site, plate) is None
    assert presence.reset(site, plate) is False


@pytest.mark.parametrize(
    ("site", "plate"), [("", "B1"), ("s" * 65, "B1"), ("hq", ""), ("hq", "P" * 21)]
)
def test_bad_keys_are_refused(presence: PresenceRepository, site: str, plate: str) -> None:
    with pytest.raises(InvalidRecord):
        presence.apply(site, plate, Direction.ENTERING)


def test_hostile_plate_text_is_a_plain_key(presence: PresenceRepository) -> None:
    plate = "'; DROP TABLE p;--"
    assert presence.apply("hq", plate, Direction.ENTERING) == Presence.NORMAL
    assert presence.apply("hq", plate, Direction.ENTERING) == Presence.ALREADY_INSIDE
    assert presence.state("hq", "x") is None


def test_two_gates_at_once_see_one_consistent_state(presence: PresenceRepository) -> None:
    results: list[Presence] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def gate() -> None:
        try:
            barrier.wait()
            results.append(presence.apply("hq", "RACE1", Direction.ENTERING))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=gate, name=f"gate-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == sorted([Presence.NORMAL] + [Presence.ALREADY_INSIDE] * 3)
