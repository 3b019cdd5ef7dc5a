"""Settings of the MQTT publisher: broker, credentials, TLS, topics and timeouts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883


@dataclass(frozen=True)
class MqttEndpoint:
    """Where and how to connect, resolved from the URL or the separate fields. Keep out of logs: the
    password is not in repr; use :meth:`redacted`."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False

    def redacted(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}{':***' if self.password else ''}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


class MqttSettings(BaseModel):
    """The broker events, the last plate, barrier commands, status and heartbeat are published to."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # inputs may hold passwords

    enabled: bool = Field(default=True, description="Publish events over MQTT (kept until a broker answers).")
    url: SecretStr | None = Field(
        default=None, description="mqtt://user:password@host:1883 or mqtts://...:8883; overrides host, port, username, "
        "password and tls. A secret: never logged.",
    )
    host: str = Field(default="127.0.0.1", min_length=1, description="Broker host (without url).")
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535, description="Broker port (without url).")
    username: str | None = Field(default=None, description="Broker user name (without url).")
    password: SecretStr | None = Field(default=None, description="Broker password (without url). Never logged.")
    tls: bool = Field(default=False, description="Connect with TLS (implied by mqtts://).")
    ca_file: Path | None = Field(default=None, description="CA certificate file for TLS; empty: the system CAs.")
    cert_file: Path | None = Field(default=None, description="Client certificate file for TLS client authentication.")
    key_file: Path | None = Field(default=None, description="Client key file for TLS client authentication.")
    insecure: bool = Field(default=False, description="Skip the broker certificate's host name check (testing only).")
    client_id: str = Field(
        default="", max_length=128,
        description="MQTT client id; empty: carwatch-edge-<site>. Unique per box: the persistent session is keyed "
        "on it.",
    )
    topic_prefix: str = Field(default="carwatch", min_length=1, max_length=100, description="First topic level.")
    home_assistant: bool = Field(
        default=False, description="Announce each camera's last plate, direction and decision to Home Assistant "
        "(retained MQTT discovery messages, sent on every connect).",
    )
    home_assistant_prefix: str = Field(
        default="homeassistant", min_length=1, max_length=100, description="Home Assistant's discovery prefix.")
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="Seconds between keep-alive pings.")
    qos: int = Field(default=1, ge=0, le=2, description="QoS of events and barrier commands (1: at least once).")
    publish_timeout_s: float = Field(default=5.0, gt=0, le=120, description="Seconds to wait for the broker's ack.")
    reconnect_min_delay_s: int = Field(default=1, ge=1, le=60, description="First wait before reconnecting.")
    reconnect_max_delay_s: int = Field(default=30, ge=1, le=3600, description="Longest wait between reconnects.")
    barrier_max_age_s: float = Field(
        default=30.0, ge=0, description="Do not send a barrier command for a decision older than this (a late "
        "redelivery must not open the gate for whoever is there now); 0: always send.",
    )

    @field_validator("topic_prefix", "home_assistant_prefix")
    @classmethod
    def _plain_prefix(cls, value: str) -> str:
        if any(c in value for c in "+#\x00") or value.startswith("/") or value.endswith("/"):
            raise ValueError("a topic prefix must not contain + # or NUL, nor start or end with /")
        return value

    @field_validator("url")
    @classmethod
    def _mqtt_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        _parse_url(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _key_with_cert(self) -> MqttSettings:
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("key_file needs cert_file")
        return self

    def endpoint(self) -> MqttEndpoint:
        """The resolved connection target (the URL wins over the separate fields)."""
        if self.url is not None:
            host, port, username, password, tls = _parse_url(self.url.get_secret_value())
        else:
            host, port, username, tls = self.host, self.port, self.username, self.tls
            password = self.password.get_secret_value() if self.password is not None else None
        return MqttEndpoint(host, port, username, password, tls or self.tls, self.ca_file, self.cert_file,
                            self.key_file, self.insecure)

    def client_id_for(self, site: str) -> str:
        return self.client_id or f"carwatch-edge-{site}"[:128]


def _parse_url(url: str) -> tuple[str, int, str | None, str | None, bool]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"mqtt", "mqtts", "tcp", "ssl"}:
        raise ValueError(f"MQTT url must start with mqtt:// or mqtts://, not {scheme[:20]!r}://")
    tls = scheme in {"mqtts", "ssl"}
    try:
        port = parts.port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT)
    except ValueError:
        raise ValueError("MQTT url has a bad port") from None
    if not parts.hostname:
        raise ValueError("MQTT url has no host")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return parts.hostname, port, username, password, tls
