"""Pure geometry of a tiled detector pass: overlapping windows over a frame, and boxes cut by them.

A plate a few dozen pixels wide shrinks to a handful of pixels in the detector's input when a
whole 1080p frame is letterboxed into it. Running the detector again on a grid of overlapping
windows gives such plates more pixels. A box that touches a window's inner edge is a plate cut in
two by that window; the overlap makes sure some other window (or the whole frame) sees it whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edge.domain import Box

EDGE_PX = 3.0  # a box this close to a window's inner edge is taken as cut by it


@dataclass(frozen=True)
class Window:
    """A rectangle of the frame, in frame pixels (x2, y2 exclusive)."""

    x1: int
    y1: int
    x2: int
    y2: int


def tile_windows(width: int, height: int, grid: int, overlap: float) -> list[Window]:
    """``grid`` x ``grid`` windows covering the frame, each sharing ``overlap`` of its size with the next."""
    if grid < 1 or not 0 <= overlap < 1:
        raise ValueError(f"grid must be at least 1 and overlap in [0, 1): {grid}, {overlap}")
    if grid == 1:
        return [Window(0, 0, width, height)]
    tile_w = min(width, math.ceil(width / (grid - (grid - 1) * overlap)))
    tile_h = min(height, math.ceil(height / (grid - (grid - 1) * overlap)))
    xs = [round(i * (width - tile_w) / (grid - 1)) for i in range(grid)]
    ys = [round(i * (height - tile_h) / (grid - 1)) for i in range(grid)]
    return [Window(x, y, x + tile_w, y + tile_h) for y in ys for x in xs]


def cut_by_window(box: Box, window: Window, width: int, height: int) -> bool:
    """Whether ``box`` (in window pixels) touches an edge of ``window`` that is not the frame's edge."""
    w, h = window.x2 - window.x1, window.y2 - window.y1
    return ((window.x1 > 0 and box.x1 < EDGE_PX) or (window.y1 > 0 and box.y1 < EDGE_PX)
            or (window.x2 < width and box.x2 > w - EDGE_PX) or (window.y2 < height and box.y2 > h - EDGE_PX))
