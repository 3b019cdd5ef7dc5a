from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from edge.domain import AccessReason, Direction, PlateCandidate
from edge.events.decision import AccessDecision, decide, refusal
from edge.events.matching import PlateMatcher
from edge.settings.plate_lists import PlateEntry, PlateLists

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0)


def entry(plate: str = "B58DTK", **fields: object) -> PlateEntry:
    return PlateEntry.model_validate({"plate": plate, "name": "x"} | fields)


def decision(lists: PlateLists, text: str = "B58DTK", camera: str = "front", direction: Direction = Direction.ENTERING,
             when: datetime = WEDNESDAY_NOON) -> AccessDecision:
    matches = PlateMatcher(lists).match_all([PlateCandidate(text, 1.0)], camera)
    return decide(matches, camera, direction, when)


def test_allowed_opens() -> None:
    result = decision(PlateLists(allow=(entry(),)))
    assert (result.open_barrier, result.reason) == (True, AccessReason.ALLOWED)
    assert result.list_match is not None and result.list_match.list_name == "allow"


def test_unknown_stays_closed() -> None:
    result = decision(PlateLists(allow=(entry("CJ01ABC"),)))
    assert (result.open_barrier, result.reason, result.match, result.list_match) == (False, AccessReason.UNKNOWN,
                                                                                       None, None)


def test_denied_wins_over_allow() -> None:
    result = decision(PlateLists(allow=(entry(),), deny=(entry(),)))
    assert (result.open_barrier, result.reason) == (False, AccessReason.DENIED)
    assert result.match is not None and result.match.list_name == "deny"


def test_deny_not_in_force_falls_back_to_allow() -> None:
    lists = PlateLists(allow=(entry(),), deny=(entry(directions="leaving"),))
    assert decision(lists).reason == AccessReason.ALLOWED
    assert decision(lists, direction=Direction.LEAVING).reason == AccessReason.DENIED
    night_ban = PlateLists(deny=(entry(hours=["daily 22:00-06:00"]),))
    assert decision(night_ban).reason == AccessReason.UNKNOWN
    assert decision(night_ban, when=datetime(2026, 11, 25, 23, 0)).reason == AccessReason.DENIED


def test_farther_deny_does_not_block_an_exact_allow() -> None:
    lists = PlateLists(allow=(entry("B58DTK"),), deny=(entry("B58DTX"),))
    assert decision(lists).reason == AccessReason.ALLOWED
    assert decision(lists, text="B58DTX").reason == AccessReason.DENIED


@pytest.mark.parametrize(("fields", "when", "reason"), [
    ({"valid_until": date(2026, 11, 24)}, WEDNESDAY_NOON, AccessReason.EXPIRED),
    ({"valid_from": date(2026, 11, 26)}, WEDNESDAY_NOON, AccessReason.EXPIRED),
    ({"valid_until": date(2026, 11, 25)}, datetime(2026, 11, 25, 23, 59, 59), AccessReason.ALLOWED),
    ({"valid_from": date(2026, 11, 25)}, datetime(2026, 11, 25, 0, 0), AccessReason.ALLOWED),
    ({"valid_until": datetime(2026, 11, 25, 11, 59)}, WEDNESDAY_NOON, AccessReason.EXPIRED),
    ({"valid_from": datetime(2026, 11, 25, 11, 0), "valid_until": datetime(2026, 11, 25, 13, 0)}, WEDNESDAY_NOON,
     AccessReason.ALLOWED),
    ({"hours": ["mon-fri 07:00-11:00"]}, WEDNESDAY_NOON, AccessReason.OUTSIDE_HOURS),
    ({"hours": ["mon-fri 07:00-11:00", "wed 11:30-12:30"]}, WEDNESDAY_NOON, AccessReason.ALLOWED),
    ({"hours": ["sat,sun 00:00-24:00"]}, WEDNESDAY_NOON, AccessReason.OUTSIDE_HOURS),
    ({"hours": ["tue 22:00-06:00"]}, datetime(2026, 11, 25, 5, 0), AccessReason.ALLOWED),  # from Tuesday night
    ({"hours": ["tue 22:00-06:00"]}, datetime(2026, 11, 25, 6, 0), AccessReason.OUTSIDE_HOURS),
    ({"hours": ["wed 22:00-06:00"]}, datetime(2026, 11, 25, 5, 0), AccessReason.OUTSIDE_HOURS),
    ({"gates": ["garage"]}, WEDNESDAY_NOON, AccessReason.WRONG_DIRECTION),
    ({"gates": ["garage", "front"]}, WEDNESDAY_NOON, AccessReason.ALLOWED),
    ({"directions": "leaving"}, WEDNESDAY_NOON, AccessReason.WRONG_DIRECTION),
    ({"directions": "entering"}, WEDNESDAY_NOON, AccessReason.ALLOWED),
])
def test_allow_entry_reasons(fields: dict[str, object], when: datetime, reason: AccessReason) -> None:
    result = decision(PlateLists(allow=(entry("B58DTK", **fields),)), when=when)
    assert result.reason == reason
    assert result.open_barrier is (reason == AccessReason.ALLOWED)
    assert result.match is not None


