"""What the storage layer raises, whatever the driver underneath."""

from __future__ import annotations


class StorageError(Exception):
    """Any database failure. Messages never contain the database password."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or cannot take writes now (down, timeout, lock, disk full): retry later."""


class Deadlock(DatabaseUnavailable):
    """The transaction lost a lock race; running it again usually succeeds."""


class DatabaseError(StorageError):
    """The statement failed for a reason retrying will not fix (a bug, a schema problem)."""


class ConstraintViolation(DatabaseError):
    """A unique key, foreign key or NOT NULL rule rejected the row."""


class InvalidRecord(DatabaseError, ValueError):
    """A value does not fit its column (too long, not finite, not encodable); checked before any SQL runs."""
