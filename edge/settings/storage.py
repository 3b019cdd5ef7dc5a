"""Settings of the outbox, the history database and the snapshot files."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_HISTORY_FILE = "history.sqlite3"
DEFAULT_OUTBOX_FILE = "outbox.sqlite3"


class HistoryDatabaseSettings(BaseModel):
    """Where history and anti-passback state live: a SQLite file under the data directory, or MySQL/MariaDB."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # inputs may hold passwords

    url: SecretStr | None = Field(
        default=None,
        description="mysql://user:password@host:3306/dbname or sqlite:///path; empty: SQLite file under the data "
        "directory. A secret: never logged.",
    )
    sqlite_file: str = Field(default=DEFAULT_HISTORY_FILE, description="SQLite file under the data dir (no url).")
    pool_size: int = Field(default=4, ge=1, le=64, description="Most connections open at once.")
    connect_timeout_s: float = Field(default=5.0, gt=0, le=60, description="Seconds to wait for a connection.")
    read_timeout_s: float = Field(default=30.0, gt=0, le=600, description="Seconds to wait for a query's answer.")
    write_timeout_s: float = Field(default=30.0, gt=0, le=600, description="Seconds to wait while sending a query.")
    retry_after_s: float = Field(default=2.0, ge=0, le=300, description="After a failed connection, fail fast so long.")
    create_database: bool = Field(default=True, description="Create the MySQL database when it does not exist.")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = value.get_secret_value().split("://", 1)[0].lower()
        if scheme not in {"sqlite", "mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"}:
            raise ValueError(f"url must start with sqlite:/// or mysql://, not {scheme[:20]!r}")
        return value

    def resolved_url(self, data_dir: Path) -> str:
        """The URL to open (a secret: do not log it; DatabaseUrl.redacted() is the loggable form)."""
        if self.url is not None:
            return self.url.get_secret_value()
        return f"sqlite:///{(Path(data_dir) / self.sqlite_file).resolve()}"


class SnapshotSettings(BaseModel):
    """Frame and plate-crop JPEGs kept under the data directory, and their retention."""

    model_config = ConfigDict(extra="forbid")

    keep: bool = Field(default=True, description="Write the frame and plate crop of each event as JPEG files.")
    max_total_mb: int = Field(default=2048, ge=1, description="Delete the oldest snapshots beyond this total size.")
    max_age_days: int = Field(default=30, ge=1, description="Delete snapshots older than this.")
    min_free_mb: int = Field(default=500, ge=0, description="Write no snapshot while the disk has less free space.")
    jpeg_quality: int = Field(default=85, ge=10, le=100, description="JPEG quality (the pipeline encodes them).")
    store_blobs: bool = Field(default=False, description="Also store each frame in the database (images table).")


class OutboxSettings(BaseModel):
    """The durable queue between the pipeline and its sinks."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(default=DEFAULT_OUTBOX_FILE, description="SQLite file name under the data directory.")
    max_size_mb: int | None = Field(default=None, ge=1, description="Cap on the outbox file; empty: no cap.")
    max_attempts: int = Field(default=5, ge=1, le=1000, description="Failures (other than unavailable) before parking.")
    retry_initial_s: float = Field(default=0.5, gt=0, le=60, description="First wait after a failed delivery.")
    retry_max_s: float = Field(default=30.0, gt=0, le=3600, description="Longest wait between delivery attempts.")
    stop_timeout_s: float = Field(default=10.0, ge=0, le=300, description="On shutdown, keep delivering this long.")
    batch: int = Field(default=16, ge=1, le=1000, description="Events read from the outbox at a time per sink.")

    def path(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.file

    def max_bytes(self) -> int | None:
        return None if self.max_size_mb is None else self.max_size_mb * 1024 * 1024
