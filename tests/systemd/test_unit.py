"""systemd/carwatch-edge.service: systemd accepts it, it asks for what the daemon relies on, and its exposure
score is the one systemd/README.md states."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from edge.cli import build_parser
from tests.systemd.tools import require_tool

SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"
UNIT = SYSTEMD / "carwatch-edge.service"
EXEC = "/opt/carwatch-edge/.venv/bin/carwatch-edge"


def settings(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";", "[")):
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def unit_copy(folder: Path, text: str | None = None) -> Path:
    """The unit with ExecStart pointing at an executable that exists (verify checks that it does)."""
    program = folder / "bin" / "carwatch-edge"
    program.parent.mkdir(parents=True, exist_ok=True)
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    copy = folder / "carwatch-edge.service"
    copy.write_text((text or UNIT.read_text()).replace(EXEC, str(program)))
    return copy


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    analyze = require_tool("systemd-analyze")
    return subprocess.run([analyze, "verify", "--man=no", str(unit)], check=False, capture_output=True, text=True,
                          cwd=unit.parent)


def test_unit_verifies(tmp_path: Path) -> None:
    result = verify(unit_copy(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_verify_would_catch_mistakes(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("Type=notify", "Type=notify-reload\nWatchdogSecs=30")
    result = verify(unit_copy(tmp_path, broken))
    assert "notify-reload" in result.stderr or "WatchdogSecs" in result.stderr
    missing = tmp_path / "missing" / "carwatch-edge.service"
    missing.parent.mkdir()
    missing.write_text(UNIT.read_text())  # ExecStart is not installed here
    assert verify(missing).returncode != 0


def test_unit_asks_for_what_the_daemon_relies_on() -> None:
    values = settings(UNIT.read_text())
    expected = {
        "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30", "Restart": "on-failure", "RestartSec": "5",
        "TimeoutStopSec": "30", "ExecReload": "/bin/kill -HUP $MAINPID", "User": "carwatch", "Group": "carwatch",
        "SupplementaryGroups": "video", "StateDirectory": "carwatch-edge", "LogsDirectory": "carwatch-edge",
        "ConfigurationDirectory": "carwatch-edge", "UMask": "0027", "ProtectSystem": "strict",
        "DevicePolicy": "closed", "DeviceAllow": "char-video4linux rw", "CapabilityBoundingSet": "",
        "AmbientCapabilities": "", "NoNewPrivileges": "true", "MemoryDenyWriteExecute": "true",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "SystemCallArchitectures": "native",
    }
    assert {k: values.get(k, ["(missing)"])[-1] for k in expected} == expected
    assert values["SystemCallFilter"][0] == "@system-service"
    assert "PrivateUsers" not in values  # it would hide the video group from the daemon (see the unit)
    assert "PrivateDevices" not in values  # it would hide /dev/video*
    # No Type=notify-reload: Debian 12 has systemd 252.
    command = values["ExecStart"][0].split()
    assert command[0] == EXEC
    args = build_parser().parse_args(command[1:])  # the daemon accepts the command line
    assert args.command == "run" and str(args.config) == "/etc/carwatch-edge/carwatch.toml"


def documented_score() -> float:
    match = re.search(r"exposure (?:level|score)[^0-9]*([0-9]+\.[0-9])", (SYSTEMD / "README.md").read_text(), re.I)
    assert match, "systemd/README.md states the exposure score"
    return float(match.group(1))


def test_security_exposure_is_the_documented_one(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze")
    result = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(unit_copy(tmp_path))],
                            check=False, capture_output=True, text=True, cwd=tmp_path)
    match = re.search(r"Overall exposure level for carwatch-edge\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout[-2000:] + result.stderr
    score = float(match.group(1))
    documented = documented_score()
    if score < documented:
        pytest.fail(f"better than documented: {score} < {documented}; update systemd/README.md and README.md")
    assert score == documented, f"exposure {score}, documented {documented}: a hardening setting went missing?"
