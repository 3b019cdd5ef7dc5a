"""The train and quantize steps of ``make models``: the best checkpoint is kept, exported only when asked,
and the detector's export replaced by an INT8 copy once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from edge.training import pipeline, quantize, train
from edge.vision.onnx_model import OnnxModel
from tests.training.tiny_onnx import write_tiny_detector

IMAGES = Path(__file__).resolve().parents[1] / "images"


Trained = tuple[list[train.TrainJob], list[tuple[str, ...]]]


@pytest.fixture
def trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Trained:
    """Training itself (ultralytics) is replaced: it records the job and writes a best checkpoint holding
    the run's name; exports are recorded."""
    jobs: list[train.TrainJob] = []
    exported: list[tuple[str, ...]] = []

    def fake_train(job: train.TrainJob) -> Path:
        best = tmp_path / "runs" / job.run_name / "best.pt"
        best.parent.mkdir(parents=True, exist_ok=True)
        best.write_bytes(job.run_name.encode())
        jobs.append(job)
        return best

    monkeypatch.setattr(train, "train", fake_train)
    monkeypatch.setattr(pipeline, "CHECKPOINTS", tmp_path / "checkpoints")
    monkeypatch.setattr(pipeline, "export_checkpoints", lambda names, note: exported.append(names))
    return jobs, exported


def test_train_keeps_each_best_checkpoint_and_exports_it(tmp_path: Path, trained: Trained) -> None:
    jobs, exported = trained
    pipeline.train_and_export(tmp_path / "build", "cpu", 0.01, 1)
    assert [j.name for j in jobs] == ["detector", "reader"] and exported == [("detector",), ("reader",)]
    assert (tmp_path / "checkpoints" / "reader.pt").read_bytes() == b"reader"


def test_train_without_export_keeps_the_checkpoint_only(tmp_path: Path, trained: Trained) -> None:
    jobs, exported = trained
    pipeline.train_and_export(tmp_path / "build", "0", 0.01, 1, ("detector",), export=False)
    assert [j.name for j in jobs] == ["detector"] and exported == []
    assert (tmp_path / "checkpoints" / "detector.pt").read_bytes() == b"detector"


def test_train_passes_the_patience_to_each_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int]] = []

    def fake_train(job: train.TrainJob) -> Path:
        seen.append((job.name, job.patience))
        best = tmp_path / f"{job.name}.pt"
        best.write_bytes(b"")
        return best

    monkeypatch.setattr(train, "train", fake_train)
    monkeypatch.setattr(pipeline, "CHECKPOINTS", tmp_path / "checkpoints")
    pipeline.train_and_export(tmp_path / "build", "0", 0.01, 1, export=False, patience=0)
    pipeline.train_and_export(tmp_path / "build", "0", 0.01, 1, ("reader",), export=False)
    assert seen == [("detector", 0), ("reader", 0), ("reader", 30)]


