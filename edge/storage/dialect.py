"""The few places where SQLite and MySQL/MariaDB differ: placeholders, upsert, column types, time values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Dialect:
    """SQL spelling of one database family. Repository SQL is written with ``?`` placeholders."""

    name: str  # "sqlite" or "mysql"
    id_column: str  # an auto-increment integer primary key
    text: str  # up to 64 KB
    large_text: str  # whole event JSON
    blob: str
    time: str  # wall clock with milliseconds
    boolean: str
    double: str
    table_options: str  # after CREATE TABLE (...)
    for_update: str  # appended to a SELECT that locks the rows it reads

    def sql(self, text: str) -> str:
        """``?`` placeholders in the driver's style (pymysql formats with %: literal % doubled)."""
        if self.name == "mysql":
            return text.replace("%", "%%").replace("?", "%s")
        return text

    def upsert(
        self,
        table: str,
        columns: Sequence[str],
        keys: Sequence[str],
        update: Sequence[str],
        *,
        newer: str | None = None,
        keep_when_null: Sequence[str] = (),
    ) -> str:
        """INSERT, or UPDATE ``update`` columns when a row with the same ``keys`` exists.

        With ``newer`` (a column such as ``revision``), the existing row is only updated when the new
        value is >= the stored one. ``keep_when_null`` columns keep their stored value when the new one is NULL.
        """
        marks = ", ".join("?" * len(columns))
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        if self.name == "sqlite":
            sets = [f"{c} = COALESCE(excluded.{c}, {table}.{c})" if c in keep_when_null else f"{c} = excluded.{c}"
                    for c in update]
            guard = f" WHERE excluded.{newer} >= {table}.{newer}" if newer else ""
            return f"{head} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(sets)}{guard}"
        sets = []
        for column in sorted(update, key=lambda c: c == newer):  # the guard column last: MySQL assigns in order
            value = f"COALESCE(VALUES({column}), {column})" if column in keep_when_null else f"VALUES({column})"
            if newer and column != newer:
                value = f"IF(VALUES({newer}) >= {newer}, {value}, {column})"
            elif newer:
                value = f"GREATEST({column}, VALUES({column}))"
            sets.append(f"{column} = {value}")
        return f"{head} ON DUPLICATE KEY UPDATE {', '.join(sets)}"

    def time_param(self, moment: datetime | float) -> Any:
        """A wall-clock value as the driver stores it (UTC; naive datetimes are taken as UTC)."""
        if isinstance(moment, int | float):
            moment = datetime.fromtimestamp(moment, tz=UTC)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        if self.name == "sqlite":
            return moment.strftime(SQLITE_TIME_FORMAT)[:-3]
        return moment

    @staticmethod
    def time_value(value: Any) -> datetime | None:
        """A stored time as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        moment = datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


SQLITE = Dialect(
    name="sqlite", id_column="INTEGER PRIMARY KEY AUTOINCREMENT", text="TEXT", large_text="TEXT", blob="BLOB",
    time="TEXT", boolean="INTEGER", double="REAL", table_options="", for_update="",
)
MYSQL = Dialect(
    name="mysql", id_column="INT AUTO_INCREMENT PRIMARY KEY", text="TEXT", large_text="MEDIUMTEXT",
    blob="LONGBLOB", time="DATETIME(3)", boolean="TINYINT(1)", double="DOUBLE",
    table_options=" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", for_update=" FOR UPDATE",
)
