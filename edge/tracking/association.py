"""Which detection of a frame continues which track.

A detection may join a track only when its centre lies within ``gate_widths`` plate widths of the
track's last centre or of where the track's last velocity predicts it (at low frame rates a plate jumps
far). Among the pairs inside the gate, the best are taken greedily by a score that adds the boxes'
overlap (IoU), their closeness and the similarity of the texts, so two plates that cross are kept apart
by what they read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from edge.domain import Box, PlateRead
from edge.tracking.motion import Observation
from edge.tracking.text import similarity
from edge.tracking.track import Track

MAX_SIZE_RATIO = 4.0  # a plate does not grow or shrink more than this between two sightings


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 for empty boxes)."""
    width = min(a.x2, b.x2) - max(a.x1, b.x1)
    height = min(a.y2, b.y2) - max(a.y1, b.y1)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = max(a.width, 0.0) * max(a.height, 0.0) + max(b.width, 0.0) * max(b.height, 0.0) - inter
    return inter / union if union > 0 else 0.0


def pair_score(track: Track, read: PlateRead, at: float, gate_widths: float) -> float | None:
    """How well ``read`` continues ``track`` (higher is better), None outside the gate."""
    seen = Observation.of(read.box, at)
    last, ahead = track.motion.last, track.motion.predicted(at)
    ratio = seen.width / last.width
    if not 1 / MAX_SIZE_RATIO <= ratio <= MAX_SIZE_RATIO:
        return None
    scale = max(last.width, seen.width)
    distance = min(math.hypot(seen.cx - o.cx, seen.cy - o.cy) for o in (last, ahead)) / scale
    if distance >= gate_widths:
        return None
    return iou(track.last_box, read.box) + (1.0 - distance / gate_widths) + similarity(read.text, track.text)


def pair_reads(tracks: Sequence[Track], reads: Sequence[PlateRead], at: float,
               gate_widths: float) -> list[tuple[int, int]]:
    """(track index, read index) pairs, each track and each read used at most once."""
    scored = []
    for t, track in enumerate(tracks):
        for r, read in enumerate(reads):
            score = pair_score(track, read, at, gate_widths)
            if score is not None:
                scored.append((score, t, r))
    scored.sort(key=lambda s: -s[0])
    used_tracks: set[int] = set()
    used_reads: set[int] = set()
    pairs = []
    for _, t, r in scored:
        if t not in used_tracks and r not in used_reads:
            used_tracks.add(t)
            used_reads.add(r)
            pairs.append((t, r))
    return pairs
