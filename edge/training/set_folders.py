"""The folders of a training set in YOLO layout, emptied before the set is written anew.

Every set is read back by listing its folders (``images/*.jpg``), so a file left from an earlier build (named
otherwise, beyond a smaller count, or of a crop no longer written) would be trained on as if it were new.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def fresh_folders(out: Path, subs: tuple[str, ...] = ("images", "labels")) -> tuple[Path, ...]:
    """Create ``out/<sub>`` for each of ``subs``, empty; returns them in that order."""
    folders = tuple(out / sub for sub in subs)
    for folder in folders:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    return folders
