"""Which reads of the current reader may lend their boxes to a labelled real crop."""

from edge.training.self_labels import label_classes
from edge.vision.charset import CHARSET

NAMES = list(CHARSET)


def ids(text: str) -> list[int]:
    return [NAMES.index(c) for c in text]


def test_an_exact_read_keeps_its_classes() -> None:
    assert label_classes("B123ABC", "B123ABC", NAMES) == ids("B123ABC")


def test_a_misnamed_character_takes_the_label_class() -> None:
    assert label_classes("KEEPIKN", "KEEPLKN", NAMES) == ids("KEEPLKN")
    assert label_classes("SHE15", "SHEIS", NAMES) == ids("SHEIS")


def test_too_many_misnamed_characters_are_refused() -> None:
    assert label_classes("5HE15", "SHEIS", NAMES) is None
    assert label_classes("5HE15", "SHEIS", NAMES, max_corrections=3) == ids("SHEIS")


def test_a_missed_or_extra_character_is_refused() -> None:
    assert label_classes("TR95XM", "TR95XMI", NAMES) is None
    assert label_classes("JK537241", "JKS3724", NAMES) is None
    assert label_classes("", "", NAMES) is None


def test_a_label_outside_the_model_classes_is_refused() -> None:
    assert label_classes("AB1", "AB1", ["A", "B"]) is None
