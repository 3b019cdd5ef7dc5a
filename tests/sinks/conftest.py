"""Fixtures of the sink tests (from tests.storage.factories)."""

from tests.storage.factories import database_url, mariadb_url

__all__ = ["database_url", "mariadb_url"]
