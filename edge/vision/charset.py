"""The characters the reader knows, in the class order of the shipped character model."""

from __future__ import annotations

DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CHARSET = DIGITS + LETTERS  # class i of the character model is CHARSET[i]
