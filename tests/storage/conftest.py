"""Fixtures of the storage tests (shared with tests/sinks through tests.storage.factories)."""

from tests.storage.factories import database_url, mariadb_url

__all__ = ["database_url", "mariadb_url"]
