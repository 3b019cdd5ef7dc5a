"""The callback through which a bench reports its progress."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]
