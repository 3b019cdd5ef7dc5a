"""Password hashing (bcrypt) and session tokens (32 random bytes, stored only as their SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

import bcrypt

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 128  # a token_urlsafe(32) is 43 characters; anything much longer is not ours


class PasswordHasher:
    """bcrypt with a fixed cost. ``verify`` of an unknown user checks a dummy hash of the same cost, so an
    unknown user name takes as long to refuse as a wrong password."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self._dummy = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds))

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(self.rounds)).decode("ascii")

    def verify(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` matches ``stored`` (None: no such user, always False after the same work).
        A stored value that is not a bcrypt hash (an account from another system) never matches."""
        candidate = password.encode("utf-8")
        if stored is None:
            bcrypt.checkpw(candidate, self._dummy)
            return False
        try:
            return bcrypt.checkpw(candidate, stored.encode("utf-8"))
        except ValueError:  # not a bcrypt hash: do the same work, refuse
            bcrypt.checkpw(candidate, self._dummy)
            return False


def new_token() -> str:
    """A fresh session token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
