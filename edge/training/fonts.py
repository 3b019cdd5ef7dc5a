"""Fonts for rendered plates: the Debian packages that carry plate-like type, and their files.

Install them with ``make fonts`` (as root: ``apt-get install -y`` followed by the packages in
:data:`FONT_PACKAGES`). Only the standard library is imported here, so the Makefile can read the
package list before any virtual environment exists.

Faces are kept when they look like plate type: upright sans, preferably bold, condensed or DIN-like.
Italic and oblique faces, serif, monospace, symbol and non-Latin fonts are left out, and so are
geometric faces whose O and 0, or I and 1, are drawn alike (they would teach the reader wrong labels).
When none of the packages is installed, any DejaVu Sans face is used (``fonts-dejavu-core``).
"""

from __future__ import annotations

import re
from pathlib import Path

FONT_PACKAGES: tuple[str, ...] = (
    "fonts-dejavu-core",  # DejaVu Sans, Sans Bold: the fallback everyone has
    "fonts-dejavu-extra",  # DejaVu Sans Condensed, Condensed Bold
    "fonts-liberation2",  # Liberation Sans (Arial metrics), Bold
    "fonts-freefont-ttf",  # FreeSans, FreeSans Bold (Helvetica-like)
    "fonts-urw-base35",  # Nimbus Sans, Nimbus Sans Narrow (Helvetica Narrow): UK and many EU plates
    "fonts-roboto-unhinted",  # Roboto and Roboto Condensed
    "fonts-b612",  # B612: legible cockpit sans with distinct 0/O and 1/I
    "fonts-opendin",  # OSP-DIN: DIN 1451, the German and Romanian plate lettering
    "fonts-roadgeek",  # Roadgeek 2014 series B-EM: FHWA "Highway Gothic", the US plate lettering
)

DPKG_INFO = Path("/var/lib/dpkg/info")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SUFFIXES = (".ttf", ".otf")

# File-name fragments of faces that do not look like plate type.
_EXCLUDE = re.compile(
    r"italic|oblique|bdita|serif|mono|math|symbol|dingbat|d050000l|z003|c059|p052|nimbusroman|bookman"
    r"|urwgothic|extralight|light|thin|rg2014f|cjk|arab|hebrew|thai|devanagari|bengali|ethiopic",
    re.IGNORECASE,
)
# Faces that can letter the clutter around the plate text (state names, slogans, dealer names).
_DECOR_EXCLUDE = re.compile(r"symbol|dingbat|d050000l|math|mono|cjk|arab|hebrew|thai|devanagari|bengali|ethiopic",
                            re.IGNORECASE)
# Fragments of the faces to prefer: heavy, narrow, or drawn after real plate lettering.
_PREFERRED = re.compile(r"bold|black|heavy|medium|demi|condensed|narrow|din|rg2014", re.IGNORECASE)


def package_files(package: str, info_dir: Path = DPKG_INFO) -> list[Path]:
    """Files that dpkg installed for ``package`` (empty when it is not installed)."""
    for name in (f"{package}.list", f"{package}:all.list"):
        listing = info_dir / name
        if listing.exists():
            return [Path(line) for line in listing.read_text().splitlines() if line.strip()]
    return []


def is_plate_face(path: Path) -> bool:
    """Whether a font file looks like plate type by its name (upright sans, Latin)."""
    return path.suffix.lower() in FONT_SUFFIXES and not _EXCLUDE.search(path.name)


def is_preferred_face(path: Path) -> bool:
    """Bold, condensed, narrow or plate-lettering faces, which a renderer should draw more often."""
    return bool(_PREFERRED.search(path.name))


def _dejavu_fallback(font_dirs: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for root in font_dirs:
        if root.is_dir():
            found.extend(p for p in root.rglob("DejaVuSans*.ttf") if is_plate_face(p))
    return sorted(set(found), key=lambda p: (not is_preferred_face(p), p.name))


def find_plate_fonts(packages: tuple[str, ...] = FONT_PACKAGES, info_dir: Path = DPKG_INFO,
                     font_dirs: tuple[Path, ...] = FONT_DIRS) -> list[Path]:
    """Installed plate faces of ``packages``, preferred faces first; DejaVu Sans when none is found.

    Returns an empty list only when not even DejaVu Sans is installed.
    """
    found: dict[str, Path] = {}
    for package in packages:
        for path in package_files(package, info_dir):
            if is_plate_face(path) and path.exists():
                found.setdefault(path.name, path)
    fonts = sorted(found.values(), key=lambda p: (not is_preferred_face(p), p.name))
    return fonts or _dejavu_fallback(font_dirs)


def find_decor_fonts(packages: tuple[str, ...] = FONT_PACKAGES, info_dir: Path = DPKG_INFO,
                     font_dirs: tuple[Path, ...] = FONT_DIRS) -> list[Path]:
    """Every Latin text face of ``packages``, italic and serif included: for unlabelled clutter only."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in package_files(package, info_dir):
            if path.suffix.lower() in FONT_SUFFIXES and not _DECOR_EXCLUDE.search(path.name) and path.exists():
                found.setdefault(path.name, path)
    return sorted(found.values(), key=lambda p: p.name) or find_plate_fonts(packages, info_dir, font_dirs)
