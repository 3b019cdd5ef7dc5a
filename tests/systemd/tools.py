"""Tools the systemd tests need (from Debian's systemd package): skip locally, fail in CI when missing."""

from __future__ import annotations

import ctypes.util
import os
import shutil

import pytest


def require_tool(name: str, package: str = "systemd") -> str:
    """The tool's path; skips (fails under CARWATCH_REQUIRE_SERVICES=1) when it is not installed."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian package {package})"
    if os.environ.get("CARWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_libseccomp() -> None:
    if ctypes.util.find_library("seccomp"):
        return
    message = "libseccomp is not installed (Debian package libseccomp2, a dependency of systemd)"
    if os.environ.get("CARWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)
