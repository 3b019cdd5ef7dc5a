"""Tuning of the tracker: when detections join a track, when the vote is sure, when a track ends."""

from __future__ import annotations

import math
from dataclasses import dataclass

ENTERING_MOTIONS = ("up", "down", "left", "right", "toward", "away")


@dataclass(frozen=True)
class TrackerConfig:
    """Every threshold of :class:`edge.tracking.PlateTracker`; times in seconds, sizes in plate widths."""

    track_timeout: float = 1.5  # a track not seen for this long has ended
    gate_widths: float = 3.0  # a detection joins a track only when its centre is closer than this many widths
    min_reads: int = 2  # reads that must agree (with decide_score) before an early decision
    decide_score: float = 0.6  # the top candidate's vote share needed for an early decision
    single_read_confidence: float = 0.9  # one read this confident, whose text matched a format, decides alone
    min_final_confidence: float = 0.3  # a track emits only when one of its reads is at least this confident
    min_text_length: int = 3  # shorter texts are junk: they keep the track alive but never vote
    top_k: int = 3  # candidates kept from the vote
    region_weight: float = 1.5  # a read whose text matched a plate format counts this much more
    repeat_window: float = 60.0  # the same plate again within this many seconds is the same vehicle
    repeat_memory: int = 1024  # most plates remembered for repeat suppression
    min_motion: float = 0.5  # displacement (plate widths) below which the direction is unknown
    min_growth: float = 0.15  # relative size change below which toward/away is unknown
    min_direction_reads: int = 2  # observations needed before a direction is given
    history: int = 8  # observations kept from the start and from the end of a track for the direction

    def __post_init__(self) -> None:
        positive = ("track_timeout", "gate_widths", "region_weight", "min_motion", "min_growth")
        for name in positive:
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"TrackerConfig.{name} must be a positive number, got {value!r}")
        unit = ("decide_score", "single_read_confidence", "min_final_confidence")
        for name in unit:
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"TrackerConfig.{name} must lie in 0..1, got {value!r}")
        if not math.isfinite(self.repeat_window) or self.repeat_window < 0:
            raise ValueError(f"TrackerConfig.repeat_window must be >= 0, got {self.repeat_window!r}")
        counts = ("min_reads", "min_text_length", "top_k", "repeat_memory", "min_direction_reads", "history")
        for name in counts:
            if getattr(self, name) < 1:
                raise ValueError(f"TrackerConfig.{name} must be at least 1, got {getattr(self, name)!r}")
