"""Errors the vision package raises: each says what failed and where, in one line."""

from __future__ import annotations

from pathlib import Path


class ModelError(RuntimeError):
    """A model file is missing, unreadable or not the kind of model expected."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"model {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class ImageError(ValueError):
    """Bytes that cannot be used as an image (empty, truncated, not an image, too large)."""
