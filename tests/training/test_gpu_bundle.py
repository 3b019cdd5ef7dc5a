"""The GPU bundle: packed sets, stand-ins and a job script, sized against what may travel."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.training import gpu_bundle


def _yolo_set(root: Path, name: str, images: int, side: int) -> Path:
    """A tiny ultralytics set laid out as make models-data writes it: list files named in data.yaml."""
    listed: dict[str, list[str]] = {"train": [], "val": []}
    for split, count in (("train", images), ("val", 2)):
        (root / name / "images" / split).mkdir(parents=True)
        (root / name / "labels" / split).mkdir(parents=True)
        for i in range(count):
            image = root / name / "images" / split / f"{split}{i}.jpg"
            pixels = np.random.default_rng(i).integers(0, 255, (side, side * 2, 3), dtype=np.uint8)
            cv2.imwrite(str(image), pixels)
            (root / name / "labels" / split / f"{split}{i}.txt").write_text("0 0.5 0.5 0.2 0.1\n")
            listed[split].append(str(image))
    for split, paths in listed.items():
        (root / name / f"{split}.txt").write_text("\n".join(paths) + "\n")
    data = root / name / "data.yaml"
    data.write_text(f"train: {root / name / 'train.txt'}\nval: {root / name / 'val.txt'}\nnames:\n  0: plate\n")
    return data


def _longest_side(image: Path) -> int:
    pixels = cv2.imread(str(image))
    assert pixels is not None, image
    return int(max(pixels.shape[:2]))


@pytest.fixture
def build(tmp_path: Path) -> Path:
    root = tmp_path / "build"
    _yolo_set(root, "detector", 5, 900)
    _yolo_set(root, "reader", 3, 300)
    return root


@pytest.fixture
def no_download(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Wheels are fetched from PyPI in real use; here a placeholder records where they would go."""
    asked: list[Path] = []

    def fake(out: Path, python_version: str) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"ultralytics-0-py3-none-any-for-{python_version}.whl").write_bytes(b"0" * 1000)
        asked.append(out)

    monkeypatch.setattr(gpu_bundle, "download_wheels", fake)
    return asked


def test_bundle_packs_both_sets_shrunk_to_their_training_size(build: Path, tmp_path: Path,
                                                              no_download: list[Path]) -> None:
    out = tmp_path / ".gpu"
    sizes = gpu_bundle.write_bundle(build, out, "3.12", train_limit=3)
    detector = sorted((out / "build" / "detector" / "images" / "train").iterdir())
    assert len(detector) == 3  # the limit
    assert _longest_side(detector[0]) == 640
    reader = sorted((out / "build" / "reader" / "images" / "train").iterdir())
    assert len(reader) == 3 and _longest_side(reader[0]) == 256
    assert (out / "build" / "reader" / "labels" / "train" / "000000_train0.txt").read_text() == "0 0.5 0.5 0.2 0.1\n"
    assert no_download == [out / "wheels"]
    assert sizes["bundle"] > 0 and set(sizes) >= {"build", "wheels", "stubs", "bundle"}


def test_bundle_job_script_is_valid_bash_that_trains_both_models_on_the_device(
        build: Path, tmp_path: Path, no_download: list[Path]) -> None:
    out = tmp_path / ".gpu"
    gpu_bundle.write_bundle(build, out, "3.12", train_limit=None)
    job = out / "job.sh"
    assert subprocess.run(["bash", "-n", str(job)], check=False, capture_output=True).returncode == 0
    text = job.read_text()
    assert "--no-index" in text and "YOLO_OFFLINE=1" in text
    assert text.count("edge.training.pipeline train") == 1 and 'JOBS="${JOBS:-detector reader}"' in text
    # Nothing is exported on the device, and a training cut short by LIMIT_S still sends its best checkpoint.
    assert "train --no-export" in text and 'timeout --kill-after=15 "${LIMIT_S:-0}"' in text
    assert text.index('"$weights/best.pt"') < text.index("wait\n")
    assert text.index('"$weights/last.pt"') < text.index("wait\n")
    assert '--patience "${PATIENCE:-30}"' in text


