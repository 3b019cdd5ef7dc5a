"""systemd/install.sh into a temporary root: files, modes, idempotence, options, bad arguments, uninstall.

These runs skip the virtual environment (``--skip-venv``); test_install_venv.py builds the real one.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "systemd" / "install.sh"


def run(*args: str, shell: str = "sh", check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([shell, str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def tree(root: Path) -> dict[str, tuple[int, str, int]]:
    """path -> (mode, content hash, mtime) of everything under root."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        state[str(path.relative_to(root))] = (stat.S_IMODE(info.st_mode), digest, info.st_mtime_ns)
    return state


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_into_a_root(tmp_path: Path) -> None:
    result = run("--root", str(tmp_path), "--skip-venv")
    assert "the carwatch user is not created" in result.stdout
    program = tmp_path / "opt" / "carwatch-edge"
    etc = tmp_path / "etc" / "carwatch-edge"
    expected_modes = {
        program: 0o755, program / "models": 0o755, program / "models" / "plate-detector.onnx": 0o644,
        program / "models" / "plate-reader.onnx": 0o644, program / "doc" / "systemd.md": 0o644,
        tmp_path / "etc/systemd/system/carwatch-edge.service": 0o644,
        etc: 0o755, etc / "carwatch.toml": 0o640, etc / "plates.toml": 0o640, etc / "carwatch.env.example": 0o644,
        tmp_path / "var/lib/carwatch-edge": 0o750, tmp_path / "var/log/carwatch-edge": 0o750,
    }
    assert {p: mode(p) for p in expected_modes} == expected_modes
    reader = "models/plate-reader.onnx"
    assert (program / reader).read_bytes() == (ROOT / reader).read_bytes()
    assert (tmp_path / "etc/systemd/system/carwatch-edge.service").read_text() == \
        (ROOT / "systemd" / "carwatch-edge.service").read_text()
    assert not (program / ".venv").exists()

    installed = (etc / "carwatch.toml").read_text()
    example = (ROOT / "config" / "carwatch.example.toml").read_text()
    assert tomllib.loads(installed)["data_dir"] == "/var/lib/carwatch-edge"
    changed = [(a, b) for a, b in zip(example.splitlines(), installed.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith('data_dir = "data"')
    assert (etc / "plates.toml").read_text() == (ROOT / "config" / "plates.example.toml").read_text()


def test_running_twice_changes_nothing(tmp_path: Path) -> None:
    run("--root", str(tmp_path), "--skip-venv")
    before = tree(tmp_path)
    second = run("--root", str(tmp_path), "--skip-venv")
    assert "wrote" not in second.stdout
    assert tree(tmp_path) == before


def test_existing_configuration_is_kept(tmp_path: Path) -> None:
    etc = tmp_path / "etc" / "carwatch-edge"
    etc.mkdir(parents=True)
    (etc / "carwatch.toml").write_text('site = "gate-a"\n')
    (etc / "carwatch.toml").chmod(0o600)
    run("--root", str(tmp_path), "--skip-venv")
    assert (etc / "carwatch.toml").read_text() == 'site = "gate-a"\n'
    assert mode(etc / "carwatch.toml") == 0o600
    assert (etc / "plates.toml").exists()


def test_prefix_goes_into_the_unit(tmp_path: Path) -> None:
    run("--root", str(tmp_path), "--prefix", "/srv/carwatch/", "--skip-venv", shell="bash")
    unit = (tmp_path / "etc/systemd/system/carwatch-edge.service").read_text()
    assert "ExecStart=/srv/carwatch/.venv/bin/carwatch-edge run --config /etc/carwatch-edge/carwatch.toml" in unit
    assert "Environment=CARWATCH_VISION__MODELS_DIR=/srv/carwatch/models" in unit
    assert "/opt/carwatch-edge" not in unit
    assert (tmp_path / "srv/carwatch/models/plate-detector.onnx").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--prefix", "opt/carwatch"], "absolute path"),
    (["--prefix", "/opt/car watch"], "only letters"),
    (["--prefix", "/opt/x;rm -rf /"], "only letters"),
    (["--prefix", "/opt/../etc"], "only letters"),
    (["--prefix", "/"], "not a program folder"),
    (["--prefix"], "needs a folder"),
    (["--purge"], "--purge goes with --uninstall"),
    (["--bogus"], "unknown option '--bogus'"),
    (["--python", "/bin/false"], "older than Python 3.11"),
])
def test_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("--root", str(tmp_path), *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "etc" / "systemd").exists()


def test_without_root_rights_it_refuses(tmp_path: Path) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    result = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "sh", str(SCRIPT)],
                            check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    if "run as root" not in result.stderr and result.returncode == 127:
        pytest.skip("cannot drop privileges here")
    assert result.returncode != 0 and "run as root" in result.stderr


def test_help() -> None:
    result = run("--help")
    assert result.stdout.startswith("Install CarWatch Edge as a systemd service")
    assert "--uninstall" in result.stdout and "set -eu" not in result.stdout


def test_uninstall_keeps_data_unless_purged(tmp_path: Path) -> None:
    run("--root", str(tmp_path), "--skip-venv")
    (tmp_path / "var/lib/carwatch-edge/history.sqlite3").write_bytes(b"history")
    result = run("--root", str(tmp_path), "--uninstall")
    assert "kept configuration and data" in result.stdout
    assert not (tmp_path / "etc/systemd/system/carwatch-edge.service").exists()
    assert not (tmp_path / "opt" / "carwatch-edge").exists()
    assert (tmp_path / "etc/carwatch-edge/carwatch.toml").exists()
    assert (tmp_path / "var/lib/carwatch-edge/history.sqlite3").read_bytes() == b"history"
    run("--root", str(tmp_path), "--uninstall")  # again: nothing left to do, still fine
    run("--root", str(tmp_path), "--uninstall", "--purge")
    assert not (tmp_path / "etc/carwatch-edge").exists() and not (tmp_path / "var/lib/carwatch-edge").exists()
    assert not (tmp_path / "var/log/carwatch-edge").exists()


def test_uninstall_leaves_foreign_files_in_the_prefix(tmp_path: Path) -> None:
    run("--root", str(tmp_path), "--skip-venv")
    (tmp_path / "opt/carwatch-edge/notes.txt").write_text("mine")
    result = run("--root", str(tmp_path), "--uninstall")
    assert "kept" in result.stdout and (tmp_path / "opt/carwatch-edge/notes.txt").read_text() == "mine"
    assert not (tmp_path / "opt/carwatch-edge/models").exists()
