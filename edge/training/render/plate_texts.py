"""Random plate texts per country and layout, with their county and city tables."""

from __future__ import annotations

from collections.abc import Callable

from edge.training.render.random_draws import Rng, chance, pick
from edge.vision.charset import DIGITS, LETTERS

NO_IOQ = "ABCDEFGHJKLMNPRSTUVWXYZ"
NO_IOQU = "ABCDEFGHJKLMNPRSTVWXYZ"
NO_Q = "ABCDEFGHIJKLMNOPRSTUVWXYZ"
CONSONANTS = "BCDFGHJKLMNPRSTVWXYZ"
DUTCH = "BDFGHJKLNPRSTVXZ"
DE_CITIES = ("B", "M", "HH", "K", "S", "F", "D", "DO", "E", "BN", "MZ", "KA", "HB", "H", "L", "DD", "N", "A", "WI",
             "AC", "BI", "MS", "OS", "KI", "LB", "ES", "RV", "HD", "FR", "GI", "ERZ", "LDS", "MYK", "SIG", "PAF")
RO_COUNTIES = ("AB", "AR", "AG", "B", "BC", "BH", "BN", "BT", "BV", "BR", "BZ", "CS", "CL", "CJ", "CT", "CV", "DB",
               "DJ", "GL", "GR", "GJ", "HR", "HD", "IL", "IS", "IF", "MM", "MH", "MS", "NT", "OT", "PH", "SM", "SJ",
               "SB", "SV", "TR", "TM", "TL", "VS", "VL", "VN")
PL_CITIES = ("WA", "WE", "WX", "KR", "KRA", "PO", "GD", "WR", "LU", "SK", "EL", "ZS", "DW", "PZ", "BI", "OP")
UK_AGES = tuple(f"{n:02d}" for n in (*range(2, 26), *range(51, 75)))


def letters(rng: Rng, n: int, alphabet: str = LETTERS) -> str:
    return "".join(pick(rng, alphabet) for _ in range(n))


def digits(rng: Rng, n: int, first_nonzero: bool = False) -> str:
    text = "".join(pick(rng, DIGITS) for _ in range(n))
    return (pick(rng, DIGITS[1:]) + text[1:]) if first_nonzero and n else text


def _de_text(rng: Rng) -> str:
    city = pick(rng, DE_CITIES)
    mid = letters(rng, int(rng.integers(1, 3)), NO_IOQ)
    room = min(4, 8 - len(city) - len(mid))
    number = digits(rng, int(rng.integers(1, room + 1)), True)
    suffix = pick(rng, "EH") if chance(rng, 0.05) and len(city + mid + number) < 8 else ""
    return f"{city}@{mid} {number}{suffix}"


def _ro_text(rng: Rng) -> str:
    county = pick(rng, RO_COUNTIES)
    if chance(rng, 0.08):  # temporary plate: digits only, red
        return f"{county} 0{digits(rng, 5)}"
    n = int(rng.integers(2, 4)) if county == "B" else 2
    # The letters never start with I or O and never hold Q, but I and O follow (SB90TZI, B305CIL, B11WOB): a
    # narrow I after a wide letter is what the reader dropped most (TR95XMI read TR95XM).
    return f"{county} {digits(rng, n)} {letters(rng, 1, NO_IOQ)}{letters(rng, 2, NO_Q)}"


def _nl_text(rng: Rng) -> str:
    d, ll = digits, letters
    return pick(rng, (f"{d(rng, 2)}-{ll(rng, 3, DUTCH)}-{d(rng, 1)}", f"{d(rng, 1)}-{ll(rng, 3, DUTCH)}-{d(rng, 2)}",
                      f"{ll(rng, 2, DUTCH)}-{d(rng, 3)}-{ll(rng, 1, DUTCH)}",
                      f"{ll(rng, 2, DUTCH)}-{ll(rng, 2, DUTCH)}-{d(rng, 2)}",
                      f"{d(rng, 2)}-{ll(rng, 2, DUTCH)}-{ll(rng, 2, DUTCH)}"))


def _generic_text(rng: Rng) -> str:
    d, ll = digits, letters
    return pick(rng, (f"{ll(rng, 3)} {d(rng, 3)}", f"{ll(rng, 2)} {d(rng, 4)}",
                      f"{ll(rng, 2)}-{d(rng, 3)}-{ll(rng, 2)}", f"{d(rng, 3)} {ll(rng, 3)}",
                      f"{ll(rng, 2)} {d(rng, 3)}{ll(rng, 2)}", f"{ll(rng, 3)}-{d(rng, 4)}",
                      f"{ll(rng, 1)}{d(rng, 3)} {ll(rng, 3)}", f"{d(rng, 4)} {ll(rng, 2)}"))