@pytest.mark.parametrize("case", [
    (None, ["--models detector --patience 30", "--models reader --patience 30"], ["detector", "reader"]),
    ("reader reader@320", ["--models reader --patience 30", "--models reader --imgsz 320 --patience 30"],
     ["reader", "reader-320"]),
    ("detector detector~ro-dashcam",
     ["--models detector --patience 30", "--models detector --without ro-dashcam --patience 30"],
     ["detector", "detector-without-ro-dashcam"]),
])
def test_job_script_runs_each_job_and_sends_back_its_files(build: Path, tmp_path: Path, no_download: list[Path],
                                                          case: tuple[str | None, list[str], list[str]]) -> None:
    """job.sh on a stand-in device: ``python`` records its arguments and writes what a training leaves."""
    jobs, calls, runs = case
    repo = tmp_path / "device"
    gpu_bundle.write_bundle(build, repo / ".gpu", "3.12", train_limit=None)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls_file = tmp_path / "calls.txt"
    (bin_dir / "python").write_text(f"""#!/bin/bash
echo "$*" >> {calls_file}
if [ "$2" = edge.training.pipeline ]; then
    args="$*"; model="${{args#*--models }}"; model="${{model%% *}}"
    case "$args" in *--imgsz*) size="${{args#*--imgsz }}"; model="$model-${{size%% *}}";; esac
    case "$args" in *--without*) left="${{args#*--without }}"; model="$model-without-${{left%% *}}";; esac
    mkdir -p .gpu/build/runs/$model/weights
    for f in best.pt last.pt; do echo $model > .gpu/build/runs/$model/weights/$f; done
    echo epoch > .gpu/build/runs/$model/results.csv
fi
""")
    (bin_dir / "python").chmod(0o755)
    out = tmp_path / "out"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "OUT": str(out), "HOURS": "0.01", "LIMIT_S": "60"}
    if jobs is not None:
        env["JOBS"] = jobs
    done = subprocess.run(["bash", ".gpu/job.sh"], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    trainings = [line for line in calls_file.read_text().splitlines() if "pipeline train" in line]
    assert sorted(line.split("--workers 7 ")[1] for line in trainings) == sorted(calls)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{r}.tar" for r in runs)  # one file back per job
    home = tmp_path / "home"
    home.mkdir()
    for run in runs:
        subprocess.run(["tar", "xf", str(out / f"{run}.tar"), "-C", str(home)], check=True)
    expected = {f"{r}{suffix}" for r in runs for suffix in (".log", "-results.csv")}
    expected |= {f"checkpoints/{r}{suffix}" for r in runs for suffix in (".pt", "-last.pt")}
    assert {str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()} == expected
    assert (home / "checkpoints" / f"{runs[-1]}.pt").read_text().strip() == runs[-1]
    assert f"training {runs[-1]} ended: 0" in (home / f"{runs[-1]}.log").read_text()


def test_job_script_leaves_an_oversized_last_checkpoint_behind(build: Path, tmp_path: Path,
                                                              no_download: list[Path]) -> None:
    """A training cut short keeps its optimizer in both checkpoints: together they would pass 16 MiB."""
    repo = tmp_path / "device"
    gpu_bundle.write_bundle(build, repo / ".gpu", "3.12", train_limit=None)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text("""#!/bin/bash
if [ "$2" = edge.training.pipeline ]; then
    mkdir -p .gpu/build/runs/reader/weights
    head -c 9000000 /dev/zero > .gpu/build/runs/reader/weights/best.pt
    head -c 9000000 /dev/zero > .gpu/build/runs/reader/weights/last.pt
    echo epoch > .gpu/build/runs/reader/results.csv
fi
""")
    (bin_dir / "python").chmod(0o755)
    out = tmp_path / "out"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "OUT": str(out), "JOBS": "reader"}
    done = subprocess.run(["bash", ".gpu/job.sh"], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    listing = subprocess.run(["tar", "tf", str(out / "reader.tar")], capture_output=True, text=True, check=True)
    assert "./checkpoints/reader.pt" in listing.stdout.split() and "reader-last.pt" not in listing.stdout
    assert (out / "reader.tar").stat().st_size < 16 * 1024 * 1024


def test_polars_stand_in_fails_the_way_ultralytics_expects(build: Path, tmp_path: Path,
                                                           no_download: list[Path]) -> None:
    out = tmp_path / ".gpu"
    gpu_bundle.write_bundle(build, out, "3.12", train_limit=None)
    spec = importlib.util.spec_from_file_location("polars_stand_in", out / "stubs" / "polars" / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(RuntimeError):  # ultralytics' read_results_csv catches Exception and goes on
        module.read_csv(b"epoch\n1\n")


def test_bundle_drops_detector_photos_until_it_fits(tmp_path: Path, no_download: list[Path]) -> None:
    build = tmp_path / "build"
    _yolo_set(build, "detector", 40, 900)
    _yolo_set(build, "reader", 3, 300)
    whole = gpu_bundle.write_bundle(build, tmp_path / "whole", "3.12", train_limit=None)["bundle"]
    photo = whole / 40 * 0.6  # well under one detector photo's share of the bundle
    sizes = gpu_bundle.write_bundle(build, tmp_path / ".gpu", "3.12", train_limit=None, room_mib=whole - 5 * photo)
    kept = len(list((tmp_path / ".gpu" / "build" / "detector" / "images" / "train").iterdir()))
    assert 20 <= kept < 40 and sizes["bundle"] <= whole - 5 * photo
    assert len(list((tmp_path / ".gpu" / "build" / "reader" / "images" / "train").iterdir())) == 3


def test_bundle_refuses_without_the_training_sets(tmp_path: Path, no_download: list[Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # tracked files are counted from the repository
    assert gpu_bundle.main(["--build", str(tmp_path / "nothing"), "--out", str(tmp_path / ".gpu")]) == 1
    with pytest.raises(FileNotFoundError, match="make models-data"):
        gpu_bundle.write_bundle(tmp_path / "nothing", tmp_path / ".gpu", "3.12", train_limit=None)
    assert no_download == []


def test_bundle_command_fails_when_it_would_not_fit_the_carry_limit(
        build: Path, tmp_path: Path, no_download: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)  # tracked files are counted from the repository
    out = tmp_path / ".gpu"
    assert gpu_bundle.main(["--build", str(build), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["bundle.tar.gz"]  # one file travels, not thousands
    monkeypatch.setattr(gpu_bundle, "CARRY_LIMIT_MIB", 1.0)
    assert gpu_bundle.main(["--build", str(build), "--out", str(out)]) == 1


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_bundle_command_refuses_a_bad_train_limit(limit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  no_download: list[Path]) -> None:
    with pytest.raises(SystemExit) as stop:
        gpu_bundle.main(["--build", str(tmp_path), "--out", str(tmp_path / ".gpu"), "--train-limit", limit])
    assert stop.value.code == 2 and "--train-limit" in capsys.readouterr().err
    assert no_download == [] and not (tmp_path / ".gpu").exists()


def test_bundle_archive_unpacks_to_the_job_where_the_device_runs_it(build: Path, tmp_path: Path,
                                                                    no_download: list[Path]) -> None:
    staging = tmp_path / "stage"
    gpu_bundle.write_bundle(build, staging, "3.12", train_limit=None)
    (tmp_path / ".gpu").mkdir()
    (tmp_path / ".gpu" / "left-over").write_text("from an earlier bundle")
    packed = gpu_bundle.archive(staging, tmp_path / ".gpu")
    assert sorted(p.name for p in (tmp_path / ".gpu").iterdir()) == ["bundle.tar.gz"]
    device = tmp_path / "device"
    device.mkdir()
    subprocess.run(["tar", "xzf", str(packed)], cwd=device, check=True)
    assert (device / ".gpu" / "job.sh").read_text() == (staging / "job.sh").read_text()
    unpacked = sorted(p.relative_to(device / ".gpu") for p in (device / ".gpu").rglob("*") if p.is_file())
    assert unpacked == sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
