"""PlateTracker: one camera's plate reads in, one decided and one final VehicleRead per vehicle out.

Per frame: tracks not seen for ``track_timeout`` end (their final read is emitted), the frame's reads
join tracks (see association.py) or start new ones, and each track that is not yet decided is asked
whether its vote is sure enough to decide early:

* ``min_reads`` reads agree on the top text and its score is at least ``decide_score``, or
* one read of the top text matched a plate format with confidence >= ``single_read_confidence``, or
* the optional ``is_listed(text)`` predicate says a candidate is on a plate list.

A decided track emits ``VehicleRead(final=False)`` once and ``final=True`` when it ends, with the same
track id. A track that never decided still emits its final read when one of its reads reached
``min_final_confidence``; a track of junk (low confidence, texts under ``min_text_length``) emits nothing.

Repeat suppression: a track whose text matches a plate that ended at this camera less than
``repeat_window`` seconds before the track began, or a decided live track, is the same vehicle and
emits nothing (its end refreshes the memory) unless its direction is the opposite of the remembered one.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Sequence

from edge.domain import CameraRole, Direction, Frame, PlateRead, VehicleRead
from edge.tracking.association import pair_reads
from edge.tracking.config import ENTERING_MOTIONS, TrackerConfig
from edge.tracking.motion import MotionHistory
from edge.tracking.repeats import Remembered, RepeatMemory, opposite, same_plate
from edge.tracking.track import Track
from edge.tracking.vote import VoteTally

log = logging.getLogger(__name__)

MAX_TRACKS = 64  # live tracks per camera; the least recently seen ends first beyond this
MAX_READS_PER_FRAME = 32  # the most confident detections of a frame are kept


def _new_track_id() -> str:
    return uuid.uuid4().hex


class PlateTracker:
    """Tracks of one camera. Not thread-safe: the camera's processing thread owns it."""

    def __init__(self, camera: str, role: CameraRole = CameraRole.BOTH, *, entering_motion: str = "toward",
                 config: TrackerConfig | None = None, is_listed: Callable[[str], bool] | None = None,
                 id_factory: Callable[[], str] = _new_track_id) -> None:
        if entering_motion not in ENTERING_MOTIONS:
            raise ValueError(f"entering_motion must be one of {', '.join(ENTERING_MOTIONS)}, got {entering_motion!r}")
        self.camera = camera
        self.role = CameraRole(role)
        self.entering_motion = entering_motion
        self.config = config or TrackerConfig()
        self._is_listed = is_listed
        self._new_id = id_factory
        self._tracks: list[Track] = []
        self._memory = RepeatMemory(self.config.repeat_window, self.config.repeat_memory)

    @property
    def active(self) -> int:
        """How many tracks are live."""
        return len(self._tracks)

    def update(self, frame: Frame, reads: Sequence[PlateRead], now: float | None = None) -> list[VehicleRead]:
        """Add one frame's reads; returns the reads to publish (finals of ended tracks, then decisions).

        ``now`` (wall clock like ``frame.captured_at``, its default) decides which tracks timed out.
        """
        if frame.camera != self.camera:
            raise ValueError(f"tracker of camera {self.camera!r} got a frame of camera {frame.camera!r}")
        if not math.isfinite(frame.captured_at):
            raise ValueError(f"frame {frame.sequence} of camera {frame.camera!r} has no valid capture time")
        out = self.flush(frame.captured_at if now is None else now)
        usable = _usable(reads)
        touched = []
        pairs = pair_reads(self._tracks, usable, frame.captured_at, self.config.gate_widths)
        for t, r in pairs:
            self._tracks[t].add(frame, usable[r], self.config.top_k)
            touched.append(self._tracks[t])
        paired = {r for _, r in pairs}
        touched.extend(self._start(frame, read) for r, read in enumerate(usable) if r not in paired)
        out.extend(self._overflow())
        for track in touched:
            decided = self._decide(track) if track in self._tracks and self._ready(track) else None
            if decided is not None:
                out.append(decided)
        return out

    def flush(self, now: float) -> list[VehicleRead]:
        """End the tracks not seen for ``track_timeout`` seconds before ``now``; their final reads."""
        ended = [t for t in self._tracks if now - t.last_seen > self.config.track_timeout]
        out = self._end(ended)
        self._memory.expire(now)
        return out

    def close_all(self) -> list[VehicleRead]:
        """End every track (shutdown); their final reads."""
        return self._end(list(self._tracks))

    def _start(self, frame: Frame, read: PlateRead) -> Track:
        config = self.config
        track = Track(self._new_id(), self.camera, frame.captured_at, frame.captured_at, read.box,
                      VoteTally(config.region_weight, config.min_text_length), MotionHistory(config.history))
        track.add(frame, read, config.top_k)
        self._tracks.append(track)
        return track

    def _overflow(self) -> list[VehicleRead]:
        """End the least recently seen tracks beyond MAX_TRACKS (a camera this busy is misconfigured)."""
        excess = len(self._tracks) - MAX_TRACKS
        if excess <= 0:
            return []
        log.warning("camera %s: more than %s live tracks, ending the %s oldest", self.camera, MAX_TRACKS, excess)
        return self._end(sorted(self._tracks, key=lambda t: t.last_seen)[:excess])

    def _end(self, tracks: Sequence[Track]) -> list[VehicleRead]:
        out = []
        for track in tracks:
            self._tracks.remove(track)
            read = self._finish(track)
            if read is not None:
                out.append(read)
        return out

    def _finish(self, track: Track) -> VehicleRead | None:
        if not self._emits(track) or track.vote is None:
            return None
        direction = self._direction(track)
        texts = [c.text for c in track.vote.candidates]
        if not track.decided and self._is_repeat(track, direction):
            log.debug("camera %s: %s is the vehicle seen before, not a new one", self.camera, track.text)
            remembered = self._memory.recall(track.text, texts, track.first_seen)
            key = remembered.text if remembered is not None else track.text
            self._memory.remember(key, texts, direction, track.last_seen)
            return None
        self._memory.remember(track.text, texts, direction, track.last_seen)
        return self._vehicle_read(track, direction, final=True)

    def _emits(self, track: Track) -> bool:
        return track.vote is not None and track.max_confidence >= self.config.min_final_confidence

    def _ready(self, track: Track) -> bool:
        """Not yet decided, and the vote is sure enough to decide now."""
        vote = track.vote
        if track.decided or vote is None or not self._emits(track):
            return False
        config = self.config
        if vote.agreeing >= config.min_reads and vote.candidates[0].score >= config.decide_score:
            return True
        if vote.formatted_confidence >= config.single_read_confidence:
            return True
        return self._listed(track)

    def _listed(self, track: Track) -> bool:
        if self._is_listed is None or track.vote is None:
            return False
        for candidate in track.vote.candidates:
            if track.listed or candidate.text in track.checked:
                continue
            track.checked.add(candidate.text)
            try:
                track.listed = bool(self._is_listed(candidate.text))
            except Exception:
                log.exception("camera %s: the is_listed predicate failed for %s", self.camera, candidate.text)
        return track.listed

    def _decide(self, track: Track) -> VehicleRead | None:
        direction = self._direction(track)
        if self._is_repeat(track, direction):
            return None
        track.decided = True
        return self._vehicle_read(track, direction, final=False)

    def _is_repeat(self, track: Track, direction: Direction) -> bool:
        assert track.vote is not None
        texts = [c.text for c in track.vote.candidates]
        remembered = self._memory.recall(track.text, texts, track.first_seen)
        if remembered is not None and not opposite(remembered.direction, direction):
            return True
        for other in self._tracks:
            if other is track or not other.decided or other.vote is None:
                continue
            other_direction = self._direction(other)
            other_texts = tuple(c.text for c in other.vote.candidates)
            live = Remembered(other.text, other_texts, other_direction, other.last_seen)
            if same_plate(track.text, texts, live) and not opposite(other_direction, direction):
                return True
        return False

    def _direction(self, track: Track) -> Direction:
        if self.role == CameraRole.ENTRY:
            return Direction.ENTERING
        if self.role == CameraRole.EXIT:
            return Direction.LEAVING
        config = self.config
        return track.motion.direction(self.entering_motion, config.min_motion, config.min_growth,
                                      config.min_direction_reads)

    def _vehicle_read(self, track: Track, direction: Direction, final: bool) -> VehicleRead:
        vote = track.vote
        assert vote is not None
        return VehicleRead(
            track_id=track.track_id, camera=self.camera, text=vote.text, confidence=vote.confidence,
            char_confidences=vote.char_confidences, candidates=vote.candidates, direction=direction,
            first_seen=track.first_seen, last_seen=track.last_seen, reads=track.tally.reads, final=final,
            best_frame=track.best_frame, best_plate=track.best_read, region=vote.region,
        )


def _finite(read: PlateRead) -> bool:
    box = read.box
    values = (box.x1, box.y1, box.x2, box.y2)
    return all(math.isfinite(v) for v in values) and box.x2 > box.x1 and box.y2 > box.y1


def _usable(reads: Sequence[PlateRead]) -> list[PlateRead]:
    """Reads with a real box, the most confident detections first, at most MAX_READS_PER_FRAME."""
    usable = [r for r in reads if _finite(r)]
    if len(usable) < len(reads):
        log.debug("dropped %s reads without a valid box", len(reads) - len(usable))
    usable.sort(key=lambda r: -r.detector_confidence if math.isfinite(r.detector_confidence) else 0.0)
    return usable[:MAX_READS_PER_FRAME]
