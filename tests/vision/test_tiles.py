import pytest

from edge.domain import Box
from edge.vision.tiles import Window, cut_by_window, tile_windows


def test_one_tile_is_the_whole_frame() -> None:
    assert tile_windows(1920, 1080, 1, 0.25) == [Window(0, 0, 1920, 1080)]


@pytest.mark.parametrize(("width", "height", "grid"), [(1920, 1080, 2), (1280, 720, 3), (416, 416, 2), (7, 5, 4)])
def test_windows_cover_the_frame_and_overlap(width: int, height: int, grid: int) -> None:
    windows = tile_windows(width, height, grid, 0.25)
    assert len(windows) == grid * grid
    covered = {(x, y) for w in windows for x in range(w.x1, w.x2) for y in range(w.y1, w.y2)}
    assert len(covered) == width * height
    for w in windows:
        assert 0 <= w.x1 < w.x2 <= width and 0 <= w.y1 < w.y2 <= height
    first, second = windows[0], windows[1]
    assert second.x1 < first.x2  # neighbours share a band


def test_bad_grid_or_overlap_is_refused() -> None:
    with pytest.raises(ValueError, match="grid"):
        tile_windows(100, 100, 0, 0.25)
    with pytest.raises(ValueError, match="overlap"):
        tile_windows(100, 100, 2, 1.0)


def test_a_box_at_an_inner_edge_is_cut_but_not_at_the_frame_edge() -> None:
    left = Window(0, 0, 1000, 600)  # the top-left window of a 1920x1080 frame
    assert cut_by_window(Box(990, 100, 999, 120), left, 1920, 1080)  # its right edge is inside the frame
    assert cut_by_window(Box(100, 590, 150, 600), left, 1920, 1080)  # so is its bottom edge
    assert not cut_by_window(Box(0, 0, 40, 20), left, 1920, 1080)  # top and left are the frame's own
    assert not cut_by_window(Box(400, 300, 480, 320), left, 1920, 1080)
    right = Window(900, 480, 1920, 1080)
    assert cut_by_window(Box(1, 100, 50, 120), right, 1920, 1080)
    assert not cut_by_window(Box(900, 500, 1020, 600), right, 1920, 1080)
