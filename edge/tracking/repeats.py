"""Plates recently seen at one camera, so that a car standing at the gate is not a new vehicle each time.

An entry is kept ``window`` seconds after the plate was last seen; a new track whose text is within edit
distance 1 of an entry (or is one of its candidates) within that time is the same vehicle. The memory is
bounded: the least recently seen entries go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from edge.domain import Direction
from edge.tracking.text import edit_distance


@dataclass(frozen=True)
class Remembered:
    """A plate whose track ended: its text, candidate texts, direction and when it was last seen."""

    text: str
    candidates: tuple[str, ...]
    direction: Direction
    last_seen: float


def opposite(a: Direction, b: Direction) -> bool:
    return {a, b} == {Direction.ENTERING, Direction.LEAVING}


class RepeatMemory:
    """Recently ended plates of one camera, oldest first. Not thread-safe (owned by one tracker)."""

    def __init__(self, window: float, capacity: int = 1024) -> None:
        self.window = window
        self.capacity = capacity
        self._entries: OrderedDict[str, Remembered] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def recall(self, text: str, candidates: Sequence[str], at: float) -> Remembered | None:
        """The entry for ``text`` seen within the window before ``at`` (or later), None when there is none."""
        for entry in reversed(self._entries.values()):
            if entry.last_seen < at - self.window:
                break
            if same_plate(text, candidates, entry):
                return entry
        return None

    def remember(self, text: str, candidates: Sequence[str], direction: Direction, last_seen: float) -> None:
        """Record (or refresh) a plate; a known direction replaces the old one, UNKNOWN keeps it."""
        old = self._entries.pop(text, None)
        if old is not None:
            direction = direction if direction != Direction.UNKNOWN else old.direction
            last_seen = max(last_seen, old.last_seen)
        self._entries[text] = Remembered(text, tuple(candidates), direction, last_seen)
        self._sort_tail()
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def _sort_tail(self) -> None:
        """Keep the entries ordered by last_seen (an old refresh may arrive late)."""
        items = list(self._entries.items())
        i = len(items) - 1
        while i > 0 and items[i - 1][1].last_seen > items[i][1].last_seen:
            i -= 1
        if i < len(items) - 1:
            for key, _ in items[i:-1]:
                self._entries.move_to_end(key)

    def expire(self, now: float) -> None:
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.last_seen >= now - self.window:
                break
            self._entries.popitem(last=False)


def same_plate(text: str, candidates: Sequence[str], entry: Remembered) -> bool:
    """Within edit distance 1, or one's text is among the other's candidates."""
    return (edit_distance(text, entry.text, limit=1) <= 1 or text in entry.candidates
            or entry.text in candidates)
