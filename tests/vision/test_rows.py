from edge.domain import Box, Detection
from edge.vision.rows import reading_order


def _d(x: float, y: float, h: float = 20, w: float = 10, cls: int = 0) -> Detection:
    return Detection(Box(x, y, x + w, y + h), 0.9, cls)


def _xs(rows: list[list[Detection]]) -> list[list[float]]:
    return [[d.box.x1 for d in row] for row in rows]


def test_one_row_left_to_right() -> None:
    rows = reading_order([_d(30, 0), _d(10, 2), _d(20, 1)])
    assert _xs(rows) == [[10, 20, 30]]


def test_two_rows_top_then_bottom() -> None:
    chars = [_d(10, 40), _d(0, 0), _d(20, 0), _d(25, 41), _d(10, 1)]
    assert _xs(reading_order(chars)) == [[0, 10, 20], [10, 25]]


def test_slanted_single_row_stays_one_row() -> None:
    chars = [_d(i * 12, i * 3) for i in range(7)]
    assert len(reading_order(chars)) == 1


def test_small_slogan_row_and_sticker_digit_are_dropped() -> None:
    plate = [_d(i * 12, 20, h=30) for i in range(6)]
    slogan = [_d(i * 6, 0, h=8, w=5) for i in range(8)]
    sticker = _d(80, 22, h=9, w=5)
    rows = reading_order(plate + slogan + [sticker])
    assert _xs(rows) == [[i * 12 for i in range(6)]]


def test_empty() -> None:
    assert reading_order([]) == []
