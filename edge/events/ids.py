"""UUIDv7 event ids (RFC 9562): 48-bit Unix milliseconds, version 7, 12-bit counter, variant, 62 random bits.

Ids sort by creation time and are strictly increasing within one process: when the millisecond repeats
(or the clock steps back) the 12-bit ``rand_a`` field counts up from a random start below 2048; when it
overflows, the timestamp moves on by one millisecond (method 1 of RFC 9562 section 6.2).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable

_COUNTER_MAX = 0xFFF


class Uuid7Generator:
    """Thread-safe, monotonic UUIDv7 source (clock and randomness injectable for tests)."""

    def __init__(self, clock_ms: Callable[[], int] | None = None,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._random = random_bytes
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def __call__(self) -> str:
        return str(self.new())

    def new(self) -> uuid.UUID:
        with self._lock:
            now = self._clock_ms()
            if now > self._last_ms:
                self._last_ms, self._counter = now, self._seed()
            else:
                self._counter += 1
                if self._counter > _COUNTER_MAX:
                    self._last_ms, self._counter = self._last_ms + 1, self._seed()
            ms, counter = self._last_ms, self._counter
        tail = int.from_bytes(self._random(8), "big") & ((1 << 62) - 1)
        value = ((ms & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | tail
        return uuid.UUID(int=value)

    def _seed(self) -> int:
        return int.from_bytes(self._random(2), "big") & 0x7FF


_PROCESS = Uuid7Generator()  # one per process, so ids stay monotonic across all callers


def uuid7() -> str:
    """A new UUIDv7 as its canonical 36-character string."""
    return _PROCESS()


def uuid7_time(value: str) -> float:
    """The creation time (Unix seconds, millisecond precision) of a UUIDv7 string."""
    parsed = uuid.UUID(value)
    if parsed.version != 7:
        raise ValueError(f"{value!r} is not a UUIDv7")
    return (parsed.int >> 80) / 1000.0
