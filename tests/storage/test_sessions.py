"""SessionRepository on SQLite and MariaDB: sessions by token hash, expiry, revocation, pruning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge.storage.database import Database
from edge.storage.errors import InvalidRecord
from edge.storage.migrations import migrate
from edge.storage.sessions import SessionRepository
from edge.storage.users import UserRepository

T0 = 1_800_000_000.0
A, B, C = "a" * 64, "b" * 64, "c" * 64


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url, create_database=True)
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def user_id(db: Database) -> int:
    return UserRepository(db).create("ana", "$2b$04$" + "x" * 53, is_admin=False, may_add=True).id


def test_a_session_resolves_until_it_expires(db: Database, user_id: int) -> None:
    sessions = SessionRepository(db)
    sessions.create(user_id, A, T0, T0 + 60)
    found = sessions.resolve(A, T0 + 59.5)
    assert found is not None and (found.user_id, found.username, found.is_admin) == (user_id, "ana", True)
    assert found.expires_at.timestamp() == pytest.approx(T0 + 60, abs=0.001)
    assert sessions.resolve(A, T0 + 60) is None
    assert sessions.resolve(B, T0) is None


def test_revoke_one_or_all(db: Database, user_id: int) -> None:
    sessions = SessionRepository(db)
    for token in (A, B, C):
        sessions.create(user_id, token, T0, T0 + 60)
    assert sessions.revoke(A) and not sessions.revoke(A)
    assert sessions.resolve(A, T0) is None and sessions.resolve(B, T0) is not None
    assert sessions.revoke_all(user_id) == 2
    assert sessions.count(user_id) == 0


def test_expired_sessions_are_pruned_on_the_next_login(db: Database, user_id: int) -> None:
    sessions = SessionRepository(db)
    sessions.create(user_id, A, T0, T0 + 60)
    sessions.create(user_id, B, T0 + 120, T0 + 180)
    assert sessions.count(user_id) == 1


@pytest.mark.parametrize("token_hash", ["", "A" * 64, "a" * 63, "' OR 1=1 --" + "a" * 53, "g" * 64])
def test_only_hex_digests_are_looked_up_or_stored(db: Database, user_id: int, token_hash: str) -> None:
    sessions = SessionRepository(db)
    assert sessions.resolve(token_hash, T0) is None
    assert not sessions.revoke(token_hash)
    with pytest.raises(InvalidRecord):
        sessions.create(user_id, token_hash, T0, T0 + 60)


def test_the_same_token_cannot_be_stored_twice(db: Database, user_id: int) -> None:
    sessions = SessionRepository(db)
    sessions.create(user_id, A, T0, T0 + 60)
    with pytest.raises(Exception, match=r"(?i)duplicate|unique|constraint"):
        sessions.create(user_id, A, T0, T0 + 60)
