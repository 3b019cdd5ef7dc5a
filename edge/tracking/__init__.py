"""Tracking: plate reads of one camera joined across frames, voted into one text, with a direction."""

from edge.tracking.config import ENTERING_MOTIONS, TrackerConfig
from edge.tracking.tracker import PlateTracker
from edge.tracking.vote import VoteResult, VoteTally

__all__ = ["ENTERING_MOTIONS", "PlateTracker", "TrackerConfig", "VoteResult", "VoteTally"]
