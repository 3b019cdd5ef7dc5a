"""``carwatch-edge doctor`` as an integrator runs it: a table, and an exit code scripts can use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from edge.app import SAMPLE_CLIP

CLI = str(Path(sys.executable).with_name("carwatch-edge"))


def _doctor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARWATCH_")}
    env["CARWATCH_MQTT__ENABLED"] = "false"  # the broker check has tests of its own
    return subprocess.run([CLI, "doctor", *args], capture_output=True, text=True, timeout=120, env=env, check=False)


def test_a_good_setup_passes(tmp_path: Path) -> None:
    result = _doctor("--source", str(SAMPLE_CLIP), "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok     models" in result.stdout and "frame received" in result.stdout
    assert "ok     model self-test     read B58DTK, TR95XMI" in result.stdout


def test_a_camera_without_frames_fails_with_a_fix(tmp_path: Path) -> None:
    empty = tmp_path / "drop"
    empty.mkdir()
    result = _doctor("--source", str(empty), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "no frame within" in result.stdout and "fix:" in result.stdout


def test_a_broken_config_fails_naming_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "carwatch.toml"
    config.write_text('site = "bad site"\n')
    result = _doctor("--config", str(config))
    assert result.returncode == 1 and "site" in result.stdout and "Traceback" not in result.stderr