def test_a_size_trial_keeps_its_own_checkpoint_and_exports_nothing(tmp_path: Path, trained: Trained,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen, exported = trained
    detector, reader = pipeline.RECIPES
    monkeypatch.setattr(pipeline, "RECIPES", (detector, dataclasses.replace(reader, rect=True)))
    pipeline.train_and_export(tmp_path / "build", "0", 0.01, 1, ("reader",), imgsz=320)
    pipeline.train_and_export(tmp_path / "build", "0", 0.01, 1)
    assert [(j.run_name, j.imgsz, j.rect) for j in seen] == [
        ("reader-320", 320, True), ("detector", pipeline.DETECTOR_TRAIN_IMGSZ, False),
        ("reader", pipeline.READER_IMGSZ, True)]  # a rect recipe trains on rectangles
    assert (tmp_path / "checkpoints" / "reader-320.pt").read_bytes() == b"reader-320"
    assert (tmp_path / "checkpoints" / "reader.pt").read_bytes() == b"reader"
    assert exported == [("detector",), ("reader",)]  # the trial was not exported


@pytest.mark.parametrize("size", ["0", "100", "4096", "big"])
def test_a_bad_trial_size_is_refused(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        pipeline.main(["train", "--imgsz", size])
    assert stop.value.code == 2 and "--imgsz" in capsys.readouterr().err


def _detector_set(build: Path, names: list[str]) -> None:
    (build / "detector").mkdir(parents=True)
    for split in ("train", "val"):
        (build / "detector" / f"{split}.txt").write_text("".join(f"/data/{n}\n" for n in names))
    (build / "detector" / "data.yaml").write_text(
        f"path: {build / 'detector'}\ntrain: {build / 'detector' / 'train.txt'}\n"
        f"val: {build / 'detector' / 'val.txt'}\nnames:\n  0: plate\n")


def test_a_source_left_out_trains_a_detector_from_nothing_and_exports_nothing(
        tmp_path: Path, trained: Trained, caplog: pytest.LogCaptureFixture) -> None:
    seen, exported = trained
    build = tmp_path / "build"
    _detector_set(build, ["ro-dashcam__a.jpg", "us-roboflow__b.jpg", "scene2_000001.jpg"])
    argv = ["train", "--build", str(build), "--models", "detector", "--without", "ro-dashcam"]
    assert pipeline.main(argv) == 0
    (job,) = seen
    assert job.run_name == "detector-without-ro-dashcam" and job.start == "yolov8n.yaml"  # no checkpoint saw less
    assert job.data.name == "data-without-ro-dashcam.yaml" and exported == []
    assert (build / "detector" / "train-without-ro-dashcam.txt").read_text().split() == [
        "/data/us-roboflow__b.jpg", "/data/scene2_000001.jpg"]
    assert (tmp_path / "checkpoints" / "detector-without-ro-dashcam.pt").exists()
    assert pipeline.main([*argv[:-1], "oid-plates-416"]) == 1  # none of its images in the set: said, not trained
    assert "no training image of oid-plates-416" in caplog.text and len(seen) == 1


@pytest.mark.parametrize("argv", [["--without", "ro-dashcam"], ["--models", "reader", "--without", "ro-dashcam"],
                                  ["--models", "detector", "--without", "ro-dashcam", "--imgsz", "320"],
                                  ["--models", "detector", "--without", "nowhere"]])
def test_leaving_a_source_out_is_for_the_detector_alone(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        pipeline.main(["train", *argv])
    assert stop.value.code == 2 and "--without" in capsys.readouterr().err


def _paths(prefix: str, count: int) -> list[Path]:
    return [Path(f"{prefix}{i}.jpg") for i in range(count)]


def test_reader_lists_repeat_real_crops_and_validate_on_real_ones_when_there_are_enough() -> None:
    rendered_train, rendered_val = _paths("r", 10), _paths("rv", 5)
    real_train, real_val = _paths("t", 3), _paths("v", pipeline.MIN_REAL_VAL)
    train_list, val_list = pipeline.reader_lists(rendered_train, rendered_val, real_train, real_val)
    assert train_list == rendered_train + real_train * pipeline.REAL_REPEAT
    assert val_list == real_val  # the best epoch is chosen on real crops only


def test_reader_lists_keep_rendered_validation_when_real_crops_are_too_few() -> None:
    rendered_val, real_val = _paths("rv", 5), _paths("v", pipeline.MIN_REAL_VAL - 1)
    _, val_list = pipeline.reader_lists([], rendered_val, [], real_val)
    assert val_list == rendered_val + real_val


def test_data_step_passes_the_glyph_swapped_count_and_degraded_copies_to_the_reader_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[object, ...]] = []
    monkeypatch.setattr(pipeline, "build_detector_dataset",
                        lambda shared, build, scenes: built.append(("detector", scenes)))
    monkeypatch.setattr(pipeline, "build_reader_dataset",
                        lambda shared, build, rendered, swapped, degraded: built.append(("reader", swapped, degraded)))
    assert pipeline.main(["data", "--build", str(tmp_path), "--swapped", "7", "--scenes", "3", "--degraded"]) == 0
    assert pipeline.main(["data", "--build", str(tmp_path)]) == 0
    assert built == [("detector", 3), ("reader", 7, True),
                     ("detector", 600), ("reader", pipeline.SWAPPED, pipeline.DEGRADED)]
    assert pipeline.DEGRADED is False


def test_a_negative_glyph_swapped_count_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        pipeline.main(["data", "--swapped", "-1"])
    assert "--swapped must be 0" in capsys.readouterr().err


def test_quantize_step_replaces_both_models_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for name in ("plate-detector.onnx", "plate-reader.onnx"):  # tiny stand-ins: the step only needs models
        write_tiny_detector(models / name)
    crops = tmp_path / "build" / "reader" / "real" / "images"  # the reader calibrates on real crops
    crops.mkdir(parents=True)
    for image in sorted(IMAGES.glob("*.jpg"))[:2]:
        (crops / image.name).write_bytes(image.read_bytes())
    photos = sorted(IMAGES.glob("*.jpg"))[:3]
    monkeypatch.setattr(pipeline, "MODELS", models)
    monkeypatch.setattr(quantize, "calibration_photos", lambda shared, count: photos)  # no ../shared here
    pipeline.quantize_models(tmp_path / "shared", tmp_path / "build")
    for name in ("plate-detector.onnx", "plate-reader.onnx"):
        assert OnnxModel(models / name).info.version == f"tiny-1{quantize.VERSION_SUFFIX}-headblocks"
    first = [(models / name).read_bytes() for name in ("plate-detector.onnx", "plate-reader.onnx")]
    pipeline.quantize_models(tmp_path / "shared", tmp_path / "build")  # INT8 already: kept as it is
    assert [(models / name).read_bytes() for name in ("plate-detector.onnx", "plate-reader.onnx")] == first


def test_quantize_step_without_photos_or_model_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(pipeline, "MODELS", models)
    write_tiny_detector(models / "plate-detector.onnx")
    assert pipeline.main(["quantize", "--models", "detector", "--shared", str(tmp_path / "none")]) == 1
    assert "no training photos" in caplog.text
    (models / "plate-detector.onnx").unlink()
    monkeypatch.setattr(quantize, "calibration_photos", lambda shared, count: sorted(IMAGES.glob("*.jpg"))[:2])
    assert pipeline.main(["quantize", "--models", "detector"]) == 1
    assert "plate-detector.onnx" in caplog.text and "file not found" in caplog.text
    with pytest.raises(SystemExit):
        pipeline.main(["train", "--patience", "-1"])


def test_a_trial_checkpoint_is_exported_beside_the_other_shipped_model(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Path, Path, int, str, bool]] = []

    def fake_export(checkpoint: Path, out: Path, imgsz: int, version: str, note: str, *, dynamic: bool) -> Path:
        calls.append((checkpoint, out, imgsz, version, dynamic))
        return out

    monkeypatch.setattr(train, "export", fake_export)
    checkpoint = tmp_path / "detector-without-ro-dashcam.pt"
    checkpoint.write_bytes(b"weights")
    to = tmp_path / "trial"
    assert pipeline.main(["export", "--models", "detector", "--checkpoint", str(checkpoint), "--to", str(to)]) == 0
    ((got, out, imgsz, version, dynamic),) = calls
    assert got == checkpoint and out == to / "plate-detector.onnx" and imgsz == pipeline.DETECTOR_IMGSZ and dynamic
    assert version.startswith("detector-without-ro-dashcam-")
    assert (to / "plate-reader.onnx").resolve() == (pipeline.MODELS / "plate-reader.onnx").resolve()  # the other
    assert pipeline.main(["export", "--models", "detector", "--checkpoint", str(tmp_path / "no.pt"),
                          "--to", str(to)]) == 1  # a missing checkpoint: said, nothing written
    assert len(calls) == 1


@pytest.mark.parametrize("argv", [["--checkpoint", "x.pt"], ["--to", "there"],
                                  ["--checkpoint", "x.pt", "--to", "there"]])  # the last: both models
def test_a_trial_export_needs_its_folder_and_one_model(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        pipeline.main(["export", *argv])
    assert stop.value.code == 2 and "--checkpoint and --to" in capsys.readouterr().err