def eu_text(rng: Rng, country: str) -> list[str]:
    d, ll = digits, letters
    makers: dict[str, Callable[[], str]] = {
        "D": lambda: _de_text(rng),
        "RO": lambda: _ro_text(rng),
        "E": lambda: f"{d(rng, 4)} {ll(rng, 3, CONSONANTS)}",
        "NL": lambda: _nl_text(rng),
        "I": lambda: f"{ll(rng, 2, NO_IOQU)} {d(rng, 3)}{pick(rng, ('', ' '))}{ll(rng, 2, NO_IOQU)}",
        "F": lambda: f"{ll(rng, 2, NO_IOQU)}-{d(rng, 3)}-{ll(rng, 2, NO_IOQU)}",
        "PL": lambda: f"{pick(rng, PL_CITIES)} {pick(rng, (d(rng, 5), d(rng, 4) + ll(rng, 1, NO_IOQ)))}",
        "B": lambda: f"{d(rng, 1, True)}-{ll(rng, 3)}-{d(rng, 3)}",
        "CZ": lambda: f"{d(rng, 1, True)}{ll(rng, 1, NO_IOQ)}{pick(rng, DIGITS + NO_IOQ)} {d(rng, 4)}",
        "S": lambda: f"{ll(rng, 3, NO_IOQ)} {d(rng, 2)}{pick(rng, DIGITS + NO_IOQ)}",
        "A": lambda: f"{ll(rng, int(rng.integers(1, 3)))}@{d(rng, int(rng.integers(2, 5)), True)}{ll(rng, 1)}",
    }
    make = makers.get(country)
    return [make() if make is not None else _generic_text(rng)]


def uk_text(rng: Rng, _variant: str) -> list[str]:
    roll = rng.random()
    if roll < 0.85:
        return [f"{letters(rng, 2, NO_IOQ)}{pick(rng, UK_AGES)} {letters(rng, 3, NO_IOQ)}"]
    if roll < 0.93:
        return [f"{letters(rng, 1, NO_IOQ)}{digits(rng, int(rng.integers(1, 4)), True)} {letters(rng, 3, NO_IOQ)}"]
    return [f"{letters(rng, 3, NO_IOQ)} {digits(rng, int(rng.integers(1, 4)), True)}{letters(rng, 1, NO_IOQ)}"]


def us_text(rng: Rng, _variant: str) -> list[str]:
    d, ll = digits, letters
    return [pick(rng, (f"{ll(rng, 3)} {d(rng, 4)}", f"{ll(rng, 3)}-{d(rng, 4)}",
                       f"{d(rng, 1, True)}{ll(rng, 3)}{d(rng, 3)}",
                       f"{ll(rng, 3)}{d(rng, 4)}", f"{ll(rng, 3)} {d(rng, 3)}", f"{d(rng, 3)} {ll(rng, 3)}",
                       f"{d(rng, 3)}@{ll(rng, 3)}", f"{ll(rng, 3)}@{d(rng, 3)}",
                       f"{ll(rng, 2)}{d(rng, 1)} {d(rng, 1)}{ll(rng, 2)}", f"{d(rng, 3)}-{ll(rng, 3)}",
                       f"{ll(rng, 2)} {d(rng, 5)}", f"{d(rng, 1)}{ll(rng, 2)} {d(rng, 4)}",
                       f"{ll(rng, int(rng.integers(4, 8)))}"))]


def br_old_text(rng: Rng, _variant: str) -> list[str]:
    return [f"{letters(rng, 3)}{pick(rng, ('-', '-', '-', ' ', '·'))}{digits(rng, 4)}"]


def mercosur_text(rng: Rng, country: str) -> list[str]:
    d, ll = digits, letters
    texts = {"BRASIL": f"{ll(rng, 3)}{d(rng, 1)}{ll(rng, 1)}{d(rng, 2)}",
             "ARGENTINA": f"{ll(rng, 2)} {d(rng, 3)} {ll(rng, 2)}",
             "URUGUAY": f"{ll(rng, 3)} {d(rng, 4)}", "PARAGUAY": f"{ll(rng, 4)} {d(rng, 3)}"}
    return [texts[country]]


def two_row_text(rng: Rng, variant: str) -> list[str]:
    d, ll = digits, letters
    if variant == "uk":
        return [f"{ll(rng, 2, NO_IOQ)}{pick(rng, UK_AGES)}", ll(rng, 3, NO_IOQ)]
    if variant == "asia":
        return pick(rng, ([ll(rng, int(rng.integers(2, 4))), d(rng, int(rng.integers(2, 5)), True)],
                          [ll(rng, 3), f"{d(rng, 4, True)}{ll(rng, 1)}"], [ll(rng, 2), d(rng, 4, True)],
                          [f"{ll(rng, 2)} {d(rng, 2)}", f"{ll(rng, 2)} {d(rng, 4)}"]))
    city = pick(rng, DE_CITIES)
    return pick(rng, ([f"{city}@{ll(rng, 2, NO_IOQ)}", d(rng, int(rng.integers(2, 5)), True)],
                      [f"{ll(rng, 2)} {d(rng, 2)}", ll(rng, 3, NO_IOQ)], [f"{ll(rng, 2)}-{d(rng, 3)}", ll(rng, 2)],
                      [ll(rng, 3), d(rng, 3)]))


def moto_text(rng: Rng, variant: str) -> list[str]:
    d, ll = digits, letters
    if variant == "three":
        return pick(rng, ([ll(rng, int(rng.integers(1, 3))), d(rng, int(rng.integers(2, 4))), ll(rng, 3)],
                          [ll(rng, 2), d(rng, 3), ll(rng, 2)], [d(rng, 2), ll(rng, 2), d(rng, 3)]))
    return pick(rng, ([ll(rng, 2), f"{d(rng, 3)} {ll(rng, 2)}"], [f"{ll(rng, 2)} {d(rng, 2)}", ll(rng, 3)],
                      [f"{pick(rng, DE_CITIES)}@{ll(rng, 1)}", d(rng, 3, True)],
                      [f"{ll(rng, 2)}-{d(rng, 3)}", ll(rng, 2)],
                      [ll(rng, 3), d(rng, 3)], [f"{ll(rng, 2)}{d(rng, 1)}", f"{d(rng, 3)}{ll(rng, 1)}"]))
