"""The layouts: their variants, rows, weights, text generators and drawings; one flat plate of any."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from edge.training.render.plate_canvas import Spec
from edge.training.render.plate_drawing import (
    EU_VARIANTS,
    draw_br_old,
    draw_eu,
    draw_mercosur,
    draw_moto,
    draw_two_row,
    draw_uk,
    draw_us,
)
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_texts import (
    br_old_text,
    eu_text,
    mercosur_text,
    moto_text,
    two_row_text,
    uk_text,
    us_text,
)
from edge.training.render.plate_types import FlatPlate
from edge.training.render.random_draws import Rng, pick
from edge.training.render.text_rows import arrange, parse_text


@dataclass(frozen=True)
class _Layout:
    variants: tuple[str, ...]
    rows: tuple[int, ...]  # how many rows a caller's text is arranged in (picked at random)
    weight: float  # share of randomly chosen layouts
    generate: Callable[[Rng, str], list[str]]
    draw: Callable[[Rng, Spec, FontSet], FlatPlate]


def _generate_eu(rng: Rng, variant: str) -> list[str]:
    return eu_text(rng, variant)


_LAYOUTS = MappingProxyType({
    "eu": _Layout(EU_VARIANTS, (1,), 0.3, _generate_eu, draw_eu),
    "uk": _Layout(("uk",), (1,), 0.13, uk_text, draw_uk),
    "us": _Layout(("us",), (1,), 0.2, us_text, draw_us),
    "br_old": _Layout(("br",), (1,), 0.06, br_old_text, draw_br_old),
    "mercosur": _Layout(("BRASIL", "BRASIL", "BRASIL", "ARGENTINA", "URUGUAY", "PARAGUAY"), (1,), 0.09, mercosur_text,
                        draw_mercosur),
    "two_row": _Layout(("eu", "uk", "asia"), (2,), 0.12, two_row_text, draw_two_row),
    "moto": _Layout(("two", "three"), (2, 3), 0.1, moto_text, draw_moto),
})
LAYOUTS: tuple[str, ...] = tuple(_LAYOUTS)


def _pick_layout(rng: Rng) -> str:
    weights = np.array([spec.weight for spec in _LAYOUTS.values()])
    return LAYOUTS[int(rng.choice(len(LAYOUTS), p=weights / weights.sum()))]


def draw_plate(rng: Rng, layout: str | None, text: str | None, fonts: FontSet) -> FlatPlate:
    name = layout or _pick_layout(rng)
    if name not in _LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; choose from {', '.join(LAYOUTS)}")
    spec = _LAYOUTS[name]
    variant = pick(rng, spec.variants)
    if text is None:
        rows = spec.generate(rng, variant)
    else:
        given = parse_text(text)
        wanted = len(given) if len(given) in spec.rows else pick(rng, spec.rows)
        rows = arrange(given, wanted)
        if name == "moto":
            variant = "three" if len(rows) == 3 else "two"
    return spec.draw(rng, Spec(name, variant, tuple(rows)), fonts)
