"""Which list entry a voted plate is, allowing for the reader's usual confusions.

Distance: a weighted edit distance where swapping look-alikes (O/0, I/1, B/8, S/5, Z/2, G/6, D/0, Q/O,
Q/0) costs ``confusion_cost`` (0.25) and any other substitution, insertion or deletion costs 1, so a
read of another length matches only within ``max_distance``. Every candidate of the vote is tried; per
list the closest entry wins (then the better candidate, then an entry for this camera, then file
order); overall the lowest distance wins and equal distances go deny > allow > watch, so a deny hit is
never masked by an allow hit as close.

Deny and watch entries whose ``gates`` exclude the camera are not matched there; allow entries are (the
decision then says wrong_direction instead of unknown).

Speed: candidates are found through an index of the entries' plates with up to ``floor(max_distance)``
characters deleted, on texts with look-alikes folded to one character (the folded unit distance is a
lower bound of the weighted one), so lists of 10,000 entries cost a few dictionary look-ups per read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edge.domain import ListMatch, PlateCandidate
from edge.settings.plate_lists import MAX_PLATE_LENGTH, PlateEntry, PlateLists

DEFAULT_CONFUSIONS = ("O0", "I1", "B8", "S5", "Z2", "G6", "D0", "QO", "Q0")
PRIORITY = {"deny": 0, "allow": 1, "watch": 2}
MAX_INDEXED_DISTANCE = 2


class Confusions:
    """Substitution costs: ``cost`` for look-alike pairs, 1 for anything else."""

    def __init__(self, cost: float = 0.25, pairs: Iterable[str] = DEFAULT_CONFUSIONS) -> None:
        if not 0 <= cost <= 1:
            raise ValueError(f"confusion cost must lie in 0..1, got {cost!r}")
        self.cost = cost
        self.pairs = frozenset(frozenset(p) for p in pairs if len(set(p)) == 2)
        self._fold = _fold_table(self.pairs)

    def substitution(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        return self.cost if frozenset((a, b)) in self.pairs else 1.0

    def fold(self, text: str) -> str:
        """Every look-alike replaced by one representative of its group."""
        return text.translate(self._fold)


def _fold_table(pairs: frozenset[frozenset[str]]) -> dict[int, str]:
    groups: dict[str, set[str]] = {}
    for pair in pairs:
        merged = set(pair).union(*(groups.get(c, set()) for c in pair))
        for char in merged:
            groups[char] = merged
    return {ord(char): min(group) for char, group in groups.items()}


def plate_distance(a: str, b: str, confusions: Confusions | None = None, limit: float = math.inf) -> float:
    """Confusion-aware edit distance; ``math.inf`` as soon as it must exceed ``limit``."""
    costs = confusions or Confusions()
    if a == b:
        return 0.0
    if abs(len(a) - len(b)) > limit:
        return math.inf
    previous = [float(j) for j in range(len(b) + 1)]
    for i, char_a in enumerate(a, start=1):
        current = [float(i)]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + costs.substitution(char_a, char_b)))
        if min(current) > limit:
            return math.inf
        previous = current
    return previous[-1] if previous[-1] <= limit else math.inf


@dataclass(frozen=True)
class PlateMatch:
    """The entries of one list with the plate a candidate matched, and how closely."""

    list_name: str  # "allow", "deny" or "watch"
    plate: str  # the entries' (normalised) plate
    entries: tuple[PlateEntry, ...]  # every entry of that list with this plate that may apply here
    distance: float
    matched_text: str  # the candidate that matched

    def as_list_match(self) -> ListMatch:
        return ListMatch(self.list_name, self.plate, self.entries[0].name, self.distance, self.matched_text)


@dataclass(frozen=True)
class ListMatches:
    """The closest match on each list (None where nothing was close enough)."""

    allow: PlateMatch | None = None
    deny: PlateMatch | None = None
    watch: PlateMatch | None = None

    @property
    def best(self) -> PlateMatch | None:
        """Lowest distance; equal distances go deny > allow > watch."""
        found = [m for m in (self.deny, self.allow, self.watch) if m is not None]
        return min(found, key=lambda m: (m.distance, PRIORITY[m.list_name])) if found else None


def _applies_to(entry: PlateEntry, camera: str | None) -> bool:
    return camera is None or not entry.gates or camera in entry.gates


def _deletions(text: str, depth: int) -> set[str]:
    variants = {text}
    for _ in range(depth):
        variants |= {v[:i] + v[i + 1:] for v in variants for i in range(len(v))}
    return variants


def clean_candidate(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


class PlateMatcher:
    """An index over one version of the lists; immutable after construction, shareable between threads."""

    def __init__(self, lists: PlateLists, max_distance: float = 1.0, confusion_cost: float = 0.25,
                 confusions: Iterable[str] = DEFAULT_CONFUSIONS) -> None:
        if not 0 <= max_distance <= MAX_INDEXED_DISTANCE:
            raise ValueError(f"max_distance must lie in 0..{MAX_INDEXED_DISTANCE}, got {max_distance!r}")
        self.lists = lists
        self.max_distance = max_distance
        self.confusions = Confusions(confusion_cost, confusions)
        self._depth = math.floor(max_distance + 1e-9)
        self._entries: dict[str, dict[str, list[PlateEntry]]] = {}
        for list_name in PRIORITY:
            for entry in lists.entries(list_name):
                self._entries.setdefault(entry.plate, {}).setdefault(list_name, []).append(entry)
        self._index: dict[str, set[str]] = {}
        for plate in self._entries:
            for variant in _deletions(self.confusions.fold(plate), self._depth):
                self._index.setdefault(variant, set()).add(plate)

    def near(self, text: str) -> list[tuple[str, float]]:
        """Plates within ``max_distance`` of ``text``, with their distances."""
        plates: set[str] = set()
        for variant in _deletions(self.confusions.fold(text), self._depth):
            plates |= self._index.get(variant, set())
        found = []
        for plate in plates:
            distance = plate_distance(text, plate, self.confusions, self.max_distance)
            if distance <= self.max_distance:
                found.append((plate, distance))
        return found

    def match_all(self, candidates: Sequence[PlateCandidate], camera: str | None) -> ListMatches:
        """The closest entry of each list for any of the candidates (best first)."""
        best: dict[str, tuple[tuple[float, int, int, str], PlateMatch]] = {}
        for rank, candidate in enumerate(candidates):
            text = clean_candidate(candidate.text)
            if not text or len(text) > MAX_PLATE_LENGTH + self._depth:
                continue  # nothing, or too long to be within max_distance of any entry
            for plate, distance in self.near(text):
                for list_name, entries in self._entries[plate].items():
                    applicable = [e for e in entries if _applies_to(e, camera)]
                    if list_name != "allow" and not applicable:
                        continue
                    kept = tuple(entries) if list_name == "allow" else tuple(applicable)
                    key = (round(distance, 9), rank, 0 if applicable else 1, plate)
                    if list_name not in best or key < best[list_name][0]:
                        best[list_name] = (key, PlateMatch(list_name, plate, kept, distance, candidate.text))
        return ListMatches(**{name: found for name, (_, found) in best.items()})

    def match(self, candidates: Sequence[PlateCandidate], camera: str | None) -> PlateMatch | None:
        return self.match_all(candidates, camera).best

    def is_listed(self, text: str, camera: str | None = None) -> bool:
        """Whether ``text`` matches an entry of any list (for the tracker's early decision)."""
        return self.match([PlateCandidate(text, 1.0)], camera) is not None


def match(candidates: Sequence[PlateCandidate], lists: PlateLists, camera: str | None,
          max_distance: float = 1.0, confusion_cost: float = 0.25) -> PlateMatch | None:
    """The best match over all lists; builds the index each call (keep a :class:`PlateMatcher` instead)."""
    return PlateMatcher(lists, max_distance, confusion_cost).match(candidates, camera)
