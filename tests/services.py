"""The real services the integration tests talk to (MariaDB, Mosquitto on 127.0.0.1).

Locally a test skips when its service is down; in CI (``CARWATCH_REQUIRE_SERVICES=1``) it fails instead.
"""

from __future__ import annotations

import os
import socket

import pytest

MARIADB = ("127.0.0.1", 3306)
MOSQUITTO = ("127.0.0.1", 1883)


def port_open(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, address: tuple[str, int]) -> None:
    """Skip (or fail under CARWATCH_REQUIRE_SERVICES=1) when nothing listens on ``address``."""
    if port_open(address):
        return
    message = f"{name} is not listening on {address[0]}:{address[1]}"
    if os.environ.get("CARWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)
