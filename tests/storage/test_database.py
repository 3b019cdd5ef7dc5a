"""The Database on real SQLite files and a real MariaDB: errors, reconnects, no password in messages."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

import pymysql
import pytest

from edge.storage.database import Database
from edge.storage.errors import ConstraintViolation, DatabaseError, DatabaseUnavailable
from tests.services import MARIADB, require_service
from tests.storage.factories import free_port


def test_transaction_commits_and_rolls_back(database_url: str) -> None:
    db = Database.from_url(database_url, create_database=True)
    try:
        with db.transaction() as s:
            s.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))")
        with db.transaction() as s:
            s.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "50% of 'it'"))
        with pytest.raises(RuntimeError), db.transaction() as s:
            s.execute("INSERT INTO t (id, v) VALUES (?, ?)", (2, "gone"))
            raise RuntimeError("boom")
        with pytest.raises(ConstraintViolation), db.transaction() as s:
            s.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "duplicate"))
        with pytest.raises(DatabaseError), db.transaction() as s:
            s.execute("SELECT no_such_column FROM t")
        with db.transaction(write=False) as s:
            assert s.fetch_all("SELECT id, v FROM t") == [(1, "50% of 'it'")]
    finally:
        db.close()


def test_pool_is_shared_by_threads(database_url: str) -> None:
    db = Database.from_url(database_url, pool_size=2, create_database=True)
    with db.transaction() as s:
        s.execute("CREATE TABLE n (v INT)")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(20):
                with db.transaction() as s:
                    s.execute("INSERT INTO n (v) VALUES (?)", (i,))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, name=f"db-{i}") for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.transaction(write=False) as s:
        assert s.fetch_one("SELECT COUNT(*) FROM n") == (120,)
    db.close()


def test_closed_port_is_unavailable_then_fails_fast() -> None:
    db = Database.from_url(f"mysql://root:hunter2secret@127.0.0.1:{free_port()}/cw", connect_timeout_s=2,
                           retry_after_s=60)
    for _ in range(2):
        with pytest.raises(DatabaseUnavailable) as caught, db.transaction():
            pass
        assert "hunter2secret" not in str(caught.value)
    assert "moments ago" in str(caught.value)


def test_wrong_password_never_reaches_the_message_or_the_log(
    mariadb_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = mariadb_url.replace("root@", "root:Wr0ng-S3cret@")
    db = Database.from_url(url, create_database=True)
    with pytest.raises(DatabaseUnavailable) as caught, db.transaction():
        pass
    assert "Wr0ng-S3cret" not in str(caught.value) and "Wr0ng-S3cret" not in repr(db)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no driver traceback attached
    assert "Wr0ng-S3cret" not in caplog.text
    assert "***" in str(caught.value)


def test_missing_database_is_created_only_when_allowed(mariadb_url: str) -> None:
    refused = Database.from_url(mariadb_url, create_database=False)
    with pytest.raises(DatabaseUnavailable), refused.transaction():
        pass
    created = Database.from_url(mariadb_url, create_database=True)
    with created.transaction(write=False) as s:
        assert s.fetch_one("SELECT DATABASE()") == (mariadb_url.rsplit("/", 1)[1],)
    created.close()


def test_a_dropped_connection_is_replaced(mariadb_url: str) -> None:
    db = Database.from_url(mariadb_url, pool_size=1, create_database=True)
    with db.transaction(write=False) as s:
        row = s.fetch_one("SELECT CONNECTION_ID()")
    assert row is not None
    killer = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", password="")
    with killer.cursor() as cursor:
        cursor.execute(f"KILL {int(row[0])}")
    killer.close()
    with db.transaction(write=False) as s:
        again = s.fetch_one("SELECT CONNECTION_ID()")
    assert again is not None and again != row
    db.close()


def test_sqlite_file_in_a_new_folder(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'a' / 'b' / 'h.db'}")
    with db.transaction() as s:
        assert s.fetch_one("PRAGMA journal_mode") == ("wal",)
        assert s.fetch_one("PRAGMA foreign_keys") == (1,)
    db.close()
    with pytest.raises(DatabaseUnavailable), db.transaction():
        pass


def test_mariadb_name_is_required_to_be_plain() -> None:
    require_service("MariaDB", MARIADB)
    with pytest.raises(ValueError):
        Database.from_url(f"mysql://root@127.0.0.1/{uuid.uuid4().hex}`x")
