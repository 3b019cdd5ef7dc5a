"""Confidence-weighted voting of a plate's text over the reads of one track.

Every read first votes for the text's length (weight: the read's weight times its mean character
confidence). Among the reads of the winning length each position then votes for a character
(weight: the read's weight times that character's confidence). A read's weight grows with its detector
confidence and by ``region_weight`` when its text matched a plate format.

A text's score is P(length) times the product over positions of its characters' vote shares, so the
scores of all possible texts sum to 1. The top candidate is the best text of the winning length; the
other candidates are the next best texts of any length. The state is a running tally: memory does not
grow with the number of reads.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

from edge.domain import PlateCandidate, PlateRead

MIN_CHAR_WEIGHT = 1e-3  # a character read with confidence 0 still counts a little, so every position has a vote


@dataclass(frozen=True)
class VoteResult:
    """Where the vote stands."""

    text: str
    candidates: tuple[PlateCandidate, ...]  # best first; candidates[0].text == text
    char_confidences: tuple[float, ...]  # per position: vote share of the winner times its mean confidence
    confidence: float  # weakest character confidence times the share of the winning length
    agreeing: int  # reads that read exactly ``text``
    region: str  # the format region most of the reads of ``text`` matched, "" when none
    formatted_confidence: float  # the best confidence of a format-matched read of ``text``, 0 when none


@dataclass
class _CharVote:
    weight: float = 0.0  # sum of read weight x char confidence
    base: float = 0.0  # sum of read weight


@dataclass
class _TextStats:
    count: int = 0
    formatted_confidence: float = 0.0
    regions: dict[str, float] = field(default_factory=dict)


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0


def char_confidences(read: PlateRead) -> list[float]:
    """The read's per-character confidences; the read confidence for each when the characters are missing."""
    if len(read.chars) == len(read.text):
        return [_unit(c.confidence) for c in read.chars]
    return [_unit(read.confidence)] * len(read.text)


class VoteTally:
    """The running vote of one track. Not thread-safe (one processing thread owns a tracker)."""

    def __init__(self, region_weight: float = 1.5, min_text_length: int = 3, max_texts: int = 64) -> None:
        self.region_weight = region_weight
        self.min_text_length = min_text_length
        self.max_texts = max_texts
        self.reads = 0
        self._lengths: dict[int, float] = {}
        self._positions: dict[int, list[dict[str, _CharVote]]] = {}
        self._texts: dict[str, _TextStats] = {}

    def read_weight(self, read: PlateRead) -> float:
        weight = 0.5 + 0.5 * _unit(read.detector_confidence)
        return weight * (self.region_weight if read.region else 1.0)

    def add(self, read: PlateRead) -> bool:
        """Count one read; False (and nothing counted) when it is too short or has no confidence."""
        text = read.text
        if len(text) < self.min_text_length:
            return False
        confidences = char_confidences(read)
        mean = sum(confidences) / len(confidences)
        if mean <= 0:
            return False
        weight = self.read_weight(read)
        self.reads += 1
        self._lengths[len(text)] = self._lengths.get(len(text), 0.0) + weight * mean
        positions = self._positions.setdefault(len(text), [{} for _ in text])
        for slot, char, confidence in zip(positions, text, confidences, strict=True):
            vote = slot.setdefault(char, _CharVote())
            vote.weight += weight * max(confidence, MIN_CHAR_WEIGHT)
            vote.base += weight
        self._count_text(read)
        return True

    def _count_text(self, read: PlateRead) -> None:
        stats = self._texts.get(read.text)
        if stats is None:
            if len(self._texts) >= self.max_texts:
                del self._texts[min(self._texts, key=lambda t: self._texts[t].count)]
            stats = self._texts[read.text] = _TextStats()
        stats.count += 1
        if read.region:
            stats.regions[read.region] = stats.regions.get(read.region, 0.0) + 1.0
            stats.formatted_confidence = max(stats.formatted_confidence, _unit(read.confidence))

    def result(self, top_k: int = 3) -> VoteResult | None:
        """The vote so far, None before the first counted read."""
        if not self._lengths:
            return None
        total = sum(self._lengths.values())
        winner = max(self._lengths, key=lambda n: (self._lengths[n], n))
        shares = {n: w / total for n, w in self._lengths.items()}
        best = _best_texts(self._positions[winner], top_k)
        top_text, top_prob = best[0]
        others = [(t, p * shares[n]) for n in self._lengths for t, p in _best_texts(self._positions[n], top_k)]
        others = sorted((c for c in others if c[0] != top_text), key=lambda c: -c[1])
        candidates = (PlateCandidate(top_text, top_prob * shares[winner]),
                      *(PlateCandidate(t, s) for t, s in others[: top_k - 1]))
        slots = self._positions[winner]
        chars = tuple(_char_confidence(slot, char) for slot, char in zip(slots, top_text, strict=True))
        stats = self._texts.get(top_text, _TextStats())
        region = max(stats.regions, key=lambda r: stats.regions[r]) if stats.regions else ""
        return VoteResult(
            text=top_text,
            candidates=candidates,
            char_confidences=chars,
            confidence=min(chars) * shares[winner],
            agreeing=stats.count,
            region=region,
            formatted_confidence=stats.formatted_confidence,
        )


def _shares(slot: dict[str, _CharVote]) -> list[tuple[str, float]]:
    total = sum(v.weight for v in slot.values())
    return sorted(((c, v.weight / total) for c, v in slot.items()), key=lambda cp: (-cp[1], cp[0]))


def _char_confidence(slot: dict[str, _CharVote], char: str) -> float:
    total = sum(v.weight for v in slot.values())
    vote = slot[char]
    return (vote.weight / total) * (vote.weight / vote.base)


def _best_texts(positions: list[dict[str, _CharVote]], k: int) -> list[tuple[str, float]]:
    """The k likeliest texts when each position is chosen independently (a beam of k is exact here)."""
    beam: list[tuple[str, float]] = [("", 1.0)]
    for slot in positions:
        options = _shares(slot)[:k]
        extended = ((prefix + char, prob * share) for prefix, prob in beam for char, share in options)
        beam = heapq.nlargest(k, extended, key=lambda tp: tp[1])
    return beam
