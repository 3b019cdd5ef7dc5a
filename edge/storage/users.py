"""The ``users`` table (the seed's accounts, with an administrator flag): create, find, rename, re-key, delete.

Password hashes are made and checked by the caller (bcrypt in the API); this module only stores them.
All SQL is parameterised; user names compare exactly (case-sensitive) on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from edge.storage.database import Database, Session
from edge.storage.dialect import Dialect
from edge.storage.errors import ConstraintViolation, InvalidRecord, StorageError

T = TypeVar("T")
MAX_USERNAME = 50
MAX_PASSWORD_HASH = 255
_COLUMNS = "id, username, password, is_admin, created_at"


class UsernameTaken(StorageError):
    """Another account already has this user name."""


class RegistrationClosed(StorageError):
    """Accounts exist and the caller may not add one (only an administrator may, unless registration is open)."""


class LastAdministrator(StorageError):
    """The only administrator cannot go while other accounts remain (nobody could create accounts any more)."""


@dataclass(frozen=True)
class User:
    """An account; ``password_hash`` stays out of repr and is never sent to a client."""

    id: int
    username: str
    is_admin: bool
    created_at: datetime | None
    password_hash: str = field(default="", repr=False)


class UserRepository:
    """Reads and writes ``users``; thread-safe (the Database pools connections)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, username: str, password_hash: str, *, is_admin: bool, may_add: bool) -> User:
        """Create an account. The first account of an empty system is an administrator whatever is asked and
        whoever asks; after that ``may_add`` must be True (RegistrationClosed otherwise). Raises UsernameTaken."""
        _check(username, password_hash)

        def work(session: Session) -> User:
            row = session.fetch_one(f"SELECT COUNT(*) FROM users{session.dialect.for_update}")
            first = row is None or int(row[0]) == 0
            if not first and not may_add:
                raise RegistrationClosed("only an administrator can create accounts")
            if session.fetch_one("SELECT id FROM users WHERE username = ?", (username,)) is not None:
                raise UsernameTaken(f"user name {username!r} is taken")
            user_id = session.insert("INSERT INTO users (username, password, is_admin) VALUES (?, ?, ?)",
                                     (username, password_hash, first or is_admin))
            return _user(session.fetch_one(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,)))

        return self._run(work)

    def get(self, user_id: int) -> User | None:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (int(user_id),))
        return None if row is None else _user(row)

    def find(self, username: str) -> User | None:
        """The account with exactly this user name (with its password hash), or None."""
        if not username or len(username) > MAX_USERNAME:
            return None
        with self.database.transaction(write=False) as session:
            row = session.fetch_one(f"SELECT {_COLUMNS} FROM users WHERE username = ?", (username,))
        if row is None or str(row[1]) != username:  # MySQL's PAD SPACE compare finds "admin" for "admin "
            return None
        return _user(row)

    def list(self) -> list[User]:
        with self.database.transaction(write=False) as session:
            rows = session.fetch_all(f"SELECT {_COLUMNS} FROM users ORDER BY id")
        return [_user(r) for r in rows]

    def count(self) -> int:
        with self.database.transaction(write=False) as session:
            row = session.fetch_one("SELECT COUNT(*) FROM users")
        return int(row[0]) if row else 0

    def usernames(self, user_ids: Iterable[int]) -> dict[int, str]:
        """User names by id for the given ids (ids of deleted accounts are left out)."""
        wanted = sorted({int(i) for i in user_ids})
        found: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            with self.database.transaction(write=False) as session:
                rows = session.fetch_all(f"SELECT id, username FROM users WHERE id IN ({marks})", chunk)
            found.update({int(r[0]): str(r[1]) for r in rows})
        return found

    def rename(self, user_id: int, username: str) -> bool:
        """Give the account a new user name; False when it no longer exists. Raises UsernameTaken."""
        _check(username, "x")

        def work(session: Session) -> bool:
            other = session.fetch_one("SELECT id FROM users WHERE username = ?", (username,))
            if other is not None:
                if int(other[0]) == int(user_id):
                    return True  # already so named
                raise UsernameTaken(f"user name {username!r} is taken")
            return session.execute("UPDATE users SET username = ? WHERE id = ?", (username, int(user_id))) > 0

        return self._run(work)

    def set_password(self, user_id: int, password_hash: str) -> bool:
        """Store a new password hash and end every session of the account (one transaction)."""
        _check("xxx", password_hash)

        def work(session: Session) -> bool:
            changed = session.execute("UPDATE users SET password = ? WHERE id = ?", (password_hash, int(user_id)))
            session.execute("DELETE FROM sessions WHERE user_id = ?", (int(user_id),))
            return changed > 0

        return self.database.run(work)

    def delete(self, user_id: int) -> bool:
        """Delete the account and its sessions (its history rows keep a NULL user). Raises LastAdministrator
        when it is the only administrator and other accounts remain."""

        def work(session: Session) -> bool:
            row = session.fetch_one(f"SELECT is_admin FROM users WHERE id = ?{session.dialect.for_update}",
                                    (int(user_id),))
            if row is None:
                return False
            if bool(row[0]):
                admins = session.fetch_one("SELECT COUNT(*) FROM users WHERE is_admin = ?", (True,))
                others = session.fetch_one("SELECT COUNT(*) FROM users WHERE id <> ?", (int(user_id),))
                if admins is not None and others is not None and int(admins[0]) <= 1 and int(others[0]) > 0:
                    raise LastAdministrator("the only administrator cannot be deleted while other accounts exist")
            session.execute("DELETE FROM sessions WHERE user_id = ?", (int(user_id),))
            session.execute("UPDATE history SET user_id = NULL WHERE user_id = ?", (int(user_id),))
            return session.execute("DELETE FROM users WHERE id = ?", (int(user_id),)) > 0

        return self.database.run(work)

    def _run(self, work: Callable[[Session], T]) -> T:
        try:
            return self.database.run(work)
        except ConstraintViolation:  # a concurrent insert or rename won the unique key
            raise UsernameTaken("user name is taken") from None


def _check(username: str, password_hash: str) -> None:
    if not username or len(username) > MAX_USERNAME:
        raise InvalidRecord(f"username must be 1..{MAX_USERNAME} characters")
    if not password_hash or len(password_hash) > MAX_PASSWORD_HASH:
        raise InvalidRecord(f"password hash must be 1..{MAX_PASSWORD_HASH} characters")


def _user(row: tuple[Any, ...] | None) -> User:
    if row is None:
        raise StorageError("the account vanished while it was being read")
    return User(id=int(row[0]), username=str(row[1]), is_admin=bool(row[3]),
                created_at=Dialect.time_value(row[4]), password_hash=str(row[2] or ""))
