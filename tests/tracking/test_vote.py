from __future__ import annotations

import math
from dataclasses import replace

import pytest

from edge.domain import PlateRead
from edge.tracking.vote import VoteResult, VoteTally
from tests.tracking.helpers import read


def vote(*reads: PlateRead, top_k: int = 3) -> VoteResult:
    tally = VoteTally()
    for r in reads:
        tally.add(r)
    result = tally.result(top_k)
    assert result is not None
    return result


def test_noisy_reads_vote_position_by_position() -> None:
    result = vote(read("B58DTK"), read("858DTK"), read("B58DT"), read("B5BDTK"))
    assert result is not None
    assert result.text == "B58DTK"
    assert result.candidates[0].text == "B58DTK"
    assert len(result.candidates) == 3
    texts = [c.text for c in result.candidates]
    assert len(set(texts)) == 3
    assert all(0 <= c.score <= 1 for c in result.candidates)
    assert sum(c.score for c in result.candidates) <= 1 + 1e-9
    assert len(result.char_confidences) == 6
    assert result.agreeing == 1


def test_dropped_last_character_loses_the_length_vote() -> None:
    result = vote(read("B58DTK"), read("B58DT"), read("B58DTK"), read("B58DT"), read("B58DTK"))
    assert result is not None
    assert result.text == "B58DTK"
    assert "B58DT" in [c.text for c in result.candidates]
    assert result.candidates[0].score == pytest.approx(0.6)
    assert result.agreeing == 3


def test_confident_characters_outvote_unsure_ones() -> None:
    sure = read("B58DTK", chars=[0.95] * 6)
    unsure = read("B58DTX", chars=[0.95] * 5 + [0.2])
    result = vote(sure, unsure)
    assert result is not None and result.text == "B58DTK"


def test_format_matched_read_weighs_more() -> None:
    formatted = read("B58DTK", region="RO")
    unformatted = read("B58DTX", region="")
    assert vote(formatted, unformatted).text == "B58DTK"
    assert vote(unformatted, formatted).text == "B58DTK"
    assert vote(formatted, unformatted).region == "RO"


def test_agreeing_reads_score_one() -> None:
    result = vote(read("B58DTK"), read("B58DTK"))
    assert result is not None
    assert result.candidates == result.candidates[:1]
    assert result.candidates[0].score == pytest.approx(1.0)
    assert result.confidence == pytest.approx(0.85)
    assert result.formatted_confidence == pytest.approx(0.85)


def test_junk_does_not_vote() -> None:
    tally = VoteTally()
    assert not tally.add(read("AB"))
    assert not tally.add(read("", chars=[]))
    assert not tally.add(read("B58DTK", confidence=0.0))
    assert tally.reads == 0
    assert tally.result() is None


def test_hostile_confidences_are_clamped() -> None:
    result = vote(read("B58DTK", chars=[math.nan, 2.0, -1.0, 0.5, 0.5, 0.5], detector=math.inf))
    assert result is not None
    assert result.text == "B58DTK"
    assert all(0 <= c <= 1 for c in result.char_confidences)


def test_missing_character_boxes_use_the_read_confidence() -> None:
    plain = read("B58DTK", confidence=0.7)
    result = vote(replace(plain, chars=()))
    assert result is not None and result.char_confidences == pytest.approx((0.7,) * 6)


def test_many_distinct_texts_stay_bounded() -> None:
    tally = VoteTally(max_texts=8)
    for i in range(500):
        tally.add(read(f"AB{i:04d}"))
    assert len(tally._texts) <= 8
    result = tally.result(5)
    assert result is not None and len(result.candidates) == 5
