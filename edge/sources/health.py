"""A source's health as its capture thread sees it, and the backoff between reconnection attempts."""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass

from edge.domain import SourceStatus
from edge.settings.cameras import redact_text
from edge.sources.buffer import FrameQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackoffPolicy:
    """Capped exponential backoff: ``initial`` doubling up to ``maximum``, each wait +/- ``jitter`` (a fraction)."""

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not (self.initial > 0 and self.maximum >= self.initial and 0 <= self.jitter < 1):
            raise ValueError("backoff needs 0 < initial <= maximum and 0 <= jitter < 1")


class Backoff:
    """The waits of one run of failures; :meth:`reset` after a success."""

    def __init__(self, policy: BackoffPolicy, rng: random.Random | None = None) -> None:
        self._policy = policy
        self._rng = rng or random.Random()
        self._failures = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; grows with each call until :meth:`reset`."""
        base = min(self._policy.maximum, self._policy.initial * 2.0 ** min(self._failures, 32))
        self._failures += 1
        spread = base * self._policy.jitter
        return min(self._policy.maximum, max(0.0, base + self._rng.uniform(-spread, spread)))

    def reset(self) -> None:
        self._failures = 0


class SourceHealth:
    """Thread-safe connected/error/reconnect bookkeeping; logs each change of state once, never each retry."""

    def __init__(self, camera: str, display: str) -> None:
        self._camera = camera
        self._display = display
        self._lock = threading.Lock()
        self._connected = False
        self._error = ""
        self._reconnects = 0
        self._attempts = 0
        self._skipped = 0

    def attempting(self) -> None:
        """An (re)opening attempt begins; every attempt after the first counts as a reconnect."""
        with self._lock:
            self._attempts += 1
            if self._attempts > 1:
                self._reconnects += 1

    def up(self) -> None:
        with self._lock:
            changed = not self._connected or self._error != ""
            self._connected, self._error = True, ""
        if changed:
            logger.info("camera %s: receiving frames from %s", self._camera, self._display)

    def down(self, error: str, retry_in: float | None = None) -> None:
        """The source is not delivering; ``error`` is scrubbed of credentials before it is kept or logged."""
        text = redact_text(error)
        with self._lock:
            changed = self._connected or self._error != text
            self._connected, self._error = False, text
        if changed and retry_in is None:
            logger.warning("camera %s: %s (%s)", self._camera, text, self._display)
        elif changed:
            logger.warning("camera %s: %s (%s); retrying with backoff, next in %.1f s",
                           self._camera, text, self._display, retry_in)

    def stopped(self) -> None:
        """The owner stopped the source: not connected, and no error to report."""
        with self._lock:
            self._connected, self._error = False, ""

    def skipped_one(self) -> None:
        """A corrupt frame or an unreadable snapshot was skipped."""
        with self._lock:
            self._skipped += 1

    @property
    def skipped(self) -> int:
        with self._lock:
            return self._skipped

    def status(self, buffer: FrameQueue) -> SourceStatus:
        with self._lock:
            connected, error, reconnects = self._connected, self._error, self._reconnects
        return SourceStatus(
            camera=self._camera,
            connected=connected,
            frames=buffer.frames,
            dropped=buffer.dropped,
            reconnects=reconnects,
            last_frame_at=buffer.last_captured_at,
            error=error,
        )
