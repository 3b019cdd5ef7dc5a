"""Which reads of the current reader may lend their boxes to a labelled real crop."""

from edge.training.self_labels import read_fits_label
from edge.vision.charset import CHARSET

NAMES = list(CHARSET)


def test_an_exact_read_fits() -> None:
    assert read_fits_label("B123ABC", "B123ABC", NAMES)


def test_a_misnamed_character_takes_the_label_class() -> None:
    assert read_fits_label("KEEPIKN", "KEEPLKN", NAMES)
    assert read_fits_label("SHE15", "SHEIS", NAMES)


def test_too_many_misnamed_characters_are_refused() -> None:
    assert not read_fits_label("5HE15", "SHEIS", NAMES)
    assert read_fits_label("5HE15", "SHEIS", NAMES, max_corrections=3)


def test_a_missed_or_extra_character_is_refused() -> None:
    assert not read_fits_label("TR95XM", "TR95XMI", NAMES)
    assert not read_fits_label("JK537241", "JKS3724", NAMES)
    assert not read_fits_label("", "", NAMES)


def test_a_label_outside_the_model_classes_is_refused() -> None:
    assert not read_fits_label("AB1", "AB1", ["A", "B"])
