"""Where a capture thread leaves frames for the consumer: a bounded queue, or one slot where the newest wins."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np
import numpy.typing as npt

from edge.domain import Frame


class FrameQueue:
    """A thread-safe queue of the newest ``capacity`` frames of one camera.

    ``put`` never blocks: when the queue is full the oldest frame goes, and counts as dropped unless a
    consumer had already taken it. ``latest(after_sequence)`` returns the oldest queued frame newer than
    ``after_sequence``, waiting for one up to ``timeout``; older frames are forgotten, except the newest.
    """

    def __init__(self, camera: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.camera = camera
        self._capacity = capacity
        self._frames: deque[Frame] = deque()
        self._changed = threading.Condition()
        self._sequence = 0
        self._handed_out = 0  # highest sequence returned by latest()
        self._dropped = 0
        self._closed = False
        self._last_captured_at: float | None = None
        self._waiting = 0  # consumers blocked in latest() for want of a newer frame

    def put(self, image: npt.NDArray[np.uint8], captured_at: float | None = None) -> Frame:
        """Store a new frame (numbered here) and wake the consumers."""
        with self._changed:
            self._sequence += 1
            frame = Frame(
                camera=self.camera,
                image=image,
                captured_at=time.time() if captured_at is None else captured_at,
                sequence=self._sequence,
                monotonic=time.monotonic(),
            )
            if len(self._frames) >= self._capacity:
                oldest = self._frames.popleft()
                if oldest.sequence > self._handed_out:
                    self._dropped += 1
            self._frames.append(frame)
            self._last_captured_at = frame.captured_at
            self._changed.notify_all()
            return frame

    def latest(self, after_sequence: int = 0, timeout: float = 1.0) -> Frame | None:
        """The next frame newer than ``after_sequence``, or None after ``timeout`` seconds or on close."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._changed:
            while True:
                if len(self._frames) > 1 and self._frames[0].sequence <= after_sequence:
                    while len(self._frames) > 1 and self._frames[0].sequence <= after_sequence:
                        self._frames.popleft()  # the newest stays, for any other consumer
                    self._changed.notify_all()  # room for a producer in wait_for_room
                if self._frames and self._frames[0].sequence > after_sequence:
                    frame = self._frames[0]
                    self._handed_out = max(self._handed_out, frame.sequence)
                    return frame
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._waiting += 1
                try:
                    self._changed.wait(remaining)
                finally:
                    self._waiting -= 1

    def wanted(self) -> bool:
        """Whether a consumer is waiting for a newer frame right now (a producer may make one only then)."""
        with self._changed:
            return self._waiting > 0

    def wait_for_room(self, timeout: float) -> bool:
        """Wait until a ``put`` would drop nothing unseen; False after ``timeout`` or on close."""
        with self._changed:
            self._changed.wait_for(lambda: self._has_room() or self._closed, max(0.0, timeout))
            return self._has_room() and not self._closed

    def _has_room(self) -> bool:
        return len(self._frames) < self._capacity or self._frames[0].sequence <= self._handed_out

    def close(self) -> None:
        """Wake every waiting consumer; ``latest`` returns what is left, then None without waiting."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def frames(self) -> int:
        """Frames put since creation."""
        with self._changed:
            return self._sequence

    @property
    def dropped(self) -> int:
        """Frames that left the queue without being handed to a consumer."""
        with self._changed:
            return self._dropped

    @property
    def last_captured_at(self) -> float | None:
        with self._changed:
            return self._last_captured_at


class LatestFrameSlot(FrameQueue):
    """One slot: a new frame replaces the one waiting, so a slow consumer never builds a backlog."""

    def __init__(self, camera: str) -> None:
        super().__init__(camera, capacity=1)
