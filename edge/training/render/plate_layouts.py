"""The layouts: their variants, rows, weights, text generators and drawings; one flat plate of any."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from edge.training.render.plate_canvas import _Spec
from edge.training.render.plate_drawing import (
    EU_VARIANTS,
    _draw_br_old,
    _draw_eu,
    _draw_mercosur,
    _draw_moto,
    _draw_two_row,
    _draw_uk,
    _draw_us,
)
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_texts import (
    _br_old_text,
    _eu_text,
    _mercosur_text,
    _moto_text,
    _two_row_text,
    _uk_text,
    _us_text,
)
from edge.training.render.plate_types import _Flat
from edge.training.render.random_draws import Rng, _pick
from edge.training.render.text_rows import _arrange, _parse_text


@dataclass(frozen=True)
class _Layout:
    variants: tuple[str, ...]
    rows: tuple[int, ...]  # how many rows a caller's text is arranged in (picked at random)
    weight: float  # share of randomly chosen layouts
    generate: Callable[[Rng, str], list[str]]
    draw: Callable[[Rng, _Spec, FontSet], _Flat]


def _generate_eu(rng: Rng, variant: str) -> list[str]:
    return _eu_text(rng, variant)


_LAYOUTS = MappingProxyType({
    "eu": _Layout(EU_VARIANTS, (1,), 0.3, _generate_eu, _draw_eu),
    "uk": _Layout(("uk",), (1,), 0.13, _uk_text, _draw_uk),
    "us": _Layout(("us",), (1,), 0.2, _us_text, _draw_us),
    "br_old": _Layout(("br",), (1,), 0.06, _br_old_text, _draw_br_old),
    "mercosur": _Layout(("BRASIL", "BRASIL", "BRASIL", "ARGENTINA", "URUGUAY", "PARAGUAY"), (1,), 0.09, _mercosur_text,
                        _draw_mercosur),
    "two_row": _Layout(("eu", "uk", "asia"), (2,), 0.12, _two_row_text, _draw_two_row),
    "moto": _Layout(("two", "three"), (2, 3), 0.1, _moto_text, _draw_moto),
})
LAYOUTS: tuple[str, ...] = tuple(_LAYOUTS)


def _pick_layout(rng: Rng) -> str:
    weights = np.array([spec.weight for spec in _LAYOUTS.values()])
    return LAYOUTS[int(rng.choice(len(LAYOUTS), p=weights / weights.sum()))]


def _draw_plate(rng: Rng, layout: str | None, text: str | None, fonts: FontSet) -> _Flat:
    name = layout or _pick_layout(rng)
    if name not in _LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; choose from {', '.join(LAYOUTS)}")
    spec = _LAYOUTS[name]
    variant = _pick(rng, spec.variants)
    if text is None:
        rows = spec.generate(rng, variant)
    else:
        given = _parse_text(text)
        wanted = len(given) if len(given) in spec.rows else _pick(rng, spec.rows)
        rows = _arrange(given, wanted)
        if name == "moto":
            variant = "three" if len(rows) == 3 else "two"
    return spec.draw(rng, _Spec(name, variant, tuple(rows)), fonts)
