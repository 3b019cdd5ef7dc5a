"""Settings of the outbox, history database and snapshots (edge/settings/storage.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.settings.storage import HistoryDatabaseSettings, OutboxSettings, SnapshotSettings
from edge.storage.database import Database


def test_defaults_are_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = HistoryDatabaseSettings()
    assert settings.url is None
    assert settings.resolved_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'history.sqlite3'}"
    assert SnapshotSettings().model_dump() == {
        "keep": True, "max_total_mb": 2048, "max_age_days": 30, "min_free_mb": 500, "jpeg_quality": 85,
        "store_blobs": False,
    }
    assert OutboxSettings().path(tmp_path) == tmp_path / "outbox.sqlite3"
    assert OutboxSettings(max_size_mb=2).max_bytes() == 2 * 1024 * 1024


def test_the_url_is_a_secret(tmp_path: Path) -> None:
    settings = HistoryDatabaseSettings(url="mysql://gate:Pa55w0rd@db:3306/cw")  # type: ignore[arg-type]
    assert "Pa55w0rd" not in repr(settings) and "Pa55w0rd" not in str(settings.model_dump())
    assert settings.resolved_url(tmp_path) == "mysql://gate:Pa55w0rd@db:3306/cw"
    assert HistoryDatabaseSettings(url="  ").url is None  # type: ignore[arg-type]


def test_bad_values_name_the_field_and_hide_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        HistoryDatabaseSettings(url="postgres://u:Pa55w0rd@h/db")  # type: ignore[arg-type]
    assert "url" in str(caught.value) and "Pa55w0rd" not in str(caught.value)
    with pytest.raises(ValidationError, match="poool"):
        HistoryDatabaseSettings(poool=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SnapshotSettings(jpeg_quality=101)
    with pytest.raises(ValidationError):
        OutboxSettings(max_attempts=0)


def test_every_field_has_a_description() -> None:
    for model in (HistoryDatabaseSettings, SnapshotSettings, OutboxSettings):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"


def test_database_from_settings_defaults_to_a_sqlite_file(tmp_path: Path) -> None:
    db = Database.from_settings(HistoryDatabaseSettings(pool_size=2), tmp_path)
    with db.transaction() as s:
        s.execute("CREATE TABLE t (v INT)")
    db.close()
    assert db.dialect.name == "sqlite" and (tmp_path / "history.sqlite3").exists()
