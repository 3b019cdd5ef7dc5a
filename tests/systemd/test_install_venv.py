"""systemd/install.sh the real way: a virtual environment built with pip from this checkout (needs the package
index the project's own ``make`` uses; about half a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.systemd.test_unit import unit_copy, verify

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "systemd" / "install.sh"
CAR = ROOT / "edge" / "samples" / "car.jpg"


def install(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["sh", str(SCRIPT), "--python", sys.executable, *args], check=False, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_install_builds_a_working_program(tmp_path: Path) -> None:
    root = tmp_path / "root"
    install("--root", str(root))
    program = root / "opt" / "carwatch-edge"
    cli = program / ".venv" / "bin" / "carwatch-edge"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARWATCH_", "PYTHON"))}
    env["CARWATCH_VISION__MODELS_DIR"] = str(program / "models")  # what the unit sets
    where = subprocess.run([str(program / ".venv/bin/python"), "-c", "import edge; print(edge.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    assert where.stdout.startswith(str(program / ".venv"))  # the installed copy, not this checkout
    read = subprocess.run([str(cli), "read", str(CAR)], check=False, capture_output=True, text=True, cwd=tmp_path,
                          env=env)
    assert read.returncode == 0 and "B58DTK" in read.stdout, read.stderr

    # The installed unit, with its ExecStart pointing at the real installed program, verifies.
    unit = (root / "etc/systemd/system/carwatch-edge.service").read_text()
    check = tmp_path / "check"
    check.mkdir()
    copy = unit_copy(check, unit)
    copy.write_text(copy.read_text().replace(str(check / "bin" / "carwatch-edge"), str(cli)))
    assert verify(copy).returncode == 0

    install("--root", str(root))  # again: an upgrade in place
    assert subprocess.run([str(cli), "--help"], check=False, capture_output=True, env=env).returncode == 0
    install("--root", str(root), "--uninstall")
    assert not program.exists()