def test_unknown_direction_satisfies_any_directions() -> None:
    lists = PlateLists(allow=(entry(directions="entering"),))
    assert decision(lists, direction=Direction.UNKNOWN).reason == AccessReason.ALLOWED
    assert decision(lists, direction=Direction.LEAVING).reason == AccessReason.WRONG_DIRECTION


def test_any_entry_of_the_plate_may_allow_and_the_furthest_refusal_is_reported() -> None:
    lists = PlateLists(allow=(entry(gates=["garage"]), entry(hours=["mon 07:00-08:00"]),
                              entry(valid_until=date(2020, 1, 1))))
    assert decision(lists).reason == AccessReason.OUTSIDE_HOURS
    lists = PlateLists(allow=(entry(gates=["garage"], name="garage pass"), entry(hours=["wed 07:00-19:00"],
                                                                                  name="day pass")))
    result = decision(lists)
    assert result.reason == AccessReason.ALLOWED
    assert result.list_match is not None and result.list_match.name == "day pass"
    lists = PlateLists(allow=(entry(gates=["garage"]), entry(valid_until=date(2020, 1, 1))))
    assert decision(lists).reason == AccessReason.EXPIRED


def test_watch_never_opens_and_is_reported_separately() -> None:
    watched = PlateLists(watch=(entry(),))
    result = decision(watched)
    assert (result.open_barrier, result.reason) == (False, AccessReason.UNKNOWN)
    assert result.watch is not None and result.match is None
    assert result.list_match is not None and result.list_match.list_name == "watch"
    both = decision(PlateLists(allow=(entry(),), watch=(entry(),)))
    assert both.open_barrier and both.watch is not None
    assert both.list_match is not None and both.list_match.list_name == "allow"
    quiet = decision(PlateLists(watch=(entry(hours=["sun 00:00-01:00"]),)))
    assert quiet.watch is None


def test_aware_bounds_and_times() -> None:
    plus_two = timezone(timedelta(hours=2))
    lists = PlateLists(allow=(entry(valid_until=datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),))
    assert decision(lists, when=datetime(2026, 11, 25, 13, 30, tzinfo=plus_two)).reason == AccessReason.ALLOWED
    assert decision(lists, when=datetime(2026, 11, 25, 14, 30, tzinfo=plus_two)).reason == AccessReason.EXPIRED
    naive = PlateLists(allow=(entry(valid_until=datetime(2026, 11, 25, 12, 0)),))  # site wall clock
    assert decision(naive, when=datetime(2026, 11, 25, 11, 30, tzinfo=plus_two)).reason == AccessReason.ALLOWED
    assert decision(lists, when=datetime(2026, 11, 20)).reason == AccessReason.ALLOWED  # naive when: local time


def test_refusal_of_one_entry() -> None:
    assert refusal(entry(), "front", Direction.ENTERING, WEDNESDAY_NOON) is None
    assert refusal(entry(gates=["garage"]), "front", Direction.UNKNOWN, WEDNESDAY_NOON) == \
        AccessReason.WRONG_DIRECTION
