"""The random draws every stage makes: an item, a uniform or log-uniform value, a chance, a colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from edge.training.render.pixels import RGB

Rng = np.random.Generator
T = TypeVar("T")


def pick(rng: Rng, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def uni(rng: Rng, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def chance(rng: Rng, p: float) -> bool:
    return bool(rng.random() < p)


def loguni(rng: Rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def jitter(rng: Rng, colour: RGB, amount: int = 12) -> RGB:
    r, g, b = (int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in colour)
    return r, g, b
