"""ApiSettings: safe defaults, bounds, and the trusted proxy list validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edge.settings.api import ApiSettings


def test_defaults_keep_the_api_local_and_closed() -> None:
    s = ApiSettings()
    assert (s.enabled, s.host, s.port) == (True, "127.0.0.1", 8080)
    assert (s.bcrypt_rounds, s.token_ttl_hours, s.open_registration) == (12, 12.0, False)
    assert (s.max_upload_mb, s.max_upload_bytes, s.login_max_failures, s.login_window_s) == (16, 16 << 20, 5, 900)
    assert (s.cookie_secure, s.trusted_proxies, s.token_ttl_s) == (False, [], 43200.0)


@pytest.mark.parametrize("values", [
    {"port": 70000}, {"bcrypt_rounds": 3}, {"bcrypt_rounds": 31}, {"token_ttl_hours": 0}, {"max_upload_mb": 0},
    {"login_max_failures": 0}, {"host": ""}, {"trusted_proxies": ["proxy.example"]}, {"unknown": 1},
])
def test_bad_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ApiSettings(**values)  # type: ignore[arg-type]


def test_trusted_proxies_take_addresses_and_networks() -> None:
    assert ApiSettings(trusted_proxies=["127.0.0.1", "10.0.0.0/8", "::1"]).trusted_proxies[1] == "10.0.0.0/8"
