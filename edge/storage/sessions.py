"""The ``sessions`` table: API sessions by the SHA-256 of their token (the token itself is never stored).

A session is valid while it exists and has not expired; logout deletes it, a password change or an
account deletion deletes every session of the account (see :class:`edge.storage.users.UserRepository`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from edge.storage.database import Database, Session
from edge.storage.dialect import Dialect
from edge.storage.errors import InvalidRecord

_TOKEN_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SessionUser:
    """The account a valid session belongs to."""

    user_id: int
    username: str
    is_admin: bool
    expires_at: datetime


class SessionRepository:
    """Creates, resolves and revokes sessions; thread-safe."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, user_id: int, token_hash: str, now: float, expires_at: float) -> None:
        """Store a session; expired sessions are pruned in the same transaction."""
        _check(token_hash)
        d = self.database.dialect

        def work(session: Session) -> None:
            session.execute("DELETE FROM sessions WHERE expires_at <= ?", (d.time_param(now),))
            session.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                            (token_hash, int(user_id), d.time_param(now), d.time_param(expires_at)))

        self.database.run(work)

    def resolve(self, token_hash: str, now: float) -> SessionUser | None:
        """The account of an existing, unexpired session; None otherwise."""
        if not _TOKEN_HASH.match(token_hash):
            return None
        d = self.database.dialect
        with self.database.transaction(write=False) as session:
            row = session.fetch_one(
                "SELECT u.id, u.username, u.is_admin, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.token_hash = ? AND s.expires_at > ?", (token_hash, d.time_param(now)))
        if row is None:
            return None
        expires = Dialect.time_value(row[3])
        assert expires is not None
        return SessionUser(int(row[0]), str(row[1]), bool(row[2]), expires)

    def revoke(self, token_hash: str) -> bool:
        """End one session; True when it existed."""
        if not _TOKEN_HASH.match(token_hash):
            return False
        with self.database.transaction() as session:
            return session.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,)) > 0

    def revoke_all(self, user_id: int) -> int:
        """End every session of an account; how many there were."""
        with self.database.transaction() as session:
            return session.execute("DELETE FROM sessions WHERE user_id = ?", (int(user_id),))

    def count(self, user_id: int) -> int:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one("SELECT COUNT(*) FROM sessions WHERE user_id = ?", (int(user_id),))
        return int(row[0]) if row else 0


def _check(token_hash: str) -> None:
    if not _TOKEN_HASH.match(token_hash):
        raise InvalidRecord("a session is stored by the 64 hex digits of its token's SHA-256")
