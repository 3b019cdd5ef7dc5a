"""The error a bench raises when it cannot run."""

from __future__ import annotations


class BenchError(RuntimeError):
    """A bench could not run (no broker, a clip that cannot be written, a daemon that did not start)."""
