"""Versioned schema migrations, applied in order at start-up, each once, recorded in ``schema_migrations``.

Migration 1 is the original CarWatch backend's schema (users, images, history), created only where it
is missing, so the daemon can share that backend's MySQL database; 2 adds the event columns to
``history``; 3 the anti-passback ``presence`` table; 4 the API's accounts: an administrator flag on ``users``
(the oldest existing user becomes the administrator) and hashed session tokens in ``sessions``.

Concurrency: on MySQL the whole run holds ``GET_LOCK`` (two daemons starting together: the second
waits, then finds everything applied). On SQLite each migration runs in a ``BEGIN IMMEDIATE``
transaction (DDL is transactional there), and every migration re-checks that it is still pending
inside its lock. MySQL commits each DDL statement by itself; ``Session.execute_ddl`` skips "already
exists" so that a migration interrupted half way can run again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from edge.storage.database import Database, Session
from edge.storage.dialect import Dialect
from edge.storage.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 60


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: Callable[[Dialect], list[str]]


def _seed_tables(d: Dialect) -> list[str]:
    statuses = "'entering', 'leaving', 'unknown'"
    return [
        f"""CREATE TABLE IF NOT EXISTS users (
            id {d.id_column},
            username VARCHAR(50) NOT NULL UNIQUE,
            password VARCHAR(255) NOT NULL,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP){d.table_options}""",
        f"""CREATE TABLE IF NOT EXISTS images (
            id {d.id_column},
            image {d.blob},
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP){d.table_options}""",
        f"""CREATE TABLE IF NOT EXISTS history (
            id {d.id_column},
            plate_number VARCHAR(20) NOT NULL,
            status VARCHAR(10) NOT NULL DEFAULT 'unknown' CHECK (status IN ({statuses})),
            user_id INT NULL,
            image_id INT NULL,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL){d.table_options}""",
    ]


EVENT_COLUMNS = (
    ("event_id", "CHAR(36)"), ("revision", "INT"), ("stage", "VARCHAR(16)"), ("site", "VARCHAR(64)"),
    ("camera", "VARCHAR(64)"), ("confidence", "{double}"), ("candidates", "{text}"), ("list_name", "VARCHAR(32)"),
    ("match_plate", "VARCHAR(32)"), ("match_name", "VARCHAR(255)"), ("distance", "{double}"),
    ("open_barrier", "{boolean}"), ("reason", "VARCHAR(32)"), ("presence", "VARCHAR(32)"),
    ("first_seen", "{time}"), ("decided_at", "{time}"), ("snapshot", "VARCHAR(255)"), ("crop", "VARCHAR(255)"),
    ("models", "{text}"), ("source", "VARCHAR(16)"), ("payload", "{large_text}"),
)


def _event_columns(d: Dialect) -> list[str]:
    types = {"double": d.double, "text": d.text, "boolean": d.boolean, "time": d.time, "large_text": d.large_text}
    columns = [f"{name} {kind.format(**types)} NULL" for name, kind in EVENT_COLUMNS]
    if d.name == "mysql":  # one ALTER: atomic on MySQL
        alters = [f"ALTER TABLE history {', '.join('ADD COLUMN ' + c for c in columns)}"]
    else:
        alters = [f"ALTER TABLE history ADD COLUMN {c}" for c in columns]
    return [
        *alters,
        "CREATE UNIQUE INDEX ux_history_event_id ON history (event_id)",
        "CREATE INDEX ix_history_plate_number ON history (plate_number)",
        "CREATE INDEX ix_history_created_at ON history (created_at)",
        "CREATE INDEX ix_history_camera_created_at ON history (camera, created_at)",
        "CREATE INDEX ix_history_site ON history (site)",
    ]


def _presence_table(d: Dialect) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS presence (
            site VARCHAR(64) NOT NULL,
            plate VARCHAR(20) NOT NULL,
            inside {d.boolean} NOT NULL,
            last_event_id CHAR(36) NULL,
            updated_at {d.time} NOT NULL,
            PRIMARY KEY (site, plate)){d.table_options}""",
    ]


def _accounts(d: Dialect) -> list[str]:
    if d.name == "mysql":
        promote = "UPDATE users SET is_admin = 1 ORDER BY id LIMIT 1"
    else:
        promote = "UPDATE users SET is_admin = 1 WHERE id = (SELECT MIN(id) FROM users)"
    return [
        f"ALTER TABLE users ADD COLUMN is_admin {d.boolean} NOT NULL DEFAULT 0",
        promote,  # a database shared with the seed backend keeps someone who may create accounts
        f"""CREATE TABLE IF NOT EXISTS sessions (
            id {d.id_column},
            token_hash CHAR(64) NOT NULL,
            user_id INT NOT NULL,
            created_at {d.time} NOT NULL,
            expires_at {d.time} NOT NULL){d.table_options}""",
        "CREATE UNIQUE INDEX ux_sessions_token_hash ON sessions (token_hash)",
        "CREATE INDEX ix_sessions_user_id ON sessions (user_id)",
        "CREATE INDEX ix_sessions_expires_at ON sessions (expires_at)",
    ]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "seed tables: users, images, history", _seed_tables),
    Migration(2, "history: event columns and indexes", _event_columns),
    Migration(3, "presence: anti-passback state", _presence_table),
    Migration(4, "accounts: administrator flag, sessions", _accounts),
)


def _migrations_table(d: Dialect) -> str:
    return f"""CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT NOT NULL PRIMARY KEY,
        name VARCHAR(100) NOT NULL,
        applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP){d.table_options}"""


def migrate(database: Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the pending migrations in version order; returns the versions applied by this call.

    Raises DatabaseUnavailable when the database cannot be reached (or another daemon holds the
    migration lock for longer than a minute); safe to call again later.
    """
    ordered = sorted(migrations, key=lambda m: m.version)
    if len({m.version for m in ordered}) != len(ordered):
        raise ValueError("two migrations share a version number")
    with database.transaction(write=True) as session:
        lock = _lock(session, database)
        try:
            session.execute_ddl(_migrations_table(session.dialect))
            session.commit()
            applied = [m.version for m in ordered if _apply(session, m)]
        finally:
            _unlock(session, lock)
    database.schema_version = ordered[-1].version if ordered else 0
    if applied:
        log.info("database %s: applied migrations %s", database.url.redacted(), applied)
    return applied


def _apply(session: Session, migration: Migration) -> bool:
    done = session.fetch_one("SELECT version FROM schema_migrations WHERE version = ?", (migration.version,))
    if done is not None:
        return False
    log.info("applying migration %d: %s", migration.version, migration.name)
    for statement in migration.statements(session.dialect):
        session.execute_ddl(statement)
    session.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    (migration.version, migration.name))
    session.commit()
    return True


def _lock(session: Session, database: Database) -> str | None:
    if session.dialect.name != "mysql":
        return None  # BEGIN IMMEDIATE already holds SQLite's write lock
    name = f"carwatch-migrate:{database.url.database}"[:64]
    row = session.fetch_one("SELECT GET_LOCK(?, ?)", (name, LOCK_TIMEOUT_S))
    if row is None or row[0] != 1:
        raise DatabaseUnavailable(f"database {database.url.redacted()}: another daemon holds the migration lock")
    return name


def _unlock(session: Session, name: str | None) -> None:
    if name is None:
        return
    try:
        session.fetch_one("SELECT RELEASE_LOCK(?)", (name,))
    except Exception:  # the connection died: the server released the lock with it
        log.debug("releasing the migration lock failed", exc_info=True)
