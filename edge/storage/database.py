"""One database, SQLite or MySQL/MariaDB: a small connection pool, transactions and driver errors mapped.

Repository code runs SQL with ``?`` placeholders through a :class:`Session`; every driver exception
leaving :meth:`Database.transaction` is a :mod:`edge.storage.errors` exception whose message carries
neither the URL's password nor the driver's class name.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pymysql

from edge.settings.storage import HistoryDatabaseSettings
from edge.storage.dialect import MYSQL, SQLITE, Dialect
from edge.storage.errors import (
    ConstraintViolation,
    DatabaseError,
    DatabaseUnavailable,
    Deadlock,
    InvalidRecord,
    StorageError,
)
from edge.storage.url import DatabaseUrl, redact_url

log = logging.getLogger(__name__)

T = TypeVar("T")

# MySQL/MariaDB errors that mean "not now" rather than "never": access, limits, locks, read-only, disk.
MYSQL_RETRYABLE = {1021, 1040, 1044, 1045, 1049, 1053, 1114, 1152, 1153, 1184, 1205, 1213, 1290, 1836, 1927, 4031}
MYSQL_DEADLOCK = 1213
MYSQL_UNKNOWN_DATABASE = 1049
MYSQL_ALREADY_EXISTS = {1050, 1060, 1061}  # table, column, index: tolerated by execute_ddl
SQLITE_RETRYABLE = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN",
                    "SQLITE_READONLY", "SQLITE_PROTOCOL"}


class Session:
    """SQL on one connection inside one transaction (``?`` placeholders, any dialect)."""

    def __init__(self, raw: Any, dialect: Dialect, write: bool) -> None:
        self._raw = raw
        self.dialect = dialect
        self._write = write

    def _cursor(self, sql: str, params: Sequence[Any]) -> Any:
        cursor = self._raw.cursor()
        cursor.execute(self.dialect.sql(sql), tuple(params))
        return cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        cursor = self._cursor(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT; the new row's auto-increment id."""
        cursor = self._cursor(sql, params)
        try:
            return int(cursor.lastrowid or 0)
        finally:
            cursor.close()

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._cursor(sql, params)
        try:
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def execute_ddl(self, sql: str) -> None:
        """Run schema DDL; on MySQL an "already exists" (table, column, index) is logged and skipped, so a
        migration interrupted half way (MySQL commits each DDL statement) can run again."""
        try:
            self.execute(sql)
        except pymysql.err.MySQLError as exc:
            if not (exc.args and exc.args[0] in MYSQL_ALREADY_EXISTS):
                raise
            log.info("schema: skipped, already there: %s (%s)", sql.split("(", maxsplit=1)[0].strip(), exc.args[1])

    def commit(self) -> None:
        """Commit what was done so far and go on in a new transaction."""
        if self.dialect.name == "sqlite":
            self._raw.execute("COMMIT")
            self._raw.execute("BEGIN IMMEDIATE" if self._write else "BEGIN")
        else:
            self._raw.commit()


