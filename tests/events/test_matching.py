from __future__ import annotations

import math
import random

import pytest

from edge.domain import ListMatch, PlateCandidate
from edge.events.matching import Confusions, ListMatches, PlateMatcher, match, plate_distance
from edge.settings.plate_lists import PlateEntry, PlateLists


def entry(plate: str, name: str = "", **fields: object) -> PlateEntry:
    return PlateEntry.model_validate({"plate": plate, "name": name or plate, **fields})


def candidates(*texts: str) -> list[PlateCandidate]:
    return [PlateCandidate(t, 1.0 / (i + 1)) for i, t in enumerate(texts)]


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("B58DTK", "B58DTK", 0.0),
    ("B58DTK", "858DTK", 0.25),  # B/8
    ("CJ01ABC", "CJOIABC", 0.5),  # 0/O and 1/I
    ("B58DTK", "B58DTX", 1.0),  # K/X are not look-alikes
    ("B58DTK", "B58DT", 1.0),  # a deletion
    ("B58DTK", "B58DTKK", 1.0),  # an insertion
    ("D0Q", "00O", 0.5),  # D/0 and Q/O
    ("S2G", "5Z6", 0.75),
    ("", "ABC", 3.0),
])
def test_confusions_cost_less(a: str, b: str, expected: float) -> None:
    assert plate_distance(a, b) == pytest.approx(expected)
    assert plate_distance(b, a) == pytest.approx(expected)


def test_cost_is_configurable_and_limit_stops_early() -> None:
    assert plate_distance("B58DTK", "858DTK", Confusions(0.5)) == pytest.approx(0.5)
    assert plate_distance("B58DTK", "XXXXXX", limit=1.0) == math.inf
    assert plate_distance("B58DTK", "B5", limit=1.0) == math.inf
    with pytest.raises(ValueError, match="confusion cost"):
        Confusions(2.0)


def test_every_candidate_is_tried_and_the_closest_wins() -> None:
    lists = PlateLists(allow=(entry("B58DTK"),))
    found = match(candidates("B58DTX", "B58DTK"), lists, "gate", 1.0)
    assert found is not None and found.distance == 0 and found.matched_text == "B58DTK"
    assert found.as_list_match() == ListMatch("allow", "B58DTK", "B58DTK", 0.0, "B58DTK")
    confused = match(candidates("858DTK"), lists, "gate", 1.0)
    assert confused is not None and confused.distance == pytest.approx(0.25)


def test_deny_is_not_masked_by_allow() -> None:
    lists = PlateLists(allow=(entry("B58DTK", "friend"),), deny=(entry("B58DTK", "banned"),),
                       watch=(entry("B58DTK", "watched"),))
    matcher = PlateMatcher(lists)
    found = matcher.match(candidates("B58DTK"), "gate")
    assert found is not None and found.list_name == "deny" and found.entries[0].name == "banned"
    everything = matcher.match_all(candidates("B58DTK"), "gate")
    assert everything.allow is not None and everything.watch is not None
    # a deny entry for the read's confusable twin is as close as the allow entry for another twin
    twins = PlateLists(allow=(entry("B58DTK"),), deny=(entry("858DTK"),))
    hit = match(candidates("B58DTK"), twins, "gate", 1.0)
    assert hit is not None and hit.list_name == "allow"  # exact allow beats a deny at 0.25
    hit = match(candidates("B58DTK", "858DTK"), twins, "gate", 1.0)
    assert hit is not None and hit.list_name == "deny"  # both exact for some candidate: deny wins
    hit = match(candidates("S58DTK"), twins, "gate", 1.0)  # S/B is no confusion: 1 from both
    assert hit is not None and hit.list_name == "deny"


def test_max_distance_and_length() -> None:
    lists = PlateLists(allow=(entry("B58DTK"),))
    assert match(candidates("B58DT"), lists, "gate", 1.0) is not None
    assert match(candidates("B58DT"), lists, "gate", 0.5) is None
    assert match(candidates("B5DT"), lists, "gate", 1.0) is None  # two deletions
    assert match(candidates("B5DT"), lists, "gate", 2.0) is not None
    assert match(candidates("858DTK"), lists, "gate", 0.0) is None
    assert match(candidates("8S8DTK"), lists, "gate", 0.5) is not None  # two confusions: 0.5
    with pytest.raises(ValueError, match="max_distance"):
        PlateMatcher(lists, max_distance=3.0)


def test_gates_limit_deny_and_watch_but_allow_still_matches() -> None:
    lists = PlateLists(allow=(entry("B58DTK", gates=["garage"]),), deny=(entry("B02YKD", gates=["garage"]),),
                       watch=(entry("JKS3724", gates=["garage"]),))
    matcher = PlateMatcher(lists)
    front = matcher.match_all(candidates("B58DTK", "B02YKD", "JKS3724"), "front")
    assert front.deny is None and front.watch is None
    assert front.allow is not None and front.allow.plate == "B58DTK"
    garage = matcher.match_all(candidates("B02YKD", "JKS3724"), "garage")
    assert garage.deny is not None and garage.watch is not None


def test_entries_for_this_camera_are_preferred() -> None:
    lists = PlateLists(allow=(entry("B58DTK", "front only", gates=["front"]), entry("B58DTK", "garage only",
                                                                                     gates=["garage"])))
    found = match(candidates("B58DTK"), lists, "garage", 1.0)
    assert found is not None and [e.name for e in found.entries] == ["front only", "garage only"]
    near = PlateLists(allow=(entry("B58DTX", "elsewhere", gates=["front"]), entry("B58DTY", "here")))
    found = match(candidates("B58DTK"), near, "garage", 1.0)
    assert found is not None and found.entries[0].name == "here"


def test_hostile_candidates() -> None:
    lists = PlateLists(allow=(entry("B58DTK"),))
    matcher = PlateMatcher(lists, max_distance=2.0)
    assert matcher.match(candidates("", "-", "ÄÖÜ", "X" * 100_000), "gate") is None
    assert matcher.match(candidates("b58-dtk"), "gate") is not None
    assert matcher.match([], "gate") is None
    assert ListMatches().best is None
    assert matcher.is_listed("B58DTK") and not matcher.is_listed("CJ01ABC")


def brute_force(text: str, plates: list[str], limit: float) -> dict[str, float]:
    found = {p: plate_distance(text, p, limit=limit) for p in plates}
    return {p: d for p, d in found.items() if d <= limit}


@pytest.mark.parametrize("max_distance", [0.5, 1.25, 2.0])
def test_ten_thousand_entries_match_like_brute_force(max_distance: float) -> None:
    rng = random.Random(7)
    alphabet = "ABCDGIOQSZ0125689KTX"
    plates = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(5, 8))) for _ in range(10_000)})
    lists = PlateLists(allow=tuple(entry(p) for p in plates))
    matcher = PlateMatcher(lists, max_distance=max_distance)
    for _ in range(12):
        base = rng.choice(plates)
        text = list(base)
        for _ in range(rng.randint(0, 2)):
            text[rng.randrange(len(text))] = rng.choice(alphabet)
        query = "".join(text)[: rng.randint(4, 8)]
        expected = brute_force(query, plates, max_distance)
        near = dict(matcher.near(query))
        assert near.keys() == expected.keys()
        best = matcher.match(candidates(query), "gate")
        if expected:
            assert best is not None and best.distance == pytest.approx(min(expected.values()))
        else:
            assert best is None
