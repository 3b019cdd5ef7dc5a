"""Settings of the local HTTP API: where it listens, accounts and sessions, login limits, upload limits."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator

MB = 1024 * 1024


class ApiSettings(BaseModel):
    """The HTTP API served by the daemon (and by ``carwatch-edge api``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Serve the HTTP API from the daemon.")
    host: str = Field(default="127.0.0.1", min_length=1, max_length=255,
                      description="Address to listen on; 127.0.0.1 keeps it on this machine (put a TLS proxy in "
                                  "front to reach it from elsewhere).")
    port: int = Field(default=8080, ge=0, le=65535, description="TCP port; 0 picks a free one (tests).")
    bcrypt_rounds: int = Field(default=12, ge=4, le=16,
                               description="bcrypt cost of stored passwords (each step doubles the work).")
    token_ttl_hours: float = Field(default=12.0, gt=0, le=24 * 365,
                                   description="A session (cookie or bearer token) expires this long after login.")
    open_registration: bool = Field(
        default=False, description="Anyone may create an account; off: only an administrator creates accounts "
                                   "(the first account on an empty system is the administrator).")
    max_upload_mb: int = Field(default=16, ge=1, le=64, description="Largest image accepted by /api/upload_image.")
    max_body_kb: int = Field(default=1024, ge=1, le=64 * 1024,
                             description="Largest request body of every other endpoint (JSON).")
    login_max_failures: int = Field(default=5, ge=1, le=1000,
                                    description="Failed logins per user name within the window before 429.")
    login_max_failures_per_address: int = Field(
        default=20, ge=1, le=10000, description="Failed logins per client address within the window before 429.")
    login_window_s: float = Field(default=900.0, gt=0, le=86400, description="The window of the login limits.")
    cookie_secure: bool = Field(default=False,
                                description="Mark the session cookie Secure (set it when clients reach the API "
                                            "through TLS).")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For names the client; empty: the "
                    "peer address is the client.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item[:60]!r} is not an IP address or network") from None
        return value

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * MB

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kb * 1024

    @property
    def token_ttl_s(self) -> float:
        return self.token_ttl_hours * 3600.0
