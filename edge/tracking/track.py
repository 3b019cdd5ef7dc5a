"""One vehicle's plate followed across frames: its vote, its movement, its best read."""

from __future__ import annotations

from dataclasses import dataclass, field

from edge.domain import Box, Frame, PlateRead
from edge.tracking.motion import MotionHistory
from edge.tracking.vote import VoteResult, VoteTally


@dataclass(eq=False)
class Track:
    """Mutable state of one track, owned by its tracker."""

    track_id: str
    camera: str
    first_seen: float
    last_seen: float
    last_box: Box
    tally: VoteTally
    motion: MotionHistory
    best_read: PlateRead | None = None
    best_frame: Frame | None = None
    decided: bool = False  # the early decision was emitted
    max_confidence: float = 0.0  # of the reads that voted
    vote: VoteResult | None = None
    listed: bool = False  # the external predicate said a candidate is on a list
    checked: set[str] = field(default_factory=set)  # candidate texts already put to the predicate

    @property
    def text(self) -> str:
        """The voted text so far ("" before a read voted)."""
        return self.vote.text if self.vote is not None else ""

    def add(self, frame: Frame, read: PlateRead, top_k: int) -> bool:
        """Join one detection to the track; True when its text voted."""
        self.last_seen = max(self.last_seen, frame.captured_at)
        self.last_box = read.box
        self.motion.add(read.box, frame.captured_at)
        if not self.tally.add(read):
            return False
        self.vote = self.tally.result(top_k)
        if self.best_read is None or read.confidence > self.best_read.confidence:
            self.best_read, self.best_frame = read, frame
        self.max_confidence = max(self.max_confidence, read.confidence)
        return True
