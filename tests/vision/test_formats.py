import pytest

from edge.vision.formats import PlateFormat, apply_formats, default_formats, twin_of, validate_pattern

RO = (PlateFormat("RO", ("LDDLLL", "LDDDLLL", "LLDDLLL")),)
DE = (PlateFormat("DE", ("L{1,3}L{1,2}D{1,4}",)),)


def test_exact_match_makes_no_change() -> None:
    match = apply_formats("B58DTK", RO)
    assert (match.text, match.region, match.substitutions) == ("B58DTK", "RO", 0)


@pytest.mark.parametrize(
    ("read", "expected"),
    [("858DTK", "B58DTK"), ("B5BDTK", "B58DTK"), ("B58D71", None), ("TR95XM1", "TR95XMI"), ("B02YK0", "B02YKO")],
)
def test_confusions_resolved_where_the_pattern_demands(read: str, expected: str | None) -> None:
    match = apply_formats(read, RO)
    if expected is None:
        assert match.region == "" and match.text == read
    else:
        assert match.text == expected and match.region == "RO"


def test_all_six_confusions_both_ways() -> None:
    fmt = (PlateFormat("X", ("LLLLLLDDDDDD",)),)
    assert apply_formats("018526OIBSZG", fmt, max_substitutions=12).text == "OIBSZG018526"


def test_never_inserts_or_deletes() -> None:
    assert apply_formats("B58DT", RO).text == "B58DT"
    assert apply_formats("B58DTKKK", RO).region == ""


def test_too_many_swaps_are_refused() -> None:
    assert apply_formats("8580TK", RO, max_substitutions=1).region == ""


def test_counted_patterns_expand() -> None:
    assert apply_formats("MSAB1234", DE).region == "DE"
    assert apply_formats("M5AB1234", DE).text == "MSAB1234"


def test_fewest_swaps_wins_over_list_order() -> None:
    formats = (PlateFormat("A", ("DDDDDD",)), PlateFormat("B", ("LDDLLL",)))
    assert apply_formats("B58DTK", formats).region == "B"


def test_bad_pattern_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="X9"):
        validate_pattern("X9")
    validate_pattern("L{1,3}D{2}")


def test_default_formats_parse() -> None:
    for fmt in default_formats():
        for pattern in fmt.patterns:
            validate_pattern(pattern)


def test_a_swap_needs_the_reader_to_have_scored_the_twin() -> None:
    # "TR95XM1": the reader gave "I" 0.3 beside its "1", so the RO pattern may swap it.
    unsure = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3]
    assert apply_formats("TR95XM1", RO, twin_scores=unsure, min_twin_score=0.1).text == "TR95XMI"
    # Sure of its "1": the read is left as it is and matches no pattern.
    sure = [0.0] * 7
    match = apply_formats("TR95XM1", RO, twin_scores=sure, min_twin_score=0.1)
    assert (match.text, match.region) == ("TR95XM1", "")


def test_a_read_that_fits_without_swaps_ignores_twin_scores() -> None:
    assert apply_formats("B58DTK", RO, twin_scores=[0.0] * 6, min_twin_score=0.5).region == "RO"


def test_only_the_scored_characters_may_swap() -> None:
    # Two swaps would fit "858DT1" to LDDLLL... only the first is allowed, so the match fails.
    scores = [0.4, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert apply_formats("858DTK", RO, twin_scores=scores, min_twin_score=0.1).text == "B58DTK"
    assert apply_formats("858DT1", RO, twin_scores=scores, min_twin_score=0.1).region == ""


def test_twin_scores_must_match_the_text() -> None:
    with pytest.raises(ValueError, match="2 twin scores for 6"):
        apply_formats("B58DTK", RO, twin_scores=[0.1, 0.2])


def test_twin_of() -> None:
    assert [twin_of(c) for c in "0O1I8B5S2Z6GDQX"] == [*"O0I1B8S5Z2G6", "0", "0", None]
