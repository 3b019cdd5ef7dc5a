"""UserRepository on SQLite and MariaDB: the first administrator, exact names, renames, password changes and
deletions that end sessions, the last administrator kept; migration 4 on a seed database."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from edge.storage.database import Database
from edge.storage.errors import InvalidRecord
from edge.storage.history import HistoryRepository
from edge.storage.migrations import MIGRATIONS, migrate
from edge.storage.sessions import SessionRepository
from edge.storage.users import LastAdministrator, RegistrationClosed, UsernameTaken, UserRepository

HASH = "$2b$04$" + "x" * 53


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url, create_database=True)
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def users(db: Database) -> UserRepository:
    return UserRepository(db)


def test_the_first_account_is_the_administrator_whatever_is_asked(users: UserRepository) -> None:
    first = users.create("first", HASH, is_admin=False, may_add=False)
    assert first.is_admin and first.username == "first" and first.created_at is not None
    with pytest.raises(RegistrationClosed):
        users.create("second", HASH, is_admin=False, may_add=False)
    second = users.create("second", HASH, is_admin=False, may_add=True)
    assert not second.is_admin
    assert [u.username for u in users.list()] == ["first", "second"]


def test_concurrent_first_registrations_make_one_administrator(users: UserRepository) -> None:
    made: list[bool] = []
    lock = threading.Lock()

    def register(name: str) -> None:
        try:
            user = users.create(name, HASH, is_admin=False, may_add=False)
        except RegistrationClosed:
            return
        with lock:
            made.append(user.is_admin)

    threads = [threading.Thread(target=register, args=(f"user{i}",), name=f"register-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == [True]
    assert users.count() == 1


def test_names_are_unique_and_exact(users: UserRepository) -> None:
    users.create("ana", HASH, is_admin=False, may_add=True)
    with pytest.raises(UsernameTaken):
        users.create("ana", HASH, is_admin=False, may_add=True)
    users.create("Ana", HASH, is_admin=False, may_add=True)  # case matters
    assert users.find("ana") is not None and users.find("ana ") is None and users.find("ANA") is None
    assert users.find("") is None and users.find("x" * 51) is None
    found = users.find("ana")
    assert found is not None and found.password_hash == HASH and HASH not in repr(found)


def test_rename(users: UserRepository) -> None:
    ana = users.create("ana", HASH, is_admin=False, may_add=True)
    users.create("bob", HASH, is_admin=False, may_add=True)
    with pytest.raises(UsernameTaken):
        users.rename(ana.id, "bob")
    assert users.rename(ana.id, "ana")  # its own name: nothing to do
    assert users.rename(ana.id, "anna")
    assert users.get(ana.id) is not None and users.find("anna") is not None
    assert not users.rename(99999, "ghost")


def test_a_new_password_ends_every_session(db: Database, users: UserRepository) -> None:
    ana = users.create("ana", HASH, is_admin=False, may_add=True)
    sessions = SessionRepository(db)
    sessions.create(ana.id, "a" * 64, 1000.0, 5000.0)
    sessions.create(ana.id, "b" * 64, 1000.0, 5000.0)
    assert users.set_password(ana.id, "$2b$04$" + "y" * 53)
    assert sessions.count(ana.id) == 0
    stored = users.find("ana")
    assert stored is not None and stored.password_hash.endswith("y" * 53)


def test_delete_keeps_history_and_the_last_administrator(db: Database, users: UserRepository) -> None:
    admin = users.create("admin", HASH, is_admin=False, may_add=False)
    ana = users.create("ana", HASH, is_admin=False, may_add=True)
    SessionRepository(db).create(ana.id, "c" * 64, 1000.0, 5000.0)
    history = HistoryRepository(db)
    row = history.add_manual("B123ABC", "entering", ana.id)
    with pytest.raises(LastAdministrator):
        users.delete(admin.id)
    assert users.delete(ana.id)
    assert not users.delete(ana.id)
    assert SessionRepository(db).count(ana.id) == 0
    assert [(r.id, r.user_id) for r in history.query()] == [(row, None)]
    assert users.delete(admin.id)  # alone now: the system may become empty
    assert users.count() == 0


def test_usernames_by_id(users: UserRepository) -> None:
    ids = [users.create(f"user{i}", HASH, is_admin=False, may_add=True).id for i in range(3)]
    assert users.usernames([ids[0], ids[2], 424242, ids[0]]) == {ids[0]: "user0", ids[2]: "user2"}
    assert users.usernames([]) == {}


def test_values_that_do_not_fit_are_refused(users: UserRepository) -> None:
    with pytest.raises(InvalidRecord):
        users.create("x" * 51, HASH, is_admin=False, may_add=True)
    with pytest.raises(InvalidRecord):
        users.create("ana", "h" * 256, is_admin=False, may_add=True)


def test_migration_4_promotes_the_oldest_seed_user(database_url: str) -> None:
    database = Database.from_url(database_url, create_database=True)
    try:
        migrate(database, MIGRATIONS[:3])
        with database.transaction() as session:
            for name in ("seed-first", "seed-second"):
                session.execute("INSERT INTO users (username, password) VALUES (?, ?)", (name, "pbkdf2:x"))
        assert migrate(database) == [4]
        users = UserRepository(database)
        assert [(u.username, u.is_admin) for u in users.list()] == [("seed-first", True), ("seed-second", False)]
    finally:
        database.close()


def test_migration_4_interrupted_on_mariadb_runs_again(mariadb_url: str) -> None:
    database = Database.from_url(mariadb_url, create_database=True)
    try:
        migrate(database)
        with database.transaction() as session:  # as if the daemon died after the DDL, before recording it
            session.execute("DELETE FROM schema_migrations WHERE version = 4")
        assert migrate(database) == [4]
        UserRepository(database).create("admin", HASH, is_admin=False, may_add=False)
    finally:
        database.close()
