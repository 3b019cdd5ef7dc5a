"""Plate format rules per region, and the letter/digit confusions they resolve.

A pattern is a string of classes, each optionally followed by a count: ``L`` a letter, ``D`` a
digit, ``A`` either; ``L{1,3}`` one to three letters. ``RO: LDDLLL`` is Romanian ``B12ABC``.
Where a pattern demands a letter and the reader saw a look-alike digit (or the other way round)
the character is swapped for its twin: 0/O, 1/I, 8/B, 5/S, 2/Z, 6/G. Nothing is ever inserted or
deleted: a read of the wrong length matches no pattern and is left as read.

A swap can also be held back by the reader itself: given, for each character, the score the
reader gave its twin (``twin_scores``), a swap is made only where that score reaches
``min_twin_score``. The reader is rarely unsure between a character and its twin when it reads
a plate of another country's format (``ELVISV`` is not ``ELV15V``), and often is when the swap is
right (``YKI2RVV`` with the ``1`` at 0.45 beside the ``I`` at 0.60).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

DIGIT_TO_LETTER = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
LETTER_TO_DIGIT = {letter: digit for digit, letter in DIGIT_TO_LETTER.items()} | {"D": "0", "Q": "0"}

# Order is priority among equally good matches. A site puts its own country first.
DEFAULT_FORMATS: dict[str, tuple[str, ...]] = {
    "RO": ("LDDLLL", "LDDDLLL", "LLDDLLL", "LDDDDDD", "LLDDDDDD"),
    "GB": ("LLDDLLL", "LDDDLLL", "LLLDDDL"),
    "BR": ("LLLDLDD", "LLLDDDD"),
    "ES": ("DDDDLLL", "LDDDDLL"),
    "FR": ("LLDDDLL",),
    "IT": ("LLDDDLL",),
    "DE": ("L{1,3}L{1,2}D{1,4}",),
    "NL": ("LLDDDL", "DLLLDD", "DDLLLD", "LDDDLL", "LLLDDL", "DLLDDD"),
    "US": ("DLLLDDD", "LLLDDDD", "DLLDDD", "LLLDDD"),
}


@dataclass(frozen=True)
class PlateFormat:
    """One region's list of accepted patterns."""

    region: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class FormatMatch:
    """The outcome of applying format rules to a read."""

    text: str
    region: str  # "" when no pattern matched
    substitutions: int


def default_formats() -> tuple[PlateFormat, ...]:
    return tuple(PlateFormat(region, patterns) for region, patterns in DEFAULT_FORMATS.items())


@cache
def _expand(pattern: str) -> tuple[str, ...]:
    """All fixed-length class strings a pattern allows (``L{1,2}D`` -> ``LD``, ``LLD``)."""
    tokens = re.findall(r"([LDA])(?:\{(\d+)(?:,(\d+))?\})?", pattern)
    if "".join(t[0] + (f"{{{t[1]}" + (f",{t[2]}" if t[2] else "") + "}" if t[1] else "") for t in tokens) != pattern:
        raise ValueError(f"invalid plate pattern {pattern!r}: use L, D, A and counts like L{{1,3}}")
    choices = []
    for cls, low, high in tokens:
        lo = int(low) if low else 1
        hi = int(high) if high else lo
        choices.append([cls * n for n in range(lo, hi + 1)])
    return tuple("".join(parts) for parts in itertools.product(*choices))


def validate_pattern(pattern: str) -> None:
    """Raise ``ValueError`` naming the pattern when it cannot be parsed."""
    _expand(pattern)


def twin_of(char: str) -> str | None:
    """The look-alike a format rule may swap ``char`` for (``0`` -> ``O``, ``B`` -> ``8``), if any."""
    return DIGIT_TO_LETTER.get(char) or LETTER_TO_DIGIT.get(char)


def _fit(text: str, classes: str, swappable: Sequence[bool]) -> tuple[str, int] | None:
    out = []
    swaps = 0
    for char, cls, may_swap in zip(text, classes, swappable, strict=True):
        if cls == "A" or (cls == "L" and char.isalpha()) or (cls == "D" and char.isdigit()):
            out.append(char)
        elif may_swap and cls == "L" and char in DIGIT_TO_LETTER:
            out.append(DIGIT_TO_LETTER[char])
            swaps += 1
        elif may_swap and cls == "D" and char in LETTER_TO_DIGIT:
            out.append(LETTER_TO_DIGIT[char])
            swaps += 1
        else:
            return None
    return "".join(out), swaps


def apply_formats(text: str, formats: tuple[PlateFormat, ...], max_substitutions: int = 2,
                  twin_scores: Sequence[float] | None = None, min_twin_score: float = 0.0) -> FormatMatch:
    """The best match of ``text`` against the formats: fewest swaps, then list order.

    ``twin_scores`` (one per character of ``text``) lets a character be swapped only where the
    reader scored its twin at least ``min_twin_score``; without it every swap is allowed.
    """
    if twin_scores is not None and len(twin_scores) != len(text):
        raise ValueError(f"{len(twin_scores)} twin scores for {len(text)} characters")
    swappable = [True] * len(text) if twin_scores is None else [s >= min_twin_score for s in twin_scores]
    best: FormatMatch | None = None
    for fmt in formats:
        for pattern in fmt.patterns:
            for classes in _expand(pattern):
                if len(classes) != len(text):
                    continue
                fitted = _fit(text, classes, swappable)
                if fitted is None or fitted[1] > max_substitutions:
                    continue
                if best is None or fitted[1] < best.substitutions:
                    best = FormatMatch(fitted[0], fmt.region, fitted[1])
                if best.substitutions == 0:
                    return best
    return best or FormatMatch(text, "", 0)
