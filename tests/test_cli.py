"""The ``carwatch-edge`` command's contract, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IMAGES = Path(__file__).resolve().parent / "images"
CLI = str(Path(sys.executable).with_name("carwatch-edge"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def test_read_json_one_line_per_image_of_a_folder() -> None:
    result = run("read", "--json", str(IMAGES))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    images = sorted(p for p in IMAGES.iterdir() if p.suffix == ".jpg")
    assert len(lines) == len(images)
    for line, image in zip(lines, images, strict=True):
        entry = json.loads(line)
        assert entry["image"] == str(image)
        assert isinstance(entry["ms"], float) and entry["ms"] > 0
        for plate in entry["plates"]:
            assert set(plate) >= {"text", "confidence", "box", "chars"}
            assert len(plate["box"]) == 4 and 0 <= plate["confidence"] <= 1
            assert len(plate["chars"]) == len(plate["text"])
            for char in plate["chars"]:
                assert set(char) == {"char", "confidence", "box"} and len(char["box"]) == 4


def test_read_keeps_the_path_as_given_and_reports_bad_files(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    good = str(IMAGES / "ro-B58DTK.jpg")
    result = run("read", "--json", good, str(tmp_path / "empty.jpg"), str(tmp_path / "text.png"),
                 str(tmp_path / "missing.jpg"))
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert entries[0]["image"] == good
    assert "plates" in entries[0]
    assert [("error" in e) for e in entries] == [False, True, True, True]
    assert "empty" in entries[1]["error"]
    assert "cannot read file" in entries[3]["error"]


def test_exit_code_is_non_zero_only_when_every_input_failed(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    result = run("read", "--json", str(tmp_path / "a.jpg"))
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"].startswith("truncated JPEG")


def test_human_output_is_one_line_per_image() -> None:
    result = run("read", str(IMAGES / "ro-B58DTK.jpg"), str(IMAGES / "us-BYE4NOW.jpg"))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith(str(IMAGES / "ro-B58DTK.jpg") + ": ")


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    result = run("read", str(tmp_path))
    assert result.returncode == 2 and "no images" in result.stderr


def test_missing_model_is_one_clear_line(tmp_path: Path) -> None:
    result = run("read", str(IMAGES), env={"CARWATCH_VISION__MODELS_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: model {tmp_path / 'plate-detector.onnx'}: file not found"


def test_corrupt_model_is_one_clear_line(tmp_path: Path) -> None:
    shutil.copy(IMAGES.parent.parent / "models" / "plate-detector.onnx", tmp_path)
    (tmp_path / "plate-reader.onnx").write_bytes(b"garbage")
    result = run("read", str(IMAGES), env={"CARWATCH_VISION__MODELS_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "plate-reader.onnx: not a loadable ONNX model" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("CARWATCH_VISION__THREADS", "0", "threads"),
        ("CARWATCH_VISION__DETECTOR_CONFIDENCE", "high", "detector_confidence"),
        ("CARWATCH_VISION__FORMATS", '{"XX": ["Q9"]}', "formats"),
    ],
)
def test_invalid_setting_names_the_setting(variable: str, value: str, setting: str) -> None:
    result = run("read", str(IMAGES), env={variable: value})
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: invalid setting {setting}")


def test_demo_reads_the_bundled_sample() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert "car.jpg: " in result.stdout


def test_run_time_never_imports_torch_or_ultralytics() -> None:
    code = (
        "import sys, edge.cli, edge.vision.recognizer, edge.evaluation, edge.bench, edge.settings.vision\n"
        "from edge.cli import main\n"
        "main(['read', '--json', sys.argv[1]])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'ultralytics', 'edge') and "
        "(m.startswith(('torch', 'ultralytics')) or m.startswith('edge.training'))]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(IMAGES / "ro-B58DTK.jpg")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_eval_under_a_simulated_condition_reports_it() -> None:
    result = run("eval", "--json", "--given-boxes", "--condition", "rain", str(IMAGES / "labels.jsonl"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["condition"] == "rain" and report["reads"]["plates"] == 5


def test_eval_refuses_an_unknown_condition() -> None:
    result = run("eval", "--condition", "snow", str(IMAGES / "labels.jsonl"))
    assert result.returncode == 2 and "invalid choice: 'snow'" in result.stderr and not result.stdout
