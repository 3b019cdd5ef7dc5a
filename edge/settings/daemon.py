"""The daemon's settings: one TOML file (optional) under ``CARWATCH_...`` environment variables and secrets.

Priority, highest first: environment (``CARWATCH_SITE``, ``CARWATCH_MQTT__HOST``, ``CARWATCH_MYSQL_URL``...),
secret files (``$CREDENTIALS_DIRECTORY``, systemd ``LoadCredential=``: one file per top-level setting, named
like its environment variable, e.g. ``CARWATCH_MYSQL_URL``), then the TOML file, then the defaults.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from edge.settings.api import ApiSettings
from edge.settings.cameras import CameraSettings
from edge.settings.mqtt import MqttSettings
from edge.settings.plate_lists import PlateListSettings
from edge.settings.storage import HistoryDatabaseSettings, OutboxSettings, SnapshotSettings
from edge.settings.vision import VisionSettings

ENV_PREFIX = "CARWATCH_"
MAX_CONFIG_BYTES = 1024 * 1024
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class SettingsError(ValueError):
    """An invalid setting: the message is one line that names the setting and never shows a secret."""


def default_data_dir() -> Path:
    """systemd's state directory when run by the unit, else ./data."""
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(state) if state else Path("data")


class TrackingSettings(BaseModel):
    """When reads of one vehicle join a track and when its vote is sure enough to publish."""

    model_config = ConfigDict(extra="forbid")

    track_timeout_s: float = Field(default=1.5, gt=0, le=60, description="A track not seen for this long has ended.")
    min_reads: int = Field(default=2, ge=1, le=50, description="Agreeing reads needed before an early decision.")
    decide_score: float = Field(default=0.6, gt=0, le=1, description="Top text's vote share needed to decide early.")
    single_read_confidence: float = Field(
        default=0.9, gt=0, le=1, description="One read this confident, matching a plate format, decides alone.")
    min_final_confidence: float = Field(
        default=0.3, ge=0, le=1, description="A track is reported only if one read is at least this confident.")
    repeat_window_s: float = Field(
        default=60.0, ge=0, le=86400, description="The same plate at one camera within this time is one vehicle.")


class DaemonSettings(BaseSettings):
    """Everything ``carwatch-edge run`` needs. Every field has a default: no file is needed to start."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid",
                                      secrets_dir=None, validate_assignment=True)

    site: str = Field(default="site1", description="This box's site id: topic level, history column, event field.")
    data_dir: Path = Field(default_factory=default_data_dir,
                           description="History (SQLite), outbox and snapshots live here.")
    cameras: list[CameraSettings] = Field(
        default_factory=list, description="The cameras; empty: the bundled sample clip (a car arriving).")
    vision: VisionSettings = Field(default_factory=VisionSettings,
                                   description="Plate models and thresholds.")
    tracking: TrackingSettings = Field(default_factory=TrackingSettings, description="Tracks and voting.")
    plate_lists: PlateListSettings = Field(default_factory=PlateListSettings, description="Allow/deny/watch lists.")
    history: HistoryDatabaseSettings = Field(default_factory=HistoryDatabaseSettings,
                                             description="History database: MySQL by URL, else SQLite.")
    mysql_url: SecretStr | None = Field(
        None, description="Shortcut for history.url: mysql://user:password@host:3306/carwatch.")
    mqtt: MqttSettings = Field(default_factory=MqttSettings, description="MQTT broker and topics.")
    mqtt_url: SecretStr | None = Field(
        None, description="Shortcut that enables MQTT: mqtt://user:password@host:1883 or mqtts://...")
    snapshots: SnapshotSettings = Field(default_factory=SnapshotSettings, description="Frame and crop JPEGs.")
    outbox: OutboxSettings = Field(default_factory=OutboxSettings, description="The durable event outbox.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="The local HTTP API (FastAPI on uvicorn).")
    heartbeat_s: float = Field(default=30.0, ge=1, le=3600, description="Seconds between status heartbeats.")
    shutdown_timeout_s: float = Field(default=10.0, ge=0, le=300, description="On SIGTERM, time to drain the outbox.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")

    @field_validator("site")
    @classmethod
    def _site_is_a_slug(cls, value: str) -> str:
        if not _SITE.match(value):
            raise ValueError("use 1-64 letters, digits, '-' or '_' (it becomes an MQTT topic level)")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("cameras")
    @classmethod
    def _unique_names(cls, value: list[CameraSettings]) -> list[CameraSettings]:
        names = [c.name for c in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"camera names must be unique: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _apply_shortcuts(self) -> DaemonSettings:
        # Written through __dict__: assignment would validate again and come back here.
        if self.mysql_url is not None:
            self.__dict__["history"] = self.history.model_copy(update={"url": self.mysql_url})
        if self.mqtt_url is not None:
            self.__dict__["mqtt"] = MqttSettings.model_validate(
                {**_plain(self.mqtt), "url": self.mqtt_url, "enabled": True})
        return self

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file comes in as init values: below the environment and the secrets, as documented above.
        return env_settings, file_secret_settings, init_settings


def _plain(model: BaseModel) -> dict[str, Any]:
    """A model's fields as given (secrets kept as SecretStr, so re-validation keeps them)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def read_config_file(path: Path) -> dict[str, Any]:
    """The TOML file as a dict; SettingsError (one line) for a missing, huge or malformed file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SettingsError(f"config file {path}: {exc.strerror or exc}") from exc
    if size > MAX_CONFIG_BYTES:
        raise SettingsError(f"config file {path}: {size} bytes, more than {MAX_CONFIG_BYTES}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(f"config file {path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: {exc}") from exc


def load_settings(config: Path | None = None, **overrides: Any) -> DaemonSettings:
    """Build the settings from the file (if any), the environment and secret files.

    ``overrides`` (from the command line) win over everything. Raises SettingsError.
    """
    values = read_config_file(config) if config is not None else {}
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    try:
        settings = DaemonSettings(**values, _secrets_dir=credentials if credentials else None)  # type: ignore[call-arg]
        for name, value in overrides.items():  # validated on assignment: the command line wins over everything
            setattr(settings, name, value)
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None
    if not settings.plate_lists.path.is_absolute():
        # Relative to the config file (or the data directory), not to wherever the daemon was started.
        base = config.parent if config is not None else settings.data_dir
        lists = settings.plate_lists.model_copy(update={"path": base / settings.plate_lists.path})
        settings.__dict__["plate_lists"] = lists
    return settings


def describe_error(exc: ValidationError) -> str:
    """The first problem as one line: ``invalid setting cameras[0].fps: Input should be greater than 0``."""
    first = exc.errors(include_url=False, include_input=False)[0]
    location = ""
    for part in first.get("loc", ()):
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
    message = str(first.get("msg", "invalid value")).replace("\n", " ")
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"invalid setting {location or '(top level)'}: {message}{suffix}"