class Database:
    """A database from a URL, with a pool of at most ``pool_size`` connections; thread-safe.

    MySQL: short connect timeout, read/write timeouts, UTC session time zone, utf8mb4; a connection is
    pinged when taken from the pool and replaced when the server dropped it. After a failed connection
    attempt, new attempts fail fast for ``retry_after_s`` so that a down server does not stall callers.
    ``create_database`` creates a missing MySQL database on first connection.
    """

    def __init__(
        self,
        url: DatabaseUrl,
        *,
        pool_size: int = 4,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        write_timeout_s: float = 30.0,
        create_database: bool = False,
        retry_after_s: float = 2.0,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.url = url
        self.dialect = SQLITE if url.dialect == "sqlite" else MYSQL
        self.schema_version: int | None = None  # set by edge.storage.migrations.migrate
        self._connect_timeout = connect_timeout_s
        self._read_timeout = read_timeout_s
        self._write_timeout = write_timeout_s
        self._create_database = create_database
        self._retry_after = retry_after_s
        self._slots = threading.BoundedSemaphore(pool_size)
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Database:
        """``sqlite:///path`` or ``mysql://user:password@host:3306/db`` (see :class:`DatabaseUrl`)."""
        return cls(DatabaseUrl.parse(url), **options)

    @classmethod
    def from_settings(cls, settings: HistoryDatabaseSettings, data_dir: Path) -> Database:
        """The history database the settings name (a SQLite file under ``data_dir`` by default)."""
        return cls.from_url(
            settings.resolved_url(data_dir), pool_size=settings.pool_size,
            connect_timeout_s=settings.connect_timeout_s, read_timeout_s=settings.read_timeout_s,
            write_timeout_s=settings.write_timeout_s, create_database=settings.create_database,
            retry_after_s=settings.retry_after_s,
        )

    def __repr__(self) -> str:
        return f"Database({self.url.redacted()!r})"

    # ---- transactions ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on any exception."""
        raw = self._acquire()
        healthy = True
        try:
            self._begin(raw, write)
            yield Session(raw, self.dialect, write)
            self._commit(raw)
        except BaseException as exc:
            healthy = self._rollback(raw)
            if isinstance(exc, StorageError):
                raise
            translated = self._translate(exc)
            if translated is None:
                raise
            if isinstance(translated, DatabaseUnavailable):
                healthy = False
            raise translated from None
        finally:
            self._release(raw, healthy)

    def run(self, work: Callable[[Session], T], write: bool = True, attempts: int = 5) -> T:
        """``work`` in a transaction, run again (up to ``attempts`` times) when it loses a deadlock."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction(write) as session:
                    return work(session)
            except Deadlock:
                if attempt == attempts:
                    raise
                time.sleep(random.uniform(0.005, 0.03) * attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the idle connections; connections in use are closed when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for raw in idle:
            _close_quietly(raw)

    # ---- the pool --------------------------------------------------------------------------------

    def _acquire(self) -> Any:
        if self._closed:
            raise DatabaseUnavailable(f"database {self.url.redacted()} is closed")
        if not self._slots.acquire(timeout=self._connect_timeout + self._read_timeout):
            raise DatabaseUnavailable(f"database {self.url.redacted()}: every pooled connection is busy")
        try:
            return self._checkout()
        except BaseException:
            self._slots.release()
            raise

    def _checkout(self) -> Any:
        with self._lock:
            raw = self._idle.pop() if self._idle else None
        if raw is not None and self._alive(raw):
            return raw
        if raw is not None:
            _close_quietly(raw)
        return self._connect()

    def _release(self, raw: Any, healthy: bool) -> None:
        try:
            with self._lock:
                if healthy and not self._closed:
                    self._idle.append(raw)
                    return
            _close_quietly(raw)
        finally:
            self._slots.release()

    def _alive(self, raw: Any) -> bool:
        if self.dialect.name == "sqlite":
            return True
        try:
            raw.ping(reconnect=False)
            return True
        except Exception:  # the server dropped it (restart, wait_timeout): take a fresh one
            log.info("database %s: pooled connection was dropped, reconnecting", self.url.redacted())
            return False

    def _connect(self) -> Any:
        if time.monotonic() < self._down_until:
            raise DatabaseUnavailable(f"database {self.url.redacted()} was unreachable moments ago")
        try:
            raw = self._connect_sqlite() if self.dialect.name == "sqlite" else self._connect_mysql()
        except Exception as exc:
            translated = self._translate(exc) or DatabaseUnavailable(self._message(exc))
            if isinstance(translated, DatabaseUnavailable):
                self._down_until = time.monotonic() + self._retry_after
            raise translated from None
        self._down_until = 0.0
        return raw

    def _connect_sqlite(self) -> sqlite3.Connection:
        assert self.url.path is not None
        self.url.path.parent.mkdir(parents=True, exist_ok=True)
        raw = sqlite3.connect(self.url.path, timeout=self._write_timeout, isolation_level=None,
                              check_same_thread=False)
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=FULL")  # the outbox confirms after this commit: keep it durable
            raw.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            raw.close()
            raise
        return raw

    def _connect_mysql(self, with_database: bool = True) -> pymysql.connections.Connection[Any]:
        url = self.url
        options: dict[str, Any] = {
            "host": url.host, "port": url.port, "user": url.user, "password": url.password,
            "charset": "utf8mb4", "connect_timeout": self._connect_timeout, "read_timeout": self._read_timeout,
            "write_timeout": self._write_timeout, "autocommit": False, "init_command": "SET time_zone = '+00:00'",
        }
        if with_database:
            options["database"] = url.database
        if url.ssl_enabled:
            options["ssl"] = dict(url.ssl) or {"check_hostname": True}
        try:
            return pymysql.connect(**options)
        except pymysql.err.OperationalError as exc:
            if not (with_database and self._create_database and exc.args and exc.args[0] == MYSQL_UNKNOWN_DATABASE):
                raise
        self._create_missing_database(self._connect_mysql(with_database=False))
        return self._connect_mysql()

    def _create_missing_database(self, raw: pymysql.connections.Connection[Any]) -> None:
        try:
            with raw.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{self.url.database}` "
                               "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            log.info("database %s created", self.url.redacted())
        finally:
            raw.close()

    def _begin(self, raw: Any, write: bool) -> None:
        if self.dialect.name == "sqlite":
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        else:
            raw.begin()

    def _commit(self, raw: Any) -> None:
        if self.dialect.name == "sqlite":
            if raw.in_transaction:
                raw.execute("COMMIT")
        else:
            raw.commit()

    def _rollback(self, raw: Any) -> bool:
        """Roll back; False when the connection is unusable afterwards."""
        try:
            if self.dialect.name == "sqlite":
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
            else:
                raw.rollback()
            return True
        except Exception:
            return False

    # ---- errors ----------------------------------------------------------------------------------

    def _message(self, exc: BaseException) -> str:
        text = " ".join(str(a) for a in exc.args) if exc.args else type(exc).__name__
        if self.url.password:
            text = text.replace(self.url.password, "***")
        return f"database {self.url.redacted()}: {redact_url(text)}"

    def _translate(self, exc: BaseException) -> StorageError | None:
        """The storage exception for a driver exception; None for anything else (a bug: re-raised)."""
        message = self._message(exc)
        if isinstance(exc, sqlite3.Error):
            return _sqlite_error(exc, message)
        if isinstance(exc, pymysql.err.MySQLError):
            return _mysql_error(exc, message)
        if isinstance(exc, UnicodeError):
            return InvalidRecord(message)
        if isinstance(exc, OSError):
            return DatabaseUnavailable(message)
        return None


def _sqlite_error(exc: sqlite3.Error, message: str) -> StorageError:
    primary = "_".join(str(getattr(exc, "sqlite_errorname", "")).split("_")[:2])  # SQLITE_IOERR_WRITE -> IOERR
    if isinstance(exc, sqlite3.IntegrityError):
        return ConstraintViolation(message)
    if primary in SQLITE_RETRYABLE or "locked" in message:
        return DatabaseUnavailable(message)
    if isinstance(exc, sqlite3.DataError):
        return InvalidRecord(message)
    return DatabaseError(message)


def _mysql_error(exc: pymysql.err.MySQLError, message: str) -> StorageError:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if code == MYSQL_DEADLOCK:
        return Deadlock(message)
    if isinstance(exc, pymysql.err.InterfaceError) or 2000 <= code < 3000 or code in MYSQL_RETRYABLE:
        return DatabaseUnavailable(message)
    if isinstance(exc, pymysql.err.IntegrityError):
        return ConstraintViolation(message)
    if isinstance(exc, pymysql.err.DataError):
        return InvalidRecord(message)
    return DatabaseError(message)


def _close_quietly(raw: Any) -> None:
    try:
        raw.close()
    except Exception:
        log.debug("closing a database connection failed", exc_info=True)
