"""Versioned migrations on SQLite and MariaDB: once each, concurrent start-ups, the seed's existing tables."""

from __future__ import annotations

import threading

import pytest

from edge.storage.database import Database
from edge.storage.migrations import MIGRATIONS, migrate

ALL_VERSIONS = [m.version for m in MIGRATIONS]


def applied_versions(db: Database) -> list[int]:
    with db.transaction(write=False) as s:
        return [int(r[0]) for r in s.fetch_all("SELECT version FROM schema_migrations ORDER BY version")]


def history_columns(db: Database) -> set[str]:
    with db.transaction(write=False) as s:
        if db.dialect.name == "sqlite":
            return {str(r[1]) for r in s.fetch_all("PRAGMA table_info(history)")}
        return {str(r[0]) for r in s.fetch_all("SHOW COLUMNS FROM history")}


def test_migrations_apply_once_and_again_is_a_no_op(database_url: str) -> None:
    db = Database.from_url(database_url, create_database=True)
    assert migrate(db) == ALL_VERSIONS
    assert db.schema_version == ALL_VERSIONS[-1]
    assert migrate(db) == []
    assert applied_versions(db) == ALL_VERSIONS
    assert {"event_id", "revision", "payload", "decided_at", "open_barrier"} <= history_columns(db)
    db.close()


def test_two_daemons_migrating_at_once(database_url: str) -> None:
    first = Database.from_url(database_url, create_database=True)
    with first.transaction(write=False):
        pass  # the MariaDB database exists before the race
    databases = [first, Database.from_url(database_url, create_database=True)]
    results: list[list[int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def start(db: Database) -> None:
        try:
            barrier.wait()
            results.append(migrate(db))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(db,), name=f"migrator-{i}") for i, db in enumerate(databases)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(v for r in results for v in r) == ALL_VERSIONS
    assert applied_versions(first) == ALL_VERSIONS
    for db in databases:
        db.close()


def test_the_seed_backend_tables_are_kept_and_extended(database_url: str) -> None:
    db = Database.from_url(database_url, create_database=True)
    status = ("ENUM('entering','leaving','unknown')" if db.dialect.name == "mysql" else "VARCHAR(10)")
    auto = "INT AUTO_INCREMENT PRIMARY KEY" if db.dialect.name == "mysql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with db.transaction() as s:  # what the original Flask backend created
        s.execute(f"CREATE TABLE users (id {auto}, username VARCHAR(50) UNIQUE NOT NULL, "
                  "password VARCHAR(255) NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
        s.execute(f"CREATE TABLE images (id {auto}, image BLOB, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
        s.execute(f"CREATE TABLE history (id {auto}, plate_number VARCHAR(20) NOT NULL, status {status}, "
                  "user_id INT NULL, image_id INT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
        s.execute("INSERT INTO history (plate_number, status) VALUES (?, ?)", ("OLD123", "entering"))
    assert migrate(db) == ALL_VERSIONS
    with db.transaction(write=False) as s:
        assert s.fetch_all("SELECT plate_number, status, event_id FROM history") == [("OLD123", "entering", None)]
    assert "payload" in history_columns(db)
    db.close()


def test_a_migration_interrupted_on_mariadb_runs_again(mariadb_url: str) -> None:
    db = Database.from_url(mariadb_url, create_database=True)
    migrate(db)
    with db.transaction() as s:  # as if the daemon died after the DDL, before recording version 2
        s.execute("DELETE FROM schema_migrations WHERE version = 2")
    assert migrate(db) == [2]
    db.close()


def test_duplicate_versions_are_refused(tmp_path: object) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(ValueError):
        migrate(db, (MIGRATIONS[0], MIGRATIONS[0]))
