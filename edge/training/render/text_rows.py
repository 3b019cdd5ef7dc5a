"""A caller's plate text parsed into rows of characters and separators, and arranged into a layout's rows."""

from __future__ import annotations

import re

from edge.vision.charset import CHARSET

SEPARATORS = " -.·@"  # drawn between characters, never labelled ("@": a seal or emblem)
ROW_BREAKS = "|\n"


def characters(row: str) -> str:
    return "".join(c for c in row if c in CHARSET)


def parse_text(text: str) -> list[str]:
    """Rows of a caller's text: characters and separators, rows split at "|" or a new line."""
    breaks = f"[{re.escape(ROW_BREAKS)}]"
    rows = [re.sub(r"\s+", " ", r.replace(".", "·")).strip(SEPARATORS) for r in re.split(breaks, text.upper())]
    rows = [r for r in rows if characters(r)]
    bad = {c for r in rows for c in r if c not in CHARSET and c not in SEPARATORS}
    if bad or not rows:
        raise ValueError(f"plate text {text!r}: use 0-9, A-Z, separators {SEPARATORS!r} and '|' between rows")
    return rows


def _cut_points(row: str) -> list[int]:
    """Where a row may be cut into rows: at separators, else between letters and digits, else anywhere."""
    inner = range(1, len(row))
    for rule in (lambda i: row[i] in SEPARATORS,
                 lambda i: row[i - 1] in CHARSET and row[i] in CHARSET and row[i - 1].isdigit() != row[i].isdigit(),
                 lambda i: row[i - 1] in CHARSET and row[i] in CHARSET):
        cuts = [i for i in inner if rule(i)]
        if cuts:
            return cuts
    return []


def _split_in_two(row: str) -> list[str]:
    """Cut one row in two at the cut point that balances the character counts best."""
    best, best_cost = [row], len(row) + 1
    for cut in _cut_points(row):
        parts = [row[:cut].strip(SEPARATORS), row[cut:].strip(SEPARATORS)]
        first, second = (len(characters(p)) for p in parts)
        if first and second and abs(first - second) < best_cost:
            best, best_cost = parts, abs(first - second)
    return best


def arrange(rows: list[str], wanted: int) -> list[str]:
    """The caller's rows made into ``wanted`` rows: joined, or cut where they are too few."""
    if wanted == 1:
        return [" ".join(rows)]
    while len(rows) > wanted:
        rows = [*rows[: wanted - 1], " ".join(rows[wanted - 1 :])]
    while len(rows) < wanted:
        longest = max(range(len(rows)), key=lambda i: len(characters(rows[i])))
        if len(characters(rows[longest])) < 2:
            break
        parts = _split_in_two(rows[longest])
        if len(parts) < 2:
            break
        rows = [*rows[:longest], *parts, *rows[longest + 1 :]]
    return rows
